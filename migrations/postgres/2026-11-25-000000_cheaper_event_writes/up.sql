-- Every SCIM write inserts an event in its own transaction. Kept: the append-only
-- (tenant_id, id) index. Dropped: indexes whose keys land at random places (resource ids, names)
-- and (tenant_id, occurred_at) (ids follow time; retention walks ids). The resource and userName
-- filters scan the tenant's events newest first instead (docs/provisioning-log.md, "Cost").
DROP INDEX events_tenant_resource_idx;
DROP INDEX events_tenant_name_idx;
DROP INDEX events_tenant_time_idx;
