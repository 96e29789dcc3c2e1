//! The only place with SQL: diesel over SQLite or PostgreSQL, chosen by the database URL.
