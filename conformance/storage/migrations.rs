use crate::support::{each_backend, sqlite};
use scimd::storage::{Db, StorageError};
use std::collections::BTreeSet;
use std::path::Path;

fn migration_dirs(backend: &str) -> BTreeSet<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("migrations")
        .join(backend);
    std::fs::read_dir(&root)
        .unwrap_or_else(|e| panic!("{}: {e}", root.display()))
        .map(|entry| {
            let dir = entry.expect("dir entry").path();
            for file in ["up.sql", "down.sql"] {
                assert!(dir.join(file).is_file(), "{} lacks {file}", dir.display());
            }
            dir.file_name()
                .expect("name")
                .to_string_lossy()
                .into_owned()
        })
        .collect()
}

#[test]
fn migration_folders_have_the_same_directories_with_up_and_down() {
    let sqlite = migration_dirs("sqlite");
    assert!(!sqlite.is_empty());
    assert_eq!(sqlite, migration_dirs("postgres"));
}

#[test]
fn migrations_apply_once_and_leave_nothing_pending() {
    each_backend(|db| {
        assert_eq!(
            db.pending_migrations().expect("pending"),
            Vec::<String>::new()
        );
        assert_eq!(db.migrate().expect("second run"), Vec::<String>::new());
        db.ping().expect("ping");
    });
}

#[test]
fn fresh_database_reports_pending_migrations_then_applies_them() {
    let test_db = sqlite();
    let db = Db::connect(&test_db.url, 2).expect("connect");
    let pending = db.pending_migrations().expect("pending");
    assert!(!pending.is_empty());
    assert_eq!(db.migrate().expect("migrate"), pending);
}

#[test]
fn unsupported_urls_are_config_errors() {
    for url in [
        "mysql://u@h/db",
        "sqlite::memory:",
        "nonexistent-file",
        "postgre://typo/db",
    ] {
        assert!(
            matches!(Db::connect(url, 1), Err(StorageError::Config(_))),
            "{url}"
        );
    }
}

#[test]
fn unreachable_postgres_is_unavailable_and_creates_no_file() {
    let url = "postgres://nobody@127.0.0.1:1/none?connect_timeout=2";
    assert!(matches!(
        Db::connect(url, 1),
        Err(StorageError::Unavailable(_))
    ));
    assert!(!Path::new("postgres:").exists());
}

#[derive(diesel::QueryableByName, Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Column {
    #[diesel(sql_type = diesel::sql_types::Text)]
    table_name: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    column_name: String,
    #[diesel(sql_type = diesel::sql_types::Bool)]
    not_null: bool,
}

const TABLES: &str =
    "'tenants','credentials','users','user_emails','groups','memberships','events','admin_credentials','read_counts','oauth_clients','oauth_client_secrets','signing_keys'";

/// Every (table, column, NOT NULL) of the scimd tables, as the database reports them.
fn columns(url: &str) -> Vec<Column> {
    use diesel::{Connection, RunQueryDsl};
    let mut cols: Vec<Column> = if url.starts_with("sqlite://") {
        let mut c = diesel::SqliteConnection::establish(url.trim_start_matches("sqlite://"))
            .expect("sqlite");
        diesel::sql_query(format!(
            "SELECT m.name AS table_name, p.name AS column_name, (p.\"notnull\" OR p.pk > 0) AS not_null \
             FROM sqlite_master m, pragma_table_info(m.name) p WHERE m.type = 'table' AND m.name IN ({TABLES})"
        ))
        .load(&mut c)
        .expect("sqlite columns")
    } else {
        let mut c = diesel::PgConnection::establish(url).expect("pg");
        diesel::sql_query(format!(
            "SELECT table_name::text AS table_name, column_name::text AS column_name, is_nullable = 'NO' AS not_null \
             FROM information_schema.columns WHERE table_schema = current_schema() AND table_name IN ({TABLES})"
        ))
        .load(&mut c)
        .expect("pg columns")
    };
    cols.sort();
    cols
}

#[derive(diesel::QueryableByName, Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Index {
    #[diesel(sql_type = diesel::sql_types::Text)]
    name: String,
}

/// The names of the indexes the migrations create (not the implicit primary-key ones).
fn indexes(url: &str) -> Vec<Index> {
    use diesel::{Connection, RunQueryDsl};
    let mut found: Vec<Index> = if url.starts_with("sqlite://") {
        let mut c = diesel::SqliteConnection::establish(url.trim_start_matches("sqlite://"))
            .expect("sqlite");
        diesel::sql_query(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_autoindex%'",
        )
        .load(&mut c)
        .expect("sqlite indexes")
    } else {
        let mut c = diesel::PgConnection::establish(url).expect("pg");
        diesel::sql_query(
            "SELECT indexname::text AS name FROM pg_indexes WHERE schemaname = current_schema() AND indexname NOT LIKE '%_pkey'",
        )
        .load(&mut c)
        .expect("pg indexes")
    };
    found.sort();
    found
}

pub(super) fn run_sql(url: &str, sql: &str) {
    use diesel::connection::SimpleConnection;
    use diesel::Connection;
    let result = if url.starts_with("sqlite://") {
        diesel::SqliteConnection::establish(url.trim_start_matches("sqlite://"))
            .expect("sqlite")
            .batch_execute(sql)
    } else {
        diesel::PgConnection::establish(url)
            .expect("pg")
            .batch_execute(sql)
    };
    result.unwrap_or_else(|e| panic!("{url}: {e}"));
}

#[test]
fn both_backends_have_the_same_columns_and_down_then_up_restores_them() {
    let all = crate::support::backends();
    let mut seen = Vec::new();
    for test_db in &all {
        drop(test_db.migrated(1));
        let before = columns(&test_db.url);
        assert_eq!(
            before.iter().filter(|c| c.table_name == "users").count(),
            12,
            "{:?}",
            test_db.kind
        );
        let backend = match test_db.kind {
            scimd::storage::BackendKind::Sqlite => "sqlite",
            scimd::storage::BackendKind::Postgres => "postgres",
        };
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("migrations")
            .join(backend);
        let latest = migration_dirs(backend)
            .into_iter()
            .next_back()
            .expect("a migration");
        let read = |f: &str| std::fs::read_to_string(dir.join(&latest).join(f)).expect("sql");
        let before_indexes = indexes(&test_db.url);
        run_sql(&test_db.url, &read("down.sql"));
        assert_ne!(
            (columns(&test_db.url), indexes(&test_db.url)),
            (before.clone(), before_indexes.clone()),
            "down of {latest} changes the schema"
        );
        run_sql(&test_db.url, &read("up.sql"));
        assert_eq!(
            columns(&test_db.url),
            before,
            "down then up restores the schema"
        );
        assert_eq!(indexes(&test_db.url), before_indexes, "and the indexes");
        seen.push(before);
    }
    if let [sqlite, postgres] = seen.as_slice() {
        assert_eq!(sqlite, postgres);
    }
}
