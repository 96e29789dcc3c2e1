//! OAuth clients on a tenant's page: the list (never a secret), creating one (its secret and
//! the token endpoint shown once) and revoking one.

use super::html::{badge, code, esc, heading, layout, link, table, text, time, url_part, Section};
use super::session::Admin;
use super::tenants::{tenant_of, tenant_path};
use super::{block, ok, redirect, root_url, tenant_url, token_url, ConsoleError, Pairs};
use crate::http::AppState;
use crate::service::{ClientInfo, IssuedClient, SECRET_DAYS_DEFAULT};
use actix_web::{web, HttpRequest, HttpResponse};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/tenants/{tenant}/clients", web::post().to(create))
        .route(
            "/tenants/{tenant}/clients/{id}/revoke",
            web::post().to(revoke),
        );
}

/// The "OAuth clients" card of a tenant's page.
pub fn section(path: &str, clients: &[ClientInfo]) -> String {
    let rows: Vec<Vec<String>> = clients
        .iter()
        .map(|c| {
            let live: Vec<&str> = c
                .secrets
                .iter()
                .filter(|s| s.revoked_at.is_none())
                .map(|s| s.expires_at.as_str())
                .collect();
            let secrets = format!(
                "{} live · last expires {}",
                live.len(),
                time(live.iter().max().copied())
            );
            let (state, action) = match &c.revoked_at {
                Some(at) => (badge("revoked", "revoked"), format!("revoked {}", time(Some(at)))),
                None => (
                    badge("active", "active"),
                    format!(
                        "<form method=\"post\" action=\"{}\" class=\"inline\"><button type=\"submit\" class=\"danger small\">Revoke</button></form>",
                        esc(&format!("{path}/clients/{}/revoke", url_part(&c.client_id)))
                    ),
                ),
            };
            vec![
                text(c.label.as_deref()),
                code(Some(&c.client_id)),
                time(Some(&c.created_at)),
                time(c.last_used_at.as_deref()),
                secrets,
                state,
                action,
            ]
        })
        .collect();
    format!(
        "<section class=\"card\"><h2>OAuth clients</h2>{}\
<form method=\"post\" action=\"{}\" class=\"inline\">\
<label>Label<input type=\"text\" name=\"label\" id=\"client-label\" maxlength=\"200\" placeholder=\"entra-prod\"></label>\
<button type=\"submit\" id=\"create-client\">Create client</button></form>\
<p class=\"hint\">For Entra's \"OAuth2 client credentials grant\". Revoking a client also ends the access tokens it holds; \
rotate secrets with <code>scimd client rotate</code>.</p></section>",
        table(
            "clients",
            &["Label", "Client id", "Created", "Last token", "Secrets", "State", ""],
            &rows,
            "No OAuth clients."
        ),
        esc(&format!("{path}/clients")),
    )
}

async fn create(
    _: Admin,
    req: HttpRequest,
    state: web::Data<AppState>,
    body: String,
) -> Result<HttpResponse, ConsoleError> {
    let t = tenant_of(&req, &state).await?;
    let label = Pairs::parse(&body)?.label()?;
    let name = t.name.clone();
    let issued = block(&state, move |s| {
        s.create_client(&name, label.as_deref(), SECRET_DAYS_DEFAULT)
    })
    .await?;
    let root = root_url(&req, &state);
    Ok(ok(&issued_page(&issued, &root)))
}

fn issued_page(c: &IssuedClient, root: &str) -> String {
    let body = format!(
        "{}<section class=\"card secret\"><p class=\"flash warn\" role=\"alert\"><strong>Copy the client secret now.</strong> \
It is stored only as a hash and is not shown again; if it is lost, add another with <code>scimd client rotate</code>.</p>\
<dl class=\"fields\"><dt>Tenant URL</dt><dd><code class=\"big\" id=\"tenant-url\">{}</code></dd>\
<dt>Token endpoint</dt><dd><code class=\"big\" id=\"token-url\">{}</code></dd>\
<dt>Client identifier</dt><dd><code class=\"big\" id=\"client-id\">{}</code></dd>\
<dt>Client secret</dt><dd><code class=\"big\" id=\"client-secret\">{}</code></dd>\
<dt>Secret expires</dt><dd>{}</dd></dl>\
<p>{}</p></section>",
        heading(
            &[("/admin/tenants", "Tenants"), (&tenant_path(&c.tenant), &c.tenant)],
            "New OAuth client"
        ),
        esc(&tenant_url(root, &c.tenant)),
        esc(&token_url(root, &c.tenant)),
        esc(&c.client_id),
        esc(&c.client_secret),
        time(Some(&c.secret_expires_at)),
        link(&tenant_path(&c.tenant), "Done — back to the tenant"),
    );
    layout("New OAuth client", Section::Tenants, true, &body)
}

async fn revoke(
    _: Admin,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ConsoleError> {
    let t = tenant_of(&req, &state).await?;
    let id = req.match_info().get("id").unwrap_or_default().to_string();
    let (name, shown) = (t.name.clone(), id.clone());
    let revoked = block(&state, move |s| s.revoke_client(&name, &id)).await?;
    if !revoked {
        return Err(ConsoleError::not_found(format!(
            "tenant {:?} has no live OAuth client with id {shown:?}",
            t.name
        )));
    }
    Ok(redirect(&tenant_path(&t.name)))
}
