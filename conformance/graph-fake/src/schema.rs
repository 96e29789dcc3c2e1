//! Property tables of the directory object types the fake serves. An object stores only the
//! properties that were set, keyed by their index here; a change is a bit mask over the same
//! indexes, which is what lets delta skip changes to properties that were not `$select`ed.

use serde_json::{Map, Value};

pub(crate) struct Prop {
    pub name: &'static str,
    /// Part of the set Graph returns when the request has no `$select`.
    pub default: bool,
    /// A collection: rendered `[]` rather than `null` when unset.
    pub many: bool,
}

pub(crate) struct Schema {
    /// `@odata.type` of members of this type.
    pub odata_type: &'static str,
    /// Entity set name, for `@odata.context`.
    pub entity_set: &'static str,
    pub props: &'static [Prop],
}

const fn one(name: &'static str, default: bool) -> Prop {
    Prop {
        name,
        default,
        many: false,
    }
}

const fn many(name: &'static str, default: bool) -> Prop {
    Prop {
        name,
        default,
        many: true,
    }
}

/// Index 0 of every table: rendered from the object's key, never stored.
pub(crate) const ID: u8 = 0;

pub(crate) static USER: Schema = Schema {
    odata_type: "#microsoft.graph.user",
    entity_set: "users",
    props: &[
        one("id", true),
        one("accountEnabled", false),
        one("ageGroup", false),
        many("businessPhones", true),
        one("city", false),
        one("companyName", false),
        one("country", false),
        one("createdDateTime", false),
        one("creationType", false),
        one("deletedDateTime", false),
        one("department", false),
        one("displayName", true),
        one("employeeHireDate", false),
        one("employeeId", false),
        one("employeeType", false),
        one("externalUserState", false),
        one("faxNumber", false),
        one("givenName", true),
        many("identities", false),
        many("imAddresses", false),
        one("jobTitle", true),
        one("mail", true),
        one("mailNickname", false),
        one("mobilePhone", true),
        one("officeLocation", true),
        one("onPremisesDistinguishedName", false),
        one("onPremisesDomainName", false),
        one("onPremisesImmutableId", false),
        one("onPremisesLastSyncDateTime", false),
        one("onPremisesSamAccountName", false),
        one("onPremisesSecurityIdentifier", false),
        one("onPremisesSyncEnabled", false),
        one("onPremisesUserPrincipalName", false),
        many("otherMails", false),
        one("passwordPolicies", false),
        one("postalCode", false),
        one("preferredLanguage", true),
        many("proxyAddresses", false),
        one("securityIdentifier", false),
        one("showInAddressList", false),
        one("state", false),
        one("streetAddress", false),
        one("surname", true),
        one("usageLocation", false),
        one("userPrincipalName", true),
        one("userType", false),
    ],
};

pub(crate) static GROUP: Schema = Schema {
    odata_type: "#microsoft.graph.group",
    entity_set: "groups",
    props: &[
        one("id", true),
        one("classification", true),
        one("createdDateTime", true),
        many("creationOptions", true),
        one("deletedDateTime", true),
        one("description", true),
        one("displayName", true),
        one("expirationDateTime", true),
        many("groupTypes", true),
        one("isAssignableToRole", true),
        one("mail", true),
        one("mailEnabled", true),
        one("mailNickname", true),
        one("membershipRule", true),
        one("membershipRuleProcessingState", true),
        one("onPremisesDomainName", true),
        one("onPremisesLastSyncDateTime", true),
        one("onPremisesNetBiosName", true),
        one("onPremisesSamAccountName", true),
        one("onPremisesSecurityIdentifier", true),
        one("onPremisesSyncEnabled", true),
        one("preferredDataLocation", true),
        one("preferredLanguage", true),
        many("proxyAddresses", true),
        one("renewedDateTime", true),
        many("resourceBehaviorOptions", true),
        many("resourceProvisioningOptions", true),
        one("securityEnabled", true),
        one("securityIdentifier", true),
        one("theme", true),
        one("visibility", true),
    ],
};

pub(crate) static DEVICE: Schema = Schema {
    odata_type: "#microsoft.graph.device",
    entity_set: "devices",
    props: &[
        one("id", true),
        one("accountEnabled", true),
        one("createdDateTime", true),
        one("deletedDateTime", true),
        one("deviceId", true),
        one("displayName", true),
        one("operatingSystem", true),
        one("operatingSystemVersion", true),
        one("trustType", true),
    ],
};

