//! Certificate credentials (`private_key_jwt`, graph.md §1.3): a short-lived JWT signed with
//! the app's private key, naming the uploaded certificate by its SHA-256 thumbprint. PEM and the
//! little DER it needs are read by hand (no PEM/ASN.1 crates for two fields).

use super::GraphError;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use sha2::{Digest, Sha256};

/// Assertions live ten minutes: long enough for clock skew, short enough to be useless if leaked.
const LIFETIME_SECS: i64 = 600;

/// `rsaEncryption`, 1.2.840.113549.1.1.1, as DER OID content bytes.
const RSA_ENCRYPTION: [u8; 9] = [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];

/// Signs client assertions for one app registration.
pub(super) struct Signer {
    key: EncodingKey,
    /// base64url SHA-256 of the certificate's DER: the `x5t#S256` header.
    thumbprint: String,
}

#[derive(serde::Serialize)]
struct Claims<'a> {
    aud: &'a str,
    iss: &'a str,
    sub: &'a str,
    jti: &'a str,
    nbf: i64,
    iat: i64,
    exp: i64,
}

impl Signer {
    pub fn from_pem(private_key_pem: &str, certificate_pem: &str) -> Result<Signer, GraphError> {
        let cert = pem_blocks(certificate_pem)
            .into_iter()
            .find(|(label, _)| label == "CERTIFICATE")
            .ok_or_else(|| bad_credential("the certificate is not a PEM CERTIFICATE block"))?;
        let key = rsa_private_key(private_key_pem)?;
        let signer = Signer {
            key: EncodingKey::from_rsa_der(&key),
            thumbprint: URL_SAFE_NO_PAD.encode(Sha256::digest(&cert.1)),
        };
        // ring only checks the key when signing: fail now, while the admin is configuring.
        signer.assertion("https://invalid.example/token", "check", 0, "check")?;
        Ok(signer)
    }

    /// The signed JWT for `client_assertion`: `aud` is the exact token URL, `iss` = `sub` = the
    /// client id, `now` in seconds since the epoch.
    pub fn assertion(
        &self,
        token_url: &str,
        client_id: &str,
        now: i64,
        jti: &str,
    ) -> Result<String, GraphError> {
        let mut header = Header::new(Algorithm::PS256);
        header.x5t_s256 = Some(self.thumbprint.clone());
        let claims = Claims {
            aud: token_url,
            iss: client_id,
            sub: client_id,
            jti,
            nbf: now,
            iat: now,
            exp: now + LIFETIME_SECS,
        };
        jsonwebtoken::encode(&header, &claims, &self.key)
            .map_err(|_| bad_credential("the private key is not a usable RSA key"))
    }
}

fn bad_credential(what: &str) -> GraphError {
    GraphError::Config {
        code: "InvalidCertificateCredential".to_string(),
        message: format!("Certificate credential: {what}"),
        hint: "Give scimd the RSA private key (PEM, unencrypted, PKCS#1 or PKCS#8) and the PEM \
               certificate uploaded to the app registration."
            .to_string(),
    }
}

/// PKCS#1 DER of the RSA private key in `pem` (`RSA PRIVATE KEY`, or unwrapped from PKCS#8).
fn rsa_private_key(pem: &str) -> Result<Vec<u8>, GraphError> {
    for (label, der) in pem_blocks(pem) {
        match label.as_str() {
            "RSA PRIVATE KEY" => return Ok(der),
            "PRIVATE KEY" => {
                return pkcs8_rsa_key(&der)
                    .map(<[u8]>::to_vec)
                    .ok_or_else(|| bad_credential("the private key is not an RSA key"))
            }
            "ENCRYPTED PRIVATE KEY" => {
                return Err(bad_credential("encrypted private keys are not supported"))
            }
            _ => {}
        }
    }
    Err(bad_credential("no PEM private key found"))
}

/// `(label, DER)` of each well-formed PEM block, in order. Blocks with RFC 1421 headers
/// (legacy encrypted keys) are skipped: their body is not plain base64 DER.
fn pem_blocks(text: &str) -> Vec<(String, Vec<u8>)> {
    let mut blocks = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("-----BEGIN ") {
        let after = &rest[start + "-----BEGIN ".len()..];
        let Some(label_end) = after.find("-----") else {
            break;
        };
        let label = &after[..label_end];
        let body_and_rest = &after[label_end + "-----".len()..];
        let end_marker = format!("-----END {label}-----");
        let Some(body_end) = body_and_rest.find(&end_marker) else {
            break;
        };
        let body = &body_and_rest[..body_end];
        let b64: String = body.chars().filter(|c| !c.is_whitespace()).collect();
        if !body.contains(':') {
            if let Ok(der) = STANDARD.decode(b64) {
                blocks.push((label.to_string(), der));
            }
        }
        rest = &body_and_rest[body_end + end_marker.len()..];
    }
    blocks
}

/// One DER element: `(tag, content, rest)`.
fn der_element(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let (bytes, rest) = rest.split_at(n);
        let len = bytes
            .iter()
            .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
        (len, rest)
    };
    if rest.len() < len {
        return None;
    }
    let (content, rest) = rest.split_at(len);
    Some((tag, content, rest))
}

