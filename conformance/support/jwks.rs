//! Stand-ins for Entra's signing side: RSA keys made with the `openssl` CLI, and a tiny HTTP
//! server on 127.0.0.1 serving OpenID metadata and a JWK set that tests can change, counting
//! how often each is fetched.

use base64::Engine;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{json, Value};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

/// An RSA key pair: the private key (PKCS#1 DER, for signing) and the JWK of its public half.
#[derive(Clone)]
pub struct RsaKey {
    der: Vec<u8>,
    n: String,
}

/// Run the openssl CLI; its stdout, or a panic with its stderr.
pub fn openssl(args: &[&str]) -> Vec<u8> {
    let out = Command::new("openssl")
        .args(args)
        .output()
        .expect("run openssl");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

impl RsaKey {
    fn generate() -> RsaKey {
        let dir = super::temp_dir("scimd-rsa");
        let pem = dir.join("key.pem");
        let pem = pem.to_str().expect("path");
        openssl(&["genrsa", "-out", pem, "2048"]);
        let der = openssl(&["rsa", "-in", pem, "-traditional", "-outform", "DER"]);
        let modulus =
            String::from_utf8(openssl(&["rsa", "-in", pem, "-noout", "-modulus"])).expect("utf-8");
        let hex = modulus.trim().trim_start_matches("Modulus=");
        let bytes: Vec<u8> = (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).expect("hex"))
            .collect();
        let _ = std::fs::remove_dir_all(&dir);
        RsaKey {
            der,
            n: base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes),
        }
    }

    /// The `i`th of a few keys made once per test process (key generation is slow).
    pub fn shared(i: usize) -> RsaKey {
        static KEYS: OnceLock<Vec<RsaKey>> = OnceLock::new();
        KEYS.get_or_init(|| (0..3).map(|_| RsaKey::generate()).collect())[i].clone()
    }

    pub fn jwk(&self, kid: &str) -> Value {
        json!({"kty": "RSA", "use": "sig", "kid": kid, "n": self.n, "e": "AQAB", "alg": "RS256"})
    }

    /// An RS256 JWT with these claims, `kid` in the header when given.
    pub fn sign(&self, kid: Option<&str>, claims: &Value) -> String {
        let mut header = Header::new(Algorithm::RS256);
        header.kid = kid.map(str::to_string);
        jsonwebtoken::encode(&header, claims, &EncodingKey::from_rsa_der(&self.der)).expect("sign")
    }
}

/// Serves `GET /metadata` (OpenID metadata naming `/keys`) and `GET /keys` (the JWK set).
pub struct JwksServer {
    pub root: String,
    keys: Arc<Mutex<Value>>,
    fetches: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
}

impl JwksServer {
    pub fn start(keys: Value) -> JwksServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let root = format!("http://{}", listener.local_addr().expect("addr"));
        let keys = Arc::new(Mutex::new(keys));
        let fetches = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (k, f, s, r) = (keys.clone(), fetches.clone(), stop.clone(), root.clone());
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                if s.load(Ordering::SeqCst) {
                    break;
                }
                if let Ok(conn) = conn {
                    serve(conn, &r, &k, &f);
                }
            }
        });
        JwksServer {
            root,
            keys,
            fetches,
            stop,
        }
    }

    pub fn metadata_url(&self) -> String {
        format!("{}/metadata", self.root)
    }

    pub fn set_keys(&self, keys: Value) {
        *self.keys.lock().unwrap() = keys;
    }

    /// How many times the key set was fetched.
    pub fn fetches(&self) -> usize {
        self.fetches.load(Ordering::SeqCst)
    }
}

fn serve(mut conn: TcpStream, root: &str, keys: &Mutex<Value>, fetches: &AtomicUsize) {
    let mut buf = [0u8; 4096];
    let mut req = Vec::new();
    while !req.windows(4).any(|w| w == b"\r\n\r\n") {
        match conn.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => req.extend_from_slice(&buf[..n]),
        }
    }
    let line = String::from_utf8_lossy(&req);
    let path = line.split_whitespace().nth(1).unwrap_or_default();
    let (status, body) = match path {
        "/metadata" => ("200 OK", json!({"jwks_uri": format!("{root}/keys")})),
        "/keys" => {
            fetches.fetch_add(1, Ordering::SeqCst);
            ("200 OK", keys.lock().unwrap().clone())
        }
        _ => ("404 Not Found", json!({})),
    };
    let body = body.to_string();
    let _ = write!(
        conn,
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
}

impl Drop for JwksServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect(self.root.trim_start_matches("http://"));
    }
}
