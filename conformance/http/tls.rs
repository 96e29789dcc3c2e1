//! TLS termination: HTTPS with TLS 1.2 and 1.3 and nothing older, the SCIM API over it, and the
//! certificate reloaded in place (the `reload` entry point in-process; SIGHUP on the real binary,
//! since a signal handler would reach every server of this shared test process).

use super::expect;
use crate::support::server::{send, TestServer};
use crate::support::tls::{addr_of, get, openssl, trusting, SelfSigned};
use crate::support::{scimd_env, sqlite, temp_dir};
use rustls::version::{TLS12, TLS13};
use rustls::ProtocolVersion;
use scimd::http::tls::{Certificates, TlsFiles};
use serde_json::json;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Both versions, what a client normally offers.
const ANY: &[&rustls::SupportedProtocolVersion] = &[&TLS13, &TLS12];

#[test]
fn https_speaks_tls_1_2_and_1_3_with_the_configured_certificate() {
    let dir = temp_dir("scimd-tls");
    let cert = SelfSigned::generate(&dir, "one");
    let db = sqlite();
    let s = TestServer::start_tls(&db.url, Certificates::load(cert.files()).expect("load"));
    let addr = addr_of(&s.root);
    for (version, expected) in [
        (&TLS13, ProtocolVersion::TLSv1_3),
        (&TLS12, ProtocolVersion::TLSv1_2),
    ] {
        let h = get(addr, cert.client_config(&[version]), "/healthz").expect("handshake");
        assert_eq!(h.version, expected);
        assert_eq!(h.certificate, cert.der, "the configured certificate");
        assert!(h.response.starts_with("HTTP/1.1 200"), "{}", h.response);
    }
    // A client that trusts another certificate refuses this server: the check above is real.
    let other = SelfSigned::generate(&dir, "other");
    let refused = get(addr, other.client_config(ANY), "/healthz").unwrap_err();
    assert!(refused.contains("certificate"), "{refused}");
    // Plain HTTP on the TLS port gets no HTTP answer.
    let plain = ureq::get(&format!("http://{addr}/healthz"))
        .timeout(Duration::from_secs(10))
        .call();
    assert!(matches!(plain, Err(ureq::Error::Transport(_))), "{plain:?}");

    // The SCIM API over HTTPS, with URLs that say https.
    let agent = ureq::AgentBuilder::new()
        .tls_config(std::sync::Arc::new(cert.client_config(ANY)))
        .build();
    let r = send(
        agent
            .post(&format!("{}/Users", s.base))
            .set("Authorization", &format!("Bearer {}", s.token))
            .set("Content-Type", "application/scim+json")
            .send_string(&json!({"userName": "tls@x"}).to_string()),
    );
    let user = expect(&r, 201);
    let location = user["meta"]["location"].as_str().unwrap_or_default();
    assert!(location.starts_with(&s.base), "{location}");
    assert!(location.starts_with("https://"), "{location}");
    let _ = std::fs::remove_dir_all(dir);
}