pub(crate) static SERVICE_PRINCIPAL: Schema = Schema {
    odata_type: "#microsoft.graph.servicePrincipal",
    entity_set: "servicePrincipals",
    props: &[
        one("id", true),
        one("accountEnabled", true),
        one("appDisplayName", true),
        one("appId", true),
        one("appOwnerOrganizationId", true),
        one("appRoleAssignmentRequired", true),
        one("createdDateTime", true),
        one("deletedDateTime", true),
        one("displayName", true),
        many("servicePrincipalNames", true),
        one("servicePrincipalType", true),
        many("tags", true),
    ],
};

pub(crate) static APP_ROLE_ASSIGNMENT: Schema = Schema {
    odata_type: "#microsoft.graph.appRoleAssignment",
    entity_set: "appRoleAssignments",
    props: &[
        one("id", true),
        one("appRoleId", true),
        one("createdDateTime", true),
        one("deletedDateTime", true),
        one("principalDisplayName", true),
        one("principalId", true),
        one("principalType", true),
        one("resourceDisplayName", true),
        one("resourceId", true),
    ],
};

impl Schema {
    /// The index of `name`, matched case-insensitively as Graph does.
    pub fn index(&self, name: &str) -> Option<u8> {
        self.props
            .iter()
            .position(|p| p.name.eq_ignore_ascii_case(name))
            .and_then(|i| u8::try_from(i).ok())
    }

    pub fn name(&self, index: u8) -> &'static str {
        self.props.get(usize::from(index)).map_or("", |p| p.name)
    }

    pub fn defaults(&self) -> Vec<u8> {
        self.props
            .iter()
            .enumerate()
            .filter(|(_, p)| p.default)
            .filter_map(|(i, _)| u8::try_from(i).ok())
            .collect()
    }

    /// The value an unset property renders as.
    pub fn unset(&self, index: u8) -> Value {
        match self.props.get(usize::from(index)) {
            Some(p) if p.many => Value::Array(Vec::new()),
            _ => Value::Null,
        }
    }
}

/// Bit of property `index` in a change mask (tables stay under 64 entries).
pub(crate) fn bit(index: u8) -> u64 {
    1u64 << (index & 63)
}

pub(crate) fn mask(indexes: &[u8]) -> u64 {
    indexes.iter().fold(0, |m, &i| m | bit(i))
}

/// The properties that were set on one object, by schema index.
#[derive(Clone, Debug, Default)]
pub(crate) struct Props(Vec<(u8, Value)>);

impl Props {
    pub fn get(&self, index: u8) -> Option<&Value> {
        self.0.iter().find(|(i, _)| *i == index).map(|(_, v)| v)
    }

    pub fn str(&self, index: u8) -> Option<&str> {
        self.get(index).and_then(Value::as_str)
    }

    /// Sets (or with `null`, clears) a property; true when the value changed.
    pub fn set(&mut self, index: u8, value: Value) -> bool {
        if value.is_null() {
            let before = self.0.len();
            self.0.retain(|(i, _)| *i != index);
            return self.0.len() != before;
        }
        match self.0.iter_mut().find(|(i, _)| *i == index) {
            Some((_, old)) if *old == value => false,
            Some((_, old)) => {
                *old = value;
                true
            }
            None => {
                self.0.push((index, value));
                true
            }
        }
    }

    /// Writes the properties at `indexes` into `out` (`id` comes from the object's key).
    pub fn render(&self, schema: &Schema, id: &str, indexes: &[u8], out: &mut Map<String, Value>) {
        for &i in indexes {
            let value = if i == ID {
                Value::String(id.to_owned())
            } else {
                self.get(i).cloned().unwrap_or_else(|| schema.unset(i))
            };
            out.insert(schema.name(i).to_owned(), value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_fit_a_change_mask_and_start_with_id() {
        for s in [
            &USER,
            &GROUP,
            &DEVICE,
            &SERVICE_PRINCIPAL,
            &APP_ROLE_ASSIGNMENT,
        ] {
            assert!(s.props.len() <= 64, "{}", s.entity_set);
            assert_eq!(s.props[0].name, "id");
        }
    }

    #[test]
    fn user_defaults_are_graphs() {
        let names: Vec<_> = USER.defaults().iter().map(|&i| USER.name(i)).collect();
        assert_eq!(
            names,
            [
                "id",
                "businessPhones",
                "displayName",
                "givenName",
                "jobTitle",
                "mail",
                "mobilePhone",
                "officeLocation",
                "preferredLanguage",
                "surname",
                "userPrincipalName"
            ]
        );
        assert_eq!(USER.index("ACCOUNTENABLED"), USER.index("accountEnabled"));
    }
}
