//! The `scimd` command line: one binary for the server and its administration.

mod admin;
mod client;
mod config_check;
mod logs;
mod migrate;
mod serve;
mod sync;
mod tenant;
mod token;

use crate::clock::SystemClock;
use crate::config::Config;
use crate::service::{Services, Settings};
use crate::storage::Db;
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Debug, Parser)]
#[command(
    name = "scimd",
    version,
    about = "SCIM 2.0 provisioning server for Microsoft Entra ID"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the SCIM server (creates the default tenant and its first token on an empty database).
    Serve(serve::ServeArgs),
    /// Apply pending database migrations (the server also does this at start).
    Migrate(migrate::MigrateArgs),
    /// Manage tenants (one per connected Entra directory).
    #[command(subcommand)]
    Tenant(tenant::TenantCommand),
    /// Manage the bearer secrets Entra uses.
    #[command(subcommand)]
    Token(token::TokenCommand),
    /// Manage OAuth 2.0 clients (client credentials grant) of a tenant.
    #[command(subcommand)]
    Client(client::ClientCommand),
    /// Inspect the configuration.
    #[command(subcommand)]
    Config(config_check::ConfigCommand),
    /// Show, follow or export the provisioning log; `logs purge` applies retention once.
    Logs(logs::LogsArgs),
    /// Manage admin tokens (admin API and console).
    #[command(subcommand)]
    Admin(admin::AdminCommand),
    /// Pull mode: read users and groups from Microsoft Graph (docs/pull-sync.md).
    #[command(subcommand)]
    Sync(sync::SyncCommand),
}

/// Options every command shares.
#[derive(Debug, Clone, Args)]
pub struct Common {
    /// Database URL: sqlite://FILE (default sqlite://scimd.db) or postgres://USER:PASS@HOST/DB.
    #[arg(long = "database", env = "SCIMD_DATABASE_URL", global = true)]
    pub database: Option<String>,
    /// Configuration file (default: ./scimd.toml when present).
    #[arg(long = "config", env = "SCIMD_CONFIG", global = true)]
    pub config: Option<PathBuf>,
}

impl Common {
    /// The effective configuration: file, environment, then these flags.
    pub fn config(&self) -> anyhow_lite::Result<Config> {
        let mut cfg = Config::load(self.config.as_deref(), |k| std::env::var(k).ok())?;
        if let Some(db) = &self.database {
            cfg.database_url = db.clone();
        }
        Ok(cfg)
    }
}

/// Open the database, apply migrations, and build the services.
pub fn open(cfg: &Config) -> anyhow_lite::Result<Services> {
    let db = Db::connect(&cfg.database_url, cfg.pool_size)?;
    let applied = db.migrate()?;
    if !applied.is_empty() {
        log::info!(
            "applied {} database migration(s): {}",
            applied.len(),
            applied.join(", ")
        );
    }
    let settings = Settings {
        default_count: cfg.default_count,
        max_results: cfg.max_results,
        access_token_lifetime_secs: cfg.oauth_token_lifetime_secs,
        entra_jwks_refresh_secs: cfg.entra_jwks_refresh_secs,
    };
    Ok(Services::new(db, Arc::new(SystemClock), settings))
}

/// Parse arguments and run; the error is printed by `main`.
pub fn run(cli: Cli) -> anyhow_lite::Result<()> {
    match cli.command {
        Command::Serve(a) => serve::run(a),
        Command::Migrate(a) => migrate::run(a),
        Command::Tenant(c) => tenant::run(c),
        Command::Token(c) => token::run(c),
        Command::Client(c) => client::run(c),
        Command::Config(c) => config_check::run(c),
        Command::Logs(a) => logs::run(a),
        Command::Admin(c) => admin::run(c),
        Command::Sync(c) => sync::run(c),
    }
}

/// Print `value` as one line of JSON.
fn print_json(value: &impl serde::Serialize) -> anyhow_lite::Result<()> {
    println!("{}", serde_json::to_string(value)?);
    Ok(())
}

/// Header of a credential table (tokens, admin tokens, OAuth clients).
fn print_credential_header(id: &str, last_used: &str) {
    println!(
        "{id:<38} {:<20} {:<27} {last_used:<27} REVOKED",
        "LABEL", "CREATED"
    );
}

/// One credential row; absent times print as `-`.
fn print_credential_row(
    id: &str,
    label: Option<&str>,
    created: &str,
    last_used: Option<&str>,
    revoked: Option<&str>,
) {
    println!(
        "{id:<38} {:<20} {created:<27} {:<27} {}",
        label.unwrap_or_default(),
        last_used.unwrap_or("-"),
        revoked.unwrap_or("-")
    );
}

/// A list of tokens (SCIM or admin) as a table.
fn print_tokens(tokens: &[crate::service::TokenInfo]) {
    print_credential_header("ID", "LAST USED");
    for t in tokens {
        let (last, revoked) = (t.last_used_at.as_deref(), t.revoked_at.as_deref());
        print_credential_row(&t.id, t.label.as_deref(), &t.created_at, last, revoked);
    }
}

/// A tiny boxed-error result for the process edge (design: `anyhow` only at edges; this keeps
/// the dependency list short).
pub mod anyhow_lite {
    pub type Error = Box<dyn std::error::Error + Send + Sync + 'static>;
    pub type Result<T> = std::result::Result<T, Error>;
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn token_create_takes_tenant_and_json() {
        let cli = Cli::try_parse_from([
            "scimd",
            "token",
            "create",
            "--tenant",
            "acme",
            "--json",
            "--database",
            "sqlite://x.db",
        ])
        .unwrap();
        assert!(matches!(cli.command, Command::Token(_)));
    }

    #[test]
    fn logs_takes_filters_and_purge_is_a_subcommand() {
        let cli = Cli::try_parse_from([
            "scimd",
            "logs",
            "--tenant",
            "acme",
            "--outcome",
            "failure",
            "--json",
            "--follow",
            "--database",
            "sqlite://x.db",
        ])
        .unwrap();
        assert!(matches!(cli.command, Command::Logs(ref a) if a.follow && a.json));
        let cli = Cli::try_parse_from(["scimd", "logs", "purge", "--database", "x.db"]).unwrap();
        assert!(matches!(cli.command, Command::Logs(ref a) if a.command.is_some()));
        let cli = Cli::try_parse_from(["scimd", "tenant", "set", "acme", "--log-reads", "true"]);
        assert!(cli.is_ok());
    }
}
