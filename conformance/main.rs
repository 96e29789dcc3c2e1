//! The single integration-test binary: drives the real app over HTTP on every backend.

mod console;
mod entra;
mod http;
mod logs;
mod pull;
mod smoke;
mod storage;
mod support;
mod sync;
mod sync_admin;
