//! The admin console at `/admin`: HTTP-level tests on every backend (login, forms, 4xx pages,
//! escaping) and headless-Chromium tests that click through it and take screenshots.

mod bad_input;
mod browser;
mod escaping;
mod pages;
mod sync;

use crate::support::server::{send, Reply};
use crate::support::TestServer;

/// A console client: no redirect following, the session cookie sent when logged in.
pub struct Console<'a> {
    pub s: &'a TestServer,
    pub cookie: Option<String>,
    agent: ureq::Agent,
}

impl<'a> Console<'a> {
    pub fn anonymous(s: &'a TestServer) -> Self {
        Console {
            s,
            cookie: None,
            agent: ureq::AgentBuilder::new().redirects(0).build(),
        }
    }

    /// Logged in with a fresh admin token.
    pub fn login(s: &'a TestServer) -> Self {
        let mut c = Self::anonymous(s);
        let admin = s
            .services
            .create_admin_token(Some("test"))
            .expect("admin token");
        let r = c.form("/admin/login", &[("token", &admin.token)]);
        assert_eq!(r.status, 303, "{}", r.text);
        let set = r.header("set-cookie").expect("Set-Cookie").to_string();
        let pair = set.split(';').next().unwrap_or_default().to_string();
        c.cookie = Some(pair);
        c
    }

    pub fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&str>,
    ) -> Reply {
        let mut req = self
            .agent
            .request(method, &format!("{}{path}", self.s.root));
        if let Some(c) = &self.cookie {
            req = req.set("Cookie", c);
        }
        for (k, v) in headers {
            req = req.set(k, v);
        }
        send(match body {
            Some(b) => req.send_string(b),
            None => req.call(),
        })
    }

    pub fn get(&self, path: &str) -> Reply {
        self.request("GET", path, &[], None)
    }

    /// POST an urlencoded form.
    pub fn form(&self, path: &str, fields: &[(&str, &str)]) -> Reply {
        let body: Vec<String> = fields
            .iter()
            .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
            .collect();
        self.request(
            "POST",
            path,
            &[("Content-Type", "application/x-www-form-urlencoded")],
            Some(&body.join("&")),
        )
    }
}

pub fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// Assert an HTML page with this status, and return its text.
#[track_caller]
pub fn html(r: &Reply, status: u16) -> &str {
    assert_eq!(
        r.status, status,
        "expected {status}, got {}: {}",
        r.status, r.text
    );
    assert_eq!(
        r.header("content-type"),
        Some("text/html; charset=utf-8"),
        "{}",
        r.text
    );
    &r.text
}

/// The text between `<tag id="{id}">` … `<`.
pub fn by_id<'t>(page: &'t str, id: &str) -> Option<&'t str> {
    let marker = format!("id=\"{id}\">");
    let start = page.find(&marker)? + marker.len();
    let end = page[start..].find('<')? + start;
    Some(&page[start..end])
}
