//! `scimd sync configure|show|now|approve|runs|run|test`: pull mode, reading a tenant's users
//! and groups from Microsoft Graph (docs/pull-sync.md).

use super::{anyhow_lite::Result, open, print_json, Common};
use crate::service::pull::{DirectoryChange, PullCredential, RunView, ScopeMode, TRIGGER_MANUAL};
use crate::service::Services;
use crate::sync::runner::Runner;
use crate::sync::scheduler::holder_name;
use clap::{Args, Subcommand};
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Args)]
pub struct ConfigureArgs {
    #[arg(long)]
    tenant: String,
    /// The Entra directory (tenant) id: a GUID, or a verified domain.
    #[arg(long)]
    entra_tenant_id: Option<String>,
    /// Application (client) id of the app registration.
    #[arg(long)]
    client_id: Option<String>,
    /// The client secret's Value (or SCIMD_SYNC_CLIENT_SECRET, to keep it out of shell history).
    #[arg(long, env = "SCIMD_SYNC_CLIENT_SECRET", hide_env_values = true)]
    client_secret: Option<String>,
    /// PEM certificate uploaded to the app registration (private_key_jwt instead of a secret).
    #[arg(long, requires = "private_key")]
    certificate: Option<PathBuf>,
    /// PEM private key of that certificate.
    #[arg(long, requires = "certificate")]
    private_key: Option<PathBuf>,
    /// Identity platform root (national clouds), default https://login.microsoftonline.com.
    #[arg(long)]
    authority_url: Option<String>,
    /// Graph root, default https://graph.microsoft.com (scimd appends /v1.0/…).
    #[arg(long)]
    graph_url: Option<String>,
    /// all | assigned | groups.
    #[arg(long)]
    mode: Option<String>,
    /// Group object ids for mode groups, comma-separated.
    #[arg(long, value_delimiter = ',')]
    groups: Option<Vec<String>>,
    /// Assigned mode: the application whose assignments count (default: the client id).
    #[arg(long)]
    app_id: Option<String>,
    /// Flatten nested groups: members of nested groups become direct members.
    #[arg(long, num_args = 0..=1, default_missing_value = "true")]
    flatten: Option<bool>,
    /// Provision disabled users as inactive (default true); false leaves them out.
    #[arg(long)]
    include_disabled: Option<bool>,
    /// Seconds between scheduled runs (default 7200).
    #[arg(long)]
    interval: Option<u64>,
    /// Removals (deactivations and deletions) one run may apply without approval (default 500).
    #[arg(long)]
    max_removals: Option<u64>,
    /// … and as a percentage of what was pulled so far (default 20).
    #[arg(long)]
    max_removal_percent: Option<u64>,
    /// Scheduled runs on or off (Sync Now works either way).
    #[arg(long)]
    enabled: Option<bool>,
    #[command(flatten)]
    common: Common,
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Subcommand)]
pub enum SyncCommand {
    /// Create or change the tenant's Graph connection and scope. The next run is a dry run.
    Configure(Box<ConfigureArgs>),
    /// Show the tenant's pull configuration and health (never the secret).
    Show {
        tenant: String,
        #[command(flatten)]
        common: Common,
        #[arg(long)]
        json: bool,
    },
    /// Sync Now: request a run. With --wait, run it here (or wait for the server running it)
    /// and print its summary.
    Now {
        tenant: String,
        /// Plan only: show what would change, change nothing.
        #[arg(long)]
        dry_run: bool,
        #[arg(long)]
        wait: bool,
        #[command(flatten)]
        common: Common,
        #[arg(long)]
        json: bool,
    },
    /// Allow the removals a quarantined run held back, and run again to apply them.
    Approve {
        tenant: String,
        run_id: String,
        /// Run it here (or wait for the server) and print the summary.
        #[arg(long)]
        wait: bool,
        #[command(flatten)]
        common: Common,
        #[arg(long)]
        json: bool,
    },
    /// The tenant's runs, newest first.
    Runs {
        tenant: String,
        #[arg(long, default_value_t = 20)]
        limit: i64,
        #[command(flatten)]
        common: Common,
        #[arg(long)]
        json: bool,
    },
    /// One run with its plan (dry runs) or held-back removals (quarantined runs).
    Run {
        tenant: String,
        run_id: String,
        #[command(flatten)]
        common: Common,
    },
    /// Test Connection for Graph: token, users, groups (and the service principal in assigned
    /// mode), each failure explained.
    Test {
        tenant: String,
        #[command(flatten)]
        common: Common,
        #[arg(long)]
        json: bool,
    },
}

