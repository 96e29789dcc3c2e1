//! RFC 7644 §3.4.2 list queries: sorting, paging, projection and filters.

use super::{
    create_group, create_user, create_user_with, expect, id_of, ids_of_list, total, ENTERPRISE_URN,
};
use crate::support::{each_server, TestServer};
use serde_json::json;

#[track_caller]
fn list(s: &TestServer, path: &str) -> Vec<String> {
    ids_of_list(&expect(&s.get(path), 200))
}

/// Users whose names sort differently from their creation order.
fn three_users(s: &TestServer) -> [String; 3] {
    let c = create_user_with(
        s,
        json!({"userName": "carol@x", "displayName": "Alpha", "title": "Engineer",
        "name": {"givenName": "Carol", "familyName": "Lee"}, ENTERPRISE_URN: {"department": "R&D"}}),
    );
    let a = create_user_with(
        s,
        json!({"userName": "alice@x", "displayName": "Charlie", "title": "Manager",
        "name": {"givenName": "Alice", "familyName": "Park"}, "active": false,
        "emails": [{"type": "work", "value": "alice@contoso.example"}]}),
    );
    let b = create_user_with(
        s,
        json!({"userName": "bob@x", "displayName": "Bravo", "externalId": "b-1",
        "emails": [{"type": "home", "value": "bob@home.example"}]}),
    );
    [a, b, c]
}

#[test]
fn sort_by_and_sort_order() {
    each_server(|s| {
        let [a, b, c] = three_users(s);
        assert_eq!(
            list(s, "/Users?sortBy=userName"),
            [a.as_str(), b.as_str(), c.as_str()]
        );
        assert_eq!(
            list(s, "/Users?sortBy=UserName&sortOrder=descending"),
            [c.as_str(), b.as_str(), a.as_str()]
        );
        assert_eq!(
            list(s, "/Users?sortBy=displayName&sortOrder=ascending"),
            [c.as_str(), b.as_str(), a.as_str()]
        );
        assert_eq!(
            list(s, "/Users?sortBy=meta.created"),
            [c.as_str(), a.as_str(), b.as_str()]
        );
        assert_eq!(
            list(s, "/Users?sortBy=meta.created&sortOrder=descending"),
            [b.as_str(), a.as_str(), c.as_str()]
        );
        assert_eq!(
            list(s, "/Users?sortBy=userName&filter=userName+ne+%22bob%40x%22"),
            [a.as_str(), c.as_str()]
        );
        let g2 = create_group(s, "Sales", &[]);
        let g1 = create_group(s, "Finance", &[]);
        assert_eq!(
            list(s, "/Groups?sortBy=displayName"),
            [g1.as_str(), g2.as_str()]
        );
        assert_eq!(
            list(s, "/Groups?sortBy=displayName&sortOrder=descending"),
            [g2.as_str(), g1.as_str()]
        );
    });
}

#[test]
fn start_index_and_count_page_through_a_stable_order() {
    each_server(|s| {
        let mut made: Vec<String> = (0..7).map(|i| create_user(s, &format!("p{i}@x"))).collect();
        create_user(s, "other@x");
        for (query, sort) in [("", false), ("&sortBy=userName&sortOrder=descending", true)] {
            let filter = format!("filter=userName+sw+%22p%22{query}");
            let whole = list(s, &format!("/Users?{filter}"));
            let mut expected = made.clone();
            if sort {
                expected.reverse();
            }
            assert_eq!(whole, expected);
            let mut paged = Vec::new();
            for start in [1, 4, 7] {
                let v = expect(
                    &s.get(&format!("/Users?{filter}&startIndex={start}&count=3")),
                    200,
                );
                assert_eq!(v["totalResults"], 7, "{v}");
                assert_eq!(v["startIndex"], start, "{v}");
                assert_eq!(v["itemsPerPage"], if start == 7 { 1 } else { 3 }, "{v}");
                paged.extend(ids_of_list(&v));
            }
            assert_eq!(paged, whole);
        }
        // Deleting a user shifts later pages and the total; nothing is repeated.
        expect(&s.delete(&format!("/Users/{}", made.remove(0))), 204);
        let v = expect(
            &s.get("/Users?filter=userName+sw+%22p%22&startIndex=1&count=100"),
            200,
        );
        assert_eq!(
            (v["totalResults"].as_u64(), ids_of_list(&v)),
            (Some(6), made)
        );
    });
}

