//! scimd: a SCIM 2.0 provisioning server for Microsoft Entra ID.
//!
//! Layers, each depending only on those above it in this list (docs/architecture.md):
//! `scim` (pure protocol) → `storage` (all SQL) → `service` (use cases, transactions, audit)
//! → `http`, `cli` (edges).

pub mod cli;
pub mod clock;
pub mod config;
pub mod http;
pub mod scim;
pub mod service;
pub mod stop;
pub mod storage;
pub mod sync;
