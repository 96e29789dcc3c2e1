//! Sessions and forms: every page needs the admin cookie, SCIM tokens never open the console
//! (and admin tokens never open SCIM), tenants and tokens are created and revoked with POSTs.

use super::{by_id, html, Console};
use crate::support::{each_server, sqlite, TestServer};
use scimd::http::HttpSettings;
use serde_json::json;

#[test]
fn every_page_requires_the_admin_session() {
    each_server(|s| {
        let anon = Console::anonymous(s);
        for path in [
            "/admin",
            "/admin/",
            "/admin/tenants",
            "/admin/tenants/acme",
            "/admin/tenants/acme/users",
            "/admin/tenants/acme/groups",
            "/admin/log",
            "/admin/log/1",
        ] {
            let r = anon.get(path);
            assert_eq!(r.status, 303, "{path}: {}", r.text);
            assert_eq!(r.header("location"), Some("/admin/login"), "{path}");
        }
        // A change without a session changes nothing.
        let r = anon.form("/admin/tenants", &[("name", "sneaky")]);
        assert_eq!(r.status, 303);
        assert!(s.services.tenant("sneaky").unwrap().is_none());
        // A SCIM token works neither as a cookie nor as a bearer header.
        let mut as_cookie = Console::anonymous(s);
        as_cookie.cookie = Some(format!("scimd_admin={}", s.token));
        assert_eq!(as_cookie.get("/admin/tenants").status, 303);
        let bearer = format!("Bearer {}", s.token);
        let r = anon.request("GET", "/admin/tenants", &[("Authorization", &bearer)], None);
        assert_eq!(r.status, 303);
        // And an admin token does not open SCIM.
        let admin = s.services.create_admin_token(None).unwrap();
        let r = s.call_as(&admin.token, "GET", "/Users", None);
        assert_eq!(r.status, 401, "{}", r.text);
        // The stylesheet and the login page are public.
        let css = anon.get("/admin/static/console.css");
        assert_eq!(css.status, 200);
        assert_eq!(css.header("content-type"), Some("text/css; charset=utf-8"));
        html(&anon.get("/admin/login"), 200);
    });
}

#[test]
fn login_accepts_admin_tokens_only() {
    each_server(|s| {
        let anon = Console::anonymous(s);
        let r = anon.form("/admin/login", &[("token", &s.token)]);
        let page = html(&r, 403);
        assert!(page.contains("that is a SCIM token"), "{page}");
        assert!(r.header("set-cookie").is_none());
        let r = anon.form("/admin/login", &[("token", "scimdadm_0000")]);
        assert!(html(&r, 401).contains("unknown or revoked"));
        let r = anon.form("/admin/login", &[("token", "")]);
        assert!(html(&r, 400).contains("paste an admin token"));
        let r = anon.form("/admin/login", &[("token", "scimdadm_<x>;")]);
        html(&r, 401);

        let admin = s.services.create_admin_token(None).unwrap();
        let r = anon.form("/admin/login", &[("token", &admin.token)]);
        assert_eq!(r.status, 303, "{}", r.text);
        assert_eq!(r.header("location"), Some("/admin/tenants"));
        let cookie = r.header("set-cookie").unwrap();
        for part in [
            "scimd_admin=scimdadm_",
            "HttpOnly",
            "SameSite=Strict",
            "Path=/admin",
        ] {
            assert!(cookie.contains(part), "{cookie}");
        }
        assert!(!cookie.contains("Secure"), "plain http: {cookie}");

        let mut c = Console::anonymous(s);
        c.cookie = Some(cookie.split(';').next().unwrap().to_string());
        html(&c.get("/admin/tenants"), 200);
        assert_eq!(c.get("/admin").header("location"), Some("/admin/tenants"));
        let out = c.form("/admin/logout", &[]);
        assert_eq!(out.status, 303);
        assert!(out.header("set-cookie").unwrap().contains("Max-Age=0"));
        // Revoking the admin token ends its sessions.
        s.services.revoke_admin_token(&admin.id).unwrap();
        assert_eq!(c.get("/admin/tenants").status, 303);
    });
}

#[test]
fn cookie_is_secure_behind_https() {
    let db = sqlite();
    let s = TestServer::start_with(
        &db.url,
        HttpSettings {
            public_url: Some("https://scim.example.com".into()),
            ..HttpSettings::default()
        },
    );
    let admin = s.services.create_admin_token(None).unwrap();
    let r = Console::anonymous(&s).form("/admin/login", &[("token", &admin.token)]);
    assert!(r.header("set-cookie").unwrap().contains("; Secure"));
    // The Tenant URL uses the public URL.
    let mut c = Console::anonymous(&s);
    c.cookie = Some(
        r.header("set-cookie")
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_string(),
    );
    let page = c.get("/admin/tenants/acme").text;
    assert_eq!(
        by_id(&page, "tenant-url"),
        Some("https://scim.example.com/t/acme/scim/v2")
    );
}