#[test]
fn count_zero_returns_only_the_total() {
    each_server(|s| {
        three_users(s);
        let v = expect(&s.get("/Users?count=0"), 200);
        assert_eq!(v["totalResults"], 3, "{v}");
        assert_eq!(v["itemsPerPage"], 0, "{v}");
        assert_eq!(v["Resources"], json!([]), "{v}");
        let v = expect(&s.get("/Users?count=0&filter=active+eq+true"), 200);
        assert_eq!(v["totalResults"], 2, "{v}");
        assert_eq!(v["Resources"], json!([]), "{v}");
    });
}

#[test]
fn attributes_and_excluded_attributes_always_keep_id_and_schemas_and_never_return_password() {
    each_server(|s| {
        let r = s.post("/Users", &json!({"userName": "amy@x", "password": "hunter2", "displayName": "Amy",
            "name": {"givenName": "Amy", "familyName": "Lee"}, "emails": [{"type": "work", "value": "amy@x"}]}));
        let created = expect(&r, 201);
        assert!(
            !r.text.contains("hunter2") && created.get("password").is_none(),
            "{}",
            r.text
        );
        let id = id_of(&created);
        let r = s.get(&format!("/Users/{id}"));
        assert!(
            !r.text.contains("hunter2") && !r.text.contains("password"),
            "{}",
            r.text
        );
        for path in [
            format!("/Users/{id}?attributes=userName"),
            "/Users?attributes=userName".to_string(),
        ] {
            let v = expect(&s.get(&path), 200);
            let u = if v.get("Resources").is_some() {
                v["Resources"][0].clone()
            } else {
                v
            };
            assert_eq!(u["id"], id.as_str(), "{u}");
            assert!(u["schemas"].is_array(), "{u}");
            assert_eq!(u["userName"], "amy@x", "{u}");
            for gone in ["displayName", "emails", "name"] {
                assert!(u.get(gone).is_none(), "{path}: {gone} in {u}");
            }
        }
        let v = expect(&s.get("/Users?attributes=name.givenName,password"), 200);
        let u = &v["Resources"][0];
        assert_eq!(u["name"], json!({"givenName": "Amy"}), "{u}");
        assert!(
            u.get("password").is_none() && u.get("userName").is_none(),
            "{u}"
        );
        let v = expect(
            &s.get(&format!(
                "/Users/{id}?excludedAttributes=emails,displayName,id,schemas"
            )),
            200,
        );
        assert!(
            v.get("emails").is_none() && v.get("displayName").is_none(),
            "{v}"
        );
        assert_eq!(
            (v["id"].as_str(), v["userName"].as_str()),
            (Some(id.as_str()), Some("amy@x")),
            "{v}"
        );
        assert!(v["schemas"].is_array(), "{v}");
        let g = create_group(s, "Finance", &[id.as_str()]);
        let v = expect(&s.get(&format!("/Groups/{g}?attributes=displayName")), 200);
        assert!(v.get("members").is_none() && v["id"] == g.as_str(), "{v}");
        let v = expect(&s.get("/Groups?attributes=members"), 200);
        assert_eq!(v["Resources"][0]["members"][0]["value"], id.as_str(), "{v}");
        assert!(v["Resources"][0].get("displayName").is_none(), "{v}");
    });
}

