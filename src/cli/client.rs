//! `scimd client create|list|revoke|rotate|revoke-secret`: OAuth 2.0 clients (client
//! credentials grant) of a tenant.

use super::{
    anyhow_lite::Result, open, print_credential_header, print_credential_row, print_json, Common,
};
use crate::service::{IssuedClient, SECRET_DAYS_DEFAULT};
use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum ClientCommand {
    /// Create an OAuth client with a first secret (printed once; stored only as a hash).
    Create {
        #[arg(long)]
        tenant: String,
        /// A note to recognise the client by (e.g. "entra-prod").
        #[arg(long)]
        label: Option<String>,
        /// Days the secret stays valid (1-1095; Entra asks for 1-3 years).
        #[arg(long, default_value_t = SECRET_DAYS_DEFAULT)]
        secret_days: u32,
        #[command(flatten)]
        common: Common,
        /// Print JSON: {"client_id", "client_secret", "token_url", "tenant_url", …}.
        #[arg(long)]
        json: bool,
    },
    /// List a tenant's clients and their secrets' ids and expiry (never the secrets).
    List {
        #[arg(long)]
        tenant: String,
        #[command(flatten)]
        common: Common,
        #[arg(long)]
        json: bool,
    },
    /// Revoke a client: no new tokens, and the tokens it holds stop working.
    Revoke {
        #[arg(long)]
        tenant: String,
        client_id: String,
        #[command(flatten)]
        common: Common,
        #[arg(long)]
        json: bool,
    },
    /// Add a secret to a client (rotation); its other secrets stay valid until they expire or
    /// are revoked with `revoke-secret`.
    Rotate {
        #[arg(long)]
        tenant: String,
        client_id: String,
        #[arg(long, default_value_t = SECRET_DAYS_DEFAULT)]
        secret_days: u32,
        #[command(flatten)]
        common: Common,
        #[arg(long)]
        json: bool,
    },
    /// Revoke one secret of a client (tokens already issued with it run out normally).
    RevokeSecret {
        #[arg(long)]
        tenant: String,
        client_id: String,
        secret_id: String,
        #[command(flatten)]
        common: Common,
        #[arg(long)]
        json: bool,
    },
}

fn print_issued(c: &IssuedClient, cfg: &crate::config::Config, json: bool) -> Result<()> {
    let token_url = cfg.token_url(&c.tenant);
    let tenant_url = cfg.tenant_url(&c.tenant);
    if json {
        return print_json(&serde_json::json!({
            "tenant": c.tenant, "client_id": c.client_id, "client_secret": c.client_secret,
            "token_url": token_url, "tenant_url": tenant_url, "secret_id": c.secret_id,
            "secret_expires_at": c.secret_expires_at,
        }));
    }
    println!("Tenant URL:        {tenant_url}");
    println!("Token endpoint:    {token_url}");
    println!("Client identifier: {}", c.client_id);
    println!("Client secret:     {}", c.client_secret);
    println!(
        "(secret id {}, expires {}; the secret is not shown again)",
        c.secret_id, c.secret_expires_at
    );
    Ok(())
}

pub fn run(cmd: ClientCommand) -> Result<()> {
    match cmd {
        ClientCommand::Create {
            tenant,
            label,
            secret_days,
            common,
            json,
        } => {
            let cfg = common.config()?;
            let c = open(&cfg)?.create_client(&tenant, label.as_deref(), secret_days)?;
            print_issued(&c, &cfg, json)
        }
        ClientCommand::Rotate {
            tenant,
            client_id,
            secret_days,
            common,
            json,
        } => {
            let cfg = common.config()?;
            let c = open(&cfg)?.add_client_secret(&tenant, &client_id, secret_days)?;
            print_issued(&c, &cfg, json)
        }
        ClientCommand::List {
            tenant,
            common,
            json,
        } => {
            let clients = open(&common.config()?)?.list_clients(&tenant)?;
            if json {
                return print_json(&clients);
            }
            print_credential_header("CLIENT ID", "LAST TOKEN");
            for c in clients {
                let (last, revoked) = (c.last_used_at.as_deref(), c.revoked_at.as_deref());
                print_credential_row(
                    &c.client_id,
                    c.label.as_deref(),
                    &c.created_at,
                    last,
                    revoked,
                );
                for s in c.secrets {
                    println!(
                        "  secret {} expires {}{}",
                        s.id,
                        s.expires_at,
                        s.revoked_at
                            .map(|r| format!(" (revoked {r})"))
                            .unwrap_or_default()
                    );
                }
            }
            Ok(())
        }
        ClientCommand::Revoke {
            tenant,
            client_id,
            common,
            json,
        } => {
            let revoked = open(&common.config()?)?.revoke_client(&tenant, &client_id)?;
            if json {
                print_json(
                    &serde_json::json!({"tenant": tenant, "client_id": client_id, "revoked": revoked}),
                )?;
            } else if revoked {
                println!("revoked client {client_id}");
            }
            if !revoked {
                return Err(
                    format!("tenant {tenant:?} has no live client with id {client_id:?}").into(),
                );
            }
            Ok(())
        }
        ClientCommand::RevokeSecret {
            tenant,
            client_id,
            secret_id,
            common,
            json,
        } => {
            let revoked =
                open(&common.config()?)?.revoke_client_secret(&tenant, &client_id, &secret_id)?;
            if json {
                print_json(
                    &serde_json::json!({"tenant": tenant, "client_id": client_id, "secret_id": secret_id, "revoked": revoked}),
                )?;
            } else if revoked {
                println!("revoked secret {secret_id} of client {client_id}");
            }
            if !revoked {
                return Err(format!(
                    "client {client_id:?} has no live secret with id {secret_id:?}"
                )
                .into());
            }
            Ok(())
        }
    }
}
