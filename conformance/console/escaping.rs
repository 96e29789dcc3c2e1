//! Directory data is shown, never interpreted: every page escapes names, attributes, details
//! and request bodies.

use super::{html, Console};
use crate::support::each_server;
use serde_json::json;

pub const SCRIPT_NAME: &str = "<script>window.__xss=1</script>";
pub const IMG_NAME: &str = "<img src=x onerror=window.__xss=1>";

#[test]
fn directory_data_is_escaped_on_every_page() {
    each_server(|s| {
        let c = Console::login(s);
        let r = s.post(
            "/Users",
            &json!({"userName": "mallory\"'<b>@x", "displayName": SCRIPT_NAME, "externalId": "</td><script>1</script>",
                    "title": "<iframe src=//evil>"}),
        );
        assert_eq!(r.status, 201, "{}", r.text);
        let uid = r.json()["id"].as_str().unwrap().to_string();
        let r = s.post(
            "/Groups",
            &json!({"displayName": IMG_NAME, "members": [{"value": uid}]}),
        );
        assert_eq!(r.status, 201, "{}", r.text);
        let gid = r.json()["id"].as_str().unwrap().to_string();
        // A failure whose detail and body carry markup too.
        let r = s.post(
            "/Users",
            &json!({"userName": SCRIPT_NAME, "nickName": "<b>x</b>"}),
        );
        assert_eq!(r.status, 201, "{}", r.text);
        let r = s.post(
            "/Users",
            &json!({"userName": SCRIPT_NAME, "nickName": "<b>again</b>"}),
        );
        assert_eq!(r.status, 409, "{}", r.text);

        let event = s
            .services
            .query_events(&scimd::service::EventQuery::default())
            .unwrap()
            .events
            .into_iter()
            .map(|e| e.id)
            .collect::<Vec<_>>();
        let mut pages = vec![
            "/admin/tenants/acme/users".to_string(),
            format!("/admin/tenants/acme/users/{uid}"),
            "/admin/tenants/acme/groups".to_string(),
            format!("/admin/tenants/acme/groups/{gid}"),
            "/admin/log".to_string(),
            format!("/admin/log?text={}", super::enc(SCRIPT_NAME)),
        ];
        pages.extend(event.iter().map(|id| format!("/admin/log/{id}")));
        for path in &pages {
            let page = html(&c.get(path), 200).to_string();
            for raw in [
                "<script>window",
                "<img src=x",
                "<b>",
                "<iframe",
                "</td><script>",
            ] {
                assert!(!page.contains(raw), "{path} contains raw {raw:?}: {page}");
            }
            assert!(
                page.contains("&lt;script&gt;window.__xss=1&lt;/script&gt;")
                    || page.contains("&lt;img src=x onerror=window.__xss=1&gt;")
                    || page.contains("&lt;b&gt;"),
                "{path} shows none of the names escaped: {page}"
            );
        }
        // Error pages echo input escaped too.
        let page = c.get("/admin/tenants/%3Cscript%3Ex").text;
        assert!(
            page.contains("&lt;script&gt;x") && !page.contains("<script>x"),
            "{page}"
        );
    });
}
