//! TLS fixtures: self-signed certificates made with the `openssl` CLI, and a rustls client that
//! trusts only the ones it is given and reports what the handshake negotiated and which
//! certificate the server presented.

pub use super::jwks::openssl;
use rustls::pki_types::{CertificateDer, ServerName};
use rustls::{ClientConfig, ClientConnection, ProtocolVersion, SupportedProtocolVersion};
use scimd::http::tls::TlsFiles;
use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// A self-signed P-256 certificate for `localhost` and 127.0.0.1 (not a CA, as rustls' verifier
/// requires of a server certificate), with its key, in PEM files.
pub struct SelfSigned {
    pub cert: PathBuf,
    pub key: PathBuf,
    /// The certificate's DER, to trust it and to recognise it.
    pub der: Vec<u8>,
}

impl SelfSigned {
    /// A new certificate and key in `dir`, named after `name`.
    pub fn generate(dir: &Path, name: &str) -> SelfSigned {
        let cert = dir.join(format!("{name}-cert.pem"));
        let key = dir.join(format!("{name}-key.pem"));
        let (c, k) = (cert.to_str().expect("path"), key.to_str().expect("path"));
        openssl(&[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-keyout",
            k,
            "-out",
            c,
            "-days",
            "2",
            "-subj",
            &format!("/CN=localhost/O={name}"),
            "-addext",
            "subjectAltName=DNS:localhost,IP:127.0.0.1",
            "-addext",
            "basicConstraints=critical,CA:FALSE",
        ]);
        let der = openssl(&["x509", "-in", c, "-outform", "DER"]);
        SelfSigned { cert, key, der }
    }

    pub fn files(&self) -> TlsFiles {
        TlsFiles {
            cert_chain: self.cert.clone(),
            private_key: self.key.clone(),
        }
    }

    /// Put this certificate and key where `files` point (as a renewal would).
    pub fn install_at(&self, files: &TlsFiles) {
        std::fs::copy(&self.cert, &files.cert_chain).expect("copy certificate");
        std::fs::copy(&self.key, &files.private_key).expect("copy key");
    }

    /// A rustls client configuration that trusts this certificate only, offering `versions`.
    pub fn client_config(&self, versions: &[&'static SupportedProtocolVersion]) -> ClientConfig {
        trusting(&[self], versions)
    }
}

/// A rustls client configuration that trusts these certificates only, offering `versions`.
pub fn trusting(
    certs: &[&SelfSigned],
    versions: &[&'static SupportedProtocolVersion],
) -> ClientConfig {
    let mut roots = rustls::RootCertStore::empty();
    for c in certs {
        roots
            .add(CertificateDer::from(c.der.clone()))
            .expect("trust the certificate");
    }
    ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_protocol_versions(versions)
        .expect("versions")
        .with_root_certificates(roots)
        .with_no_client_auth()
}

/// What one HTTPS exchange negotiated and returned.
#[derive(Debug)]
pub struct Handshake {
    pub version: ProtocolVersion,
    /// The server's end-entity certificate (DER).
    pub certificate: Vec<u8>,
    /// The HTTP response, head and body.
    pub response: String,
}

/// `GET path` over TLS to `addr` (`127.0.0.1:PORT`) as `localhost`, with `config`; `Err` with
/// rustls' or the socket's message when the handshake or the exchange fails.
pub fn get(addr: &str, config: ClientConfig, path: &str) -> Result<Handshake, String> {
    let name = ServerName::try_from("localhost").map_err(|e| e.to_string())?;
    let conn = ClientConnection::new(Arc::new(config), name).map_err(|e| e.to_string())?;
    let sock = TcpStream::connect(addr).map_err(|e| e.to_string())?;
    sock.set_read_timeout(Some(Duration::from_secs(10)))
        .map_err(|e| e.to_string())?;
    let mut tls = rustls::StreamOwned::new(conn, sock);
    write!(
        tls,
        "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    )
    .map_err(|e| e.to_string())?;
    let mut body = Vec::new();
    match tls.read_to_end(&mut body) {
        Ok(_) => {}
        // A peer that closes without close_notify after a complete response is fine here.
        Err(e) if e.kind() == ErrorKind::UnexpectedEof && !body.is_empty() => {}
        Err(e) => return Err(e.to_string()),
    }
    let version = tls.conn.protocol_version().ok_or("no protocol version")?;
    let certificate = tls
        .conn
        .peer_certificates()
        .and_then(|c| c.first())
        .map(|c| c.to_vec())
        .ok_or("no server certificate")?;
    Ok(Handshake {
        version,
        certificate,
        response: String::from_utf8_lossy(&body).into_owned(),
    })
}

/// `host:port` of an `https://host:port` root.
pub fn addr_of(root: &str) -> &str {
    root.trim_start_matches("https://")
}
