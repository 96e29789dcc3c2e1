//! `scimd config check`: the effective configuration, secrets masked; the TLS certificate and
//! key, when configured, must load as `serve` would load them.

use super::{anyhow_lite::Result, print_json, tls_files, Common};
use crate::http::tls::Certificates;
use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Load and validate the configuration (and the TLS files) and print it with secrets masked.
    Check {
        #[command(flatten)]
        common: Common,
        #[arg(long)]
        json: bool,
    },
}

pub fn run(cmd: ConfigCommand) -> Result<()> {
    let ConfigCommand::Check { common, json } = cmd;
    let cfg = common.config()?;
    if let Some(files) = tls_files(&cfg) {
        let certs = Certificates::load(files)?;
        eprintln!("TLS certificate {}", certs.describe());
    }
    let cfg = cfg.masked();
    if json {
        return print_json(&cfg);
    }
    print!("{}", toml::to_string(&cfg)?);
    Ok(())
}
