//! Tenants: the list (with Tenant URLs) and a create form; one tenant's page with its Tenant
//! URL, counters, tokens, OAuth clients and pull sync; issuing a token (its secret shown once)
//! and revoking one.

use super::html::{badge, code, esc, heading, layout, link, table, text, time, Section};
use super::session::Admin;
use super::{block, ok, redirect, root_url, tenant_url, ConsoleError, Pairs};
use crate::http::AppState;
use crate::service::{ClientInfo, IssuedToken, Tenant, TenantCounters, TokenInfo};
use actix_web::{web, HttpRequest, HttpResponse};
use std::fmt::Write;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/tenants", web::get().to(list))
        .route("/tenants", web::post().to(create))
        .route("/tenants/{tenant}", web::get().to(show))
        .route("/tenants/{tenant}/tokens", web::post().to(create_token))
        .route(
            "/tenants/{tenant}/tokens/{id}/revoke",
            web::post().to(revoke_token),
        );
}

/// The path of a tenant's page (names are restricted to `[a-z0-9_-]`, but escape anyway).
pub fn tenant_path(name: &str) -> String {
    format!("/admin/tenants/{}", super::html::url_part(name))
}

async fn list(
    _: Admin,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ConsoleError> {
    let tenants = block(&state, |s| s.list_tenants()).await?;
    let root = root_url(&req, &state);
    Ok(ok(&list_page(&tenants, &root)))
}

fn list_page(tenants: &[Tenant], root: &str) -> String {
    let rows: Vec<Vec<String>> = tenants
        .iter()
        .map(|t| {
            vec![
                link(&tenant_path(&t.name), &t.name),
                code(Some(&tenant_url(root, &t.name))),
                time(Some(&t.created_at)),
            ]
        })
        .collect();
    let body = format!(
        "{}{}<section class=\"card\"><h2>New tenant</h2>\
<p class=\"hint\">One tenant per Entra directory. Lowercase letters, digits, <code>-</code> and <code>_</code>.</p>\
<form method=\"post\" action=\"/admin/tenants\" class=\"inline\">\
<label>Name<input type=\"text\" name=\"name\" id=\"tenant-name\" required pattern=\"[a-z0-9][a-z0-9_\\-]*\" maxlength=\"63\" placeholder=\"contoso\"></label>\
<button type=\"submit\" id=\"create-tenant\">Create tenant</button></form></section>",
        heading(&[], "Tenants"),
        table(
            "tenants",
            &["Tenant", "Tenant URL", "Created"],
            &rows,
            "No tenants yet: create one below."
        ),
    );
    layout("Tenants", Section::Tenants, true, &body)
}

async fn create(
    _: Admin,
    state: web::Data<AppState>,
    body: String,
) -> Result<HttpResponse, ConsoleError> {
    let name = Pairs::parse(&body)?.get("name");
    if name.is_empty() {
        return Err(ConsoleError::bad_request("give the new tenant a name"));
    }
    let t = block(&state, move |s| s.create_tenant(&name)).await?;
    Ok(redirect(&tenant_path(&t.name)))
}

/// Look a tenant up by the `{tenant}` path segment: 404 with its name when unknown.
pub async fn tenant_of(req: &HttpRequest, state: &AppState) -> Result<Tenant, ConsoleError> {
    let name = req
        .match_info()
        .get("tenant")
        .unwrap_or_default()
        .to_string();
    let shown = name.clone();
    block(state, move |s| s.tenant(&name))
        .await?
        .ok_or_else(|| ConsoleError::not_found(format!("no tenant named {shown:?}")))
}

async fn show(
    _: Admin,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ConsoleError> {
    let t = tenant_of(&req, &state).await?;
    let (name, id) = (t.name.clone(), t.id.clone());
    let (tokens, clients, counters, view, runs) = block(&state, move |s| {
        Ok((
            s.list_tokens(&name)?,
            s.list_clients(&name)?,
            s.tenant_counters(&name)?,
            s.pull_view(&name)?,
            s.pull_runs(&id, super::sync::RECENT_RUNS)?,
        ))
    })
    .await?;
    let sync = super::sync::section(&t.name, view.as_ref(), &runs);
    let url = tenant_url(&root_url(&req, &state), &t.name);
    Ok(ok(&tenant_page(
        &t, &url, &tokens, &clients, &counters, &sync,
    )))
}

fn tenant_page(
    t: &Tenant,
    url: &str,
    tokens: &[TokenInfo],
    clients: &[ClientInfo],
    c: &TenantCounters,
    sync: &str,
) -> String {
    let path = tenant_path(&t.name);
    let nav = format!(
        "<p class=\"subnav\">{} {} {}</p>",
        link(&format!("{path}/users"), "Users"),
        link(&format!("{path}/groups"), "Groups"),
        link(
            &format!("/admin/log{}", super::html::query(&[("tenant", &t.name)])),
            "Provisioning log"
        ),
    );
    let body = format!(
        "{}{nav}<section class=\"card\"><h2>Tenant URL</h2><p><code class=\"big\" id=\"tenant-url\">{}</code></p>\
<p class=\"hint\">Paste it with a secret token, or with an OAuth client's details, into Entra: Enterprise app → Provisioning → Admin Credentials.</p></section>\
{}{}{}{sync}",
        heading(&[("/admin/tenants", "Tenants")], &t.name),
        esc(url),
        counters(c),
        tokens_section(&path, tokens),
        super::clients::section(&path, clients),
    );
    layout(&t.name, Section::Tenants, true, &body)
}

fn counters(c: &TenantCounters) -> String {
    let failed: i64 = c.failures.iter().map(|(_, n)| n).sum();
    let mut by_type = String::new();
    for (scim_type, n) in &c.failures {
        let _ = write!(
            by_type,
            "<li><code>{}</code> <strong>{n}</strong></li>",
            esc(scim_type)
        );
    }
    if by_type.is_empty() {
        by_type = "<li class=\"muted\">none</li>".to_string();
    }
    format!(
        "<section class=\"card\"><h2>Counters</h2><div class=\"stats\" id=\"counters\">\
<div class=\"stat\"><span class=\"num\">{}</span><span class=\"label\">requests</span>\
<span class=\"sub\">{} logged · {} reads counted</span></div>\
<div class=\"stat\"><span class=\"num\">{failed}</span><span class=\"label\">failures</span><ul class=\"sub\">{by_type}</ul></div>\
<div class=\"stat\"><span class=\"num small\">{}</span><span class=\"label\">last Entra contact</span></div>\
</div></section>",
        c.requests,
        c.logged,
        c.reads,
        time(c.last_contact.as_deref()),
    )
}

fn tokens_section(path: &str, tokens: &[TokenInfo]) -> String {
    let rows: Vec<Vec<String>> = tokens
        .iter()
        .map(|k| {
            let state = match &k.revoked_at {
                Some(_) => badge("revoked", "revoked"),
                None => badge("active", "active"),
            };
            let action = match &k.revoked_at {
                Some(at) => format!("revoked {}", time(Some(at))),
                None => format!(
                    "<form method=\"post\" action=\"{}\" class=\"inline\"><button type=\"submit\" class=\"danger small\">Revoke</button></form>",
                    esc(&format!("{path}/tokens/{}/revoke", super::html::url_part(&k.id)))
                ),
            };
            vec![
                text(k.label.as_deref()),
                code(Some(&k.id)),
                time(Some(&k.created_at)),
                time(k.last_used_at.as_deref()),
                state,
                action,
            ]
        })
        .collect();
    format!(
        "<section class=\"card\"><h2>Secret tokens</h2>{}\
<form method=\"post\" action=\"{}\" class=\"inline\">\
<label>Label<input type=\"text\" name=\"label\" id=\"token-label\" maxlength=\"200\" placeholder=\"entra-prod\"></label>\
<button type=\"submit\" id=\"create-token\">Create token</button></form>\
<p class=\"hint\">Rotate by creating the new token, updating Entra, then revoking the old one.</p></section>",
        table(
            "tokens",
            &["Label", "Id", "Created", "Last used", "State", ""],
            &rows,
            "No tokens yet."
        ),
        esc(&format!("{path}/tokens")),
    )
}

async fn create_token(
    _: Admin,
    req: HttpRequest,
    state: web::Data<AppState>,
    body: String,
) -> Result<HttpResponse, ConsoleError> {
    let t = tenant_of(&req, &state).await?;
    let label = Pairs::parse(&body)?.label()?;
    let name = t.name.clone();
    let issued = block(&state, move |s| s.create_token(&name, label.as_deref())).await?;
    let url = tenant_url(&root_url(&req, &state), &t.name);
    Ok(ok(&token_page(&issued, &url)))
}

fn token_page(k: &IssuedToken, url: &str) -> String {
    let body = format!(
        "{}<section class=\"card secret\"><p class=\"flash warn\" role=\"alert\"><strong>Copy the secret now.</strong> \
It is stored only as a hash and is not shown again; if it is lost, create another token.</p>\
<dl class=\"fields\"><dt>Tenant URL</dt><dd><code class=\"big\" id=\"tenant-url\">{}</code></dd>\
<dt>Secret Token</dt><dd><code class=\"big\" id=\"secret\">{}</code></dd>\
<dt>Token id</dt><dd><code>{}</code></dd></dl>\
<p>{}</p></section>",
        heading(
            &[("/admin/tenants", "Tenants"), (&tenant_path(&k.tenant), &k.tenant)],
            "New secret token"
        ),
        esc(url),
        esc(&k.token),
        esc(&k.id),
        link(&tenant_path(&k.tenant), "Done — back to the tenant"),
    );
    layout("New secret token", Section::Tenants, true, &body)
}

async fn revoke_token(
    _: Admin,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ConsoleError> {
    let t = tenant_of(&req, &state).await?;
    let id = req.match_info().get("id").unwrap_or_default().to_string();
    let (name, shown) = (t.name.clone(), id.clone());
    let revoked = block(&state, move |s| s.revoke_token(&name, &id)).await?;
    if !revoked {
        return Err(ConsoleError::not_found(format!(
            "tenant {:?} has no live token with id {shown:?}",
            t.name
        )));
    }
    Ok(redirect(&tenant_path(&t.name)))
}
