-- OAuth 2.0 client credentials (RFC 6749 §4.4): clients belong to one tenant; each has one or more
-- hashed secrets (several live at once for rotation), each with an expiry. Revoking the client
-- invalidates every access token issued to it.
CREATE TABLE oauth_clients (
    id TEXT NOT NULL PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    label TEXT,
    created_at TIMESTAMP NOT NULL,
    last_used_at TIMESTAMP,
    revoked_at TIMESTAMP
);
CREATE INDEX oauth_clients_tenant_idx ON oauth_clients (tenant_id);

CREATE TABLE oauth_client_secrets (
    id TEXT NOT NULL PRIMARY KEY,
    client_id TEXT NOT NULL REFERENCES oauth_clients (id) ON DELETE CASCADE,
    secret_hash TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    revoked_at TIMESTAMP
);
CREATE UNIQUE INDEX oauth_client_secrets_hash_key ON oauth_client_secrets (secret_hash);
CREATE INDEX oauth_client_secrets_client_idx ON oauth_client_secrets (client_id);

-- Keys scimd signs its access tokens with, generated on first use. `secret` is the raw key,
-- hex: unlike client secrets it must be usable, so it is as sensitive as the database itself.
CREATE TABLE signing_keys (
    id TEXT NOT NULL PRIMARY KEY,
    algorithm TEXT NOT NULL,
    secret TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
