//! Opaque, tamper-evident state tokens (`$skiptoken`, `$deltatoken`): the JSON payload in
//! base64url plus a truncated HMAC-SHA256 under a key that lives and dies with the server.
//! An edited, truncated or foreign token fails to open.

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use ring::hmac;
use serde::de::DeserializeOwned;
use serde::Serialize;

/// Bytes of the tag kept: plenty against guessing, short enough for URLs.
const TAG: usize = 16;

pub(crate) struct Sealer {
    key: hmac::Key,
}

impl Sealer {
    pub fn new() -> Sealer {
        let mut secret = [0u8; 32];
        // A zero key would still be a key; failure to read entropy only weakens the fake.
        let _ = getrandom::getrandom(&mut secret);
        Sealer {
            key: hmac::Key::new(hmac::HMAC_SHA256, &secret),
        }
    }

    pub fn seal<T: Serialize>(&self, payload: &T) -> String {
        let body = B64.encode(serde_json::to_vec(payload).unwrap_or_default());
        let tag = hmac::sign(&self.key, body.as_bytes());
        let tag = tag.as_ref().get(..TAG).unwrap_or_default();
        format!("{body}.{}", B64.encode(tag))
    }

    pub fn open<T: DeserializeOwned>(&self, token: &str) -> Option<T> {
        let (body, tag) = token.split_once('.')?;
        let tag = B64.decode(tag).ok()?;
        let expected = hmac::sign(&self.key, body.as_bytes());
        if tag.len() != TAG || expected.as_ref().get(..TAG)? != tag.as_slice() {
            return None;
        }
        serde_json::from_slice(&B64.decode(body).ok()?).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_rejects_edits() {
        let sealer = Sealer::new();
        let token = sealer.seal(&("users", 42u64));
        assert_eq!(
            sealer.open::<(String, u64)>(&token),
            Some(("users".into(), 42))
        );
        let mut edited = token.clone().into_bytes();
        edited[3] = if edited[3] == b'A' { b'B' } else { b'A' };
        let edited = String::from_utf8(edited).unwrap();
        assert_eq!(sealer.open::<(String, u64)>(&edited), None);
        assert_eq!(
            Sealer::new().open::<(String, u64)>(&token),
            None,
            "other server"
        );
        assert_eq!(sealer.open::<(String, u64)>("garbage"), None);
    }
}
