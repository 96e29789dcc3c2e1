DROP TABLE read_counts;
DROP INDEX events_tenant_name_idx;
DROP INDEX events_tenant_id_idx;
ALTER TABLE events DROP COLUMN resource_name_norm;
DROP TABLE admin_credentials;
