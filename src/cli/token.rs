//! `scimd token create|list|revoke`.

use super::{anyhow_lite::Result, open, print_json, print_tokens, Common};
use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Issue a bearer secret for a tenant (printed once; stored only as a hash).
    Create {
        #[arg(long)]
        tenant: String,
        /// A note to recognise the token by (e.g. "entra-prod").
        #[arg(long)]
        label: Option<String>,
        #[command(flatten)]
        common: Common,
        /// Print JSON: {"tenant", "token", "tenant_url", "id"}.
        #[arg(long)]
        json: bool,
    },
    /// List a tenant's tokens (never the secrets).
    List {
        #[arg(long)]
        tenant: String,
        #[command(flatten)]
        common: Common,
        #[arg(long)]
        json: bool,
    },
    /// Revoke a token by id; requests with it fail from then on.
    Revoke {
        #[arg(long)]
        tenant: String,
        id: String,
        #[command(flatten)]
        common: Common,
        #[arg(long)]
        json: bool,
    },
}

pub fn run(cmd: TokenCommand) -> Result<()> {
    match cmd {
        TokenCommand::Create {
            tenant,
            label,
            common,
            json,
        } => {
            let cfg = common.config()?;
            let t = open(&cfg)?.create_token(&tenant, label.as_deref())?;
            let url = cfg.tenant_url(&t.tenant);
            if json {
                return print_json(
                    &serde_json::json!({"tenant": t.tenant, "token": t.token, "tenant_url": url, "id": t.id}),
                );
            }
            println!("Tenant URL:   {url}");
            println!("Secret Token: {}", t.token);
            println!("(token id {}; the secret is not shown again)", t.id);
            Ok(())
        }
        TokenCommand::List {
            tenant,
            common,
            json,
        } => {
            let tokens = open(&common.config()?)?.list_tokens(&tenant)?;
            if json {
                return print_json(&tokens);
            }
            print_tokens(&tokens);
            Ok(())
        }
        TokenCommand::Revoke {
            tenant,
            id,
            common,
            json,
        } => {
            let revoked = open(&common.config()?)?.revoke_token(&tenant, &id)?;
            if json {
                print_json(&serde_json::json!({"tenant": tenant, "id": id, "revoked": revoked}))?;
            } else if revoked {
                println!("revoked token {id}");
            }
            if !revoked {
                return Err(format!("tenant {tenant:?} has no live token with id {id:?}").into());
            }
            Ok(())
        }
    }
}
