//! The deletion guard, approvals, dry runs, Sync Now de-duplication and the lease.

use super::*;
use graph_fake::NewUser;

const T: &str = ENTRA_TENANT;

#[test]
fn too_many_removals_are_held_until_an_admin_approves_exactly_them() {
    each(
        || DirectoryChange {
            max_removals: Some(2),
            ..Default::default()
        },
        |p| {
            let ids: Vec<String> = (0..30)
                .map(|i| p.fake.create_user(T, NewUser::named(&format!("g{i}"))))
                .collect();
            p.first_sync();
            for id in &ids[..3] {
                p.fake.hard_delete_user(T, id);
            }
            p.fake.create_user(T, NewUser::named("newcomer"));
            let run = p.sync();
            assert_eq!(run.status, "quarantined", "{run:#?}");
            assert_eq!(run.summary["held"], 3, "{:#}", run.summary);
            let users = p.users();
            assert_eq!(users.len(), 31, "removals held, the create applied");
            let plan = p
                .services
                .pull_run(&p.tenant.id, &run.id)
                .expect("run")
                .expect("exists")
                .plan;
            assert_eq!(
                plan.as_ref()
                    .map(|pl| pl["ops"].as_array().map_or(0, Vec::len)),
                Some(3)
            );

            // Approval of a run that is not the latest is refused; of the latest, applied.
            let (_, next) = p
                .services
                .approve_pull_run(&p.tenant.id, &run.id, "test")
                .expect("approve");
            assert_eq!(next.trigger, "approval");
            let done = p
                .runner
                .run_pending(&p.tenant.id)
                .expect("run")
                .expect("ran");
            assert_eq!(done.status, "succeeded", "{done:#?}");
            assert_eq!(p.users().len(), 28);
            assert!(p
                .services
                .approve_pull_run(&p.tenant.id, &run.id, "test")
                .is_err());
        },
    );
}

#[test]
fn an_approval_lapses_when_the_removals_change() {
    each(
        || DirectoryChange {
            max_removals: Some(1),
            ..Default::default()
        },
        |p| {
            let ids: Vec<String> = (0..30)
                .map(|i| p.fake.create_user(T, NewUser::named(&format!("h{i}"))))
                .collect();
            p.first_sync();
            p.fake.hard_delete_user(T, &ids[0]);
            p.fake.hard_delete_user(T, &ids[1]);
            let run = p.sync();
            assert_eq!(run.status, "quarantined");
            p.services
                .approve_pull_run(&p.tenant.id, &run.id, "test")
                .expect("approve");
            p.fake.hard_delete_user(T, &ids[2]);
            let done = p
                .runner
                .run_pending(&p.tenant.id)
                .expect("run")
                .expect("ran");
            assert_eq!(
                done.status, "quarantined",
                "a different set needs a new approval: {done:#?}"
            );
            assert_eq!(p.users().len(), 30);
        },
    );
}

#[test]
fn sync_now_is_deduplicated_and_a_held_lease_means_another_runner_has_it() {
    each(DirectoryChange::default, |p| {
        p.fake.create_user(T, NewUser::named("solo"));
        let (first, created) = p
            .services
            .request_pull(&p.tenant.id, TRIGGER_MANUAL, "a", false)
            .expect("request");
        let (second, again) = p
            .services
            .request_pull(&p.tenant.id, TRIGGER_MANUAL, "b", true)
            .expect("request");
        assert!(created && !again);
        assert_eq!(first.id, second.id);
        let lease = p
            .services
            .claim_pull_lease(&p.tenant.id, "other replica", Duration::from_secs(60))
            .expect("claim")
            .expect("free");
        assert!(
            p.runner.run_pending(&p.tenant.id).expect("run").is_none(),
            "another runner holds it"
        );
        assert_eq!(
            p.services
                .pending_pull_run(&p.tenant.id)
                .expect("pending")
                .map(|r| r.id),
            Some(first.id.clone())
        );
        p.services.release_pull_lease(&lease).expect("release");
        let done = p
            .runner
            .run_pending(&p.tenant.id)
            .expect("run")
            .expect("ran");
        assert_eq!(done.id, first.id);
    });
}

#[test]
fn two_runners_at_once_run_one_sync() {
    each(DirectoryChange::default, |p| {
        for i in 0..50 {
            p.fake.create_user(T, NewUser::named(&format!("r{i}")));
        }
        p.services
            .request_pull(&p.tenant.id, TRIGGER_MANUAL, "t", false)
            .expect("request");
        let other = Runner::new(p.services.clone(), "second runner".into());
        let ran = std::thread::scope(|s| {
            let a = s.spawn(|| p.runner.run_pending(&p.tenant.id).expect("a"));
            let b = s.spawn(|| other.run_pending(&p.tenant.id).expect("b"));
            [a.join().expect("a"), b.join().expect("b")]
        });
        assert_eq!(ran.iter().filter(|r| r.is_some()).count(), 1, "{ran:#?}");
        assert_eq!(
            p.services.pull_runs(&p.tenant.id, 10).expect("runs").len(),
            1
        );
    });
}

#[test]
fn an_explicit_dry_run_writes_nothing() {
    each(DirectoryChange::default, |p| {
        p.fake.create_user(T, NewUser::named("dry"));
        p.first_sync();
        p.fake.create_user(T, NewUser::named("wet"));
        let run = p.sync_with(true);
        assert_eq!(run.status, "dry_run");
        assert_eq!(
            run.summary["planned"]["create_user"], 1,
            "{:#}",
            run.summary
        );
        assert_eq!(p.users().len(), 1);
        assert_eq!(p.sync().status, "succeeded");
        assert_eq!(p.users().len(), 2);
    });
}
