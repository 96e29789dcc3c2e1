//! `scimd tenant create|set|list`.

use super::{anyhow_lite::Result, open, print_json, Common};
use crate::service::{default_metadata_url, EntraJwtChange, TenantChange, ENTRA_DEFAULT_AUDIENCE};
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
    /// Change a tenant's settings: --strict (reject attributes of no schema instead of dropping
    /// them), --log-reads (log every successful read instead of counting it), and trust in
    /// Entra-issued JWTs (--entra-tenant-id, --jwt-audience, --entra-metadata-url; "" clears).
    Set {
        name: String,
        #[arg(long)]
        strict: Option<bool>,
        #[arg(long)]
        log_reads: Option<bool>,
        /// Accept JWTs Entra issues for this directory (tenant) id when the Secret Token is blank.
        #[arg(long)]
        entra_tenant_id: Option<String>,
        /// `aud` those JWTs must carry (default: 8adf8e6e-67b2-4cf2-a259-e3dc5476c621, every
        /// non-gallery app's).
        #[arg(long)]
        jwt_audience: Option<String>,
        /// Where to read Entra's OpenID metadata (default: login.microsoftonline.com's for the
        /// tenant id).
        #[arg(long)]
        entra_metadata_url: Option<String>,
        /// SCIM requests per second allowed, per server process (0: unlimited, the default).
        #[arg(long)]
        rate_limit: Option<u64>,
        /// Client addresses allowed, comma-separated CIDRs ("": any, the default).
        #[arg(long)]
        ip_allowlist: Option<String>,
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
            entra_tenant_id,
            jwt_audience,
            entra_metadata_url,
            rate_limit,
            ip_allowlist,
            common,
            json,
        } => {
            let change = TenantChange {
                strict,
                log_reads,
                entra: EntraJwtChange {
                    entra_tenant_id,
                    jwt_audience,
                    entra_metadata_url,
                },
                rate_limit_per_sec: rate_limit,
                ip_allowlist,
            };
            if change.is_empty() {
                return Err(
                    "nothing to set: give --strict, --log-reads, --entra-tenant-id, --jwt-audience, --entra-metadata-url, --rate-limit or --ip-allowlist"
                        .into(),
                );
            }
            let t = open(&common.config()?)?.change_tenant(&name, change)?;
            if json {
                return print_json(&t);
            }
            println!(
                "tenant {:?}: strict {}, log_reads {}",
                t.name, t.strict, t.log_reads
            );
            match &t.entra_tenant_id {
                Some(id) => println!(
                    "  Entra-issued JWTs: issuer https://sts.windows.net/{id}/, audience {}, keys from {}",
                    t.jwt_audience.as_deref().unwrap_or(ENTRA_DEFAULT_AUDIENCE),
                    t.entra_metadata_url
                        .clone()
                        .unwrap_or_else(|| default_metadata_url(id))
                ),
                None => println!("  Entra-issued JWTs: not accepted"),
            }
            println!(
                "  rate limit: {}; IP allow-list: {}",
                t.rate_limit_per_sec
                    .map_or_else(|| "none".to_string(), |n| format!("{n}/s")),
                t.ip_allowlist.as_deref().unwrap_or("any address")
            );
            println!(
                "(running servers pick this up within {} s)",
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
