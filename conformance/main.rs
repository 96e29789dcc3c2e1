//! The single integration-test binary: drives the real app over HTTP on every backend.

mod entra;
mod http;
mod logs;
mod smoke;
mod storage;
mod support;
