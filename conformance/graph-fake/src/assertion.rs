//! `private_key_jwt` client assertions (graph.md §1.3): the uploaded certificate's RSA key
//! and thumbprints, and the checks the identity platform makes on an assertion — claims
//! (`iss` = `sub` = client id, `aud` = the token URL, time window), the key named by
//! `x5t#S256`/`x5t`, and the RS256/PS256 signature.

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use ring::digest;
use ring::signature::{self, UnparsedPublicKey};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// A certificate uploaded to an app registration.
#[derive(Clone)]
pub(crate) struct Certificate {
    /// PKCS#1 `RSAPublicKey` DER, what ring verifies with.
    rsa_public_key: Vec<u8>,
    /// base64url SHA-256 of the DER certificate (`x5t#S256`).
    x5t_s256: String,
    /// base64url SHA-1 of the DER certificate (`x5t`, older clients).
    x5t: String,
}

impl Certificate {
    pub fn from_pem(pem: &str) -> Result<Certificate, String> {
        let der = pem_body(pem, "CERTIFICATE")?;
        let rsa_public_key = rsa_key_of(&der).ok_or("not an X.509 certificate with an RSA key")?;
        Ok(Certificate {
            rsa_public_key,
            x5t_s256: URL_SAFE_NO_PAD.encode(Sha256::digest(&der)),
            x5t: URL_SAFE_NO_PAD.encode(digest::digest(&digest::SHA1_FOR_LEGACY_USE_ONLY, &der)),
        })
    }
}

/// The DER bytes between `-----BEGIN {label}-----` and its END line.
fn pem_body(pem: &str, label: &str) -> Result<Vec<u8>, String> {
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let (_, rest) = pem.split_once(&begin).ok_or(format!("no {begin} line"))?;
    let (body, _) = rest.split_once(&end).ok_or(format!("no {end} line"))?;
    let b64: String = body.split_whitespace().collect();
    STANDARD
        .decode(b64)
        .map_err(|e| format!("bad base64 in PEM: {e}"))
}

/// One DER TLV: (tag, contents, rest).
fn tlv(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 {
            return None;
        }
        let (digits, rest) = (rest.get(..n)?, rest.get(n..)?);
        let len = digits
            .iter()
            .fold(0usize, |l, &b| (l << 8) | usize::from(b));
        (len, rest)
    };
    Some((tag, rest.get(..len)?, rest.get(len..)?))
}

const SEQUENCE: u8 = 0x30;
const BIT_STRING: u8 = 0x03;
const RSA_ENCRYPTION: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];

/// Certificate → tbsCertificate → subjectPublicKeyInfo → the RSAPublicKey in its BIT STRING.
fn rsa_key_of(cert: &[u8]) -> Option<Vec<u8>> {
    let (SEQUENCE, cert, _) = tlv(cert)? else {
        return None;
    };
    let (SEQUENCE, tbs, _) = tlv(cert)? else {
        return None;
    };
    let mut rest = tbs;
    // [0] version is optional; then serial, signature, issuer, validity, subject.
    if rest.first() == Some(&0xa0) {
        rest = tlv(rest)?.2;
    }
    for _ in 0..5 {
        rest = tlv(rest)?.2;
    }
    let (SEQUENCE, spki, _) = tlv(rest)? else {
        return None;
    };
    let (SEQUENCE, alg, key) = tlv(spki)? else {
        return None;
    };
    let (_, oid, _) = tlv(alg)?;
    if oid != RSA_ENCRYPTION {
        return None;
    }
    let (BIT_STRING, bits, _) = tlv(key)? else {
        return None;
    };
    let (&unused, key) = bits.split_first()?;
    (unused == 0).then(|| key.to_vec())
}

/// Why an assertion was refused: the AADSTS code and its description.
#[derive(Debug)]
pub(crate) struct Refusal {
    pub code: u32,
    pub message: String,
}

fn refuse(code: u32, message: impl Into<String>) -> Refusal {
    Refusal {
        code,
        message: message.into(),
    }
}

