//! The single integration-test binary: drives the real app over HTTP on every backend.

mod storage;
mod support;
