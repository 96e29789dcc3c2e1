//! `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User` (RFC 7643 §4.3, §8.7.1).

use super::{AttributeDef as A, Mutability, SchemaDef, ENTERPRISE_USER_URN};

pub static ENTERPRISE_USER: SchemaDef = SchemaDef {
    id: ENTERPRISE_USER_URN,
    name: "EnterpriseUser",
    description: "Enterprise User",
    attributes: &[
        A::string("employeeNumber", "Numeric or alphanumeric identifier assigned to a person, typically based on order of hire or association with an organization."),
        A::string("costCenter", "Identifies the name of a cost center."),
        A::string("organization", "Identifies the name of an organization."),
        A::string("division", "Identifies the name of a division."),
        A::string("department", "Identifies the name of a department."),
        A::complex(
            "manager",
            &[
                A::string("value", "The id of the SCIM resource representing the User's manager."),
                A::reference("$ref", &["User"], "The URI of the SCIM resource representing the User's manager."),
                A::string("displayName", "The displayName of the User's manager.").mutability(Mutability::ReadOnly),
            ],
            "The User's manager.",
        ),
    ],
};
