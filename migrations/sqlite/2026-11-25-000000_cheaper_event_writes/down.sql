CREATE TABLE events_old (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id TEXT,
    occurred_at TIMESTAMP NOT NULL,
    request_id TEXT NOT NULL,
    actor TEXT NOT NULL,
    credential_id TEXT,
    client_addr TEXT,
    method TEXT NOT NULL,
    path TEXT NOT NULL,
    resource_type TEXT,
    resource_id TEXT,
    resource_name TEXT,
    external_id TEXT,
    action TEXT NOT NULL,
    outcome TEXT NOT NULL,
    status INTEGER NOT NULL,
    scim_type TEXT,
    detail TEXT,
    changes TEXT,
    normalizations TEXT,
    duration_us BIGINT NOT NULL,
    request_body TEXT,
    resource_name_norm TEXT
);
INSERT INTO events_old SELECT * FROM events;
DROP TABLE events;
ALTER TABLE events_old RENAME TO events;
CREATE INDEX events_tenant_time_idx ON events (tenant_id, occurred_at);
CREATE INDEX events_tenant_resource_idx ON events (tenant_id, resource_id);
CREATE INDEX events_tenant_id_idx ON events (tenant_id, id);
CREATE INDEX events_tenant_name_idx ON events (tenant_id, resource_name_norm);
