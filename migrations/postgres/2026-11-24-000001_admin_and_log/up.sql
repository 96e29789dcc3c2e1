-- Admin credentials: separate from SCIM credentials, never tied to a tenant.
CREATE TABLE admin_credentials (
    id TEXT PRIMARY KEY NOT NULL,
    label TEXT,
    secret_hash TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL,
    last_used_at TIMESTAMP,
    revoked_at TIMESTAMP
);

-- Provisioning log queries: newest-first cursor paging per tenant, userName lookups.
ALTER TABLE events ADD COLUMN resource_name_norm TEXT;
CREATE INDEX events_tenant_id_idx ON events (tenant_id, id);
CREATE INDEX events_tenant_name_idx ON events (tenant_id, resource_name_norm);

-- Successful reads are counted per tenant and hour instead of being logged one by one.
CREATE TABLE read_counts (
    tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    hour TIMESTAMP NOT NULL,
    reads BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, hour)
);
