//! graph.md §5.1's scenario checklist: the directory changes in Entra, a run makes the store
//! follow.

use super::*;
use graph_fake::NewUser;
use serde_json::json;

const T: &str = ENTRA_TENANT;

fn upn(u: &NewUser) -> String {
    u.user_principal_name.clone()
}

/// `f` with a service context of an internal SCIM client of the tenant (writes done as if
/// pushed).
fn as_scim<T>(p: &Pull, f: impl FnOnce(&scimd::service::Ctx<'_>) -> T) -> T {
    use scimd::service::{Actor, Ctx, RequestInfo};
    let request = RequestInfo::internal(Actor::Scim, "test");
    f(&Ctx {
        tenant: &p.tenant,
        base_url: "",
        request: &request,
    })
}

/// Create a user as if Entra had pushed it; its resource id.
fn push_user(p: &Pull, body: Value) -> String {
    let created = as_scim(p, |ctx| {
        p.services
            .create_resource(ctx, scimd::scim::schema::ResourceKind::User, &body)
    })
    .expect("push a user");
    created.body["id"].as_str().expect("id").to_string()
}

#[test]
fn the_first_run_is_a_dry_run_then_the_store_follows_and_a_second_run_is_a_no_op() {
    each(DirectoryChange::default, |p| {
        let (ada, bob) = (NewUser::named("ada"), NewUser::named("bob"));
        let ada_id = p.fake.create_user(T, ada.clone());
        p.fake.create_user(T, bob.clone());
        let eng = p.fake.create_group(T, "Eng");
        p.fake.add_member(T, &eng, &ada_id);
        let dry = p.sync();
        assert_eq!(dry.status, "dry_run", "{dry:#?}");
        assert_eq!(
            dry.summary["planned"]["create_user"], 2,
            "{:#}",
            dry.summary
        );
        assert!(p.users().is_empty(), "a dry run writes nothing");
        assert!(dry
            .plan
            .as_ref()
            .is_some_and(|pl| pl["ops"].as_array().is_some_and(|o| o.len() >= 3)));

        let run = p.sync();
        assert_eq!(run.status, "succeeded", "{run:#?}");
        let users = p.users();
        assert_eq!(users.len(), 2);
        let (active, external_id, _) = &users[&upn(&ada)];
        assert!(*active);
        assert_eq!(external_id.as_deref(), Some(ada_id.as_str()));
        let doc = p.user_doc(&upn(&ada));
        assert_eq!(doc["emails"][0]["type"], "work");
        assert_eq!(p.groups()["Eng"], BTreeSet::from([upn(&ada)]));
        let events = p.graph_events();
        assert!(
            events
                .iter()
                .any(|e| e.action == "Create"
                    && e.resource_name.as_deref() == Some(upn(&ada).as_str())),
            "{events:#?}"
        );

        let again = p.sync();
        assert_eq!(again.status, "succeeded");
        assert_eq!(again.round.as_deref(), Some("delta"));
        assert_eq!(again.summary["no_changes"], true, "{:#}", again.summary);
        assert_eq!(
            p.graph_events().len(),
            events.len(),
            "a no-op run writes no events"
        );
    });
}

#[test]
fn disable_soft_delete_restore_and_hard_delete_follow_entras_semantics() {
    each(DirectoryChange::default, |p| {
        let (a, b, c) = (
            NewUser::named("ann"),
            NewUser::named("ben"),
            NewUser::named("cy"),
        );
        let (ai, bi, ci) = (
            p.fake.create_user(T, a.clone()),
            p.fake.create_user(T, b.clone()),
            p.fake.create_user(T, c.clone()),
        );
        for n in ["dee", "eve", "fay"] {
            p.fake.create_user(T, NewUser::named(n));
        }
        p.first_sync();
        p.fake.set_account_enabled(T, &ai, false);
        p.fake.soft_delete_user(T, &bi);
        p.fake.hard_delete_user(T, &ci);
        let run = p.sync();
        assert_eq!(run.status, "succeeded", "{run:#?}");
        let users = p.users();
        assert!(!users[&upn(&a)].0, "disabled → active=false");
        assert!(!users[&upn(&b)].0, "soft-deleted → active=false");
        assert!(
            !users.contains_key(&upn(&c)),
            "permanently deleted → deleted"
        );
        let ann_id = users[&upn(&a)].2.clone();

        p.fake.set_account_enabled(T, &ai, true);
        p.fake.restore_user(T, &bi);
        let run = p.sync();
        assert_eq!(run.status, "succeeded", "{run:#?}");
        let users = p.users();
        assert!(
            users[&upn(&a)].0 && users[&upn(&b)].0,
            "re-enabled and restored → active"
        );
        assert_eq!(users[&upn(&a)].2, ann_id, "same resource, not a new one");
    });
}

#[test]
fn a_renamed_upn_keeps_the_identity_and_a_recreated_user_is_a_new_one() {
    each(DirectoryChange::default, |p| {
        let ada = NewUser::named("ada");
        let id = p.fake.create_user(T, ada.clone());
        for n in ["b1", "b2", "b3", "b4"] {
            p.fake.create_user(T, NewUser::named(n));
        }
        p.first_sync();
        let before = p.users()[&upn(&ada)].2.clone();
        p.fake.update_user(
            T,
            &id,
            json!({"userPrincipalName": "ada.l@contoso.com", "displayName": "Ada Lovelace"}),
        );
        p.sync();
        let users = p.users();
        assert!(!users.contains_key(&upn(&ada)));
        assert_eq!(
            users["ada.l@contoso.com"].2, before,
            "same resource after the rename"
        );
        assert_eq!(
            p.user_doc("ada.l@contoso.com")["displayName"],
            "Ada Lovelace"
        );

        // Deleted for good, then a new account with the same UPN: a new object id.
        p.fake.hard_delete_user(T, &id);
        let again = NewUser {
            user_principal_name: "ada.l@contoso.com".into(),
            ..NewUser::named("ada2")
        };
        let new_id = p.fake.create_user(T, again);
        let run = p.sync();
        assert_eq!(run.status, "succeeded", "{run:#?}");
        let users = p.users();
        let (active, external_id, resource) = &users["ada.l@contoso.com"];
        assert!(*active);
        assert_eq!(external_id.as_deref(), Some(new_id.as_str()));
        assert_ne!(resource, &before);
    });
}

#[test]
fn groups_follow_renames_member_changes_and_deletion() {
    each(DirectoryChange::default, |p| {
        let users: Vec<(NewUser, String)> = ["u1", "u2", "u3"]
            .iter()
            .map(|n| {
                let u = NewUser::named(n);
                (u.clone(), p.fake.create_user(T, u))
            })
            .collect();
        let eng = p.fake.create_group(T, "Eng");
        let ops = p.fake.create_group(T, "Ops");
        let keep = p.fake.create_group(T, "Keep");
        p.fake.add_member(T, &eng, &users[0].1);
        p.fake.add_member(T, &eng, &users[1].1);
        p.fake.add_member(T, &keep, &users[2].1);
        let device = p.fake.create_device(T, "laptop-1");
        p.fake.add_member(T, &eng, &device);
        p.first_sync();
        assert_eq!(p.groups()["Eng"].len(), 2, "devices are not provisioned");
        p.fake
            .update_group(T, &eng, json!({"displayName": "Engineering"}));
        p.fake.remove_member(T, &eng, &users[0].1);
        p.fake.add_member(T, &eng, &users[2].1);
        p.fake.delete_group(T, &ops, true);
        let run = p.sync();
        assert_eq!(run.status, "succeeded", "{run:#?}");
        let groups = p.groups();
        assert!(!groups.contains_key("Eng") && !groups.contains_key("Ops"));
        assert_eq!(
            groups["Engineering"],
            BTreeSet::from([upn(&users[1].0), upn(&users[2].0)])
        );
        assert_eq!(groups["Keep"].len(), 1);
        assert!(
            p.users().values().all(|u| u.0),
            "deleting a group never touches users"
        );
    });
}

#[test]
fn nested_groups_are_members_or_flattened() {
    for flatten in [false, true] {
        each(
            || DirectoryChange {
                flatten: Some(flatten),
                ..Default::default()
            },
            |p| {
                let (a, b) = (NewUser::named("outer1"), NewUser::named("inner1"));
                let (ai, bi) = (
                    p.fake.create_user(T, a.clone()),
                    p.fake.create_user(T, b.clone()),
                );
                let outer = p.fake.create_group(T, "Outer");
                let inner = p.fake.create_group(T, "Inner");
                p.fake.add_member(T, &outer, &ai);
                p.fake.add_member(T, &outer, &inner);
                p.fake.add_member(T, &inner, &bi);
                p.first_sync();
                let groups = p.groups();
                let expected = if flatten {
                    BTreeSet::from([upn(&a), upn(&b)])
                } else {
                    BTreeSet::from([upn(&a), "Inner".to_string()])
                };
                assert_eq!(groups["Outer"], expected, "flatten={flatten}");
                assert_eq!(groups["Inner"], BTreeSet::from([upn(&b)]));
            },
        );
    }
}

#[test]
fn groups_mode_takes_the_listed_groups_and_users_only_from_them() {
    for test_db in support::backends() {
        let p = Pull::new(&test_db);
        let (a, b) = (NewUser::named("in1"), NewUser::named("out1"));
        let ai = p.fake.create_user(T, a.clone());
        p.fake.create_user(T, b.clone());
        let chosen = p.fake.create_group(T, "Chosen");
        p.fake.create_group(T, "Other");
        p.fake.add_member(T, &chosen, &ai);
        p.configure(DirectoryChange {
            mode: Some(ScopeMode::Groups),
            group_ids: Some(vec![chosen.clone()]),
            ..Default::default()
        });
        p.first_sync();
        assert_eq!(p.users().keys().cloned().collect::<Vec<_>>(), vec![upn(&a)]);
        assert_eq!(
            p.groups().keys().cloned().collect::<Vec<_>>(),
            vec!["Chosen".to_string()]
        );
        // Leaving the group leaves the scope: deactivated, not deleted.
        p.fake.remove_member(T, &chosen, &ai);
        p.configure(DirectoryChange {
            max_removal_percent: Some(100),
            ..Default::default()
        });
        p.sync(); // dry run after the configuration change
        let run = p.sync();
        assert_eq!(
            run.status, "quarantined",
            "removing every user trips the guard: {run:#?}"
        );
        assert!(p.users()[&upn(&a)].0, "held back");
    }
}

#[test]
fn assigned_mode_follows_app_assignments_and_a_missing_service_principal_is_a_config_error() {
    each(
        || mode(ScopeMode::Assigned),
        |p| {
            let names = ["as1", "as2", "as3", "grp1", "none1"];
            let ids: Vec<String> = names
                .iter()
                .map(|n| p.fake.create_user(T, NewUser::named(n)))
                .collect();
            let team = p.fake.create_group(T, "Team");
            p.fake.add_member(T, &team, &ids[3]);
            for id in &ids[..3] {
                p.fake.assign_to_app(T, CLIENT_ID, id);
            }
            p.fake.assign_to_app(T, CLIENT_ID, &team);
            p.first_sync();
            let users = p.users();
            assert_eq!(users.len(), 4, "{users:?}");
            assert!(!users.contains_key("none1@contoso.com"));
            assert_eq!(
                p.groups().keys().cloned().collect::<Vec<_>>(),
                vec!["Team".to_string()]
            );

            p.fake.unassign(T, CLIENT_ID, &ids[0]);
            p.sync();
            assert!(
                !p.users()[&upn(&NewUser::named("as1"))].0,
                "unassigned → out of scope → inactive"
            );

            p.fake.revoke_consent(T, CLIENT_ID);
            let run = p.sync();
            assert_eq!(run.status, "config_error", "{run:#?}");
            assert!(
                run.error
                    .as_deref()
                    .unwrap_or_default()
                    .contains("service principal"),
                "{run:#?}"
            );
            assert!(
                p.users()[&upn(&NewUser::named("as2"))].0,
                "nothing removed on a config error"
            );
        },
    );
}

#[test]
fn existing_pushed_resources_are_linked_not_duplicated_and_unlinked_ones_are_left_alone() {
    each(DirectoryChange::default, |p| {
        let ada = NewUser::named("ada");
        push_user(p, json!({"userName": upn(&ada), "title": "Boss"}));
        push_user(p, json!({"userName": "local@example.com"}));
        p.fake.create_user(T, ada.clone());
        let run = p.sync();
        assert_eq!(run.summary["planned"]["link_user"], 1, "{:#}", run.summary);
        p.sync();
        let users = p.users();
        assert_eq!(users.len(), 2);
        assert_eq!(
            p.user_doc(&upn(&ada))["title"],
            "Boss",
            "attributes the pull does not own stay"
        );
        assert!(
            users["local@example.com"].0,
            "a resource the pull does not own is never deactivated"
        );
    });
}

#[test]
fn unowned_users_are_linked_by_external_id_or_email_only_when_unique_and_links_follow_the_store() {
    each(DirectoryChange::default, |p| {
        let push = |body: Value| push_user(p, body);
        // Matched by externalId = object id (case aside), whatever its userName.
        let by_id = NewUser::named("byid");
        let by_id_oid = p.fake.create_user(T, by_id.clone());
        let by_id_res =
            push(json!({"userName": "legacy-byid", "externalId": by_id_oid.to_uppercase()}));
        // Matched by email = mail (case aside).
        let by_mail = NewUser {
            mail: Some("Mail.Match@contoso.com".into()),
            ..NewUser::named("bymail")
        };
        let by_mail_oid = p.fake.create_user(T, by_mail.clone());
        let by_mail_res = push(json!({
            "userName": "legacy-bymail",
            "emails": [{"value": "mail.match@CONTOSO.com", "type": "work"}]
        }));
        // Two candidates with the mail: a guess, so a conflict and nothing written.
        let dup = NewUser {
            mail: Some("shared@contoso.com".into()),
            ..NewUser::named("dup")
        };
        let dup_oid = p.fake.create_user(T, dup.clone());
        for n in ["legacy-dup1", "legacy-dup2"] {
            push(json!({"userName": n, "emails": [{"value": "shared@contoso.com"}]}));
        }
        // Matches nothing: created (and keeps the guard from seeing every pulled user go).
        let keep = NewUser::named("keep");
        p.fake.create_user(T, keep.clone());
        let dry = p.sync();
        assert_eq!(dry.summary["planned"]["link_user"], 2, "{:#}", dry.summary);
        assert_eq!(
            dry.summary["planned"]["create_user"], 1,
            "{:#}",
            dry.summary
        );
        let run = p.sync();
        assert_eq!(run.status, "succeeded", "{run:#?}");
        let conflicts = run.summary["conflicts"].as_array().expect("conflicts");
        assert_eq!(conflicts.len(), 1, "{:#}", run.summary);
        assert_eq!(conflicts[0]["entra_id"], dup_oid.as_str());
        let detail = conflicts[0]["detail"].as_str().unwrap_or_default();
        assert!(
            detail.contains("2 users have the email shared@contoso.com"),
            "{detail}"
        );
        let users = p.users();
        assert_eq!(users.len(), 5, "linked, not created: {users:?}");
        assert!(users[&upn(&keep)].0);
        assert_eq!(users[&upn(&by_id)].2, by_id_res);
        assert_eq!(users[&upn(&by_id)].1.as_deref(), Some(by_id_oid.as_str()));
        assert_eq!(users[&upn(&by_mail)].2, by_mail_res);
        assert!(users["legacy-dup1"].0 && users["legacy-dup2"].0);

        // Users linked by an earlier run become members of a new group: the apply finds
        // their links in the store.
        let linked = p.fake.create_group(T, "Linked");
        p.fake.add_member(T, &linked, &by_id_oid);
        p.fake.add_member(T, &linked, &by_mail_oid);
        p.sync();
        assert_eq!(
            p.groups()["Linked"],
            BTreeSet::from([upn(&by_id), upn(&by_mail)])
        );

        // A linked user someone deleted by hand is created again by the next full round;
        // a linked user the directory no longer has at all is deactivated.
        as_scim(p, |ctx| {
            let user = scimd::scim::schema::ResourceKind::User;
            p.services.delete_resource(ctx, user, &by_id_res, None)
        })
        .expect("delete by hand");
        p.fake.hard_delete_user(T, &by_mail_oid);
        p.services
            .mirror_forget_links(&p.tenant.id)
            .expect("force a full round");
        let run = p.sync();
        assert_eq!(run.status, "succeeded", "{run:#?}");
        assert_eq!(run.summary["planned"]["unlink"], 1, "{:#}", run.summary);
        let users = p.users();
        let (active, external_id, resource) = &users[&upn(&by_id)];
        assert!(*active);
        assert_eq!(external_id.as_deref(), Some(by_id_oid.as_str()));
        assert_ne!(resource, &by_id_res, "a new resource");
        assert!(!users[&upn(&by_mail)].0, "deactivated: {users:?}");
        assert_eq!(p.groups()["Linked"], BTreeSet::from([upn(&by_id)]));
    });
}

#[test]
fn an_object_that_cannot_be_stored_fails_alone_and_is_logged_once() {
    each(DirectoryChange::default, |p| {
        // Entra allows two groups with one name; the store does not (displayName is unique).
        let ada = NewUser::named("ada");
        let ada_id = p.fake.create_user(T, ada.clone());
        let first = p.fake.create_group(T, "Eng");
        let second = p.fake.create_group(T, "eng");
        p.fake.add_member(T, &first, &ada_id);
        p.fake.add_member(T, &second, &ada_id);
        p.fake.create_group(T, "Ops");
        let run = p.first_sync();
        assert_eq!(run.status, "partial", "{run:#?}");
        // The group, and then its members (which have no group to go to).
        assert_eq!(run.summary["error_count"], 2, "{:#}", run.summary);
        assert_eq!(
            run.summary["errors"][1]["op"], "members",
            "{:#}",
            run.summary
        );
        let error = &run.summary["errors"][0];
        assert_eq!(error["op"], "create_group", "{error:#}");
        assert!(
            error["detail"]
                .as_str()
                .is_some_and(|d| d.contains("displayName")),
            "{error:#}"
        );
        // Everything else of the batch was applied.
        assert_eq!(
            run.summary["applied"]["create_user"], 1,
            "{:#}",
            run.summary
        );
        assert_eq!(
            run.summary["applied"]["create_group"], 2,
            "{:#}",
            run.summary
        );
        let groups = p.groups();
        assert_eq!(groups.len(), 2, "{groups:?}");
        assert!(groups.contains_key("Ops"));
        let members = groups
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case("eng"))
            .map(|(_, m)| m.clone());
        assert_eq!(members, Some(BTreeSet::from([upn(&ada)])));
        // The failure is in the provisioning log once, and each success once.
        let events = p.graph_events();
        let count = |outcome: &str, kind: &str| {
            events
                .iter()
                .filter(|e| {
                    e.action == "Create"
                        && e.outcome == outcome
                        && e.resource_type.as_deref() == Some(kind)
                })
                .count()
        };
        assert_eq!(count("failure", "Group"), 1, "{events:#?}");
        assert_eq!(count("success", "Group"), 2, "{events:#?}");
        assert_eq!(count("success", "User"), 1, "{events:#?}");
    });
}
