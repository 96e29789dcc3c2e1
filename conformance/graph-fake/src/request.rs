//! A request as the handlers see it, whether it came over HTTP or out of a `$batch`.

pub(crate) struct Incoming {
    pub method: String,
    /// Raw (still percent-encoded) path.
    pub path: String,
    /// Raw query string, without `?`.
    pub query: String,
    /// Names lower-cased.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Incoming {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// `path?query`, what faults match against.
    pub fn target(&self) -> String {
        if self.query.is_empty() {
            self.path.clone()
        } else {
            format!("{}?{}", self.path, self.query)
        }
    }
}
