//! Delta rounds for users and groups (graph.md §2.6–§2.7): the initial query with `$select`
//! (no `$top`: delta picks its own page size), then saved links verbatim, each object as a
//! [`DeltaItem`]. Pages are not merged here: one group can come back on several pages with
//! different slices of `members@delta`, and the caller merges by id.

use super::error::Area;
use super::request::Call;
use super::{DeltaItem, DeltaKind, GraphClient, GraphError, MemberDelta, MemberKind, Removal};
use serde_json::{Map, Value};

/// What a user round tracks: only `$select`ed properties produce changes.
const USER_SELECT: &str =
    "id,userPrincipalName,mail,displayName,givenName,surname,accountEnabled,employeeId,userType";
/// `members` turns on membership tracking (`members@delta`).
const GROUP_SELECT: &str = "displayName,description,members";

/// The first request of an initial (full) round.
pub(super) fn initial_url(api: &str, kind: DeltaKind) -> String {
    match kind {
        DeltaKind::Users => format!("{api}/users/delta?$select={USER_SELECT}"),
        DeltaKind::Groups => format!("{api}/groups/delta?$select={GROUP_SELECT}"),
    }
}

impl GraphClient {
    pub(super) fn delta_round(
        &self,
        kind: DeltaKind,
        link: Option<&str>,
        sink: &mut dyn FnMut(DeltaItem) -> Result<(), GraphError>,
    ) -> Result<String, GraphError> {
        let first = match link {
            // A link saved under another graph_url (the admin moved clouds) is not followed;
            // starting over is the way out.
            Some(l) if !self.origin.admits(l) => {
                return Err(GraphError::DeltaExpired(
                    "the saved deltaLink is not for the configured graph_url".to_string(),
                ))
            }
            Some(l) => l.to_string(),
            None => initial_url(&self.api, kind),
        };
        let area = match kind {
            DeltaKind::Users => Area::Users,
            DeltaKind::Groups => Area::Groups,
        };
        let call = Call { area, delta: true };
        let delta_link = self.pages(&first, call, &mut |items| {
            for item in items {
                sink(parse_item(item)?)?;
            }
            Ok(())
        })?;
        delta_link.ok_or_else(|| {
            GraphError::Malformed(format!(
                "the {} delta round ended without a deltaLink",
                match kind {
                    DeltaKind::Users => "users",
                    DeltaKind::Groups => "groups",
                }
            ))
        })
    }
}

/// One object of a delta page.
pub(super) fn parse_item(mut item: Map<String, Value>) -> Result<DeltaItem, GraphError> {
    let id = match item.remove("id") {
        Some(Value::String(id)) if !id.is_empty() => id,
        _ => {
            return Err(GraphError::Malformed(
                "a delta item has no string `id`".to_string(),
            ))
        }
    };
    let removed = item.remove("@removed").map(|r| removal(&r));
    let members = match item.remove("members@delta") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(ms)) => ms.iter().map(member).collect::<Result<_, _>>()?,
        Some(_) => {
            return Err(GraphError::Malformed(format!(
                "members@delta of {id} is not an array"
            )))
        }
    };
    item.retain(|k, _| !k.starts_with("@odata."));
    Ok(DeltaItem {
        id,
        removed,
        props: item,
        members,
    })
}

/// `{"reason": "deleted"}` is permanent; `changed` (and anything unknown) is the recycle bin,
/// which is the reversible reading.
fn removal(r: &Value) -> Removal {
    match r["reason"].as_str() {
        Some(reason) if reason.eq_ignore_ascii_case("deleted") => Removal::Deleted,
        _ => Removal::Changed,
    }
}