fn read(path: &PathBuf) -> Result<String> {
    std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()).into())
}

pub fn run(cmd: SyncCommand) -> Result<()> {
    match cmd {
        SyncCommand::Configure(args) => {
            let ConfigureArgs {
                tenant,
                entra_tenant_id,
                client_id,
                client_secret,
                certificate,
                private_key,
                authority_url,
                graph_url,
                mode,
                groups,
                app_id,
                flatten,
                include_disabled,
                interval,
                max_removals,
                max_removal_percent,
                enabled,
                common,
                json,
            } = *args;
            let credential = match (client_secret, certificate, private_key) {
                (_, Some(cert), Some(key)) => Some(PullCredential::Certificate {
                    private_key_pem: read(&key)?,
                    certificate_pem: read(&cert)?,
                }),
                (Some(s), _, _) => Some(PullCredential::Secret(s)),
                _ => None,
            };
            let change = DirectoryChange {
                entra_tenant_id,
                client_id,
                credential,
                authority_url,
                graph_url,
                mode: mode.as_deref().map(ScopeMode::parse).transpose()?,
                group_ids: groups,
                app_id,
                flatten,
                include_disabled,
                interval_secs: interval,
                max_removals,
                max_removal_percent,
                enabled,
            };
            let view = open(&common.config()?)?.configure_pull(&tenant, change)?;
            if json {
                return print_json(&view);
            }
            println!(
                "pull sync configured for tenant {tenant} (mode {}, every {} s); the next run is a dry run: `scimd sync now {tenant} --wait`",
                view.mode.as_str(),
                view.interval_secs
            );
            Ok(())
        }
        SyncCommand::Show {
            tenant,
            common,
            json,
        } => {
            let view = open(&common.config()?)?
                .pull_view(&tenant)?
                .ok_or_else(|| format!("pull sync is not configured for tenant {tenant:?}"))?;
            if json {
                return print_json(&view);
            }
            println!("{}", serde_json::to_string_pretty(&view)?);
            Ok(())
        }
        SyncCommand::Now {
            tenant,
            dry_run,
            wait,
            common,
            json,
        } => {
            let services = open(&common.config()?)?;
            let t = services.require_tenant(&tenant)?;
            let (run, created) = services.request_pull(&t.id, TRIGGER_MANUAL, "cli", dry_run)?;
            if !wait {
                if json {
                    return print_json(
                        &serde_json::json!({"run_id": run.id, "status": run.status, "created": created}),
                    );
                }
                println!(
                    "{} run {} (the server's scheduler picks it up; `scimd sync runs {tenant}` shows it)",
                    if created { "requested" } else { "already pending:" },
                    run.id
                );
                return Ok(());
            }
            finish(&services, &t.id, &run.id, json)
        }
        SyncCommand::Approve {
            tenant,
            run_id,
            wait,
            common,
            json,
        } => {
            let services = open(&common.config()?)?;
            let t = services.require_tenant(&tenant)?;
            let (approved, next) = services.approve_pull_run(&t.id, &run_id, "cli")?;
            if wait {
                return finish(&services, &t.id, &next.id, json);
            }
            if json {
                return print_json(&serde_json::json!({"approved": approved, "run": next}));
            }
            println!(
                "approved the removals of run {}; run {} applies them",
                approved.id, next.id
            );
            Ok(())
        }
        SyncCommand::Runs {
            tenant,
            limit,
            common,
            json,
        } => {
            let services = open(&common.config()?)?;
            let t = services.require_tenant(&tenant)?;
            let runs = services.pull_runs(&t.id, limit)?;
            if json {
                return print_json(&runs);
            }
            println!(
                "{:<38} {:<16} {:<9} {:<6} {:<27} ERROR",
                "RUN", "STATUS", "TRIGGER", "ROUND", "REQUESTED"
            );
            for r in runs {
                println!(
                    "{:<38} {:<16} {:<9} {:<6} {:<27} {}",
                    r.id,
                    r.status,
                    r.trigger,
                    r.round.as_deref().unwrap_or("-"),
                    r.requested_at,
                    r.error.as_deref().unwrap_or("")
                );
            }
            Ok(())
        }
        SyncCommand::Run {
            tenant,
            run_id,
            common,
        } => {
            let services = open(&common.config()?)?;
            let t = services.require_tenant(&tenant)?;
            let run = services
                .pull_run(&t.id, &run_id)?
                .ok_or_else(|| format!("no sync run {run_id:?} in tenant {tenant:?}"))?;
            print_json(&run)
        }
        SyncCommand::Test {
            tenant,
            common,
            json,
        } => {
            let services = open(&common.config()?)?;
            let t = services.require_tenant(&tenant)?;
            let dir = services
                .pull_directory(&t.id)?
                .ok_or_else(|| format!("pull sync is not configured for tenant {tenant:?}"))?;
            let runner = Runner::new(services, holder_name("cli"));
            match runner.test(&dir) {
                Ok(report) => {
                    if json {
                        return print_json(&serde_json::json!({"ok": true, "report": report}));
                    }
                    println!(
                        "OK: signed in to {} as app {}; Graph reads users ({}) and groups ({}){}",
                        dir.config.entra_tenant_id,
                        dir.config.client_id,
                        report
                            .users
                            .map(|n| n.to_string())
                            .unwrap_or_else(|| "?".into()),
                        report
                            .groups
                            .map(|n| n.to_string())
                            .unwrap_or_else(|| "?".into()),
                        report
                            .service_principal_id
                            .map(|s| format!("; service principal {s}"))
                            .unwrap_or_default()
                    );
                    Ok(())
                }
                Err(e) => {
                    if json {
                        print_json(&serde_json::json!({"ok": false, "error": e.to_string()}))?;
                    }
                    Err(format!("connection test failed: {e}").into())
                }
            }
        }
    }
}

