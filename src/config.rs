//! Configuration as a value: defaults → `scimd.toml` → `SCIMD_*` environment → command-line
//! flags, validated once and passed down (no globals).

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// File read when `--config`/`SCIMD_CONFIG` is not given and it exists in the working directory.
pub const DEFAULT_FILE: &str = "scimd.toml";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// `sqlite://path` (or a plain file path) or `postgres://user:pass@host/db`.
    pub database_url: String,
    /// Address the server listens on.
    pub listen: String,
    /// PEM certificate chain (server certificate first) when `serve` terminates TLS itself;
    /// with `tls_key_file`. Unset: plain HTTP, e.g. behind a TLS-terminating proxy.
    pub tls_cert_file: Option<PathBuf>,
    /// PEM private key of the certificate in `tls_cert_file`.
    pub tls_key_file: Option<PathBuf>,
    /// External base URL (`https://scim.example.com`) used in `meta.location` and the Tenant
    /// URL; defaults to `http://<listen>` (`https://` with TLS).
    pub public_url: Option<String>,
    /// Database connections in the pool.
    pub pool_size: u32,
    /// HTTP worker threads (0 = one per core).
    pub workers: usize,
    /// Largest request body in bytes.
    pub max_body_bytes: usize,
    /// Deepest JSON nesting accepted in a request body.
    pub max_json_depth: usize,
    /// Seconds a request may spend in the service layer.
    pub request_timeout_secs: u64,
    /// Page size when a list request has no `count`.
    pub default_count: u64,
    /// Largest page returned.
    pub max_results: u64,
    /// Tenant created (with a first token) when `serve` starts on an empty database.
    pub default_tenant: String,
    /// Provisioning events older than this many days are purged (0: kept forever).
    pub log_retention_days: u32,
    /// Most provisioning events kept per tenant; the oldest go first (0: no cap).
    pub log_max_events_per_tenant: u64,
    /// Lifetime of OAuth access tokens, 3600–21600 s (Entra expects 1–6 h).
    pub oauth_token_lifetime_secs: u64,
    /// Least seconds between two fetches of Entra's signing keys (an unknown `kid` refreshes).
    pub entra_jwks_refresh_secs: u64,
    /// Reverse proxies (addresses or CIDRs) whose `X-Forwarded-For` names the client.
    pub trusted_proxies: Vec<String>,
    /// Failed authentications one address may make per window before it gets 429 (0: off).
    pub auth_failure_limit: u32,
    pub auth_failure_window_secs: u64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            database_url: "sqlite://scimd.db".into(),
            listen: "127.0.0.1:8080".into(),
            tls_cert_file: None,
            tls_key_file: None,
            public_url: None,
            pool_size: 16,
            workers: 0,
            max_body_bytes: 1024 * 1024,
            max_json_depth: 64,
            request_timeout_secs: 30,
            default_count: 100,
            max_results: 1000,
            default_tenant: "default".into(),
            log_retention_days: 30,
            log_max_events_per_tenant: 1_000_000,
            oauth_token_lifetime_secs: 3600,
            entra_jwks_refresh_secs: 60,
            trusted_proxies: Vec::new(),
            auth_failure_limit: 20,
            auth_failure_window_secs: 60,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {source}")]
    Parse {
        path: PathBuf,
        source: toml::de::Error,
    },
    #[error("environment variable {name}: {detail}")]
    Env { name: String, detail: String },
    #[error("invalid configuration: {0}")]
    Invalid(String),
}

impl Config {
    /// Defaults, then the file (an explicit path must exist; the default one may be absent),
    /// then `SCIMD_*` variables from `env`.
    pub fn load(
        file: Option<&Path>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Config, ConfigError> {
        let cfg = Self::layered(file, env)?;
        cfg.validate()?;
        Ok(cfg)
    }

    /// [`load`](Self::load) without the final check, for a caller that overlays command-line
    /// flags first (a flag may complete what the file started, e.g. the TLS key and certificate).
    pub fn layered(
        file: Option<&Path>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Config, ConfigError> {
        let mut cfg = match file {
            Some(path) => Self::from_file(path)?,
            None if Path::new(DEFAULT_FILE).exists() => Self::from_file(Path::new(DEFAULT_FILE))?,
            None => Config::default(),
        };
        cfg.overlay_env(env)?;
        Ok(cfg)
    }

    fn from_file(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.into(),
            source,
        })?;
        toml::from_str(&text).map_err(|source| ConfigError::Parse {
            path: path.into(),
            source,
        })
    }

