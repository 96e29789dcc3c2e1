//! The fake's notion of "now": the wall clock plus an offset tests can advance, so access
//! tokens and delta tokens can age by hours or days without anyone waiting.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

#[derive(Default)]
pub(crate) struct Clock {
    offset: Duration,
}

impl Clock {
    /// Seconds since the Unix epoch, as the fake sees them.
    pub fn now(&self) -> u64 {
        wall_secs().saturating_add(self.offset.as_secs())
    }

    pub fn advance(&mut self, by: Duration) {
        self.offset = self.offset.saturating_add(by);
    }
}

/// Real seconds since the epoch: client assertions are minted with the client's own clock.
pub(crate) fn wall_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// `2026-05-01T10:00:00Z`
pub(crate) fn iso(secs: u64) -> String {
    let (y, mo, d, h, mi, s) = civil(secs);
    format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z")
}

/// `2026-05-01T10:00:00`, the form Graph uses in `innerError.date`.
pub(crate) fn inner_date(secs: u64) -> String {
    let mut s = iso(secs);
    s.pop();
    s
}

/// `2026-05-01 10:00:00Z`, the identity platform's `timestamp`.
pub(crate) fn platform_timestamp(secs: u64) -> String {
    iso(secs).replacen('T', " ", 1)
}

/// Days-from-civil inverse (Howard Hinnant's algorithm), good for any date after 1970.
fn civil(secs: u64) -> (u64, u64, u64, u64, u64, u64) {
    let days = secs / 86_400;
    let rem = secs % 86_400;
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z % 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + u64::from(m <= 2);
    (y, m, d, rem / 3600, rem % 3600 / 60, rem % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_dates() {
        assert_eq!(iso(0), "1970-01-01T00:00:00Z");
        assert_eq!(iso(1_709_210_096), "2024-02-29T12:34:56Z");
        assert_eq!(inner_date(1_709_210_096), "2024-02-29T12:34:56");
        assert_eq!(platform_timestamp(1_709_210_096), "2024-02-29 12:34:56Z");
    }
}
