//! Markup helpers. Every value that did not come from this module's own literals goes through
//! [`esc`] — directory data (names, attributes, request bodies), tenant names, ids, messages.

use std::fmt::Write;

/// The one HTML escaping helper: safe in text and in double- or single-quoted attributes.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + s.len() / 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// Percent-encode a query-string or path component (the result still goes through [`esc`]
/// when it is put in an attribute).
pub fn url_part(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// `?k=v&…` from the non-empty pairs (empty string when there are none).
pub fn query(pairs: &[(&str, &str)]) -> String {
    let parts: Vec<String> = pairs
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{}={}", url_part(k), url_part(v)))
        .collect();
    if parts.is_empty() {
        String::new()
    } else {
        format!("?{}", parts.join("&"))
    }
}

/// Which top-level section a page belongs to (highlighted in the navigation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Tenants,
    Log,
    None,
}

/// A whole page: head, navigation (when logged in) and `body` (already-built markup).
pub fn layout(title: &str, section: Section, logged_in: bool, body: &str) -> String {
    let nav = if logged_in {
        let item = |s: Section, href: &str, label: &str| {
            let class = if s == section {
                " class=\"active\""
            } else {
                ""
            };
            format!("<a href=\"{href}\"{class}>{label}</a>")
        };
        format!(
            "<nav>{}{}<form method=\"post\" action=\"/admin/logout\" class=\"logout\"><button type=\"submit\" class=\"link\">Log out</button></form></nav>",
            item(Section::Tenants, "/admin/tenants", "Tenants"),
            item(Section::Log, "/admin/log", "Provisioning log"),
        )
    } else {
        String::new()
    };
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<title>{title} · scimd</title><link rel=\"stylesheet\" href=\"/admin/static/console.css\"></head>\
<body><header><a class=\"brand\" href=\"/admin\">scimd <span>admin</span></a>{nav}</header>\
<main>{body}</main></body></html>\n",
        title = esc(title),
    )
}

/// `<h1>` with an optional breadcrumb trail of `(href, label)` before it.
pub fn heading(crumbs: &[(&str, &str)], title: &str) -> String {
    let mut trail = String::new();
    if !crumbs.is_empty() {
        trail.push_str("<div class=\"crumbs\">");
        for (href, label) in crumbs {
            let _ = write!(trail, "<a href=\"{}\">{}</a> / ", esc(href), esc(label));
        }
        trail.push_str("</div>");
    }
    format!("{trail}<h1>{}</h1>", esc(title))
}

