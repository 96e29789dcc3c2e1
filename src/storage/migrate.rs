//! Embedded migrations, one set per backend with identical directory names.

use super::{DbConn, StorageError};
use diesel::connection::SimpleConnection;
use diesel::migration::{Migration, MigrationVersion};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

const SQLITE: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// Arbitrary key for the PostgreSQL advisory lock that serialises replicas migrating at once.
const PG_MIGRATION_LOCK: i64 = 0x5c1d_0001;

fn migration_error(e: impl std::fmt::Display) -> StorageError {
    StorageError::Migration(e.to_string())
}

fn versions(applied: Vec<MigrationVersion<'_>>) -> Vec<String> {
    applied.iter().map(|v| v.to_string()).collect()
}

pub(crate) fn run_pending(conn: &mut DbConn) -> Result<Vec<String>, StorageError> {
    match conn {
        DbConn::Sqlite(c) => {
            // Table rebuilds in future migrations need foreign keys off; the pragma is a no-op
            // inside a transaction, so it wraps the whole run.
            c.batch_execute("PRAGMA foreign_keys = OFF;")?;
            let result = c
                .run_pending_migrations(SQLITE)
                .map(versions)
                .map_err(migration_error);
            c.batch_execute("PRAGMA foreign_keys = ON;")?;
            result
        }
        DbConn::Postgres(c) => {
            c.batch_execute(&format!("SELECT pg_advisory_lock({PG_MIGRATION_LOCK});"))?;
            let result = c
                .run_pending_migrations(POSTGRES)
                .map(versions)
                .map_err(migration_error);
            c.batch_execute(&format!("SELECT pg_advisory_unlock({PG_MIGRATION_LOCK});"))?;
            result
        }
    }
}

pub(crate) fn pending(conn: &mut DbConn) -> Result<Vec<String>, StorageError> {
    fn names<DB: diesel::backend::Backend>(pending: Vec<Box<dyn Migration<DB>>>) -> Vec<String> {
        pending
            .iter()
            .map(|m| m.name().version().to_string())
            .collect()
    }
    match conn {
        DbConn::Sqlite(c) => c.pending_migrations(SQLITE).map(names),
        DbConn::Postgres(c) => c.pending_migrations(POSTGRES).map(names),
    }
    .map_err(migration_error)
}
