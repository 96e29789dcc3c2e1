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