/// `{"@odata.type": "#microsoft.graph.user", "id": "…", "@removed"?: {…}}`.
fn member(m: &Value) -> Result<MemberDelta, GraphError> {
    let id = m["id"]
        .as_str()
        .filter(|id| !id.is_empty())
        .ok_or_else(|| {
            GraphError::Malformed("a members@delta entry has no string `id`".to_string())
        })?;
    let kind = match m["@odata.type"].as_str() {
        Some(t) if t.eq_ignore_ascii_case("#microsoft.graph.user") => MemberKind::User,
        Some(t) if t.eq_ignore_ascii_case("#microsoft.graph.group") => MemberKind::Group,
        _ => MemberKind::Other,
    };
    Ok(MemberDelta {
        id: id.to_string(),
        kind,
        removed: m.get("@removed").is_some(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn item(v: Value) -> Result<DeltaItem, GraphError> {
        match v {
            Value::Object(o) => parse_item(o),
            _ => panic!("not an object"),
        }
    }

    #[test]
    fn initial_rounds_select_what_the_reconciler_tracks() {
        let api = "https://graph.microsoft.com/v1.0";
        assert_eq!(
            initial_url(api, DeltaKind::Users),
            "https://graph.microsoft.com/v1.0/users/delta?$select=id,userPrincipalName,mail,\
             displayName,givenName,surname,accountEnabled,employeeId,userType"
        );
        assert_eq!(
            initial_url(api, DeltaKind::Groups),
            "https://graph.microsoft.com/v1.0/groups/delta?$select=displayName,description,members"
        );
        assert!(!initial_url(api, DeltaKind::Users).contains("$top"));
    }

    #[test]
    fn a_user_item_keeps_its_properties_nulls_included() {
        let u = item(json!({
            "@odata.type": "#microsoft.graph.user",
            "id": "u1", "userPrincipalName": "ada@contoso.com", "mail": null,
            "accountEnabled": false, "displayName@odata.annotation": "kept"
        }))
        .expect("item");
        assert_eq!(u.id, "u1");
        assert_eq!(u.removed, None);
        assert!(u.members.is_empty());
        assert_eq!(
            Value::Object(u.props),
            json!({"userPrincipalName": "ada@contoso.com", "mail": null,
                   "accountEnabled": false, "displayName@odata.annotation": "kept"})
        );
    }

    #[test]
    fn removed_reason_deleted_is_permanent_anything_else_is_soft() {
        let gone = |reason: Value| item(json!({"id": "x", "@removed": reason})).expect("item");
        assert_eq!(
            gone(json!({"reason": "deleted"})).removed,
            Some(Removal::Deleted)
        );
        assert_eq!(
            gone(json!({"reason": "changed"})).removed,
            Some(Removal::Changed)
        );
        assert_eq!(
            gone(json!({"reason": "new-reason"})).removed,
            Some(Removal::Changed)
        );
        assert_eq!(gone(json!({})).removed, Some(Removal::Changed));
        assert!(gone(json!({"reason": "deleted"})).props.is_empty());
    }

    #[test]
    fn members_delta_is_typed_and_carries_removals() {
        let g = item(json!({
            "id": "g1", "displayName": "Eng",
            "members@delta": [
                {"@odata.type": "#microsoft.graph.user", "id": "u1"},
                {"@odata.type": "#microsoft.graph.group", "id": "g2"},
                {"@odata.type": "#microsoft.graph.device", "id": "d1"},
                {"@odata.type": "#microsoft.graph.user", "id": "u2", "@removed": {"reason": "deleted"}}
            ]
        }))
        .expect("item");
        assert_eq!(
            g.members,
            vec![
                MemberDelta {
                    id: "u1".into(),
                    kind: MemberKind::User,
                    removed: false
                },
                MemberDelta {
                    id: "g2".into(),
                    kind: MemberKind::Group,
                    removed: false
                },
                MemberDelta {
                    id: "d1".into(),
                    kind: MemberKind::Other,
                    removed: false
                },
                MemberDelta {
                    id: "u2".into(),
                    kind: MemberKind::User,
                    removed: true
                },
            ]
        );
        assert_eq!(Value::Object(g.props), json!({"displayName": "Eng"}));
    }

    #[test]
    fn items_without_ids_are_malformed() {
        for bad in [
            json!({"displayName": "no id"}),
            json!({"id": 5}),
            json!({"id": ""}),
            json!({"id": "g", "members@delta": {}}),
            json!({"id": "g", "members@delta": [{"@odata.type": "#microsoft.graph.user"}]}),
        ] {
            assert!(
                matches!(item(bad.clone()), Err(GraphError::Malformed(_))),
                "{bad}"
            );
        }
    }
}
