//! Test-only credentials for `private_key_jwt`: two self-signed RSA-2048 certificates with
//! their PKCS#8 private keys (generated for this crate; they protect nothing). Upload
//! `CERTIFICATE_PEM` with `FakeGraph::add_app_certificate` and sign with `PRIVATE_KEY_PEM`;
//! the `OTHER_` pair is for "wrong key" tests.

pub const CERTIFICATE_PEM: &str = include_str!("fixtures/app-cert.pem");
pub const PRIVATE_KEY_PEM: &str = include_str!("fixtures/app-key.pem");
pub const OTHER_CERTIFICATE_PEM: &str = include_str!("fixtures/other-cert.pem");
pub const OTHER_PRIVATE_KEY_PEM: &str = include_str!("fixtures/other-key.pem");
