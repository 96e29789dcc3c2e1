-- Entra-issued JWTs (the Secret Token left blank in Entra): a tenant trusts tokens whose issuer
-- is https://sts.windows.net/<entra_tenant_id>/ and whose audience is jwt_audience (NULL: the
-- id Entra uses for every non-gallery app), signed by a key from the OpenID metadata at
-- entra_metadata_url (NULL: Entra's own for that tenant id). NULL entra_tenant_id: off.
ALTER TABLE tenants ADD COLUMN entra_tenant_id TEXT;
ALTER TABLE tenants ADD COLUMN jwt_audience TEXT;
ALTER TABLE tenants ADD COLUMN entra_metadata_url TEXT;
CREATE INDEX tenants_entra_tenant_idx ON tenants (entra_tenant_id);
