-- Pull mode (docs/pull-sync.md): a tenant's Entra directory read from Microsoft Graph.

-- One per tenant: where and as whom to read, what is in scope, the guard's thresholds, the
-- delta links of the last completed round, and the lease that makes one runner per directory.
-- `client_secret` / `private_key_pem` must be usable, so they are as sensitive as the database.
CREATE TABLE sync_directories (
    tenant_id TEXT NOT NULL PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    entra_tenant_id TEXT NOT NULL,
    client_id TEXT NOT NULL,
    client_secret TEXT,
    certificate_pem TEXT,
    private_key_pem TEXT,
    authority_url TEXT NOT NULL,
    graph_url TEXT NOT NULL,
    mode TEXT NOT NULL,
    group_ids TEXT NOT NULL,
    app_id TEXT,
    flatten BOOLEAN NOT NULL,
    include_disabled BOOLEAN NOT NULL,
    interval_secs BIGINT NOT NULL,
    max_removals BIGINT NOT NULL,
    max_removal_percent BIGINT NOT NULL,
    enabled BOOLEAN NOT NULL,
    needs_dry_run BOOLEAN NOT NULL,
    users_delta_link TEXT,
    groups_delta_link TEXT,
    assignments_hash TEXT,
    last_full_at TIMESTAMP,
    next_run_at TIMESTAMP,
    generation BIGINT NOT NULL,
    lease_holder TEXT,
    lease_expires_at TIMESTAMP,
    last_success_at TIMESTAMP,
    errored_since TIMESTAMP,
    last_error TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

-- Runs, including requested ones not started yet ("Sync Now" while one is pending reuses it).
CREATE TABLE sync_runs (
    id TEXT NOT NULL PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    trigger TEXT NOT NULL,
    requested_by TEXT NOT NULL,
    dry_run BOOLEAN NOT NULL,
    status TEXT NOT NULL,
    round TEXT,
    requested_at TIMESTAMP NOT NULL,
    started_at TIMESTAMP,
    finished_at TIMESTAMP,
    summary TEXT,
    plan TEXT,
    plan_hash TEXT,
    approved_at TIMESTAMP,
    approved_by TEXT,
    error TEXT
);
CREATE INDEX sync_runs_tenant_idx ON sync_runs (tenant_id, requested_at);
CREATE UNIQUE INDEX sync_runs_one_pending ON sync_runs (tenant_id) WHERE status = 'pending';

-- The directory as Graph last described it (users and groups, soft-deleted ones marked), kept
-- so a delta round can be planned against the whole scope. `seen_run` drives the sweep of a
-- full round.
CREATE TABLE sync_objects (
    tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    entra_id TEXT NOT NULL,
    props TEXT NOT NULL,
    removed BOOLEAN NOT NULL,
    seen_run TEXT NOT NULL,
    PRIMARY KEY (tenant_id, kind, entra_id)
);

-- Direct memberships as Graph reports them (members of type user, group or other).
CREATE TABLE sync_edges (
    tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    group_id TEXT NOT NULL,
    member_id TEXT NOT NULL,
    member_kind TEXT NOT NULL,
    seen_run TEXT NOT NULL,
    PRIMARY KEY (tenant_id, group_id, member_id)
);

-- Which store resources the reconciler owns, by Entra object id: only these are ever
-- updated, deactivated or deleted by a pull run.
CREATE TABLE sync_links (
    tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    entra_id TEXT NOT NULL,
    resource_id TEXT NOT NULL,
    PRIMARY KEY (tenant_id, kind, entra_id)
);
CREATE UNIQUE INDEX sync_links_resource_key ON sync_links (tenant_id, kind, resource_id);
