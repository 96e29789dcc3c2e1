use super::{at, group, read, tenant, write};
use crate::storage::filters::eq;
use crate::support::each_backend;
use scimd::storage::{groups, users, Db, SearchQuery, SortKey};
use serde_json::json;

/// 25 users `u00`..`u24`: userNames run backwards, every third has no displayName, even ones
/// are active, created one second apart in reverse.
fn roster(db: &Db) -> String {
    let t = tenant(db, "t");
    write(db, |c| {
        for i in 0..25 {
            let extra = if i % 3 == 0 {
                json!({ "active": i % 2 == 0 })
            } else {
                json!({ "active": i % 2 == 0, "displayName": format!("Name {:02}", i % 7) })
            };
            let (mut u, e) = super::new_user(
                &t,
                &format!("u{i:02}"),
                &format!("user-{:02}", 24 - i),
                extra,
            );
            u.created_at = at(100 - i);
            u.updated_at = at(100 - i);
            users::insert(c, &u, &e)?;
        }
        Ok(())
    });
    t
}

fn page(
    db: &Db,
    t: &str,
    sort: Option<(SortKey, bool)>,
    start_index: u64,
    count: u64,
) -> (u64, Vec<String>) {
    let q = SearchQuery {
        filter: None,
        sort,
        start_index,
        count,
    };
    let p = read(db, |c| users::search(c, t, &q));
    (p.total, p.rows.into_iter().map(|u| u.id).collect())
}

fn ids(range: impl Iterator<Item = i64>) -> Vec<String> {
    range.map(|i| format!("u{i:02}")).collect()
}

#[test]
fn start_index_and_count_page_in_id_order() {
    each_backend(|db| {
        let t = roster(db);
        assert_eq!(page(db, &t, None, 1, 10), (25, ids(0..10)));
        assert_eq!(
            page(db, &t, None, 0, 3),
            (25, ids(0..3)),
            "startIndex 0 reads as 1"
        );
        assert_eq!(page(db, &t, None, 11, 5), (25, ids(10..15)));
        assert_eq!(page(db, &t, None, 21, 10), (25, ids(20..25)));
        assert_eq!(page(db, &t, None, 30, 10), (25, vec![]));
        assert_eq!(
            page(db, &t, None, 1, 0),
            (25, vec![]),
            "count 0 gives only the total"
        );
        let f = eq("active", true);
        let q = SearchQuery {
            filter: Some(&f),
            sort: None,
            start_index: 3,
            count: 2,
        };
        let p = read(db, |c| users::search(c, &t, &q));
        assert_eq!(p.total, 13);
        assert_eq!(
            p.rows.into_iter().map(|u| u.id).collect::<Vec<_>>(),
            ["u04", "u06"]
        );
    });
}

#[test]
fn sorting_by_each_key() {
    each_backend(|db| {
        let t = roster(db);
        assert_eq!(
            page(db, &t, Some((SortKey::UserName, true)), 1, 3).1,
            ids([24, 23, 22].into_iter())
        );
        assert_eq!(
            page(db, &t, Some((SortKey::UserName, false)), 1, 3).1,
            ids(0..3)
        );
        assert_eq!(
            page(db, &t, Some((SortKey::Created, true)), 1, 2).1,
            ids([24, 23].into_iter())
        );
        assert_eq!(
            page(db, &t, Some((SortKey::LastModified, false)), 1, 2).1,
            ids(0..2)
        );
        assert_eq!(
            page(db, &t, Some((SortKey::Id, false)), 1, 2).1,
            ids([24, 23].into_iter())
        );

        // displayName "Name {i % 7}" for i not divisible by 3; ties broken by id.
        let named: Vec<i64> = {
            let mut v: Vec<i64> = (0..25).filter(|i| i % 3 != 0).collect();
            v.sort_by_key(|i| (i % 7, *i));
            v
        };
        let missing: Vec<i64> = (0..25).filter(|i| i % 3 == 0).collect();
        let asc = page(db, &t, Some((SortKey::DisplayName, true)), 1, 100).1;
        let want: Vec<i64> = named.iter().chain(missing.iter()).copied().collect();
        assert_eq!(
            asc,
            ids(want.iter().copied()),
            "missing values sort last ascending"
        );
        let desc = page(db, &t, Some((SortKey::DisplayName, false)), 1, 100).1;
        let want: Vec<i64> = want.into_iter().rev().collect();
        assert_eq!(
            desc,
            ids(want.into_iter()),
            "descending is the exact reverse"
        );
        // Paging a sorted list is a window of the whole sorted list.
        assert_eq!(
            page(db, &t, Some((SortKey::DisplayName, true)), 5, 4).1,
            asc[4..8].to_vec()
        );
    });
}

#[test]
fn groups_sort_and_page() {
    each_backend(|db| {
        let t = tenant(db, "t");
        for (id, name) in [("g1", "b"), ("g2", "C"), ("g3", "a")] {
            group(db, &t, id, name);
        }
        let q = SearchQuery {
            filter: None,
            sort: Some((SortKey::DisplayName, true)),
            start_index: 1,
            count: 2,
        };
        let p = read(db, |c| groups::search(c, &t, &q));
        assert_eq!(p.total, 3);
        assert_eq!(
            p.rows.iter().map(|g| g.id.as_str()).collect::<Vec<_>>(),
            ["g3", "g1"]
        );
        let q = SearchQuery {
            filter: None,
            sort: None,
            start_index: 2,
            count: 5,
        };
        let p = read(db, |c| groups::search(c, &t, &q));
        assert_eq!(
            p.rows.iter().map(|g| g.id.as_str()).collect::<Vec<_>>(),
            ["g2", "g3"]
        );
    });
}
