//! RFC 7644 §4 discovery endpoints, under both mounts.

use super::{assert_error, expect, ENTERPRISE_URN, GROUP_URN, USER_URN};
use crate::support::{each_server, TestServer};
use serde_json::{json, Value};

/// The tenant base and the tenant-less mount.
fn bases(s: &TestServer) -> [String; 2] {
    [s.base.clone(), format!("{}/scim/v2", s.root)]
}

#[track_caller]
fn get_doc(s: &TestServer, url: &str) -> Value {
    let r = s.get(url);
    assert_eq!(
        r.header("content-type"),
        Some("application/scim+json"),
        "{url}"
    );
    expect(&r, 200)
}

#[test]
fn service_provider_config_advertises_patch_and_filter_limits() {
    each_server(|s| {
        for base in bases(s) {
            let v = get_doc(s, &format!("{base}/ServiceProviderConfig"));
            assert_eq!(
                v["schemas"],
                json!(["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"])
            );
            assert_eq!(v["patch"]["supported"], true, "{v}");
            assert_eq!(v["filter"]["supported"], true, "{v}");
            assert!(
                v["filter"]["maxResults"].as_u64().is_some_and(|n| n > 0),
                "{v}"
            );
            assert_eq!(v["bulk"]["supported"], false, "{v}");
            assert_eq!(v["etag"]["supported"], true, "{v}");
            assert_eq!(
                v["authenticationSchemes"][0]["type"], "oauthbearertoken",
                "{v}"
            );
            let location = v["meta"]["location"].as_str().unwrap_or_default();
            assert_eq!(location, format!("{base}/ServiceProviderConfig"));
        }
    });
}

#[test]
fn resource_types_list_users_first_with_the_enterprise_extension() {
    each_server(|s| {
        for base in bases(s) {
            let v = get_doc(s, &format!("{base}/ResourceTypes"));
            assert_eq!(v["totalResults"], 2, "{v}");
            let user = &v["Resources"][0];
            assert_eq!(
                (user["name"].as_str(), user["endpoint"].as_str()),
                (Some("User"), Some("/Users"))
            );
            assert_eq!(user["schema"], USER_URN);
            assert_eq!(
                user["schemaExtensions"],
                json!([{"schema": ENTERPRISE_URN, "required": false}])
            );
            let group = &v["Resources"][1];
            assert_eq!(
                (group["name"].as_str(), group["schema"].as_str()),
                (Some("Group"), Some(GROUP_URN))
            );
            let one = get_doc(s, &format!("{base}/ResourceTypes/User"));
            assert_eq!(&one, user);
            assert_eq!(
                get_doc(s, &format!("{base}/ResourceTypes/Group"))["endpoint"],
                "/Groups"
            );
            assert_error(&s.get(&format!("{base}/ResourceTypes/Device")), 404, None);
        }
    });
}

#[test]
fn schemas_describe_user_enterprise_user_and_group() {
    each_server(|s| {
        for base in bases(s) {
            let r = s.get(&format!("{base}/Schemas"));
            assert!(r.text.contains("User Account"), "{}", r.text);
            let v = expect(&r, 200);
            let ids: Vec<&str> = v["Resources"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|x| x["id"].as_str())
                .collect();
            for urn in [USER_URN, ENTERPRISE_URN, GROUP_URN] {
                assert!(ids.contains(&urn), "{urn} not in {ids:?}");
            }
            assert_eq!(v["totalResults"], ids.len());
            let user = get_doc(s, &format!("{base}/Schemas/{USER_URN}"));
            assert_eq!(user["id"], USER_URN);
            let attrs = user["attributes"].as_array().expect("attributes");
            let user_name = attrs
                .iter()
                .find(|a| a["name"] == "userName")
                .expect("userName attribute");
            assert_eq!(user_name["uniqueness"], "server", "{user_name}");
            assert_eq!(user_name["caseExact"], false, "{user_name}");
            assert!(
                !user.to_string().contains("null"),
                "no null values in schema documents"
            );
            let ent = get_doc(s, &format!("{base}/Schemas/{ENTERPRISE_URN}"));
            assert!(ent.to_string().contains("manager"), "{ent}");
            assert_error(
                &s.get(&format!("{base}/Schemas/urn:example:nope")),
                404,
                None,
            );
        }
    });
}
