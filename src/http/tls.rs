//! TLS termination: rustls on the ring provider, TLS 1.2 and 1.3 only (Entra requires 1.2 or
//! later). The certificate chain and private key come from PEM files and can be read again while
//! the server runs ([`Certificates::reload`], on SIGHUP in `scimd serve`): new handshakes get
//! the new certificate, the listener and open connections stay. A reload that fails keeps the
//! certificate being served.

use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::sync::{Arc, PoisonError, RwLock};

/// Where the PEM files are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    /// The server certificate first, then the intermediates.
    pub cert_chain: PathBuf,
    /// PKCS#8, PKCS#1 (RSA) or SEC1 (EC), unencrypted.
    pub private_key: PathBuf,
}

#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {detail}")]
    Pem { path: PathBuf, detail: String },
    #[error("{path} holds no PEM certificate (-----BEGIN CERTIFICATE-----)")]
    NoCertificate { path: PathBuf },
    #[error("{path} holds no unencrypted PEM private key (PKCS#8, PKCS#1 or SEC1)")]
    NoKey { path: PathBuf },
    #[error("{path}: unusable private key: {detail}")]
    Key { path: PathBuf, detail: String },
    #[error("the key in {key} does not belong to the first certificate in {cert}: {detail}")]
    Mismatch {
        cert: PathBuf,
        key: PathBuf,
        detail: String,
    },
    #[error("TLS configuration: {0}")]
    Config(rustls::Error),
}

/// The certificate being served, swapped whole on reload. Also the rustls certificate resolver,
/// so a swap reaches every worker's next handshake without rebuilding the server.
#[derive(Debug)]
pub struct Certificates {
    files: TlsFiles,
    provider: Arc<CryptoProvider>,
    current: RwLock<Arc<CertifiedKey>>,
}

impl Certificates {
    /// Read and check both files (the key must belong to the first certificate).
    pub fn load(files: TlsFiles) -> Result<Arc<Certificates>, TlsError> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let key = read_pair(&files, &provider)?;
        Ok(Arc::new(Certificates {
            files,
            provider,
            current: RwLock::new(Arc::new(key)),
        }))
    }

    /// Read the files again and serve what they hold from the next handshake on; on error the
    /// previous certificate stays.
    pub fn reload(&self) -> Result<(), TlsError> {
        let key = read_pair(&self.files, &self.provider)?;
        *self.current.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(key);
        Ok(())
    }

    /// [`reload`](Self::reload), saying in the server log what happened.
    pub fn reload_and_log(&self) {
        match self.reload() {
            Ok(()) => log::info!("TLS certificate reloaded: {}", self.describe()),
            Err(e) => log::error!(
                "TLS certificate not reloaded, still serving the previous one ({}): {e}",
                self.describe()
            ),
        }
    }

    /// `sha256:<hex>, chain of N, from <path>`: the served certificate's fingerprint, to compare
    /// with `openssl x509 -noout -fingerprint -sha256`.
    pub fn describe(&self) -> String {
        let current = self.current();
        let fingerprint = current
            .cert
            .first()
            .map(|c| format!("{:x}", Sha256::digest(c.as_ref())))
            .unwrap_or_default();
        format!(
            "sha256:{fingerprint}, chain of {}, from {}",
            current.cert.len(),
            self.files.cert_chain.display()
        )
    }

    /// The certificate chain and key being served.
    pub fn current(&self) -> Arc<CertifiedKey> {
        self.current
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// A rustls server configuration that serves whatever is current.
    pub fn server_config(self: &Arc<Self>) -> Result<rustls::ServerConfig, TlsError> {
        let versions = [&rustls::version::TLS13, &rustls::version::TLS12];
        Ok(
            rustls::ServerConfig::builder_with_provider(self.provider.clone())
                .with_protocol_versions(&versions)
                .map_err(TlsError::Config)?
                .with_no_client_auth()
                .with_cert_resolver(self.clone()),
        )
    }
}

impl ResolvesServerCert for Certificates {
    fn resolve(&self, _: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.current())
    }
}

/// Reload `certs` each time the process receives SIGHUP; without TLS, SIGHUP is only logged
/// (rather than ending the process abruptly, its default). Call from within the server's actix
/// system. A signal handler is process-wide, so `scimd serve` installs it rather than
/// `http::server` (tests run many servers in one process and call `reload` directly).
#[cfg(unix)]
pub fn reload_on_sighup(certs: Option<Arc<Certificates>>) -> std::io::Result<()> {
    use actix_web::rt::signal::unix::{signal, SignalKind};
    let mut hangup = signal(SignalKind::hangup())?;
    actix_web::rt::spawn(async move {
        while hangup.recv().await.is_some() {
            match &certs {
                Some(certs) => {
                    log::info!("SIGHUP: reloading the TLS certificate");
                    certs.reload_and_log();
                }
                None => log::info!("SIGHUP: no TLS certificate to reload (plain HTTP)"),
            }
        }
    });
    Ok(())
}

#[cfg(not(unix))]
pub fn reload_on_sighup(_: Option<Arc<Certificates>>) -> std::io::Result<()> {
    Ok(())
}

fn read_pair(files: &TlsFiles, provider: &CryptoProvider) -> Result<CertifiedKey, TlsError> {
    let cert_pem = read(&files.cert_chain)?;
    let key_pem = read(&files.private_key)?;
    let pem_error = |path: &Path, e: rustls::pki_types::pem::Error| TlsError::Pem {
        path: path.into(),
        detail: e.to_string(),
    };
    let chain = CertificateDer::pem_slice_iter(&cert_pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| pem_error(&files.cert_chain, e))?;
    if chain.is_empty() {
        return Err(TlsError::NoCertificate {
            path: files.cert_chain.clone(),
        });
    }
    let key = match PrivateKeyDer::from_pem_slice(&key_pem) {
        Ok(key) => key,
        Err(rustls::pki_types::pem::Error::NoItemsFound) => {
            return Err(TlsError::NoKey {
                path: files.private_key.clone(),
            })
        }
        Err(e) => return Err(pem_error(&files.private_key, e)),
    };
    let key = provider
        .key_provider
        .load_private_key(key)
        .map_err(|e| TlsError::Key {
            path: files.private_key.clone(),
            detail: e.to_string(),
        })?;
    let pair = CertifiedKey::new(chain, key);
    match pair.keys_match() {
        // A key type whose public half rustls cannot compare is let through, as rustls does.
        Ok(()) | Err(rustls::Error::InconsistentKeys(rustls::InconsistentKeys::Unknown)) => {
            Ok(pair)
        }
        Err(e) => Err(TlsError::Mismatch {
            cert: files.cert_chain.clone(),
            key: files.private_key.clone(),
            detail: e.to_string(),
        }),
    }
}

fn read(path: &Path) -> Result<Vec<u8>, TlsError> {
    std::fs::read(path).map_err(|source| TlsError::Read {
        path: path.into(),
        source,
    })
}