/// Run `run_id` here if no other runner holds the directory, else wait for whoever does;
/// print the finished run. Exits non-zero when the run failed.
fn finish(services: &Services, tenant_id: &str, run_id: &str, json: bool) -> Result<()> {
    let runner = Runner::new(services.clone(), holder_name("cli"));
    let run = loop {
        runner.run_pending(tenant_id)?;
        match services.pull_run(tenant_id, run_id)? {
            Some(r) if r.is_finished() => break r,
            Some(_) => std::thread::sleep(Duration::from_millis(500)),
            None => return Err(format!("sync run {run_id} vanished").into()),
        }
    };
    print_run(&run, json)?;
    match run.status.as_str() {
        "config_error" | "transient_error" | "failed" => Err(format!(
            "sync run {} ended {}: {}",
            run.id,
            run.status,
            run.error.as_deref().unwrap_or("")
        )
        .into()),
        _ => Ok(()),
    }
}

fn print_run(run: &RunView, json: bool) -> Result<()> {
    if json {
        let mut v = serde_json::to_value(run)?;
        if let Some(m) = v.as_object_mut() {
            m.remove("plan");
        }
        return print_json(&v);
    }
    println!(
        "run {} {} ({} round)",
        run.id,
        run.status,
        run.round.as_deref().unwrap_or("-")
    );
    println!("{}", serde_json::to_string_pretty(&run.summary)?);
    if let Some(e) = &run.error {
        println!("error: {e}");
    }
    Ok(())
}
