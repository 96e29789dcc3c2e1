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

diesel::table! {
    sync_directories (tenant_id) {
        tenant_id -> Text,
        entra_tenant_id -> Text,
        client_id -> Text,
        client_secret -> Nullable<Text>,
        certificate_pem -> Nullable<Text>,
        private_key_pem -> Nullable<Text>,
        authority_url -> Text,
        graph_url -> Text,
        mode -> Text,
        group_ids -> Text,
        app_id -> Nullable<Text>,
        flatten -> Bool,
        include_disabled -> Bool,
        interval_secs -> BigInt,
        max_removals -> BigInt,
        max_removal_percent -> BigInt,
        enabled -> Bool,
        needs_dry_run -> Bool,
        users_delta_link -> Nullable<Text>,
        groups_delta_link -> Nullable<Text>,
        assignments_hash -> Nullable<Text>,
        last_full_at -> Nullable<Timestamp>,
        next_run_at -> Nullable<Timestamp>,
        generation -> BigInt,
        lease_holder -> Nullable<Text>,
        lease_expires_at -> Nullable<Timestamp>,
        last_success_at -> Nullable<Timestamp>,
        errored_since -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    sync_runs (id) {
        id -> Text,
        tenant_id -> Text,
        trigger -> Text,
        requested_by -> Text,
        dry_run -> Bool,
        status -> Text,
        round -> Nullable<Text>,
        requested_at -> Timestamp,
        started_at -> Nullable<Timestamp>,
        finished_at -> Nullable<Timestamp>,
        summary -> Nullable<Text>,
        plan -> Nullable<Text>,
        plan_hash -> Nullable<Text>,
        approved_at -> Nullable<Timestamp>,
        approved_by -> Nullable<Text>,
        error -> Nullable<Text>,
    }
}

diesel::table! {
    sync_objects (tenant_id, kind, entra_id) {
        tenant_id -> Text,
        kind -> Text,
        entra_id -> Text,
        props -> Text,
        removed -> Bool,
        seen_run -> Text,
    }
}

diesel::table! {
    sync_edges (tenant_id, group_id, member_id) {
        tenant_id -> Text,
        group_id -> Text,
        member_id -> Text,
        member_kind -> Text,
        seen_run -> Text,
    }
}

diesel::table! {
    sync_links (tenant_id, kind, entra_id) {
        tenant_id -> Text,
        kind -> Text,
        entra_id -> Text,
        resource_id -> Text,
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
    sync_directories,
    sync_runs,
    sync_objects,
    sync_edges,
    sync_links,
);