    fn overlay_env(&mut self, env: impl Fn(&str) -> Option<String>) -> Result<(), ConfigError> {
        fn num<T: std::str::FromStr>(name: &str, v: &str) -> Result<T, ConfigError> {
            v.trim().parse().map_err(|_| ConfigError::Env {
                name: name.into(),
                detail: format!("{v:?} is not a number"),
            })
        }
        let var = |key: &str| env(&format!("SCIMD_{key}")).filter(|v| !v.is_empty());
        if let Some(v) = var("DATABASE_URL") {
            self.database_url = v;
        }
        if let Some(v) = var("LISTEN") {
            self.listen = v;
        }
        if let Some(v) = var("TLS_CERT_FILE") {
            self.tls_cert_file = Some(v.into());
        }
        if let Some(v) = var("TLS_KEY_FILE") {
            self.tls_key_file = Some(v.into());
        }
        if let Some(v) = var("PUBLIC_URL") {
            self.public_url = Some(v);
        }
        if let Some(v) = var("DEFAULT_TENANT") {
            self.default_tenant = v;
        }
        if let Some(v) = var("TRUSTED_PROXIES") {
            self.trusted_proxies = v
                .split(',')
                .map(|p| p.trim().to_string())
                .filter(|p| !p.is_empty())
                .collect();
        }
        macro_rules! numeric {
            ($($key:literal => $field:ident),*) => {$(
                if let Some(v) = var($key) { self.$field = num(concat!("SCIMD_", $key), &v)?; }
            )*};
        }
        numeric!("POOL_SIZE" => pool_size, "WORKERS" => workers, "MAX_BODY_BYTES" => max_body_bytes,
            "MAX_JSON_DEPTH" => max_json_depth, "REQUEST_TIMEOUT_SECS" => request_timeout_secs,
            "DEFAULT_COUNT" => default_count, "MAX_RESULTS" => max_results,
            "LOG_RETENTION_DAYS" => log_retention_days,
            "LOG_MAX_EVENTS_PER_TENANT" => log_max_events_per_tenant,
            "OAUTH_TOKEN_LIFETIME_SECS" => oauth_token_lifetime_secs,
            "ENTRA_JWKS_REFRESH_SECS" => entra_jwks_refresh_secs,
            "AUTH_FAILURE_LIMIT" => auth_failure_limit,
            "AUTH_FAILURE_WINDOW_SECS" => auth_failure_window_secs);
        Ok(())
    }

    pub fn validate(&self) -> Result<(), ConfigError> {
        let bad = |m: String| Err(ConfigError::Invalid(m));
        if self.listen.parse::<std::net::SocketAddr>().is_err() {
            return bad(format!(
                "listen {:?} is not an address such as 127.0.0.1:8080",
                self.listen
            ));
        }
        if let Some(u) = &self.public_url {
            if !(u.starts_with("http://") || u.starts_with("https://")) {
                return bad(format!(
                    "public_url {u:?} must start with http:// or https://"
                ));
            }
        }
        if self.tls_cert_file.is_some() != self.tls_key_file.is_some() {
            return bad(
                "tls_cert_file and tls_key_file go together: set both to terminate TLS, or neither"
                    .into(),
            );
        }
        if self.pool_size == 0 {
            return bad("pool_size must be at least 1".into());
        }
        if self.max_results == 0 || self.default_count > self.max_results {
            return bad("need 0 < default_count <= max_results".into());
        }
        if self.max_body_bytes < 1024 {
            return bad("max_body_bytes must be at least 1024".into());
        }
        if let Err(e) = self.trusted_proxy_ranges() {
            return bad(format!("trusted_proxies: {e}"));
        }
        if self.auth_failure_window_secs == 0 {
            return bad("auth_failure_window_secs must be at least 1".into());
        }
        if !(3600..=21600).contains(&self.oauth_token_lifetime_secs) {
            return bad(format!(
                "oauth_token_lifetime_secs must be 3600 to 21600 (1 to 6 hours, as Entra expects), not {}",
                self.oauth_token_lifetime_secs
            ));
        }
        Ok(())
    }

    /// `trusted_proxies`, parsed.
    pub fn trusted_proxy_ranges(&self) -> Result<Vec<crate::service::Cidr>, String> {
        self.trusted_proxies
            .iter()
            .map(|p| crate::service::Cidr::parse(p))
            .collect()
    }

    /// The provisioning-log retention this configuration asks for.
    pub fn retention(&self) -> crate::service::RetentionPolicy {
        crate::service::RetentionPolicy::new(
            self.log_retention_days,
            self.log_max_events_per_tenant,
        )
    }

    /// Whether `serve` terminates TLS itself.
    pub fn tls(&self) -> bool {
        self.tls_cert_file.is_some()
    }

    /// The root URL clients reach this server at.
    pub fn root_url(&self) -> String {
        match &self.public_url {
            Some(u) => u.trim_end_matches('/').to_string(),
            None if self.tls() => format!("https://{}", self.listen),
            None => format!("http://{}", self.listen),
        }
    }

    /// The OAuth token endpoint to paste into Entra for `tenant`.
    pub fn token_url(&self, tenant: &str) -> String {
        format!("{}/t/{tenant}/oauth2/token", self.root_url())
    }

    /// The Tenant URL to paste into Entra for `tenant`.
    pub fn tenant_url(&self, tenant: &str) -> String {
        format!("{}/t/{tenant}/scim/v2", self.root_url())
    }

