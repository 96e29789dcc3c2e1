//! `scimd config check`: the effective configuration, secrets masked.

use super::{anyhow_lite::Result, print_json, Common};
use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Load and validate the configuration and print it with secrets masked.
    Check {
        #[command(flatten)]
        common: Common,
        #[arg(long)]
        json: bool,
    },
}

pub fn run(cmd: ConfigCommand) -> Result<()> {
    let ConfigCommand::Check { common, json } = cmd;
    let cfg = common.config()?.masked();
    if json {
        return print_json(&cfg);
    }
    print!("{}", toml::to_string(&cfg)?);
    Ok(())
}
