use super::{at, group, read, tenant, user, write};
use crate::support::each_backend;
use scimd::storage::{groups, memberships, users, NewMember, StorageError};
use serde_json::json;

pub fn member(id: &str) -> NewMember {
    NewMember {
        member_id: id.into(),
        member_type: "User".into(),
        display: Some(format!("name of {id}")),
        created_at: at(1),
    }
}

fn member_ids(db: &scimd::storage::Db, t: &str, g: &str) -> Vec<String> {
    read(db, |c| memberships::list(c, t, g))
        .into_iter()
        .map(|m| m.member_id)
        .collect()
}

#[test]
fn adding_members_is_idempotent_and_removing_removes_only_those_listed() {
    each_backend(|db| {
        let t = tenant(db, "t");
        group(db, &t, "g", "G");
        assert_eq!(
            write(db, |c| memberships::add(
                c,
                &t,
                "g",
                &[member("u2"), member("u1")]
            )),
            2
        );
        assert_eq!(
            write(db, |c| memberships::add(
                c,
                &t,
                "g",
                &[member("u1"), member("u3"), member("u3")]
            )),
            1
        );
        assert_eq!(member_ids(db, &t, "g"), ["u1", "u2", "u3"]);
        let first = &read(db, |c| memberships::list(c, &t, "g"))[0];
        assert_eq!(
            (
                first.group_id.as_str(),
                first.member_type.as_str(),
                first.display.as_deref()
            ),
            ("g", "User", Some("name of u1"))
        );
        assert_eq!(first.created_at, at(1));

        assert_eq!(
            write(db, |c| memberships::remove(
                c,
                &t,
                "g",
                &["u2".into(), "nope".into()]
            )),
            1
        );
        assert_eq!(member_ids(db, &t, "g"), ["u1", "u3"]);
        assert_eq!(read(db, |c| memberships::count(c, &t, "g")), 2);
        assert_eq!(write(db, |c| memberships::clear(c, &t, "g")), 2);
        assert_eq!(read(db, |c| memberships::count(c, &t, "g")), 0);
    });
}

#[test]
fn adding_to_a_missing_group_is_not_found() {
    each_backend(|db| {
        let t = tenant(db, "t");
        assert!(matches!(
            db.write(|c| memberships::add(c, &t, "nope", &[member("u1")])),
            Err(StorageError::NotFound)
        ));
    });
}

#[test]
fn large_member_lists_are_chunked() {
    each_backend(|db| {
        let t = tenant(db, "t");
        group(db, &t, "g", "G");
        let many: Vec<NewMember> = (0..1200).map(|i| member(&format!("m{i:05}"))).collect();
        assert_eq!(write(db, |c| memberships::add(c, &t, "g", &many)), 1200);
        let ids: Vec<String> = many.iter().map(|m| m.member_id.clone()).collect();
        assert_eq!(
            write(db, |c| memberships::remove(c, &t, "g", &ids[..1100])),
            1100
        );
        assert_eq!(read(db, |c| memberships::count(c, &t, "g")), 100);
    });
}

#[test]
fn deleting_a_user_or_group_removes_its_memberships() {
    each_backend(|db| {
        let t = tenant(db, "t");
        user(db, &t, "u1", "one", json!({}));
        user(db, &t, "u2", "two", json!({}));
        group(db, &t, "g1", "G1");
        group(db, &t, "g2", "G2");
        let nested = NewMember {
            member_id: "g2".into(),
            member_type: "Group".into(),
            display: None,
            created_at: at(1),
        };
        write(db, |c| {
            memberships::add(c, &t, "g1", &[member("u1"), member("u2"), nested])
        });
        write(db, |c| memberships::add(c, &t, "g2", &[member("u1")]));
        assert_eq!(
            read(db, |c| memberships::groups_of(c, &t, "u1")),
            [("g1".into(), "G1".into()), ("g2".into(), "G2".into())]
        );

        write(db, |c| users::delete(c, &t, "u1"));
        assert!(read(db, |c| memberships::groups_of(c, &t, "u1")).is_empty());
        assert_eq!(member_ids(db, &t, "g1"), ["g2", "u2"]);

        write(db, |c| groups::delete(c, &t, "g2"));
        assert_eq!(
            member_ids(db, &t, "g1"),
            ["u2"],
            "a deleted group leaves the groups it was in"
        );
        write(db, |c| groups::delete(c, &t, "g1"));
        assert_eq!(
            read(db, |c| memberships::count(c, &t, "g1")),
            0,
            "its own rows cascade"
        );
        assert!(read(db, |c| memberships::groups_of(c, &t, "u2")).is_empty());
    });
}

#[test]
fn memberships_are_scoped_by_tenant() {
    each_backend(|db| {
        let a = tenant(db, "a");
        let b = tenant(db, "b");
        group(db, &a, "g", "G");
        group(db, &b, "g", "G");
        write(db, |c| memberships::add(c, &a, "g", &[member("u1")]));
        assert!(member_ids(db, &b, "g").is_empty());
        assert!(read(db, |c| memberships::groups_of(c, &b, "u1")).is_empty());
        assert_eq!(
            write(db, |c| memberships::remove(c, &b, "g", &["u1".into()])),
            0
        );
        assert_eq!(write(db, |c| memberships::clear(c, &b, "g")), 0);
        assert_eq!(member_ids(db, &a, "g"), ["u1"]);
    });
}
