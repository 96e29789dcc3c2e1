//! The HTTP side: one catch-all actix handler (so every answer, even to garbage, is shaped
//! by the fake rather than by actix), the per-request pipeline shared with `$batch` items
//! (faults → dispatch → ids and cost headers → request log), and the server thread.

use crate::faults::{self, Effect};
use crate::graph;
use crate::reply::{GraphError, Reply, RequestIds};
use crate::request::Incoming;
use crate::state::{LoggedRequest, State};
use crate::token;
use actix_web::dev::ServerHandle;
use actix_web::http::StatusCode;
use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use std::net::TcpListener;
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Instant;

/// Largest request body read (token forms and `$batch` payloads are small).
const MAX_BODY: usize = 4 << 20;

pub(crate) struct Shared {
    state: Mutex<State>,
}

impl Shared {
    pub fn new(base: String) -> Shared {
        Shared {
            state: Mutex::new(State::new(base)),
        }
    }

    /// The state; a panic elsewhere never makes the fake unusable.
    pub fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// `/{tenant}/oauth2/v2.0/token` → the tenant.
fn token_tenant(path: &str) -> Option<&str> {
    let rest = path.strip_prefix('/')?;
    let (tenant, tail) = rest.split_once('/')?;
    (tail.eq_ignore_ascii_case("oauth2/v2.0/token") && !tenant.is_empty()).then_some(tenant)
}

fn is_graph(path: &str) -> bool {
    path.len() >= 5 && path.is_char_boundary(5) && path[..5].eq_ignore_ascii_case("/v1.0")
}

/// One request, top-level or a `$batch` item, start to finish.
pub(crate) fn handle(state: &mut State, req: &Incoming, batch_item: bool) -> Reply {
    let at = Instant::now();
    let ids = RequestIds::new(req.header("client-request-id"));
    let now = state.clock.now();
    let fault = faults::take(&mut state.faults, &req.method, &req.target());
    let effect = fault.map(|f| faults::effect(&f, &state.base, &req.path));
    let faulted = effect.is_some();
    let mut reply = match effect {
        Some(Effect::Fail(e)) => match token_tenant(&req.path) {
            Some(_) => token::platform_error(
                e.status,
                "temporarily_unavailable",
                90033,
                "A transient error has occurred. Please try again.",
                &state.base,
                req.header("client-request-id"),
                now,
            ),
            None => e.into_reply(&ids, now),
        },
        other => {
            let mut reply = dispatch(state, req, batch_item, &ids, now);
            match other {
                Some(Effect::Break(b)) => faults::apply(b, &mut reply),
                Some(Effect::Delay(d)) => reply.delay = Some(d),
                _ => {}
            }
            reply
        }
    };
    if is_graph(&req.path) {
        reply
            .headers
            .push(("request-id".into(), ids.request_id.clone()));
        reply.headers.push((
            "client-request-id".into(),
            ids.client_request_id
                .clone()
                .unwrap_or_else(|| ids.request_id.clone()),
        ));
        if reply.status < 300 {
            let units = reply.resource_units.to_string();
            reply.headers.push(("x-ms-resource-unit".into(), units));
        }
    }
    state.log.push(LoggedRequest {
        method: req.method.clone(),
        path: req.path.clone(),
        query: req.query.clone(),
        authorization: req.header("authorization").is_some(),
        consistency_level: req.header("consistencylevel").map(str::to_owned),
        throttle_priority: req.header("x-ms-throttle-priority").map(str::to_owned),
        prefer: req.header("prefer").map(str::to_owned),
        client_request_id: req.header("client-request-id").map(str::to_owned),
        status: reply.status,
        at,
        batch_item,
        faulted,
    });
    reply
}

fn dispatch(
    state: &mut State,
    req: &Incoming,
    batch_item: bool,
    ids: &RequestIds,
    now: u64,
) -> Reply {
    if let Some(tenant) = token_tenant(&req.path) {
        if !batch_item {
            return token::serve(state, tenant, req);
        }
    }
    let result = if is_graph(&req.path) {
        graph::serve(state, req, batch_item)
    } else {
        Err(GraphError::new(
            404,
            "UnknownError",
            "The fake serves the token endpoint (/{tenant}/oauth2/v2.0/token) and Graph v1.0 (/v1.0/...).",
        ))
    };
    result.unwrap_or_else(|e| e.into_reply(ids, now))
}

async fn entry(req: HttpRequest, payload: web::Payload, shared: web::Data<Shared>) -> HttpResponse {
    let body = payload.to_bytes_limited(MAX_BODY).await;
    let headers = req
        .headers()
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_ascii_lowercase(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let incoming = Incoming {
        method: req.method().as_str().to_owned(),
        path: req.path().to_owned(),
        query: req.query_string().to_owned(),
        headers,
        body: match body {
            Ok(Ok(b)) => b.to_vec(),
            _ => Vec::new(),
        },
    };
    let reply = {
        let mut state = shared.lock();
        handle(&mut state, &incoming, false)
    };
    if let Some(d) = reply.delay {
        actix_web::rt::time::sleep(d).await;
    }
    let status = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = HttpResponse::build(status);
    response.insert_header(("content-type", reply.content_type()));
    for (name, value) in &reply.headers {
        response.append_header((name.as_str(), value.as_str()));
    }
    response.body(reply.bytes())
}

/// The running server: actix on its own thread with its own System.
pub(crate) struct Running {
    handle: ServerHandle,
    thread: Option<JoinHandle<()>>,
}

pub(crate) fn start(listener: TcpListener, shared: Arc<Shared>) -> std::io::Result<Running> {
    let (tx, rx) = std::sync::mpsc::channel();
    let thread = std::thread::Builder::new()
        .name("graph-fake".into())
        .spawn(move || {
            let system = actix_web::rt::System::new();
            system.block_on(async move {
                let data = web::Data::from(shared);
                let server = HttpServer::new(move || {
                    App::new()
                        .app_data(data.clone())
                        .default_service(web::to(entry))
                })
                .workers(2)
                .disable_signals()
                .shutdown_timeout(0)
                .listen(listener);
                match server {
                    Ok(server) => {
                        let server = server.run();
                        let _ = tx.send(Ok(server.handle()));
                        let _ = server.await;
                    }
                    Err(e) => {
                        let _ = tx.send(Err(e));
                    }
                }
            });
        })?;
    let handle = rx
        .recv()
        .map_err(|_| std::io::Error::other("graph-fake server thread died"))??;
    Ok(Running {
        handle,
        thread: Some(thread),
    })
}

impl Drop for Running {
    fn drop(&mut self) {
        // `stop` sends the command at once; its future only waits for completion, which
        // joining the thread does without needing a runtime here.
        drop(self.handle.stop(false));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
