//! Headless Chromium through chromedriver: the console as an admin uses it, with screenshots
//! of each main page in `target/console-screenshots/`. Skipped (with a note) when chromium or
//! chromedriver is missing, unless `SCIMD_REQUIRE_BROWSER=1`.

use super::escaping::{IMG_NAME, SCRIPT_NAME};
use crate::support::webdriver::Browser;
use crate::support::{sqlite, TestServer};
use serde_json::json;

fn log_in(b: &Browser, s: &TestServer) {
    let admin = s.services.create_admin_token(Some("browser")).unwrap();
    b.goto(&format!("{}/admin", s.root));
    assert!(b.url().ends_with("/admin/login"), "{}", b.url());
    b.type_into("#token", &admin.token);
    b.click_and_wait("#login");
    assert!(b.url().ends_with("/admin/tenants"), "{}", b.url());
}

#[test]
fn console_end_to_end_in_chromium() {
    let Some(b) = Browser::start() else { return };
    let db = sqlite();
    let s = TestServer::start(&db.url);

    b.goto(&format!("{}/admin", s.root));
    b.screenshot("01-login");
    // A SCIM token is refused with a message.
    b.type_into("#token", &s.token);
    b.click_and_wait("#login");
    assert!(
        b.text(".flash").contains("SCIM token"),
        "{}",
        b.text("main")
    );
    log_in(&b, &s);

    // Create a tenant and a token in the UI; read the secret from the page.
    b.type_into("#tenant-name", "contoso");
    b.click_and_wait("#create-tenant");
    assert!(b.url().ends_with("/admin/tenants/contoso"), "{}", b.url());
    let tenant_url = b.text("#tenant-url");
    assert_eq!(tenant_url, format!("{}/t/contoso/scim/v2", s.root));
    b.type_into("#token-label", "entra-prod");
    b.click_and_wait("#create-token");
    assert!(b.text("main").contains("Copy the secret now"));
    let secret = b.text("#secret");
    assert!(secret.starts_with("scimd_"), "{secret}");
    b.screenshot("03-token-created");

    // Entra provisions a user with that secret.
    let body = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": "amy.adams@contoso.com", "displayName": "Amy Adams", "active": "True",
        "externalId": "8c2b0a6e", "emails": [{"type": "work", "value": "amy.adams@contoso.com", "primary": true}],
        "name": {"givenName": "Amy", "familyName": "Adams"}
    });
    let r = s.call_as(&secret, "POST", &format!("{tenant_url}/Users"), Some(&body));
    assert_eq!(r.status, 201, "{}", r.text);
    let uid = r.json()["id"].as_str().unwrap().to_string();
    let r = s.call_as(
        &secret,
        "POST",
        &format!("{tenant_url}/Groups"),
        Some(&json!({"displayName": "Sales", "members": [{"value": uid}]})),
    );
    assert_eq!(r.status, 201, "{}", r.text);
    let r = s.call_as(
        &secret,
        "PATCH",
        &format!("{tenant_url}/Users/{uid}"),
        Some(
            &json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "Replace", "path": "displayName", "value": "Amy B. Adams"}]}),
        ),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    let r = s.call_as(
        &secret,
        "POST",
        &format!("{tenant_url}/Users"),
        Some(&json!({"userName": "amy.adams@contoso.com"})),
    );
    assert_eq!(r.status, 409, "{}", r.text);

    b.goto(&format!("{}/admin/tenants/contoso", s.root));
    assert!(
        b.text("#counters").contains("uniqueness"),
        "{}",
        b.text("#counters")
    );
    b.screenshot("04-tenant");
    b.goto(&format!("{}/admin/tenants", s.root));
    b.screenshot("02-tenants");

    // The users browser and the user's page with its group.
    b.goto(&format!("{}/admin/tenants/contoso/users", s.root));
    assert!(b.text("table.users").contains("amy.adams@contoso.com"));
    b.screenshot("05-users");
    b.click_and_wait("table.users a");
    assert!(b.text("table.groups").contains("Sales"));
    b.screenshot("06-user");
    b.click_and_wait("table.groups a");
    assert!(
        b.text("table.members").contains("Amy B. Adams"),
        "{}",
        b.text("main")
    );
    b.screenshot("07-group");

    // The log: filter by userName, open the Create event.
    b.goto(&format!("{}/admin/log", s.root));
    b.type_into("input[name=user_name]", "amy.adams@contoso.com");
    b.click_and_wait("#apply-filter");
    assert!(
        b.url().contains("user_name=amy.adams%40contoso.com"),
        "{}",
        b.url()
    );
    let rows = b.text("table.events");
    assert!(rows.contains("Create") && rows.contains("Update"), "{rows}");
    b.screenshot("08-log");
    let create_link = b.exec(
        "return [...document.querySelectorAll('table.events tr')].filter(r => r.textContent.includes('Create') && r.textContent.includes('success'))\
         .map(r => r.querySelector('a.event-link').getAttribute('href'))[0]",
    );
    let href = create_link.as_str().expect("a Create row").to_string();
    b.goto(&format!("{}{href}", s.root));
    assert_eq!(b.text("#event-action"), "Create");
    let fields = b.text("#event-fields");
    assert!(
        fields.contains("amy.adams@contoso.com") && fields.contains("contoso"),
        "{fields}"
    );
    let request_body = b.text("#request-body");
    assert!(
        request_body.contains("\"givenName\": \"Amy\""),
        "{request_body}"
    );
    assert!(b.text("table.changes").contains("displayName"));
    b.screenshot("09-event");

    // The Update event shows before → after.
    b.goto(&format!(
        "{}/admin/log?user_name=amy.adams%40contoso.com&action=Update",
        s.root
    ));
    b.click_and_wait("a.event-link");
    let changes = b.text("table.changes");
    assert!(
        changes.contains("Amy Adams") && changes.contains("Amy B. Adams"),
        "{changes}"
    );
    b.screenshot("10-event-update");

    // The failure filter and a failed event.
    b.goto(&format!("{}/admin/log?outcome=failure", s.root));
    b.click_and_wait("a.event-link");
    assert!(b.text("#event-fields").contains("uniqueness"));
    b.screenshot("11-event-failure");

    // Bad input shows a 4xx page with the message.
    b.goto(&format!("{}/admin/log?since=yesterday", s.root));
    assert!(b.text("main").contains("RFC 3339"));
    b.screenshot("12-bad-input");
}

