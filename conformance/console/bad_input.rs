//! Bad input to the console is a 4xx HTML page that says what is wrong, never a 5xx.

use super::{html, Console};
use crate::support::each_server;

/// A form post: path, fields, expected status, expected message.
type FormCase<'a> = (&'a str, &'a [(&'a str, &'a str)], u16, &'a str);

#[test]
fn bad_input_is_a_4xx_page_with_a_clear_message() {
    each_server(|s| {
        let c = Console::login(s);
        let cases: &[(&str, u16, &str)] = &[
            ("/admin/tenants/nope", 404, "no tenant named"),
            ("/admin/tenants/nope/users", 404, "no tenant named"),
            (
                "/admin/tenants/acme/users?page=0",
                400,
                "page must be a whole number",
            ),
            (
                "/admin/tenants/acme/groups?page=two",
                400,
                "page must be a whole number",
            ),
            (
                "/admin/tenants/acme/users?filter=userName%20eq",
                400,
                "the filter cannot be used",
            ),
            (
                "/admin/tenants/acme/users?filter=nosuch%20eq%201",
                400,
                "the filter cannot be used",
            ),
            (
                "/admin/tenants/acme/users/00000000-0000-0000-0000-000000000000",
                404,
                "no User with id",
            ),
            (
                "/admin/tenants/acme/groups/%3Cx%3E",
                404,
                "no Group with id",
            ),
            (
                "/admin/log?since=yesterday",
                400,
                "since must be an RFC 3339 time",
            ),
            (
                "/admin/log?until=2026-13-45",
                400,
                "until must be an RFC 3339 time",
            ),
            ("/admin/log?cursor=abc", 400, "cursor must be an event id"),
            (
                "/admin/log?outcome=maybe",
                400,
                "outcome must be success, failure or skipped",
            ),
            ("/admin/log?tenant=nope", 404, "no tenant named"),
            ("/admin/log/abc", 400, "an event id is a number"),
            ("/admin/log/99999999", 404, "no event with id 99999999"),
            ("/admin/nowhere", 404, "no console page"),
            ("/admin/tenants?%zz", 200, ""),
        ];
        for (path, status, message) in cases {
            let r = c.get(path);
            let page = html(&r, *status);
            assert!(page.contains(message), "{path}: {page}");
        }
        let forms: &[FormCase] = &[
            (
                "/admin/tenants",
                &[("name", "")],
                400,
                "give the new tenant a name",
            ),
            (
                "/admin/tenants",
                &[("name", "Bad Name!")],
                400,
                "invalid tenant name",
            ),
            ("/admin/tenants", &[("name", "acme")], 409, "already exists"),
            (
                "/admin/tenants/nope/tokens",
                &[("label", "x")],
                404,
                "no tenant named",
            ),
            (
                "/admin/tenants/acme/tokens/nope/revoke",
                &[],
                404,
                "no live token",
            ),
        ];
        for (path, fields, status, message) in forms {
            let page = html(&c.form(path, fields), *status).to_string();
            assert!(page.contains(message), "{path}: {page}");
        }
        let long = "x".repeat(201);
        let page = html(
            &c.form("/admin/tenants/acme/tokens", &[("label", &long)]),
            400,
        )
        .to_string();
        assert!(page.contains("label is too long"));
        // Times typed without a zone are read as UTC.
        html(
            &c.get("/admin/log?since=2020-01-01T00:00&until=2999-01-01"),
            200,
        );
    });
}
