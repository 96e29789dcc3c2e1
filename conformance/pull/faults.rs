//! Graph misbehaving: throttling, expired tokens, malformed pages, expired delta tokens and
//! configuration errors. A failed read never removes anything.

use super::*;
use graph_fake::{Fault, FaultResponse, NewUser};

const T: &str = ENTRA_TENANT;

fn fault(path: &str, skip: u32, times: u32, response: FaultResponse) -> Fault {
    Fault {
        method: None,
        path_contains: path.into(),
        skip,
        times,
        response,
    }
}

/// A provisioned directory of `n` users.
fn provisioned(p: &Pull, n: usize) -> Vec<String> {
    let ids = (0..n)
        .map(|i| p.fake.create_user(T, NewUser::named(&format!("user{i}"))))
        .collect();
    p.first_sync();
    ids
}

#[test]
fn retry_after_is_honoured_and_the_run_completes() {
    each(DirectoryChange::default, |p| {
        p.fake.create_user(T, NewUser::named("ada"));
        p.fake.inject(fault(
            "/users/delta",
            0,
            1,
            FaultResponse::Status {
                status: 429,
                retry_after: Some("7".into()),
                code: "TooManyRequests".into(),
            },
        ));
        p.fake.inject(fault(
            "/groups/delta",
            0,
            2,
            FaultResponse::Status {
                status: 503,
                retry_after: None,
                code: "ServiceUnavailable".into(),
            },
        ));
        let run = p.sync();
        assert_eq!(run.status, "dry_run", "{run:#?}");
        let sleeps = p.sleeps.lock().expect("sleeps").clone();
        assert!(
            sleeps.contains(&Duration::from_secs(7)),
            "waited Retry-After: {sleeps:?}"
        );
        assert!(sleeps.len() >= 3, "backed off on each 503 too: {sleeps:?}");
        assert!(
            run.summary["graph"]["throttled"].as_u64().unwrap_or(0) >= 1,
            "{:#}",
            run.summary
        );
    });
}

#[test]
fn persistent_throttling_is_transient_and_removes_nothing() {
    each(
        || DirectoryChange {
            max_removal_percent: Some(100),
            max_removals: Some(1000),
            ..Default::default()
        },
        |p| {
            let ids = provisioned(p, 5);
            p.fake.hard_delete_user(T, &ids[0]);
            p.fake.inject(fault(
                "/groups/delta",
                0,
                u32::MAX,
                FaultResponse::Status {
                    status: 429,
                    retry_after: Some("1".into()),
                    code: "TooManyRequests".into(),
                },
            ));
            let run = p.sync();
            assert_eq!(run.status, "transient_error", "{run:#?}");
            assert_eq!(p.users().len(), 5, "a failed read applies nothing");
            let view = p
                .services
                .pull_view("acme")
                .expect("view")
                .expect("configured");
            assert!(view.last_error.is_some() && view.errored_since.is_some());
        },
    );
}

#[test]
fn a_malformed_page_fails_the_run_without_removals() {
    each(DirectoryChange::default, |p| {
        provisioned(p, 3);
        for r in [
            FaultResponse::MissingValue,
            FaultResponse::ValueNotArray,
            FaultResponse::TruncatedJson,
        ] {
            p.fake.inject(fault("/users/delta", 0, 1, r));
            let run = p.sync();
            assert_eq!(run.status, "failed", "{run:#?}");
            assert_eq!(p.users().values().filter(|u| u.0).count(), 3);
        }
    });
}

#[test]
fn an_expired_token_mid_run_is_refreshed() {
    each(DirectoryChange::default, |p| {
        p.fake.set_delta_page_size(2);
        for i in 0..6 {
            p.fake.create_user(T, NewUser::named(&format!("t{i}")));
        }
        p.fake
            .inject(fault("/users/delta", 1, 1, FaultResponse::ExpiredToken));
        let run = p.sync();
        assert_eq!(run.status, "dry_run", "{run:#?}");
        assert_eq!(
            run.summary["planned"]["create_user"], 6,
            "{:#}",
            run.summary
        );
        assert!(
            run.summary["graph"]["token_requests"].as_u64().unwrap_or(0) >= 2,
            "{:#}",
            run.summary
        );
    });
}

#[test]
fn an_expired_delta_token_means_a_full_round() {
    each(DirectoryChange::default, |p| {
        provisioned(p, 3);
        p.fake.create_user(T, NewUser::named("late"));
        p.fake
            .inject(fault("/users/delta", 0, 1, FaultResponse::Gone));
        let run = p.sync();
        assert_eq!(run.status, "succeeded", "{run:#?}");
        assert_eq!(run.round.as_deref(), Some("delta"));
        assert_eq!(run.summary["round"], "full", "{:#}", run.summary);
        assert!(p
            .users()
            .contains_key(&NewUser::named("late").user_principal_name));
        p.fake.inject(fault(
            "/groups/delta",
            0,
            1,
            FaultResponse::SyncStateNotFound,
        ));
        let run = p.sync();
        assert_eq!(run.summary["round"], "full", "{:#}", run.summary);
        assert_eq!(run.status, "succeeded");
    });
}

#[test]
fn configuration_errors_are_named_for_the_admin() {
    each(DirectoryChange::default, |p| {
        provisioned(p, 2);
        p.fake.set_secret_expired(T, CLIENT_ID, true);
        p.fake.expire_tokens();
        let run = p.sync();
        assert_eq!(run.status, "config_error", "{run:#?}");
        assert!(
            run.error.as_deref().unwrap_or_default().contains("7000222"),
            "{run:#?}"
        );
        p.fake.set_secret_expired(T, CLIENT_ID, false);
        p.fake.revoke_permission(T, CLIENT_ID, "User.Read.All");
        p.fake.revoke_permission(T, CLIENT_ID, "Directory.Read.All");
        p.fake.expire_tokens();
        let run = p.sync();
        assert_eq!(run.status, "config_error", "{run:#?}");
        let error = run.error.unwrap_or_default();
        assert!(error.contains("consent"), "{error}");
        assert!(p.users().values().all(|u| u.0), "nothing removed");
    });
}

#[test]
fn sync_test_explains_success_and_failure() {
    each(
        || mode(ScopeMode::Assigned),
        |p| {
            p.fake.create_user(T, NewUser::named("one"));
            let dir = p
                .services
                .pull_directory(&p.tenant.id)
                .expect("dir")
                .expect("configured");
            let report = p.runner.test(&dir).expect("test connection");
            assert_eq!(report.users, Some(1));
            assert!(report.service_principal_id.is_some());
            p.configure(DirectoryChange {
                credential: Some(PullCredential::Secret("wrong".into())),
                ..Default::default()
            });
            let dir = p
                .services
                .pull_directory(&p.tenant.id)
                .expect("dir")
                .expect("configured");
            let e = p.runner.test(&dir).expect_err("wrong secret");
            assert!(e.to_string().contains("7000215"), "{e}");
        },
    );
}