/// TLS 1.1 and 1.0 are refused by the server: the openssl CLI is allowed to offer them (security
/// level 0), and the server answers the hello with an alert and no certificate (an openssl that
/// would not offer them prints no alert, failing the test). The same command with TLS 1.2 gets
/// through.
#[test]
fn tls_1_1_and_older_are_refused() {
    let dir = temp_dir("scimd-tls");
    let cert = SelfSigned::generate(&dir, "one");
    let db = sqlite();
    let s = TestServer::start_tls(&db.url, Certificates::load(cert.files()).expect("load"));
    let addr = addr_of(&s.root);
    let s_client = |version: &str| {
        let out = Command::new("openssl")
            .args(["s_client", "-connect", addr, "-servername", "localhost"])
            .args([version, "-cipher", "DEFAULT@SECLEVEL=0", "-ign_eof"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .and_then(|mut child| {
                use std::io::Write;
                if let Some(mut stdin) = child.stdin.take() {
                    let _ = stdin.write_all(
                        b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
                    );
                }
                child.wait_with_output()
            })
            .expect("run openssl s_client");
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    };
    let tls12 = s_client("-tls1_2");
    assert!(tls12.contains("HTTP/1.1 200"), "{tls12}");
    for old in ["-tls1_1", "-tls1"] {
        let out = s_client(old);
        assert!(out.contains("alert"), "the server sent no alert: {out}");
        assert!(out.contains("no peer certificate available"), "{out}");
        assert!(!out.contains("HTTP/1.1"), "{out}");
    }
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn reload_serves_the_new_certificate_and_keeps_the_old_one_when_the_files_are_bad() {
    let dir = temp_dir("scimd-tls");
    let (one, two) = (
        SelfSigned::generate(&dir, "one"),
        SelfSigned::generate(&dir, "two"),
    );
    let live = TlsFiles {
        cert_chain: dir.join("live-cert.pem"),
        private_key: dir.join("live-key.pem"),
    };
    one.install_at(&live);
    let certs = Certificates::load(live.clone()).expect("load");
    let db = sqlite();
    let s = TestServer::start_tls(&db.url, certs.clone());
    let addr = addr_of(&s.root);
    // Trusting both, the client reports which one it was shown.
    let served = || {
        get(addr, trusting(&[&one, &two], ANY), "/healthz")
            .expect("handshake")
            .certificate
    };
    assert_eq!(served(), one.der);

    // Half-renewed: the new certificate with the old key. Refused; the old pair stays.
    std::fs::copy(&two.cert, &live.cert_chain).expect("copy");
    let e = certs.reload().unwrap_err().to_string();
    assert!(e.contains("does not belong"), "{e}");
    assert_eq!(served(), one.der);
    // A key file that is not a key.
    two.install_at(&live);
    std::fs::write(&live.private_key, "not a key\n").expect("write");
    let e = certs.reload().unwrap_err().to_string();
    assert!(e.contains("live-key.pem"), "{e}");
    assert_eq!(served(), one.der);
    // Both files renewed: the same listener now presents the new certificate.
    two.install_at(&live);
    certs.reload().expect("reload");
    assert_eq!(served(), two.der);
    let _ = std::fs::remove_dir_all(dir);
}

/// Kills the child if the test fails before stopping it.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn signal(child: &Child, name: &str) {
    let ok = Command::new("kill")
        .args([&format!("-{name}"), &child.id().to_string()])
        .status()
        .expect("run kill")
        .success();
    assert!(ok, "kill -{name}");
}

/// Poll `f` until it returns `Some`, for up to 30 s.
fn eventually<T>(what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let start = Instant::now();
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "timed out: {what}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn scimd_serve_reloads_its_certificate_on_sighup() {
    let dir = temp_dir("scimd-tls-serve");
    let (one, two) = (
        SelfSigned::generate(&dir, "one"),
        SelfSigned::generate(&dir, "two"),
    );
    let live = TlsFiles {
        cert_chain: dir.join("live-cert.pem"),
        private_key: dir.join("live-key.pem"),
    };
    one.install_at(&live);
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let addr = format!("127.0.0.1:{port}");
    let log = dir.join("scimd.log");
    let mut child = Running(
        Command::new(env!("CARGO_BIN_EXE_scimd"))
            .arg("serve")
            .args(["--listen", &addr])
            .arg("--tls-cert-file")
            .arg(&live.cert_chain)
            .arg("--tls-key-file")
            .arg(&live.private_key)
            .arg("--database")
            .arg(format!("sqlite://{}", dir.join("scimd.db").display()))
            .env_remove("SCIMD_CONFIG")
            .env("RUST_LOG", "info")
            .current_dir(&dir)
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).expect("log file"))
            .spawn()
            .expect("start scimd serve"),
    );
    let served = || {
        get(&addr, trusting(&[&one, &two], ANY), "/healthz")
            .ok()
            .map(|h| h.certificate)
    };
    let alive = |c: &mut Running| c.0.try_wait().expect("try_wait").is_none();
    assert_eq!(eventually("scimd serves HTTPS", served), one.der);

    two.install_at(&live);
    signal(&child.0, "HUP");
    eventually("the new certificate after SIGHUP", || {
        served().filter(|c| *c == two.der)
    });
    assert!(alive(&mut child), "SIGHUP must not stop scimd");

    // A bad key: logged, and the previous certificate is still served.
    std::fs::write(&live.private_key, "not a key\n").expect("write");
    signal(&child.0, "HUP");
    let text = eventually("the failed reload in the log", || {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        text.contains("not reloaded").then_some(text)
    });
    assert!(text.contains("live-key.pem"), "{text}");
    assert!(alive(&mut child));
    assert_eq!(served(), Some(two.der.clone()));

    signal(&child.0, "TERM");
    let status = child.0.wait().expect("wait");
    assert!(status.success(), "{status:?}");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn config_check_and_serve_load_the_tls_files() {
    let dir = temp_dir("scimd-tls-config");
    let cert = SelfSigned::generate(&dir, "one");
    let other = SelfSigned::generate(&dir, "other");
    let db = sqlite();
    let (c, k) = (
        cert.cert.to_str().expect("path"),
        cert.key.to_str().expect("path"),
    );
    let env = [("SCIMD_TLS_CERT_FILE", c), ("SCIMD_TLS_KEY_FILE", k)];
    let (ok, out, err) = scimd_env(&db.url, &["config", "check", "--json"], &env);
    assert!(ok, "{err}");
    let cfg: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(cfg["tls_cert_file"], c);
    assert_eq!(cfg["tls_key_file"], k);
    // The fingerprint openssl computes is the one scimd reports.
    let fp = String::from_utf8(openssl(&[
        "x509",
        "-in",
        c,
        "-noout",
        "-fingerprint",
        "-sha256",
    ]))
    .expect("utf-8");
    let fp = fp.trim().rsplit('=').next().unwrap_or_default();
    assert!(
        err.contains(&fp.replace(':', "").to_lowercase()),
        "{fp} not in {err}"
    );

    // One file without the other, a missing file, a key of another certificate: refused, named.
    let (ok, _, err) = scimd_env(&db.url, &["config", "check"], &env[..1]);
    assert!(!ok && err.contains("tls_key_file"), "{err}");
    let missing = dir.join("missing.pem");
    let missing = missing.to_str().expect("path");
    let (ok, _, err) = scimd_env(
        &db.url,
        &["config", "check"],
        &[env[0], ("SCIMD_TLS_KEY_FILE", missing)],
    );
    assert!(!ok && err.contains("missing.pem"), "{err}");
    let foreign = other.key.to_str().expect("path");
    let (ok, _, err) = scimd_env(
        &db.url,
        &["config", "check"],
        &[env[0], ("SCIMD_TLS_KEY_FILE", foreign)],
    );
    assert!(!ok && err.contains("does not belong"), "{err}");
    // serve refuses to start with them too (before listening); a flag completes the variable.
    let (ok, _, err) = scimd_env(
        &db.url,
        &["serve", "--listen", "127.0.0.1:0", "--tls-cert-file", c],
        &[("SCIMD_TLS_KEY_FILE", foreign)],
    );
    assert!(!ok && err.contains("does not belong"), "{err}");
    let (ok, _, err) = scimd_env(&db.url, &["serve", "--tls-key-file", k], &[]);
    assert!(!ok && err.contains("tls_cert_file"), "{err}");
    let _ = std::fs::remove_dir_all(dir);
}