    /// The configuration with secrets (a database password) masked, for `scimd config check`.
    pub fn masked(&self) -> Config {
        Config {
            database_url: mask_url_password(&self.database_url),
            ..self.clone()
        }
    }
}

/// `postgres://user:secret@host/db` → `postgres://user:***@host/db`.
pub fn mask_url_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let Some((userinfo, host)) = rest.rsplit_once('@') else {
        return url.to_string();
    };
    match userinfo.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn environment_overrides_defaults() {
        let env = |k: &str| match k {
            "SCIMD_LISTEN" => Some("0.0.0.0:9000".to_string()),
            "SCIMD_MAX_RESULTS" => Some("50".to_string()),
            "SCIMD_LOG_RETENTION_DAYS" => Some("7".to_string()),
            "SCIMD_DEFAULT_COUNT" => Some("10".to_string()),
            _ => None,
        };
        let c = Config::load(Some(Path::new("/dev/null")), env).unwrap();
        assert_eq!(c.listen, "0.0.0.0:9000");
        assert_eq!(c.max_results, 50);
        assert_eq!(c.log_retention_days, 7);
        assert_eq!(c.log_max_events_per_tenant, 1_000_000);
        assert_eq!(c.tenant_url("acme"), "http://0.0.0.0:9000/t/acme/scim/v2");
    }

    #[test]
    fn bad_values_are_reported_by_name() {
        let env = |k: &str| (k == "SCIMD_POOL_SIZE").then(|| "many".to_string());
        let e = Config::load(Some(Path::new("/dev/null")), env).unwrap_err();
        assert!(e.to_string().contains("SCIMD_POOL_SIZE"), "{e}");
        let env = |k: &str| (k == "SCIMD_LISTEN").then(|| "localhost".to_string());
        assert!(Config::load(Some(Path::new("/dev/null")), env).is_err());
    }

    #[test]
    fn access_token_lifetime_stays_within_one_to_six_hours() {
        for (v, ok) in [
            ("3600", true),
            ("21600", true),
            ("3599", false),
            ("21601", false),
        ] {
            let env = |k: &str| (k == "SCIMD_OAUTH_TOKEN_LIFETIME_SECS").then(|| v.to_string());
            let loaded = Config::load(Some(Path::new("/dev/null")), env);
            assert_eq!(loaded.is_ok(), ok, "{v}");
        }
    }

    #[test]
    fn trusted_proxies_come_from_a_comma_separated_variable_and_are_checked() {
        let env =
            |k: &str| (k == "SCIMD_TRUSTED_PROXIES").then(|| "10.0.0.0/8, 192.0.2.7".to_string());
        let c = Config::load(Some(Path::new("/dev/null")), env).unwrap();
        assert_eq!(c.trusted_proxies, vec!["10.0.0.0/8", "192.0.2.7"]);
        let env = |k: &str| (k == "SCIMD_TRUSTED_PROXIES").then(|| "proxy.local".to_string());
        let e = Config::load(Some(Path::new("/dev/null")), env).unwrap_err();
        assert!(e.to_string().contains("trusted_proxies"), "{e}");
    }

    #[test]
    fn tls_needs_both_files_and_makes_the_default_urls_https() {
        let env = |k: &str| (k == "SCIMD_TLS_CERT_FILE").then(|| "/etc/scimd/cert.pem".to_string());
        let e = Config::load(Some(Path::new("/dev/null")), env).unwrap_err();
        assert!(e.to_string().contains("tls_key_file"), "{e}");
        let env = |k: &str| match k {
            "SCIMD_TLS_CERT_FILE" => Some("/etc/scimd/cert.pem".to_string()),
            "SCIMD_TLS_KEY_FILE" => Some("/etc/scimd/key.pem".to_string()),
            _ => None,
        };
        let c = Config::load(Some(Path::new("/dev/null")), env).unwrap();
        assert_eq!(
            c.tls_key_file.as_deref(),
            Some(Path::new("/etc/scimd/key.pem"))
        );
        assert_eq!(c.token_url("a"), "https://127.0.0.1:8080/t/a/oauth2/token");
        let plain = Config::load(Some(Path::new("/dev/null")), |_| None).unwrap();
        assert_eq!(plain.tenant_url("a"), "http://127.0.0.1:8080/t/a/scim/v2");
    }

    #[test]
    fn unknown_file_keys_are_rejected() {
        let dir = std::env::temp_dir().join(format!("scimd-cfg-{}", std::process::id()));
        std::fs::write(&dir, "listen = \"127.0.0.1:1\"\nlisten_port = 3\n").unwrap();
        let e = Config::load(Some(&dir), |_| None).unwrap_err();
        assert!(e.to_string().contains("listen_port"), "{e}");
        let _ = std::fs::remove_file(&dir);
    }

    #[test]
    fn passwords_are_masked() {
        assert_eq!(
            mask_url_password("postgres://u:p@h:5432/db"),
            "postgres://u:***@h:5432/db"
        );
        assert_eq!(mask_url_password("sqlite://scimd.db"), "sqlite://scimd.db");
    }
}
