-- scimd initial schema (SQLite). Keep in lockstep with migrations/postgres/<same name>/up.sql:
-- same tables, columns, declared types (TEXT, BIGINT, INTEGER, BOOLEAN, TIMESTAMP), nullability and index names.

CREATE TABLE tenants (
    id TEXT NOT NULL PRIMARY KEY,
    name TEXT NOT NULL,
    strict BOOLEAN NOT NULL DEFAULT false,
    log_reads BOOLEAN NOT NULL DEFAULT false,
    created_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX tenants_name_key ON tenants (name);

CREATE TABLE credentials (
    id TEXT NOT NULL PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    label TEXT,
    secret_hash TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    last_used_at TIMESTAMP,
    expires_at TIMESTAMP,
    revoked_at TIMESTAMP
);
CREATE UNIQUE INDEX credentials_secret_hash_key ON credentials (secret_hash);
CREATE INDEX credentials_tenant_idx ON credentials (tenant_id);

CREATE TABLE users (
    tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id TEXT NOT NULL,
    user_name TEXT NOT NULL,
    user_name_norm TEXT NOT NULL,
    external_id TEXT,
    display_name TEXT,
    display_name_norm TEXT,
    active BOOLEAN NOT NULL,
    doc TEXT NOT NULL,
    version BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX users_user_name_norm_key ON users (tenant_id, user_name_norm);
CREATE INDEX users_external_id_idx ON users (tenant_id, external_id);
CREATE INDEX users_display_name_norm_idx ON users (tenant_id, display_name_norm);

CREATE TABLE user_emails (
    tenant_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    position BIGINT NOT NULL,
    type TEXT,
    value_norm TEXT NOT NULL,
    PRIMARY KEY (tenant_id, user_id, position),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX user_emails_value_norm_idx ON user_emails (tenant_id, value_norm);

CREATE TABLE groups (
    tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id TEXT NOT NULL,
    display_name TEXT NOT NULL,
    display_name_norm TEXT NOT NULL,
    external_id TEXT,
    doc TEXT NOT NULL,
    version BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX groups_display_name_norm_key ON groups (tenant_id, display_name_norm);
CREATE INDEX groups_external_id_idx ON groups (tenant_id, external_id);

CREATE TABLE memberships (
    tenant_id TEXT NOT NULL,
    group_id TEXT NOT NULL,
    member_id TEXT NOT NULL,
    member_type TEXT NOT NULL,
    display TEXT,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (tenant_id, group_id, member_id),
    FOREIGN KEY (tenant_id, group_id) REFERENCES groups (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX memberships_member_idx ON memberships (tenant_id, member_id);

CREATE TABLE events (
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
    request_body TEXT
);
CREATE INDEX events_tenant_time_idx ON events (tenant_id, occurred_at);
CREATE INDEX events_tenant_resource_idx ON events (tenant_id, resource_id);
