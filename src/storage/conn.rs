//! The connection type (one enum over both backends) and the pool's connection manager, which
//! picks the backend from the URL scheme instead of diesel's "try each variant" `establish`
//! (that would turn an unreachable PostgreSQL URL into a new SQLite file).

use super::{BackendKind, StorageError};
use diesel::connection::SimpleConnection;
use diesel::pg::PgConnection;
use diesel::r2d2::{self, R2D2Connection};
use diesel::sqlite::SqliteConnection;
use diesel::Connection;
use std::path::Path;

#[derive(diesel::MultiConnection)]
pub enum DbConn {
    Sqlite(SqliteConnection),
    Postgres(PgConnection),
}

/// The query backend of [`DbConn`]; queries written against it run on both databases.
pub type Backend = MultiBackend;

/// Applied to every SQLite connection. `journal_mode = WAL` is persistent and set once in
/// [`Target::prepare`]; foreign keys are per connection (system SQLite defaults them off).
const SQLITE_PRAGMAS: &str =
    "PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000; PRAGMA synchronous = NORMAL;";

/// Where a database URL points, decided by its scheme alone.
#[derive(Debug, Clone)]
pub(crate) enum Target {
    Sqlite(String),
    Postgres(String),
}

impl Target {
    pub(crate) fn parse(url: &str) -> Result<Target, StorageError> {
        let url = url.trim();
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(Target::Postgres(url.to_owned()));
        }
        let path = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"));
        if let Some(path) = path {
            if path.is_empty() || path.contains(":memory:") || path.starts_with("file::memory") {
                return Err(StorageError::Config(format!(
                    "database URL {url:?}: an in-memory SQLite database cannot be shared by a \
                     connection pool; give a file path (sqlite://path/to/scimd.db)"
                )));
            }
            return Ok(Target::Sqlite(path.to_owned()));
        }
        let looks_like_file = [".db", ".sqlite", ".sqlite3"]
            .iter()
            .any(|ext| url.ends_with(ext));
        if !url.contains("://") && (looks_like_file || Path::new(url).is_file()) {
            return Ok(Target::Sqlite(url.to_owned()));
        }
        Err(StorageError::Config(format!(
            "database URL {url:?} is not supported: use sqlite://<path> (or a path ending in \
             .db/.sqlite/.sqlite3) or postgres://user@host/db"
        )))
    }

    pub(crate) fn kind(&self) -> BackendKind {
        match self {
            Target::Sqlite(_) => BackendKind::Sqlite,
            Target::Postgres(_) => BackendKind::Postgres,
        }
    }

    pub(crate) fn connect(&self) -> Result<DbConn, diesel::ConnectionError> {
        match self {
            Target::Sqlite(path) => {
                let mut conn = SqliteConnection::establish(path)?;
                conn.batch_execute(SQLITE_PRAGMAS)
                    .map_err(diesel::ConnectionError::CouldntSetupConfiguration)?;
                Ok(DbConn::Sqlite(conn))
            }
            Target::Postgres(url) => Ok(DbConn::Postgres(PgConnection::establish(url)?)),
        }
    }

    /// One-time setup on the first connection: WAL is a property of the database file.
    pub(crate) fn prepare(&self, conn: &mut DbConn) -> Result<(), StorageError> {
        if let DbConn::Sqlite(c) = conn {
            c.batch_execute("PRAGMA journal_mode = WAL;")?;
        }
        Ok(())
    }
}

/// r2d2 manager for [`DbConn`].
#[derive(Debug)]
pub(crate) struct Manager {
    pub(crate) target: Target,
}

impl r2d2::ManageConnection for Manager {
    type Connection = DbConn;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<DbConn, r2d2::Error> {
        self.target.connect().map_err(r2d2::Error::ConnectionError)
    }

    fn is_valid(&self, conn: &mut DbConn) -> Result<(), r2d2::Error> {
        conn.ping().map_err(r2d2::Error::QueryError)
    }

    fn has_broken(&self, conn: &mut DbConn) -> bool {
        conn.is_broken()
    }
}

#[cfg(test)]
mod tests {
    use super::Target;
    use crate::storage::BackendKind;

    fn kind(url: &str) -> Option<BackendKind> {
        Target::parse(url).ok().map(|t| t.kind())
    }

    #[test]
    fn scheme_decides_the_backend() {
        assert_eq!(kind("postgres://u@h/db"), Some(BackendKind::Postgres));
        assert_eq!(kind("postgresql://u@h/db"), Some(BackendKind::Postgres));
        assert_eq!(
            kind("sqlite:///var/lib/scimd.db"),
            Some(BackendKind::Sqlite)
        );
        assert_eq!(kind("sqlite:data/x"), Some(BackendKind::Sqlite));
        assert_eq!(kind("scimd.sqlite3"), Some(BackendKind::Sqlite));
        assert_eq!(kind("mysql://u@h/db"), None);
        assert_eq!(kind("postgre://typo/db"), None);
        assert_eq!(kind("sqlite::memory:"), None);
        assert_eq!(kind("no-such-file"), None);
    }
}
