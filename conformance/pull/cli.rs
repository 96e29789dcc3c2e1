//! `scimd sync …` as a script would use it: the real binary against the Graph fake.

use super::*;
use crate::support::scimd;
use graph_fake::NewUser;

#[test]
fn configure_now_wait_runs_and_test_from_the_command_line() {
    for test_db in support::backends() {
        let p = Pull::new(&test_db);
        let url = p.db_url.clone();
        let ada = p.fake.create_user(ENTRA_TENANT, NewUser::named("cli-ada"));
        let team = p.fake.create_group(ENTRA_TENANT, "CLI team");
        p.fake.add_member(ENTRA_TENANT, &team, &ada);
        let fake = p.fake.url();
        let (ok, out, err) = scimd(
            &url,
            &[
                "sync",
                "configure",
                "--tenant",
                "acme",
                "--entra-tenant-id",
                ENTRA_TENANT,
                "--client-id",
                CLIENT_ID,
                "--client-secret",
                SECRET,
                "--authority-url",
                &fake,
                "--graph-url",
                &fake,
                "--mode",
                "groups",
                "--groups",
                &team,
                "--flatten",
                "--json",
            ],
        );
        assert!(ok, "{err}");
        let view: Value = serde_json::from_str(&out).expect("json");
        assert_eq!(view["mode"], "groups");
        assert_eq!(view["flatten"], true);
        assert_eq!(view["next_run_kind"], "dry_run");
        assert!(!out.contains(SECRET), "the secret is never printed");

        let (ok, out, err) = scimd(&url, &["sync", "test", "acme"]);
        assert!(ok, "{out}{err}");
        assert!(out.starts_with("OK"), "{out}");

        let (ok, out, err) = scimd(&url, &["sync", "now", "acme", "--wait", "--json"]);
        assert!(ok, "{err}");
        let run: Value = serde_json::from_str(&out).expect("json");
        assert_eq!(run["status"], "dry_run", "{run:#}");
        assert!(p.users().is_empty());
        let (ok, out, err) = scimd(&url, &["sync", "now", "acme", "--wait", "--json"]);
        assert!(ok, "{err}");
        let run: Value = serde_json::from_str(&out).expect("json");
        assert_eq!(run["status"], "succeeded", "{run:#}");
        assert_eq!(p.users().len(), 1);

        let (ok, out, _) = scimd(&url, &["sync", "runs", "acme", "--json"]);
        assert!(ok);
        let runs: Value = serde_json::from_str(&out).expect("json");
        assert_eq!(runs.as_array().map(Vec::len), Some(2));

        // Without --wait: a request the server would pick up; asking twice is one request.
        let (_, first, _) = scimd(&url, &["sync", "now", "acme", "--json"]);
        let (_, second, _) = scimd(&url, &["sync", "now", "acme", "--json"]);
        let (a, b): (Value, Value) = (
            serde_json::from_str(&first).expect("json"),
            serde_json::from_str(&second).expect("json"),
        );
        assert_eq!(a["run_id"], b["run_id"]);
        assert_eq!(b["created"], false);

        // A bad option is named.
        let (ok, _, err) = scimd(
            &url,
            &["sync", "configure", "--tenant", "acme", "--mode", "some"],
        );
        assert!(!ok && err.contains("all, assigned, groups"), "{err}");
        // A failing run exits non-zero with the admin-facing message.
        let (ok, _, _) = scimd(
            &url,
            &[
                "sync",
                "configure",
                "--tenant",
                "acme",
                "--client-secret",
                "nope",
            ],
        );
        assert!(ok);
        let (ok, _, err) = scimd(&url, &["sync", "now", "acme", "--wait"]);
        assert!(!ok && err.contains("7000215"), "{err}");
    }
}
