//! A real scimd on 127.0.0.1 for each test: the same `http::server` the binary runs, on a
//! background thread, against a fresh database of the chosen backend.

use scimd::clock::SystemClock;
use scimd::http::tls::Certificates;
use scimd::http::{self, AppState, HttpSettings};
use scimd::service::{Services, Settings};
use scimd::storage::Db;
use serde_json::Value;
use std::sync::Arc;

pub struct TestServer {
    /// `http://127.0.0.1:PORT`
    pub root: String,
    /// SCIM base of the first tenant as Entra would be configured: `{root}/t/acme/scim/v2`.
    pub base: String,
    pub token: String,
    pub services: Services,
    handle: actix_web::dev::ServerHandle,
    thread: Option<std::thread::JoinHandle<()>>,
}

/// One HTTP exchange's result.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub text: String,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or(Value::Null)
    }
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

impl TestServer {
    /// A server without the failed-authentication limit (tests send many bad credentials from
    /// 127.0.0.1; `start_with` keeps whatever the settings say).
    pub fn start(database_url: &str) -> TestServer {
        let settings = HttpSettings {
            auth_failure_limit: 0,
            ..HttpSettings::default()
        };
        Self::start_with(database_url, settings)
    }

    pub fn start_with(database_url: &str, settings: HttpSettings) -> TestServer {
        Self::start_custom(database_url, settings, Settings::default())
    }

    /// A server with these HTTP and service settings.
    pub fn start_custom(
        database_url: &str,
        settings: HttpSettings,
        service_settings: Settings,
    ) -> TestServer {
        Self::launch(database_url, settings, service_settings, None)
    }

    /// A server that speaks only HTTPS, with `certs`; `root` and `base` are `https://` URLs
    /// (which the ureq helpers cannot reach: `support::tls` has the client).
    pub fn start_tls(database_url: &str, certs: Arc<Certificates>) -> TestServer {
        let settings = HttpSettings {
            auth_failure_limit: 0,
            ..HttpSettings::default()
        };
        Self::launch(database_url, settings, Settings::default(), Some(certs))
    }

    fn launch(
        database_url: &str,
        settings: HttpSettings,
        service_settings: Settings,
        tls: Option<Arc<Certificates>>,
    ) -> TestServer {
        let db = Db::connect(database_url, 8).expect("connect");
        db.migrate().expect("migrate");
        let services = Services::new(db, Arc::new(SystemClock), service_settings);
        services.create_tenant("acme").expect("tenant");
        let token = services
            .create_token("acme", Some("test"))
            .expect("token")
            .token;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let scheme = if tls.is_some() { "https" } else { "http" };
        let root = format!("{scheme}://{}", listener.local_addr().expect("addr"));
        let state = AppState::new(
            services.clone(),
            HttpSettings {
                workers: 2,
                ..settings
            },
        );
        let (tx, rx) = std::sync::mpsc::channel();
        let thread = std::thread::spawn(move || {
            let sys = actix_web::rt::System::new();
            sys.block_on(async move {
                let server = http::server(listener, state, tls.as_ref()).expect("server");
                let _ = tx.send(server.handle());
                let _ = server.await;
            });
        });
        let handle = rx.recv().expect("server handle");
        TestServer {
            base: format!("{root}/t/acme/scim/v2"),
            root,
            token,
            services,
            handle,
            thread: Some(thread),
        }
    }

    /// A token for another tenant (created on first use).
    pub fn token_for(&self, tenant: &str) -> String {
        if self.services.tenant(tenant).ok().flatten().is_none() {
            self.services.create_tenant(tenant).expect("tenant");
        }
        self.services
            .create_token(tenant, None)
            .expect("token")
            .token
    }

    /// Send a request to `{base}{path}` (or an absolute URL) with the tenant's token.
    pub fn call(&self, method: &str, path: &str, body: Option<&Value>) -> Reply {
        self.call_as(&self.token, method, path, body)
    }

    pub fn call_as(&self, token: &str, method: &str, path: &str, body: Option<&Value>) -> Reply {
        let url = if path.starts_with("http") {
            path.to_string()
        } else {
            format!("{}{path}", self.base)
        };
        let req = ureq::request(method, &url).set("Authorization", &format!("Bearer {token}"));
        match body {
            Some(b) => send(
                req.set("Content-Type", "application/scim+json")
                    .send_string(&b.to_string()),
            ),
            None => send(req.call()),
        }
    }

    /// Raw request: arbitrary headers and body text.
    pub fn raw(
        &self,
        method: &str,
        url: &str,
        headers: &[(&str, &str)],
        body: Option<&str>,
    ) -> Reply {
        let mut req = ureq::request(method, url);
        for (k, v) in headers {
            req = req.set(k, v);
        }
        match body {
            Some(b) => send(req.send_string(b)),
            None => send(req.call()),
        }
    }

    pub fn get(&self, path: &str) -> Reply {
        self.call("GET", path, None)
    }
    pub fn post(&self, path: &str, body: &Value) -> Reply {
        self.call("POST", path, Some(body))
    }
    pub fn patch(&self, path: &str, body: &Value) -> Reply {
        self.call("PATCH", path, Some(body))
    }
    pub fn put(&self, path: &str, body: &Value) -> Reply {
        self.call("PUT", path, Some(body))
    }
    pub fn delete(&self, path: &str) -> Reply {
        self.call("DELETE", path, None)
    }
}

/// The reply of a request, whatever its status (ureq reports 4xx/5xx as errors).
pub fn send(result: Result<ureq::Response, ureq::Error>) -> Reply {
    let resp = match result {
        Ok(r) => r,
        Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("transport error: {e}"),
    };
    let status = resp.status();
    let headers = resp
        .headers_names()
        .into_iter()
        .filter_map(|n| resp.header(&n).map(|v| (n.clone(), v.to_string())))
        .collect();
    let text = resp.into_string().unwrap_or_default();
    Reply {
        status,
        headers,
        text,
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        let stop = self.handle.stop(false);
        drop(stop);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
