//! `scimd tenant create|set|list`.

use super::{anyhow_lite::Result, open, print_json, Common};
use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum TenantCommand {
    /// Create a tenant (one per Entra directory).
    Create {
        name: String,
        #[command(flatten)]
        common: Common,
        /// Print JSON: {"tenant", "id", "tenant_url"}.
        #[arg(long)]
        json: bool,
    },
    /// Change a tenant's flags: --strict (reject attributes of no schema instead of dropping
    /// them) and --log-reads (log every successful read instead of counting it).
    Set {
        name: String,
        #[arg(long)]
        strict: Option<bool>,
        #[arg(long)]
        log_reads: Option<bool>,
        #[command(flatten)]
        common: Common,
        #[arg(long)]
        json: bool,
    },
    /// List tenants.
    List {
        #[command(flatten)]
        common: Common,
        #[arg(long)]
        json: bool,
    },
}

pub fn run(cmd: TenantCommand) -> Result<()> {
    match cmd {
        TenantCommand::Create { name, common, json } => {
            let cfg = common.config()?;
            let t = open(&cfg)?.create_tenant(&name)?;
            let url = cfg.tenant_url(&t.name);
            if json {
                print_json(&serde_json::json!({"tenant": t.name, "id": t.id, "tenant_url": url}))
            } else {
                println!("created tenant {:?}; Tenant URL: {url}", t.name);
                println!("next: scimd token create --tenant {}", t.name);
                Ok(())
            }
        }
        TenantCommand::Set {
            name,
            strict,
            log_reads,
            common,
            json,
        } => {
            if strict.is_none() && log_reads.is_none() {
                return Err(
                    "nothing to set: give --strict true|false and/or --log-reads true|false".into(),
                );
            }
            let t = open(&common.config()?)?.set_tenant_flags(&name, strict, log_reads)?;
            if json {
                return print_json(&t);
            }
            println!(
                "tenant {:?}: strict {}, log_reads {} (running servers pick this up within {} s)",
                t.name,
                t.strict,
                t.log_reads,
                crate::service::AUTH_CACHE_TTL.as_secs()
            );
            Ok(())
        }
        TenantCommand::List { common, json } => {
            let cfg = common.config()?;
            let tenants = open(&cfg)?.list_tenants()?;
            if json {
                let list: Vec<_> = tenants
                    .iter()
                    .map(|t| serde_json::json!({"tenant": t.name, "id": t.id, "tenant_url": cfg.tenant_url(&t.name), "created_at": t.created_at}))
                    .collect();
                return print_json(&list);
            }
            println!("{:<24} {:<38} TENANT URL", "NAME", "ID");
            for t in tenants {
                println!("{:<24} {:<38} {}", t.name, t.id, cfg.tenant_url(&t.name));
            }
            Ok(())
        }
    }
}