#[test]
fn filters_with_or_not_co_sw_ew_ne_pr_and_gt_on_meta_created() {
    each_server(|s| {
        let [a, b, c] = three_users(s);
        let cases: [(&str, Vec<&str>); 14] = [
            ("userName+eq+%22alice%40x%22+or+userName+eq+%22bob%40x%22", vec![a.as_str(), b.as_str()]),
            ("not+(userName+eq+%22alice%40x%22)", vec![b.as_str(), c.as_str()]),
            ("userName+co+%22o%22", vec![b.as_str(), c.as_str()]),
            ("userName+sw+%22AL%22", vec![a.as_str()]),
            ("displayName+ew+%22vo%22", vec![b.as_str()]),
            ("externalId+ne+%22b-1%22", vec![a.as_str(), c.as_str()]),
            ("externalId+pr", vec![b.as_str()]),
            ("active+eq+false+or+(title+pr+and+not+(title+eq+%22Manager%22))", vec![a.as_str(), c.as_str()]),
            ("meta.created+gt+%222000-01-01T00%3A00%3A00Z%22", vec![a.as_str(), b.as_str(), c.as_str()]),
            ("meta.created+lt+%222000-01-01T00%3A00%3A00Z%22", vec![]),
            ("title+eq+%22engineer%22", vec![c.as_str()]),
            ("name.familyName+eq+%22Lee%22", vec![c.as_str()]),
            ("emails.value+co+%22example%22+and+not+(emails%5Btype+eq+%22home%22%5D)", vec![a.as_str()]),
            ("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department+eq+%22r%26d%22", vec![c.as_str()]),
        ];
        for (filter, want) in cases {
            let mut got = list(s, &format!("/Users?filter={filter}"));
            got.sort();
            let mut want: Vec<String> = want.into_iter().map(String::from).collect();
            want.sort();
            assert_eq!(got, want, "filter={filter}");
        }
        // gt on the creation time of the first user leaves the two made after it.
        let first = expect(&s.get(&format!("/Users/{c}")), 200);
        let created = first["meta"]["created"]
            .as_str()
            .expect("meta.created")
            .replace(':', "%3A");
        let mut got = list(s, &format!("/Users?filter=meta.created+gt+%22{created}%22"));
        got.sort();
        let mut want = vec![a.clone(), b.clone()];
        want.sort();
        assert_eq!(got, want);
        assert_eq!(
            total(s, &format!("/Users?filter=meta.created+ge+%22{created}%22")),
            3
        );
    });
}

#[test]
fn groups_filter_on_members_and_display_name() {
    each_server(|s| {
        let amy = create_user(s, "amy@x");
        let bob = create_user(s, "bob@x");
        let fin = create_group(s, "Finance", &[amy.as_str(), bob.as_str()]);
        let sales = create_group(s, "Sales", &[bob.as_str()]);
        let hr = create_group(s, "HR", &[fin.as_str()]);
        let q = |f: &str| {
            let mut ids = list(s, &format!("/Groups?excludedAttributes=members&filter={f}"));
            ids.sort();
            ids
        };
        let sorted = |mut v: Vec<String>| {
            v.sort();
            v
        };
        assert_eq!(
            q(&format!("members%5Bvalue+eq+%22{amy}%22%5D")),
            [fin.as_str()]
        );
        assert_eq!(
            q(&format!("members%5Bvalue+eq+%22{bob}%22%5D")),
            sorted(vec![fin.clone(), sales.clone()])
        );
        assert_eq!(
            q(&format!("members%5Bvalue+eq+%22{fin}%22%5D")),
            [hr.as_str()]
        );
        assert_eq!(q(&format!("members+eq+%22{amy}%22")), [fin.as_str()]);
        assert_eq!(q("members%5Btype+eq+%22Group%22%5D"), [hr.as_str()]);
        assert_eq!(
            q("displayName+sw+%22f%22+or+displayName+eq+%22hr%22"),
            sorted(vec![fin.clone(), hr.clone()])
        );
        assert_eq!(q("not+(members+pr)"), Vec::<String>::new());
        assert!(q("members%5Bvalue+eq+%2201900000-0000-7000-8000-000000000000%22%5D").is_empty());
        // excludedAttributes=members really leaves them out of the list.
        let v = expect(&s.get("/Groups?excludedAttributes=members"), 200);
        assert_eq!(v["totalResults"], 3);
        assert!(
            v["Resources"]
                .as_array()
                .into_iter()
                .flatten()
                .all(|g| g.get("members").is_none()),
            "{v}"
        );
    });
}
