//! Planner statistics after bulk writes. PostgreSQL plans with statistics that autovacuum
//! refreshes only after a table has grown by 10 % and on its own schedule. A table filled from
//! empty by one pull run has none meanwhile, and then the planner may pick a `(tenant_id, …)`
//! index and filter the whole tenant instead of using the primary key (measured: 1 ms per link
//! lookup at 20,000 rows, growing with the table). SQLite needs nothing here.

use super::{DbConn, StorageError};
use diesel::connection::SimpleConnection;

/// Tables a bulk phase fills.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tables {
    /// The pull mirror: Graph objects and membership edges.
    Mirror,
    /// Users, groups, memberships, the links to Entra and the provisioning log.
    Resources,
}

/// Refresh the statistics of `tables` (PostgreSQL `ANALYZE`, which samples: a few hundred ms
/// at most, whatever the table size).
pub fn refresh(conn: &mut DbConn, tables: Tables) -> Result<(), StorageError> {
    let sql = match tables {
        Tables::Mirror => "ANALYZE sync_objects, sync_edges",
        Tables::Resources => "ANALYZE users, user_emails, groups, memberships, sync_links, events",
    };
    if let DbConn::Postgres(c) = conn {
        c.batch_execute(sql)?;
    }
    Ok(())
}
