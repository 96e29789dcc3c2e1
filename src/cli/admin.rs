//! `scimd admin token create|list|revoke`: tokens for the admin API and console (never SCIM).

use super::{anyhow_lite::Result, open, print_json, print_tokens, Common};
use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Admin API and console tokens.
    #[command(subcommand)]
    Token(AdminTokenCommand),
}

#[derive(Debug, Subcommand)]
pub enum AdminTokenCommand {
    /// Issue an admin token (printed once; stored only as a hash).
    Create {
        /// A note to recognise the token by (e.g. "ops laptop").
        #[arg(long)]
        label: Option<String>,
        #[command(flatten)]
        common: Common,
        /// Print JSON: {"id", "token"}.
        #[arg(long)]
        json: bool,
    },
    /// List admin tokens (never the secrets).
    List {
        #[command(flatten)]
        common: Common,
        #[arg(long)]
        json: bool,
    },
    /// Revoke an admin token by id.
    Revoke {
        id: String,
        #[command(flatten)]
        common: Common,
        #[arg(long)]
        json: bool,
    },
}

pub fn run(cmd: AdminCommand) -> Result<()> {
    let AdminCommand::Token(cmd) = cmd;
    match cmd {
        AdminTokenCommand::Create {
            label,
            common,
            json,
        } => {
            let t = open(&common.config()?)?.create_admin_token(label.as_deref())?;
            if json {
                return print_json(&t);
            }
            println!("Admin token: {}", t.token);
            println!("(token id {}; the secret is not shown again)", t.id);
            Ok(())
        }
        AdminTokenCommand::List { common, json } => {
            let tokens = open(&common.config()?)?.list_admin_tokens()?;
            if json {
                return print_json(&tokens);
            }
            print_tokens(&tokens);
            Ok(())
        }
        AdminTokenCommand::Revoke { id, common, json } => {
            let revoked = open(&common.config()?)?.revoke_admin_token(&id)?;
            if json {
                print_json(&serde_json::json!({"id": id, "revoked": revoked}))?;
            } else if revoked {
                println!("revoked admin token {id}");
            }
            if !revoked {
                return Err(format!("no live admin token with id {id:?}").into());
            }
            Ok(())
        }
    }
}