/// PKCS#8 `PrivateKeyInfo { version, AlgorithmIdentifier { rsaEncryption, NULL }, OCTET
/// STRING RSAPrivateKey }` → the inner PKCS#1 key.
fn pkcs8_rsa_key(der: &[u8]) -> Option<&[u8]> {
    let (0x30, info, _) = der_element(der)? else {
        return None;
    };
    let (0x02, _version, rest) = der_element(info)? else {
        return None;
    };
    let (0x30, algorithm, rest) = der_element(rest)? else {
        return None;
    };
    let (0x06, oid, _) = der_element(algorithm)? else {
        return None;
    };
    if oid != RSA_ENCRYPTION {
        return None;
    }
    let (0x04, key, _) = der_element(rest)? else {
        return None;
    };
    Some(key)
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use jsonwebtoken::{DecodingKey, Validation};
    use serde_json::Value;
    use std::process::Command;
    use std::sync::OnceLock;

    fn openssl(args: &[&str]) -> Vec<u8> {
        let out = Command::new("openssl")
            .args(args)
            .output()
            .expect("openssl");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    }

    pub struct TestCert {
        pub key_pkcs1: String,
        pub key_pkcs8: String,
        pub cert: String,
        pub cert_der: Vec<u8>,
        pub public_pkcs1_der: Vec<u8>,
    }

    /// One key and self-signed certificate per test process (openssl is slow).
    pub fn test_cert() -> &'static TestCert {
        static CERT: OnceLock<TestCert> = OnceLock::new();
        CERT.get_or_init(|| {
            let dir = std::env::temp_dir().join(format!("scimd-assertion-{}", std::process::id()));
            std::fs::create_dir_all(&dir).expect("temp dir");
            let path = |name: &str| dir.join(name).to_str().expect("path").to_string();
            let (key, cert) = (path("key.pem"), path("cert.pem"));
            openssl(&["genrsa", "-out", &key, "2048"]);
            openssl(&[
                "req",
                "-new",
                "-x509",
                "-key",
                &key,
                "-out",
                &cert,
                "-days",
                "2",
                "-subj",
                "/CN=scimd-test",
            ]);
            let t = TestCert {
                key_pkcs1: String::from_utf8(openssl(&["rsa", "-in", &key, "-traditional"]))
                    .expect("pem"),
                key_pkcs8: String::from_utf8(openssl(&[
                    "pkcs8", "-topk8", "-nocrypt", "-in", &key,
                ]))
                .expect("pem"),
                cert: std::fs::read_to_string(&cert).expect("cert"),
                cert_der: openssl(&["x509", "-in", &cert, "-outform", "DER"]),
                public_pkcs1_der: openssl(&[
                    "rsa",
                    "-in",
                    &key,
                    "-RSAPublicKey_out",
                    "-outform",
                    "DER",
                ]),
            };
            let _ = std::fs::remove_dir_all(&dir);
            t
        })
    }

    #[test]
    fn assertion_has_the_claims_and_header_entra_checks() {
        let t = test_cert();
        let url = "https://login.microsoftonline.com/tid/oauth2/v2.0/token";
        for key in [&t.key_pkcs1, &t.key_pkcs8] {
            let signer = Signer::from_pem(key, &t.cert).expect("signer");
            let jwt = signer
                .assertion(url, "client-1", 1_700_000_000, "jti-1")
                .expect("jwt");
            let header = jsonwebtoken::decode_header(&jwt).expect("header");
            assert_eq!(header.alg, Algorithm::PS256);
            assert_eq!(header.typ.as_deref(), Some("JWT"));
            assert_eq!(
                header.x5t_s256.as_deref(),
                Some(URL_SAFE_NO_PAD.encode(Sha256::digest(&t.cert_der)).as_str())
            );
            let mut v = Validation::new(Algorithm::PS256);
            v.set_audience(&[url]);
            v.validate_exp = false;
            let claims = jsonwebtoken::decode::<Value>(
                &jwt,
                &DecodingKey::from_rsa_der(&t.public_pkcs1_der),
                &v,
            )
            .expect("signature verifies")
            .claims;
            assert_eq!(claims["aud"], url);
            assert_eq!(claims["iss"], "client-1");
            assert_eq!(claims["sub"], "client-1");
            assert_eq!(claims["jti"], "jti-1");
            assert_eq!(claims["nbf"], 1_700_000_000);
            assert_eq!(claims["iat"], 1_700_000_000);
            assert_eq!(claims["exp"], 1_700_000_600);
        }
    }

    #[test]
    fn unusable_keys_and_certificates_are_configuration_errors() {
        let t = test_cert();
        for (key, cert) in [
            ("", t.cert.as_str()),
            (t.key_pkcs1.as_str(), ""),
            (t.cert.as_str(), t.cert.as_str()),
            (
                "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----",
                t.cert.as_str(),
            ),
            (
                "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----",
                t.cert.as_str(),
            ),
        ] {
            assert!(matches!(
                Signer::from_pem(key, cert),
                Err(GraphError::Config { .. })
            ));
        }
    }

    #[test]
    fn der_reader_rejects_truncated_input() {
        assert_eq!(der_element(&[0x30, 0x03, 1, 2]), None);
        assert_eq!(der_element(&[0x30, 0x82, 0x01]), None);
        assert_eq!(
            der_element(&[0x04, 0x81, 0x01, 9, 7]),
            Some((0x04, &[9u8][..], &[7u8][..]))
        );
        assert_eq!(pkcs8_rsa_key(&[0x30, 0x00]), None);
    }
}
