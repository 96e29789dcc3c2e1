CREATE INDEX events_tenant_time_idx ON events (tenant_id, occurred_at);
CREATE INDEX events_tenant_resource_idx ON events (tenant_id, resource_id);
CREATE INDEX events_tenant_name_idx ON events (tenant_id, resource_name_norm);
