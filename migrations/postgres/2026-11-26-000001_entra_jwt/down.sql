DROP INDEX tenants_entra_tenant_idx;
ALTER TABLE tenants DROP COLUMN entra_metadata_url;
ALTER TABLE tenants DROP COLUMN jwt_audience;
ALTER TABLE tenants DROP COLUMN entra_tenant_id;