/// A table from a header row and already-built cell markup.
pub fn table(class: &str, headers: &[&str], rows: &[Vec<String>], empty: &str) -> String {
    if rows.is_empty() {
        return format!("<p class=\"empty\">{}</p>", esc(empty));
    }
    let mut out = format!("<table class=\"{}\"><thead><tr>", esc(class));
    for h in headers {
        let _ = write!(out, "<th>{}</th>", esc(h));
    }
    out.push_str("</tr></thead><tbody>");
    for row in rows {
        out.push_str("<tr>");
        for cell in row {
            let _ = write!(out, "<td>{cell}</td>");
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table>");
    out
}

/// A link with escaped target and text.
pub fn link(href: &str, text: &str) -> String {
    format!("<a href=\"{}\">{}</a>", esc(href), esc(text))
}

/// Text in `<code>`, or a dash when absent.
pub fn code(text: Option<&str>) -> String {
    match text {
        Some(t) if !t.is_empty() => format!("<code>{}</code>", esc(t)),
        _ => dash(),
    }
}

/// Plain text, or a dash when absent.
pub fn text(t: Option<&str>) -> String {
    match t {
        Some(t) if !t.is_empty() => esc(t),
        _ => dash(),
    }
}

pub fn dash() -> String {
    "<span class=\"muted\">—</span>".to_string()
}

/// A `YYYY-MM-DD HH:MM:SS` rendering of an RFC 3339 time, with the full value as a tooltip.
pub fn time(t: Option<&str>) -> String {
    match t {
        Some(t) if !t.is_empty() => {
            let short = t.get(..19).unwrap_or(t).replace('T', " ");
            format!(
                "<time datetime=\"{}\" title=\"{}\">{} <span class=\"muted\">UTC</span></time>",
                esc(t),
                esc(t),
                esc(&short)
            )
        }
        _ => dash(),
    }
}

/// A coloured label for an outcome or a state.
pub fn badge(kind: &str, label: &str) -> String {
    let class = match kind {
        "success" | "active" => "ok",
        "failure" | "revoked" => "bad",
        "skipped" | "inactive" => "warn",
        _ => "neutral",
    };
    format!("<span class=\"badge {class}\">{}</span>", esc(label))
}

/// A text input inside a labelled form field.
pub fn field(name: &str, label: &str, value: &str, placeholder: &str) -> String {
    input("text", name, label, value, placeholder)
}

/// An `<input type="{kind}">` (`text`, `number`, `password`…) inside a labelled form field.
/// A password input is never filled by the browser (it would offer the admin token).
pub fn input(kind: &str, name: &str, label: &str, value: &str, placeholder: &str) -> String {
    let extra = if kind == "password" {
        " autocomplete=\"new-password\""
    } else {
        ""
    };
    format!(
        "<label>{}<input type=\"{}\" name=\"{}\" value=\"{}\" placeholder=\"{}\"{extra}></label>",
        esc(label),
        esc(kind),
        esc(name),
        esc(value),
        esc(placeholder)
    )
}

/// A labelled checkbox; a form sends `name=on` only when it is checked.
pub fn checkbox(name: &str, label: &str, checked: bool) -> String {
    format!(
        "<label class=\"check\"><input type=\"checkbox\" name=\"{}\"{}>{}</label>",
        esc(name),
        if checked { " checked" } else { "" },
        esc(label)
    )
}

/// A one-button POST form (an action on this page), with hidden `(name, value)` fields.
pub fn post_button(
    action: &str,
    id: &str,
    label: &str,
    class: &str,
    hidden: &[(&str, &str)],
) -> String {
    let mut fields = String::new();
    for (k, v) in hidden {
        let _ = write!(
            fields,
            "<input type=\"hidden\" name=\"{}\" value=\"{}\">",
            esc(k),
            esc(v)
        );
    }
    format!(
        "<form method=\"post\" action=\"{}\" class=\"inline\">{fields}<button type=\"submit\" id=\"{}\" class=\"{}\">{}</button></form>",
        esc(action),
        esc(id),
        esc(class),
        esc(label)
    )
}

/// A `<select>` with `(value, label)` options, `selected` preselected.
pub fn select(name: &str, label: &str, options: &[(&str, &str)], selected: &str) -> String {
    let mut out = format!("<label>{}<select name=\"{}\">", esc(label), esc(name));
    for (value, text) in options {
        let sel = if *value == selected { " selected" } else { "" };
        let _ = write!(
            out,
            "<option value=\"{}\"{sel}>{}</option>",
            esc(value),
            esc(text)
        );
    }
    out.push_str("</select></label>");
    out
}

/// A `<dl class="fields">` of labels and already-built values.
pub fn fields(id: &str, pairs: &[(&str, String)]) -> String {
    let mut out = format!("<dl class=\"fields\" id=\"{}\">", esc(id));
    for (k, v) in pairs {
        let _ = write!(out, "<dt>{}</dt><dd>{v}</dd>", esc(k));
    }
    out.push_str("</dl>");
    out
}

/// JSON pretty-printed in a `<pre>`.
pub fn json_block(v: &serde_json::Value) -> String {
    let pretty = serde_json::to_string_pretty(v).unwrap_or_default();
    format!("<pre class=\"json\">{}</pre>", esc(&pretty))
}

/// A JSON value on one line (strings without quotes), for table cells.
pub fn json_inline(v: Option<&serde_json::Value>) -> String {
    match v {
        None | Some(serde_json::Value::Null) => dash(),
        Some(serde_json::Value::String(s)) => format!("<code>{}</code>", esc(s)),
        Some(other) => format!("<code>{}</code>", esc(&other.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            esc("<script>alert('x')</script> & \"q\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;"
        );
        assert_eq!(url_part("a b&c=d/é"), "a%20b%26c%3Dd%2F%C3%A9");
        assert_eq!(
            query(&[("a", "1"), ("b", ""), ("c", "x y")]),
            "?a=1&c=x%20y"
        );
    }
}
