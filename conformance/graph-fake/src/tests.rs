//! HTTP-level tests: the fake driven over real sockets, as scimd's client will drive it.

mod batch;
mod client;
mod delta;
mod faults;
mod lists;
mod robustness;
mod scale;
mod token;

use crate::{FakeGraph, NewUser};
use client::{send, Response};
use serde_json::Value;

pub(crate) const TENANT: &str = "6f1c2a4e-0000-4000-8000-00000000a11c";
pub(crate) const CLIENT: &str = "0a0a0a0a-1111-4222-8333-444444444444";
pub(crate) const SECRET: &str = "s3cret~value";

/// A running fake with one tenant, one consented app and a token for it.
pub(crate) struct Env {
    pub fake: FakeGraph,
    pub token: String,
}

pub(crate) fn form_encode(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", crate::query::encode(k), crate::query::encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

impl Env {
    pub fn new() -> Env {
        let fake = FakeGraph::start();
        fake.add_tenant(TENANT);
        fake.add_app(TENANT, CLIENT, SECRET);
        let mut env = Env {
            fake,
            token: String::new(),
        };
        env.token = env.fresh_token();
        env
    }

    pub fn token_request(
        &self,
        tenant: &str,
        form: &[(&str, &str)],
        headers: &[(&str, &str)],
    ) -> Response {
        let mut h = vec![("Content-Type", "application/x-www-form-urlencoded")];
        h.extend_from_slice(headers);
        send(
            &self.fake.url(),
            "POST",
            &format!("/{tenant}/oauth2/v2.0/token"),
            &h,
            form_encode(form).as_bytes(),
        )
    }

    pub fn fresh_token(&self) -> String {
        let scope = self.fake.scope();
        let r = self.token_request(
            TENANT,
            &[
                ("grant_type", "client_credentials"),
                ("client_id", CLIENT),
                ("client_secret", SECRET),
                ("scope", &scope),
            ],
            &[],
        );
        assert_eq!(r.status, 200, "{}", r.text());
        r.json()["access_token"].as_str().unwrap().to_owned()
    }

    /// GET a Graph target (`/v1.0/...`) with the token and extra headers.
    pub fn get_with(&self, target: &str, headers: &[(&str, &str)]) -> Response {
        let auth = format!("Bearer {}", self.token);
        let mut h = vec![("Authorization", auth.as_str())];
        h.extend_from_slice(headers);
        send(&self.fake.url(), "GET", target, &h, b"")
    }

    pub fn get(&self, target: &str) -> Response {
        self.get_with(target, &[])
    }

    /// Follows an absolute link the fake handed out (it must point at the fake).
    pub fn follow(&self, link: &str, headers: &[(&str, &str)]) -> Response {
        let target = link
            .strip_prefix(&self.fake.url())
            .unwrap_or_else(|| panic!("foreign link {link}"));
        self.get_with(target, headers)
    }

    /// Every page of a list: (items, number of pages).
    pub fn all_pages(&self, target: &str, headers: &[(&str, &str)]) -> (Vec<Value>, usize) {
        let mut r = self.get_with(target, headers);
        let mut items = Vec::new();
        let mut pages = 0;
        loop {
            assert_eq!(r.status, 200, "{}", r.text());
            let body = r.json();
            pages += 1;
            items.extend(
                body["value"]
                    .as_array()
                    .expect("value array")
                    .iter()
                    .cloned(),
            );
            match body["@odata.nextLink"].as_str() {
                Some(next) => r = self.follow(next, headers),
                None => return (items, pages),
            }
        }
    }

    pub fn user(&self, name: &str) -> String {
        self.fake.create_user(TENANT, NewUser::named(name))
    }
}

pub(crate) fn ids(items: &[Value]) -> Vec<String> {
    items
        .iter()
        .map(|v| v["id"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[test]
fn the_fake_can_be_shared_across_threads() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<FakeGraph>();
}