#[test]
fn pages_carry_security_headers_and_refuse_cross_site_posts() {
    each_server(|s| {
        let c = Console::login(s);
        let r = c.get("/admin/tenants");
        html(&r, 200);
        let csp = r.header("content-security-policy").unwrap();
        assert!(csp.contains("default-src 'none'"), "{csp}");
        assert_eq!(r.header("cache-control"), Some("no-store"));
        let r = c.request(
            "POST",
            "/admin/tenants",
            &[
                ("Content-Type", "application/x-www-form-urlencoded"),
                ("Origin", "https://evil.example"),
            ],
            Some("name=evil"),
        );
        assert!(html(&r, 403).contains("another site"));
        assert!(s.services.tenant("evil").unwrap().is_none());
    });
}

#[test]
fn tenants_and_tokens_are_managed_with_forms() {
    each_server(|s| {
        let c = Console::login(s);
        let r = c.form("/admin/tenants", &[("name", "contoso")]);
        assert_eq!(r.status, 303, "{}", r.text);
        assert_eq!(r.header("location"), Some("/admin/tenants/contoso"));
        let url = format!("{}/t/contoso/scim/v2", s.root);
        let list = c.get("/admin/tenants");
        let page = html(&list, 200);
        assert!(page.contains(&url), "{page}");
        assert!(page.contains("acme"));

        let r = c.form("/admin/tenants/contoso/tokens", &[("label", "entra prod")]);
        let page = html(&r, 200);
        assert!(page.contains("Copy the secret now"), "{page}");
        assert_eq!(r.header("cache-control"), Some("no-store"));
        let secret = by_id(page, "secret").unwrap().to_string();
        assert!(secret.starts_with("scimd_"), "{secret}");
        assert_eq!(by_id(page, "tenant-url"), Some(url.as_str()));

        // The secret works for its tenant.
        let users = format!("{url}/Users");
        assert_eq!(s.call_as(&secret, "GET", &users, None).status, 200);
        let r = s.call_as(&secret, "POST", &users, Some(&json!({"userName": 7})));
        assert_eq!(r.status, 400, "{}", r.text);
        let r = s.call_as(
            &secret,
            "POST",
            &users,
            Some(&json!({"userName": "ann@contoso"})),
        );
        assert_eq!(r.status, 201, "{}", r.text);

        // The tenant page lists the token (never its secret) and counts requests.
        let page = c.get("/admin/tenants/contoso").text;
        assert!(page.contains("entra prod"), "{page}");
        assert!(!page.contains(&secret));
        assert!(
            page.contains("invalidValue"),
            "failures by scimType: {page}"
        );
        assert!(page.contains("last Entra contact"));
        let counters = s.services.tenant_counters("contoso").unwrap();
        assert_eq!(counters.logged, 2, "{counters:?}");
        assert_eq!(counters.failures, vec![("invalidValue".to_string(), 1)]);
        assert!(counters.last_contact.is_some());

        // Revoke: the secret stops working; revoking again is a 404.
        let id = s.services.list_tokens("contoso").unwrap()[0].id.clone();
        let revoke = format!("/admin/tenants/contoso/tokens/{id}/revoke");
        let r = c.form(&revoke, &[]);
        assert_eq!(r.status, 303, "{}", r.text);
        assert_eq!(r.header("location"), Some("/admin/tenants/contoso"));
        assert_eq!(s.call_as(&secret, "GET", &users, None).status, 401);
        assert!(c.get("/admin/tenants/contoso").text.contains("revoked"));
        assert!(html(&c.form(&revoke, &[]), 404).contains("no live token"));
        // A token of one tenant cannot be revoked through another.
        let acme_id = s.services.list_tokens("acme").unwrap()[0].id.clone();
        let r = c.form(
            &format!("/admin/tenants/contoso/tokens/{acme_id}/revoke"),
            &[],
        );
        html(&r, 404);
        assert_eq!(s.get("/Users").status, 200, "acme's token still works");
    });
}

