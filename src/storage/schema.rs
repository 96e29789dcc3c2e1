//! Table definitions shared by both backends, written by hand to match
//! `migrations/{sqlite,postgres}/*/up.sql`. Only types both dialects share.

diesel::table! {
    tenants (id) {
        id -> Text,
        name -> Text,
        strict -> Bool,
        log_reads -> Bool,
        created_at -> Timestamp,
        entra_tenant_id -> Nullable<Text>,
        jwt_audience -> Nullable<Text>,
        entra_metadata_url -> Nullable<Text>,
        rate_limit_per_sec -> Nullable<BigInt>,
        ip_allowlist -> Nullable<Text>,
    }
}

diesel::table! {
    credentials (id) {
        id -> Text,
        tenant_id -> Text,
        kind -> Text,
        label -> Nullable<Text>,
        secret_hash -> Text,
        created_at -> Timestamp,
        last_used_at -> Nullable<Timestamp>,
        expires_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    users (tenant_id, id) {
        tenant_id -> Text,
        id -> Text,
        user_name -> Text,
        user_name_norm -> Text,
        external_id -> Nullable<Text>,
        display_name -> Nullable<Text>,
        display_name_norm -> Nullable<Text>,
        active -> Bool,
        doc -> Text,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    user_emails (tenant_id, user_id, position) {
        tenant_id -> Text,
        user_id -> Text,
        position -> BigInt,
        #[sql_name = "type"]
        email_type -> Nullable<Text>,
        value_norm -> Text,
    }
}

diesel::table! {
    groups (tenant_id, id) {
        tenant_id -> Text,
        id -> Text,
        display_name -> Text,
        display_name_norm -> Text,
        external_id -> Nullable<Text>,
        doc -> Text,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    memberships (tenant_id, group_id, member_id) {
        tenant_id -> Text,
        group_id -> Text,
        member_id -> Text,
        member_type -> Text,
        display -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    events (id) {
        id -> BigInt,
        tenant_id -> Nullable<Text>,
        occurred_at -> Timestamp,
        request_id -> Text,
        actor -> Text,
        credential_id -> Nullable<Text>,
        client_addr -> Nullable<Text>,
        method -> Text,
        path -> Text,
        resource_type -> Nullable<Text>,
        resource_id -> Nullable<Text>,
        resource_name -> Nullable<Text>,
        external_id -> Nullable<Text>,
        action -> Text,
        outcome -> Text,
        status -> Integer,
        scim_type -> Nullable<Text>,
        detail -> Nullable<Text>,
        changes -> Nullable<Text>,
        normalizations -> Nullable<Text>,
        duration_us -> BigInt,
        request_body -> Nullable<Text>,
        resource_name_norm -> Nullable<Text>,
    }
}

diesel::table! {
    admin_credentials (id) {
        id -> Text,
        label -> Nullable<Text>,
        secret_hash -> Text,
        created_at -> Timestamp,
        last_used_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    read_counts (tenant_id, hour) {
        tenant_id -> Text,
        hour -> Timestamp,
        reads -> BigInt,
    }
}

diesel::table! {
    oauth_clients (id) {
        id -> Text,
        tenant_id -> Text,
        label -> Nullable<Text>,
        created_at -> Timestamp,
        last_used_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    oauth_client_secrets (id) {
        id -> Text,
        client_id -> Text,
        secret_hash -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    signing_keys (id) {
        id -> Text,
        algorithm -> Text,
        secret -> Text,
        created_at -> Timestamp,
    }
}

diesel::joinable!(credentials -> tenants (tenant_id));
diesel::joinable!(oauth_clients -> tenants (tenant_id));
diesel::joinable!(oauth_client_secrets -> oauth_clients (client_id));
diesel::allow_tables_to_appear_in_same_query!(
    tenants,
    credentials,
    users,
    user_emails,
    groups,
    memberships,
    events,
    admin_credentials,
    read_counts,
    oauth_clients,
    oauth_client_secrets,
    signing_keys,
);
