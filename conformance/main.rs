//! The single integration-test binary: drives the real app over HTTP on every backend.

mod entra;
mod http;
mod smoke;
mod storage;
mod support;
