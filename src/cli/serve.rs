//! `scimd serve`: migrate, make sure a tenant exists, listen; beside it, flush read counts and
//! purge old provisioning events.

use super::{anyhow_lite::Result, open, Common};
use crate::http::{self, AppState, HttpSettings};
use crate::service::Background;
use crate::sync::scheduler::{holder_name, Scheduler};
use clap::Args;
use std::time::Duration;

#[derive(Debug, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub common: Common,
    /// Address to listen on (default 127.0.0.1:8080).
    #[arg(long, env = "SCIMD_LISTEN")]
    pub listen: Option<String>,
}

pub fn run(args: ServeArgs) -> Result<()> {
    let mut cfg = args.common.config()?;
    if let Some(l) = args.listen {
        cfg.listen = l;
        cfg.validate()?;
    }
    let services = open(&cfg)?;
    let (tenant, token) = services.ensure_tenant_with_token(&cfg.default_tenant)?;
    if let Some(token) = token {
        // The secret is shown once, on the terminal only (never in the log).
        println!("Created tenant {:?}.", tenant.name);
        println!("  Tenant URL:   {}", cfg.tenant_url(&tenant.name));
        println!("  Secret Token: {}", token.token);
        println!("Paste both into Entra (Enterprise app → Provisioning → Admin Credentials). The secret is not shown again;");
        println!(
            "`scimd token create --tenant {}` issues another.",
            tenant.name
        );
    }
    if let Some(admin) = services.ensure_admin_token()? {
        println!("Admin console: {}/admin", cfg.root_url());
        println!(
            "  Admin token:  {} (shown once; `scimd admin token create` issues another)",
            admin.token
        );
    }
    let listener = std::net::TcpListener::bind(&cfg.listen)
        .map_err(|e| format!("cannot listen on {}: {e}", cfg.listen))?;
    log::info!(
        "scimd listening on http://{} (database: {})",
        cfg.listen,
        crate::config::mask_url_password(&cfg.database_url)
    );
    let settings = HttpSettings {
        public_url: cfg.public_url.clone(),
        max_body_bytes: cfg.max_body_bytes,
        max_json_depth: cfg.max_json_depth,
        request_timeout: Duration::from_secs(cfg.request_timeout_secs),
        workers: cfg.workers,
        trusted_proxies: cfg.trusted_proxy_ranges()?,
        auth_failure_limit: cfg.auth_failure_limit,
        auth_failure_window: Duration::from_secs(cfg.auth_failure_window_secs),
    };
    let background = Background::start(services.clone(), cfg.retention())?;
    let scheduler = Scheduler::start(services.clone(), holder_name("serve"))?;
    let state = AppState::new(services, settings);
    let served =
        actix_web::rt::System::new().block_on(async move { http::server(listener, state)?.await });
    // Stopped (signal or error): write the reads counted since the last flush.
    background.stop();
    scheduler.stop();
    served?;
    Ok(())
}
