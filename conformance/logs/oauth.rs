//! Refused `/oauth2/token` requests in the provisioning log: an `Authenticate` failure of the
//! tenant in the URL, else of the client's tenant, saying why; never a secret, nor an unknown
//! client id.

use super::{all_event_text, events, last_event, query};
use crate::http::oauth::{assert_oauth_error, basic, request, token_url};
use crate::support::each_server;
use scimd::service::{EventQuery, EventView};

/// `grant_type=client_credentials` with these credentials in the body.
fn form(id: &str, secret: &str) -> String {
    format!("grant_type=client_credentials&client_id={id}&client_secret={secret}")
}

#[track_caller]
fn assert_refusal(e: &EventView, status: u16, path: &str, needle: &str) {
    assert_eq!(
        (e.action.as_str(), e.outcome.as_str(), e.status),
        ("Authenticate", "failure", status),
        "{e:?}"
    );
    assert_eq!((e.method.as_str(), e.path.as_str()), ("POST", path));
    let detail = e.detail.as_deref().unwrap_or_default();
    assert!(detail.contains(needle), "{needle:?} not in {detail:?}");
}

#[test]
fn refused_token_requests_are_logged_for_the_tenant_they_aimed_at() {
    each_server(|s| {
        let c = s.services.create_client("acme", None, 30).expect("client");
        let acme_url = token_url(s, Some("acme"));
        let acme_path = "/t/acme/oauth2/token";
        let wrong = format!("{}0", c.client_secret);

        // A wrong secret: logged for acme, naming the client (its id is no secret).
        let r = request(s, &acme_url, &[], &form(&c.client_id, &wrong));
        assert_oauth_error(&r, 401, "invalid_client");
        let e = last_event(s);
        assert_refusal(&e, 401, acme_path, "wrong client secret");
        assert_eq!(Some(e.request_id.as_str()), r.header("x-request-id"));
        assert_eq!(e.credential_id.as_deref(), Some(c.client_id.as_str()));

        // On the tenantless URL the client id names the tenant; Basic credentials alike.
        let auth = basic(&c.client_id, &wrong);
        let r = request(
            s,
            &token_url(s, None),
            &[("Authorization", &auth)],
            "grant_type=client_credentials",
        );
        assert_eq!(r.status, 401);
        assert_refusal(&last_event(s), 401, "/oauth2/token", "wrong client secret");

        // A rotated-out secret says which one and that it is revoked.
        let second = s
            .services
            .add_client_secret("acme", &c.client_id, 30)
            .expect("rotate");
        let revoked = s
            .services
            .revoke_client_secret("acme", &c.client_id, &c.secret_id)
            .expect("revoke");
        assert!(revoked);
        let r = request(s, &acme_url, &[], &form(&c.client_id, &c.client_secret));
        assert_eq!(r.status, 401);
        let e = last_event(s);
        assert_refusal(&e, 401, acme_path, "is revoked");
        assert!(e.detail.unwrap_or_default().contains(&c.secret_id));

        // acme's client on globex's URL, with a good secret: logged for globex, naming acme.
        s.services.create_tenant("globex").expect("tenant");
        let globex_url = token_url(s, Some("globex"));
        let r = request(
            s,
            &globex_url,
            &[],
            &form(&c.client_id, &second.client_secret),
        );
        assert_eq!(r.status, 401);
        let globex = query(
            s,
            EventQuery {
                tenant: Some("globex".into()),
                ..Default::default()
            },
        );
        assert_refusal(&globex[0], 401, "/t/globex/oauth2/token", "\"acme\"");
        assert_eq!(
            globex[0].credential_id.as_deref(),
            Some(c.client_id.as_str())
        );

        // An unknown client id on acme's URL: logged for acme without the id (it may be a
        // secret typed into the wrong field); on the tenantless URL, nowhere.
        let typo = "scimdcs_pasted_into_the_client_id_field";
        let r = request(s, &acme_url, &[], &form(typo, &wrong));
        assert_eq!(r.status, 401);
        let e = last_event(s);
        assert_refusal(&e, 401, acme_path, "unknown OAuth client");
        assert_eq!(e.credential_id, None);
        let before = query(s, EventQuery::default()).len();
        let r = request(s, &token_url(s, None), &[], &form(typo, &wrong));
        assert_eq!(r.status, 401);
        assert_eq!(query(s, EventQuery::default()).len(), before);

        // Refused before the credentials are checked: another grant type, a missing secret.
        let r = request(
            s,
            &acme_url,
            &[],
            &format!("grant_type=password&client_id={}", c.client_id),
        );
        assert_oauth_error(&r, 400, "unsupported_grant_type");
        assert_refusal(&last_event(s), 400, acme_path, "password");
        let r = request(
            s,
            &token_url(s, None),
            &[],
            &format!("grant_type=client_credentials&client_id={}", c.client_id),
        );
        assert_oauth_error(&r, 401, "invalid_client");
        let e = last_event(s);
        assert_refusal(&e, 401, "/oauth2/token", "client_secret is missing");
        assert_eq!(e.credential_id.as_deref(), Some(c.client_id.as_str()));

        // A revoked client.
        s.services
            .revoke_client("acme", &c.client_id)
            .expect("revoke client");
        let r = request(
            s,
            &acme_url,
            &[],
            &form(&c.client_id, &second.client_secret),
        );
        assert_eq!(r.status, 401);
        assert_refusal(&last_event(s), 401, acme_path, "is revoked");

        // No secret anywhere: not the body, not a query string a confused client sent.
        let in_query = format!("{acme_url}?client_secret=QuerySecret-1");
        let r = request(s, &in_query, &[], &form(&c.client_id, &wrong));
        assert_eq!(r.status, 401);
        assert_eq!(last_event(s).path, acme_path);
        let text = all_event_text(s);
        for secret in [
            c.client_secret.as_str(),
            second.client_secret.as_str(),
            wrong.as_str(),
            typo,
            "QuerySecret-1",
        ] {
            assert!(!text.contains(secret), "{secret} is in the log");
        }
        // A granted token is no refusal.
        let fresh = s.services.create_client("acme", None, 30).expect("client");
        let before = events(s).len();
        let r = request(
            s,
            &acme_url,
            &[],
            &form(&fresh.client_id, &fresh.client_secret),
        );
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(events(s).len(), before);
    });
}