#[test]
fn directory_and_log_pages_show_provisioned_data() {
    each_server(|s| {
        let c = Console::login(s);
        let r = s.post(
            "/Users",
            &json!({"userName": "bob@acme", "displayName": "Bob Builder"}),
        );
        let uid = r.json()["id"].as_str().unwrap().to_string();
        let r = s.post(
            "/Groups",
            &json!({"displayName": "Builders", "members": [{"value": uid}]}),
        );
        let gid = r.json()["id"].as_str().unwrap().to_string();

        let page = html(&c.get("/admin/tenants/acme/users"), 200).to_string();
        assert!(
            page.contains("bob@acme") && page.contains("Bob Builder"),
            "{page}"
        );
        let page = c
            .get("/admin/tenants/acme/users?filter=userName%20eq%20%22nobody%22")
            .text;
        assert!(page.contains("Nothing matches"), "{page}");
        let page = c.get(&format!("/admin/tenants/acme/users/{uid}")).text;
        assert!(
            page.contains("Builders") && page.contains(&gid),
            "groups of the user: {page}"
        );
        let page = c.get(&format!("/admin/tenants/acme/groups/{gid}")).text;
        assert!(
            page.contains("Members (1)") && page.contains("bob@acme"),
            "{page}"
        );
        let page = c.get("/admin/tenants/acme/groups").text;
        assert!(page.contains("Builders"));

        let page = c.get("/admin/log?user_name=bob@acme").text;
        assert!(
            page.contains("Create") && page.contains("bob@acme"),
            "{page}"
        );
        let event = s
            .services
            .query_events(&scimd::service::EventQuery {
                user_name: Some("bob@acme".into()),
                ..Default::default()
            })
            .unwrap()
            .events[0]
            .id;
        assert!(page.contains(&format!("/admin/log/{event}")));
        let page = html(&c.get(&format!("/admin/log/{event}")), 200).to_string();
        assert_eq!(by_id(&page, "event-action"), Some("Create"));
        assert!(page.contains("Bob Builder"), "changes and body: {page}");
        assert!(page.contains("id=\"request-body\""));

        // Paging the log: one per page, the "older" link carries the filters and the cursor.
        for i in 0..3 {
            s.post("/Users", &json!({"userName": format!("p{i}@acme")}));
        }
        let page = c.get("/admin/log?tenant=acme&action=Create").text;
        assert!(page.contains("p2@acme") && page.contains("p0@acme"));
        assert!(!page.contains("Older events"), "one page is enough");
    });
}

#[test]
fn oauth_clients_are_created_and_revoked_with_forms() {
    each_server(|s| {
        let c = Console::login(s);
        let r = c.form("/admin/tenants/acme/clients", &[("label", "entra <prod>")]);
        let page = html(&r, 200);
        assert!(page.contains("Copy the client secret now"), "{page}");
        assert_eq!(r.header("cache-control"), Some("no-store"));
        let id = by_id(page, "client-id").unwrap().to_string();
        let secret = by_id(page, "client-secret").unwrap().to_string();
        let token_url = format!("{}/t/acme/oauth2/token", s.root);
        assert_eq!(by_id(page, "token-url"), Some(token_url.as_str()));
        assert!(secret.starts_with("scimdcs_"), "{secret}");

        // The credentials get a token that opens acme.
        let body = format!("grant_type=client_credentials&client_id={id}&client_secret={secret}");
        let form = ("Content-Type", "application/x-www-form-urlencoded");
        let r = s.raw("POST", &token_url, &[form], Some(&body));
        assert_eq!(r.status, 200, "{}", r.text);
        let token = r.json()["access_token"].as_str().unwrap().to_string();
        assert_eq!(s.call_as(&token, "GET", "/Users", None).status, 200);

        // The tenant page lists the client (label escaped, never the secret).
        let page = c.get("/admin/tenants/acme").text;
        assert!(
            page.contains(&id) && page.contains("entra &lt;prod&gt;"),
            "{page}"
        );
        assert!(!page.contains(&secret));

        // Revoke: the token stops working; revoking again, or through another tenant, is 404.
        let revoke = format!("/admin/tenants/acme/clients/{id}/revoke");
        let r = c.form(&revoke, &[]);
        assert_eq!(r.status, 303, "{}", r.text);
        assert_eq!(s.call_as(&token, "GET", "/Users", None).status, 401);
        assert!(html(&c.form(&revoke, &[]), 404).contains("no live OAuth client"));
        s.services.create_tenant("globex").unwrap();
        let other = s.services.create_client("globex", None, 30).unwrap();
        let r = c.form(
            &format!("/admin/tenants/acme/clients/{}/revoke", other.client_id),
            &[],
        );
        html(&r, 404);
        // Without a session nothing happens.
        let anon = Console::anonymous(s);
        let r = anon.form("/admin/tenants/acme/clients", &[]);
        assert_eq!(r.status, 303);
        assert_eq!(s.services.list_clients("acme").unwrap().len(), 1);
    });
}
