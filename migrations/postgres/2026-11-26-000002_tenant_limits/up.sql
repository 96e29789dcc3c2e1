-- Per-tenant request limits: requests per second (NULL: unlimited) and the client addresses
-- allowed (comma-separated CIDRs; NULL: any).
ALTER TABLE tenants ADD COLUMN rate_limit_per_sec BIGINT;
ALTER TABLE tenants ADD COLUMN ip_allowlist TEXT;
