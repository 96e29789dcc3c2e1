//! Timestamp conventions shared by storage and the layers above it.

use chrono::{DateTime, NaiveDateTime, SecondsFormat, Timelike, Utc};

/// RFC 3339 in UTC with a `Z` and microsecond precision: how `meta.created`/`meta.lastModified`
/// are rendered, here and in responses, so SQL comparisons and in-memory ones agree.
pub fn rfc3339(t: NaiveDateTime) -> String {
    t.and_utc().to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// Parse an RFC 3339 timestamp (any offset) to naive UTC.
pub fn parse_rfc3339(s: &str) -> Option<NaiveDateTime> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&Utc).naive_utc())
}

/// Truncate to microseconds, the precision PostgreSQL keeps, so a stored timestamp reads back
/// identically on both backends. Storage applies it on every write; callers that echo a
/// timestamp without re-reading it should apply it too.
pub fn to_storage_precision(t: NaiveDateTime) -> NaiveDateTime {
    let micros = t.nanosecond() / 1_000 * 1_000;
    t.with_nanosecond(micros).unwrap_or(t)
}

/// Whether `t` carries precision beyond microseconds (cannot be compared exactly in SQL).
pub(crate) fn is_sub_microsecond(t: NaiveDateTime) -> bool {
    t.nanosecond() % 1_000 != 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_is_utc_z_with_micros() {
        let t = parse_rfc3339("2026-01-02T03:04:05.123456789+02:00").unwrap();
        assert_eq!(
            rfc3339(to_storage_precision(t)),
            "2026-01-02T01:04:05.123456Z"
        );
        assert_eq!(
            rfc3339(parse_rfc3339("2026-01-02T03:04:05Z").unwrap()),
            "2026-01-02T03:04:05.000000Z"
        );
    }
}
