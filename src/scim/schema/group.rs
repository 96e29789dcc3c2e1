//! `urn:ietf:params:scim:schemas:core:2.0:Group` (RFC 7643 §4.2, §8.7.1).

use super::{AttributeDef as A, Mutability, SchemaDef, Uniqueness, GROUP_URN};

pub static GROUP: SchemaDef = SchemaDef {
    id: GROUP_URN,
    name: "Group",
    description: "Group",
    attributes: &[
        // RFC 7643 says uniqueness "none"; scimd keeps displayName unique per tenant because Entra
        // matches groups by it (entra-scim.md §3.2), and says so here.
        A::string("displayName", "A human-readable name for the Group.")
            .required()
            .unique(Uniqueness::Server),
        A::complex(
            "members",
            &[
                A::string("value", "Identifier of the member of this Group.")
                    .mutability(Mutability::Immutable),
                A::reference(
                    "$ref",
                    &["User", "Group"],
                    "The URI corresponding to a SCIM resource that is a member of this Group.",
                )
                .mutability(Mutability::Immutable),
                A::string(
                    "type",
                    "A label indicating the type of resource, e.g., 'User' or 'Group'.",
                )
                .canonical(&["User", "Group"])
                .mutability(Mutability::Immutable),
                A::string(
                    "display",
                    "A human-readable name for the member, primarily used for display purposes.",
                ),
            ],
            "A list of members of the Group.",
        )
        .multi(),
    ],
};