fn part(segment: &str) -> Option<Value> {
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(segment).ok()?).ok()
}

/// Checks `assertion` for `client_id` at `token_url`; `now` is wall-clock seconds.
pub(crate) fn verify(
    assertion: &str,
    client_id: &str,
    token_url: &str,
    certificates: &[Certificate],
    now: u64,
) -> Result<(), Refusal> {
    let malformed = || refuse(50027, "JWT token is invalid or malformed.");
    let mut parts = assertion.split('.');
    let (Some(h), Some(p), Some(s), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(malformed());
    };
    let header = part(h).ok_or_else(malformed)?;
    let claims = part(p).ok_or_else(malformed)?;
    let signature = URL_SAFE_NO_PAD.decode(s).map_err(|_| malformed())?;

    let claim = |name: &str| claims.get(name).and_then(Value::as_str).unwrap_or_default();
    if claim("iss") != client_id || claim("sub") != client_id {
        return Err(refuse(
            700021,
            "Client assertion application identifier doesn't match 'client_id' parameter. Review the documentation at https://learn.microsoft.com/entra/identity-platform/certificate-credentials .",
        ));
    }
    let aud_ok = match claims.get("aud") {
        Some(Value::String(a)) => a == token_url,
        Some(Value::Array(auds)) => auds.iter().any(|a| a.as_str() == Some(token_url)),
        _ => false,
    };
    if !aud_ok {
        return Err(refuse(
            700023,
            format!("Client assertion audience claim does not match Realm issuer. Review the documentation at https://learn.microsoft.com/entra/identity-platform/certificate-credentials . Expected audience: '{token_url}'."),
        ));
    }

    let thumbprint = header.get("x5t#S256").and_then(Value::as_str);
    let legacy = header.get("x5t").and_then(Value::as_str);
    let cert = certificates.iter().find(|c| {
        thumbprint.is_some_and(|t| t == c.x5t_s256) || legacy.is_some_and(|t| t == c.x5t)
    });
    let Some(cert) = cert else {
        return Err(refuse(
            700027,
            format!(
                "Client assertion contains an invalid signature. [Reason - The key was not found., Thumbprint of key used by client: '{}']",
                thumbprint.or(legacy).unwrap_or("none")
            ),
        ));
    };
    let algorithm: &dyn signature::VerificationAlgorithm =
        match header.get("alg").and_then(Value::as_str) {
            Some("RS256") => &signature::RSA_PKCS1_2048_8192_SHA256,
            Some("PS256") => &signature::RSA_PSS_2048_8192_SHA256,
            other => {
                return Err(refuse(
                    700027,
                    format!("Client assertion contains an invalid signature. [Reason - The algorithm {other:?} is not supported.]"),
                ))
            }
        };
    let signed = format!("{h}.{p}");
    UnparsedPublicKey::new(algorithm, &cert.rsa_public_key)
        .verify(signed.as_bytes(), &signature)
        .map_err(|_| {
            refuse(
                700027,
                "Client assertion contains an invalid signature. [Reason - The provided signature value did not match the expected signature value.]",
            )
        })?;

    let exp = claims.get("exp").and_then(Value::as_u64).unwrap_or(0);
    let nbf = claims.get("nbf").and_then(Value::as_u64).unwrap_or(0);
    // Five minutes of skew either way, as the identity platform allows.
    if exp.saturating_add(300) < now || nbf > now.saturating_add(300) {
        return Err(refuse(
            700024,
            format!("Client assertion is not within its valid time range. Current time: {now}, assertion valid from {nbf}, expiry time of assertion {exp}."),
        ));
    }
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::fixtures;
    use ring::rand::SystemRandom;
    use ring::signature::{RsaKeyPair, RSA_PKCS1_SHA256, RSA_PSS_SHA256};
    use serde_json::json;

    /// Signs `claims` as a client would (`alg` RS256 or PS256) with the fixture key `key_pem`,
    /// naming `cert_pem` in `x5t#S256`.
    pub(crate) fn sign(alg: &str, key_pem: &str, cert_pem: &str, claims: &Value) -> String {
        let cert = Certificate::from_pem(cert_pem).unwrap();
        let header = json!({ "alg": alg, "typ": "JWT", "x5t#S256": cert.x5t_s256 });
        let enc = |v: &Value| URL_SAFE_NO_PAD.encode(serde_json::to_vec(v).unwrap());
        let signed = format!("{}.{}", enc(&header), enc(claims));
        let key = RsaKeyPair::from_pkcs8(&pem_body(key_pem, "PRIVATE KEY").unwrap()).unwrap();
        let mut sig = vec![0; key.public().modulus_len()];
        let padding: &dyn ring::signature::RsaEncoding = if alg == "PS256" {
            &RSA_PSS_SHA256
        } else {
            &RSA_PKCS1_SHA256
        };
        key.sign(padding, &SystemRandom::new(), signed.as_bytes(), &mut sig)
            .unwrap();
        format!("{signed}.{}", URL_SAFE_NO_PAD.encode(sig))
    }

    pub(crate) fn claims(client_id: &str, aud: &str, now: u64) -> Value {
        json!({ "iss": client_id, "sub": client_id, "aud": aud, "jti": "x", "nbf": now, "iat": now, "exp": now + 600 })
    }

    #[test]
    fn reads_the_certificate() {
        let cert = Certificate::from_pem(fixtures::CERTIFICATE_PEM).unwrap();
        assert_eq!(cert.rsa_public_key[0], SEQUENCE);
        assert_eq!(cert.x5t_s256.len(), 43);
        assert!(Certificate::from_pem("nope").is_err());
        assert!(Certificate::from_pem(fixtures::PRIVATE_KEY_PEM).is_err());
    }

    #[test]
    fn verifies_claims_key_and_signature() {
        let certs = [Certificate::from_pem(fixtures::CERTIFICATE_PEM).unwrap()];
        let url = "http://127.0.0.1:1/t/oauth2/v2.0/token";
        let now = 1_800_000_000;
        let code = |jwt: &str| verify(jwt, "app", url, &certs, now).err().map(|r| r.code);
        let good = claims("app", url, now);
        for alg in ["RS256", "PS256"] {
            let jwt = sign(
                alg,
                fixtures::PRIVATE_KEY_PEM,
                fixtures::CERTIFICATE_PEM,
                &good,
            );
            assert_eq!(code(&jwt), None, "{alg}");
        }
        let jwt = sign(
            "RS256",
            fixtures::PRIVATE_KEY_PEM,
            fixtures::CERTIFICATE_PEM,
            &claims("other", url, now),
        );
        assert_eq!(code(&jwt), Some(700021));
        let jwt = sign(
            "RS256",
            fixtures::PRIVATE_KEY_PEM,
            fixtures::CERTIFICATE_PEM,
            &claims("app", "http://x/", now),
        );
        assert_eq!(code(&jwt), Some(700023));
        let jwt = sign(
            "RS256",
            fixtures::PRIVATE_KEY_PEM,
            fixtures::CERTIFICATE_PEM,
            &claims("app", url, now - 3600),
        );
        assert_eq!(code(&jwt), Some(700024));
        let jwt = sign(
            "RS256",
            fixtures::OTHER_PRIVATE_KEY_PEM,
            fixtures::OTHER_CERTIFICATE_PEM,
            &good,
        );
        assert_eq!(code(&jwt), Some(700027), "unknown certificate");
        let jwt = sign(
            "RS256",
            fixtures::OTHER_PRIVATE_KEY_PEM,
            fixtures::CERTIFICATE_PEM,
            &good,
        );
        assert_eq!(
            code(&jwt),
            Some(700027),
            "wrong key for the named certificate"
        );
        assert_eq!(code("a.b"), Some(50027));
        assert_eq!(code("!!.??.**"), Some(50027));
    }
}