#[test]
fn directory_markup_is_shown_not_run_in_chromium() {
    let Some(b) = Browser::start() else { return };
    let db = sqlite();
    let s = TestServer::start(&db.url);
    let r = s.post(
        "/Users",
        &json!({"userName": "xss@acme", "displayName": SCRIPT_NAME}),
    );
    let uid = r.json()["id"].as_str().unwrap().to_string();
    let r = s.post(
        "/Groups",
        &json!({"displayName": IMG_NAME, "members": [{"value": uid}]}),
    );
    let gid = r.json()["id"].as_str().unwrap().to_string();
    log_in(&b, &s);
    let pages = [
        ("/admin/tenants/acme/users".to_string(), SCRIPT_NAME),
        (format!("/admin/tenants/acme/users/{uid}"), IMG_NAME),
        ("/admin/tenants/acme/groups".to_string(), IMG_NAME),
        (format!("/admin/tenants/acme/groups/{gid}"), IMG_NAME),
        ("/admin/log".to_string(), IMG_NAME),
        ("/admin/log?user_name=xss%40acme".to_string(), "xss@acme"),
    ];
    for (i, (path, shown)) in pages.iter().enumerate() {
        b.goto(&format!("{}{path}", s.root));
        assert_eq!(
            b.exec("return typeof window.__xss"),
            json!("undefined"),
            "{path}"
        );
        let text = b.text("main");
        assert!(
            text.contains(shown),
            "{path} does not show {shown:?} as text: {text}"
        );
        if i == 0 {
            assert!(text.contains(SCRIPT_NAME));
            b.screenshot("13-xss-users");
        }
    }
    b.click_and_wait("a.event-link");
    assert_eq!(b.exec("return typeof window.__xss"), json!("undefined"));
    assert!(b.text("main").contains(SCRIPT_NAME));
    assert_eq!(
        b.exec("return document.querySelectorAll('main script, main img').length"),
        json!(0)
    );
}
