//! The "assigned" scope's calls (graph.md §2.9): find the app's service principal, list the
//! principals assigned to it. Also the small URL-building helpers they need.

use super::error::Area;
use super::paging::parse_page;
use super::request::Call;
use super::{Assignment, GraphClient, GraphError, PrincipalType};
use serde_json::{Map, Value};

const APPLICATIONS: Call = Call {
    area: Area::Applications,
    delta: false,
};

/// `/servicePrincipals?$filter=appId eq '…'&$select=id,appId`, relative and version-less (the
/// `$batch` form; prefix `{graph}/v1.0` for a plain GET).
pub(super) fn service_principal_path(app_id: &str) -> String {
    format!(
        "/servicePrincipals?$filter=appId eq '{}'&$select=id,appId",
        odata_string(app_id)
    )
}

/// A value inside an OData string literal in a query: `'` doubled (OData's escape), and
/// anything that could end the parameter or the URL percent-encoded.
pub(super) fn odata_string(value: &str) -> String {
    percent_encode(&value.replace('\'', "''"), |b| b == b'\'')
}

/// One path segment (an object id) percent-encoded.
pub(super) fn path_segment(value: &str) -> String {
    percent_encode(value, |_| false)
}

fn percent_encode(value: &str, also_keep: impl Fn(u8) -> bool) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) || also_keep(b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The service principal's object id from a `servicePrincipals?$filter=…` body.
pub(super) fn service_principal_id(body: Value) -> Result<Option<String>, GraphError> {
    let page = parse_page(body)
        .map_err(|why| GraphError::Malformed(format!("servicePrincipals lookup: {why}")))?;
    match page.items.first() {
        None => Ok(None),
        Some(sp) => match sp.get("id").and_then(Value::as_str) {
            Some(id) if !id.is_empty() => Ok(Some(id.to_string())),
            _ => Err(GraphError::Malformed(
                "servicePrincipals lookup: the service principal has no id".to_string(),
            )),
        },
    }
}

/// One `appRoleAssignedTo` entry.
pub(super) fn assignment(item: &Map<String, Value>) -> Result<Assignment, GraphError> {
    let principal_id = match item.get("principalId").and_then(Value::as_str) {
        Some(id) if !id.is_empty() => id.to_string(),
        _ => {
            return Err(GraphError::Malformed(
                "an app role assignment has no principalId".to_string(),
            ))
        }
    };
    let principal_type = match item.get("principalType").and_then(Value::as_str) {
        Some("User") => PrincipalType::User,
        Some("Group") => PrincipalType::Group,
        Some("ServicePrincipal") => PrincipalType::ServicePrincipal,
        _ => PrincipalType::Other,
    };
    Ok(Assignment {
        principal_id,
        principal_type,
    })
}

impl GraphClient {
    pub(super) fn find_service_principal(
        &self,
        app_id: &str,
    ) -> Result<Option<String>, GraphError> {
        let url = format!("{}{}", self.api, service_principal_path(app_id));
        service_principal_id(self.get(&url, APPLICATIONS)?)
    }

    pub(super) fn list_assignments(&self, sp_id: &str) -> Result<Vec<Assignment>, GraphError> {
        let url = format!(
            "{}/servicePrincipals/{}/appRoleAssignedTo?$select=id,principalId,principalType&$top=999",
            self.api,
            path_segment(sp_id)
        );
        let mut out = Vec::new();
        self.pages(&url, APPLICATIONS, &mut |items| {
            for item in &items {
                out.push(assignment(item)?);
            }
            Ok(())
        })?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn filter_values_are_quoted_the_odata_way_and_cannot_break_out() {
        assert_eq!(
            service_principal_path("00000003-0000-0000-c000-000000000000"),
            "/servicePrincipals?$filter=appId eq '00000003-0000-0000-c000-000000000000'&$select=id,appId"
        );
        assert_eq!(odata_string("o'neil"), "o''neil");
        assert_eq!(odata_string("a&b=c#d e+f%"), "a%26b%3Dc%23d%20e%2Bf%25");
        assert_eq!(path_segment("../x?y"), "..%2Fx%3Fy");
    }

    #[test]
    fn service_principal_lookup_distinguishes_missing_from_malformed() {
        assert_eq!(service_principal_id(json!({"value": []})), Ok(None));
        assert_eq!(
            service_principal_id(json!({"value": [{"id": "sp1", "appId": "a"}]})),
            Ok(Some("sp1".to_string()))
        );
        assert!(matches!(
            service_principal_id(json!({"value": [{"appId": "a"}]})),
            Err(GraphError::Malformed(_))
        ));
        assert!(matches!(
            service_principal_id(json!({})),
            Err(GraphError::Malformed(_))
        ));
    }

    #[test]
    fn assignments_name_every_principal_type() {
        let a = |t: &str| {
            let Value::Object(o) = json!({"id": "x", "principalId": "p", "principalType": t})
            else {
                panic!()
            };
            assignment(&o).expect("assignment").principal_type
        };
        assert_eq!(a("User"), PrincipalType::User);
        assert_eq!(a("Group"), PrincipalType::Group);
        assert_eq!(a("ServicePrincipal"), PrincipalType::ServicePrincipal);
        assert_eq!(a("Device"), PrincipalType::Other);
        let Value::Object(no_id) = json!({"principalType": "User"}) else {
            panic!()
        };
        assert!(matches!(assignment(&no_id), Err(GraphError::Malformed(_))));
    }
}
