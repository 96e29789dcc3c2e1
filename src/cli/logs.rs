//! `scimd logs`: the provisioning log on the terminal (a table, or NDJSON with `--json`),
//! `--follow` to tail it, and `scimd logs purge` to run retention once.

use super::{anyhow_lite::Result, open, print_json, Common};
use crate::service::{EventQuery, EventView, Services};
use clap::{Args, Subcommand};
use std::io::Write;
use std::time::Duration;

/// How often `--follow` asks for new events.
const FOLLOW_EVERY: Duration = Duration::from_secs(1);
/// Events the table shows when no `--limit` is given.
const DEFAULT_ROWS: u32 = 50;
/// Width of the DETAIL column.
const DETAIL_WIDTH: usize = 60;

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct LogsArgs {
    #[command(subcommand)]
    pub command: Option<LogsCommand>,
    #[command(flatten)]
    pub filter: FilterArgs,
    #[command(flatten)]
    pub common: Common,
    /// Newest events to show (default 50; with --json and no --limit: every matching event).
    #[arg(long)]
    pub limit: Option<u32>,
    /// One JSON object per line (NDJSON), oldest first: for jq or a SIEM.
    #[arg(long)]
    pub json: bool,
    /// Keep printing new events as they arrive (Ctrl-C to stop).
    #[arg(long)]
    pub follow: bool,
}

/// The filters `scimd logs`, the admin API and the console share.
#[derive(Debug, Clone, Args)]
pub struct FilterArgs {
    /// Tenant name.
    #[arg(long)]
    pub tenant: Option<String>,
    /// Events at or after this RFC 3339 time (2026-01-31T12:00:00Z).
    #[arg(long)]
    pub since: Option<String>,
    /// Events before this RFC 3339 time.
    #[arg(long)]
    pub until: Option<String>,
    /// Create, Update, Disable, Enable, Delete, AddMembers, RemoveMembers, Lookup,
    /// TestConnection or Authenticate.
    #[arg(long)]
    pub action: Option<String>,
    /// success, failure or skipped.
    #[arg(long)]
    pub outcome: Option<String>,
    #[arg(long)]
    pub resource_id: Option<String>,
    /// userName (Users) or displayName (Groups), case-insensitive.
    #[arg(long)]
    pub user_name: Option<String>,
    /// Case-insensitive text in the path, detail, names, ids or request id.
    #[arg(long)]
    pub text: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum LogsCommand {
    /// Apply retention once: purge events older than log_retention_days, then trim tenants
    /// above log_max_events_per_tenant.
    Purge {
        #[arg(long)]
        json: bool,
    },
}

impl FilterArgs {
    fn query(&self) -> EventQuery {
        EventQuery {
            tenant: self.tenant.clone(),
            since: self.since.clone(),
            until: self.until.clone(),
            action: self.action.clone(),
            outcome: self.outcome.clone(),
            resource_id: self.resource_id.clone(),
            user_name: self.user_name.clone(),
            text: self.text.clone(),
            ..Default::default()
        }
    }
}

pub fn run(args: LogsArgs) -> Result<()> {
    let cfg = args.common.config()?;
    let services = open(&cfg)?;
    if let Some(LogsCommand::Purge { json }) = args.command {
        let report = services.purge_events(&cfg.retention(), &|| true)?;
        if json {
            return print_json(&report);
        }
        println!(
            "purged {} expired and {} over-cap events in {} batches",
            report.expired, report.trimmed, report.batches
        );
        return Ok(());
    }
    let mut out = std::io::stdout().lock();
    let q = args.filter.query();
    if args.json && args.limit.is_none() && !args.follow {
        for page in services.export_events(&q)? {
            print_events(&mut out, &page?, true)?;
        }
        return Ok(());
    }
    if !args.json {
        writeln!(
            out,
            "{:<19}  {:<12} {:<14} {:<8} {:>6}  {:<32} DETAIL",
            "TIME", "TENANT", "ACTION", "OUTCOME", "STATUS", "RESOURCE"
        )?;
    }
    let first = EventQuery {
        limit: Some(args.limit.unwrap_or(DEFAULT_ROWS)),
        ..q.clone()
    };
    let mut page = services.query_events(&first)?.events;
    page.reverse();
    print_events(&mut out, &page, args.json)?;
    if args.follow {
        follow(
            &services,
            q,
            page.last().map_or(0, |e| e.id),
            args.json,
            &mut out,
        )?;
    }
    Ok(())
}

/// Poll for events newer than `after` once a second, forever (the process ends on Ctrl-C).
fn follow(
    services: &Services,
    q: EventQuery,
    mut after: i64,
    json: bool,
    out: &mut impl Write,
) -> Result<()> {
    loop {
        std::thread::sleep(FOLLOW_EVERY);
        loop {
            let next = EventQuery {
                after: Some(after),
                limit: Some(crate::service::MAX_EVENTS_PAGE),
                ..q.clone()
            };
            let page = services.query_events(&next)?.events;
            print_events(out, &page, json)?;
            match page.last() {
                Some(e) if page.len() == crate::service::MAX_EVENTS_PAGE as usize => after = e.id,
                Some(e) => {
                    after = e.id;
                    break;
                }
                None => break,
            }
        }
    }
}

fn print_events(out: &mut impl Write, events: &[EventView], json: bool) -> Result<()> {
    for e in events {
        if json {
            serde_json::to_writer(&mut *out, e)?;
            writeln!(out)?;
        } else {
            writeln!(out, "{}", row(e))?;
        }
    }
    out.flush()?;
    Ok(())
}

fn row(e: &EventView) -> String {
    let time = e.time.get(..19).unwrap_or(&e.time).replace('T', " ");
    let resource = match (&e.resource_type, &e.resource_name, &e.resource_id) {
        (Some(t), Some(n), _) => format!("{t} {n}"),
        (Some(t), None, Some(id)) => format!("{t} {id}"),
        (Some(t), None, None) => t.clone(),
        _ => "-".into(),
    };
    format!(
        "{time:<19}  {:<12} {:<14} {:<8} {:>6}  {:<32} {}",
        truncate(e.tenant.as_deref().unwrap_or("-"), 12),
        e.action,
        e.outcome,
        e.status,
        truncate(&resource, 32),
        truncate(e.detail.as_deref().unwrap_or(""), DETAIL_WIDTH)
    )
}

/// At most `width` characters, with an ellipsis when cut.
fn truncate(s: &str, width: usize) -> String {
    let s = s.replace('\n', " ");
    if s.chars().count() <= width {
        return s;
    }
    let mut cut: String = s.chars().take(width.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_details_are_cut_with_an_ellipsis() {
        assert_eq!(truncate("abc", 5), "abc");
        assert_eq!(truncate("abcdef", 4), "abc…");
        assert_eq!(truncate("é\né", 3), "é é");
    }
}
