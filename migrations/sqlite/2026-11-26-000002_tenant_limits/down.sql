ALTER TABLE tenants DROP COLUMN ip_allowlist;
ALTER TABLE tenants DROP COLUMN rate_limit_per_sec;
