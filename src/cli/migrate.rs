//! `scimd migrate [--check]`.

use super::{anyhow_lite::Result, print_json, Common};
use crate::storage::Db;
use clap::Args;

#[derive(Debug, Args)]
pub struct MigrateArgs {
    #[command(flatten)]
    pub common: Common,
    /// Only list pending migrations; exit 1 if there are any.
    #[arg(long)]
    pub check: bool,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: MigrateArgs) -> Result<()> {
    let cfg = args.common.config()?;
    let db = Db::connect(&cfg.database_url, 1)?;
    if args.check {
        let pending = db.pending_migrations()?;
        if args.json {
            print_json(&serde_json::json!({"pending": pending}))?;
        } else if pending.is_empty() {
            println!("database is up to date");
        } else {
            println!("pending migrations: {}", pending.join(", "));
        }
        if !pending.is_empty() {
            return Err("migrations are pending".into());
        }
        return Ok(());
    }
    let applied = db.migrate()?;
    if args.json {
        print_json(&serde_json::json!({"applied": applied}))
    } else {
        match applied.len() {
            0 => println!("database is up to date"),
            n => println!("applied {n} migration(s): {}", applied.join(", ")),
        }
        Ok(())
    }
}
