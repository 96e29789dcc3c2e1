//! `urn:ietf:params:scim:schemas:core:2.0:User` (RFC 7643 §4.1, §8.7.1).

use super::{AttributeDef as A, Mutability, Returned, SchemaDef, Uniqueness, USER_URN};

const fn value(desc: &'static str) -> A {
    A::string("value", desc)
}
const fn display() -> A {
    A::string(
        "display",
        "A human-readable name, primarily used for display purposes.",
    )
}
const fn primary() -> A {
    A::boolean(
        "primary",
        "A Boolean value indicating the 'primary' or preferred attribute value for this attribute.",
    )
}
const fn kind(values: &'static [&'static str]) -> A {
    A::string("type", "A label indicating the attribute's function.").canonical(values)
}

const NAME: &[A] = &[
    A::string("formatted", "The full name, including all middle names, titles, and suffixes as appropriate, formatted for display."),
    A::string("familyName", "The family name of the User, or last name in most Western languages."),
    A::string("givenName", "The given name of the User, or first name in most Western languages."),
    A::string("middleName", "The middle name(s) of the User."),
    A::string("honorificPrefix", "The honorific prefix(es) of the User, or title in most Western languages."),
    A::string("honorificSuffix", "The honorific suffix(es) of the User, or suffix in most Western languages."),
];

const EMAILS: &[A] = &[
    value("Email addresses for the user."),
    display(),
    kind(&["work", "home", "other"]),
    primary(),
];
const PHONES: &[A] = &[
    value("Phone number of the User."),
    display(),
    kind(&["work", "home", "mobile", "fax", "pager", "other"]),
    primary(),
];
const IMS: &[A] = &[
    value("Instant messaging address for the User."),
    display(),
    kind(&["aim", "gtalk", "icq", "xmpp", "msn", "skype", "qq", "yahoo"]),
    primary(),
];
const PHOTOS: &[A] = &[
    A::reference("value", &["external"], "URL of a photo of the User.").case_exact(),
    display(),
    kind(&["photo", "thumbnail"]),
    primary(),
];
const ADDRESSES: &[A] = &[
    A::string(
        "formatted",
        "The full mailing address, formatted for display or use with a mailing label.",
    ),
    A::string("streetAddress", "The full street address component."),
    A::string("locality", "The city or locality component."),
    A::string("region", "The state or region component."),
    A::string("postalCode", "The zip code or postal code component."),
    A::string("country", "The country name component."),
    kind(&["work", "home", "other"]),
    primary(),
];
const GROUPS: &[A] = &[
    A::string("value", "The identifier of the User's group.").mutability(Mutability::ReadOnly),
    A::reference(
        "$ref",
        &["User", "Group"],
        "The URI of the corresponding 'Group' resource to which the user belongs.",
    )
    .mutability(Mutability::ReadOnly),
    display().mutability(Mutability::ReadOnly),
    kind(&["direct", "indirect"]).mutability(Mutability::ReadOnly),
];
const PLAIN_MULTI: &[A] = &[
    value("The value of an entitlement or role."),
    display(),
    A::string("type", "A label indicating the attribute's function."),
    primary(),
];
const CERTS: &[A] = &[
    A::binary("value", "The value of an X.509 certificate."),
    display(),
    A::string("type", "A label indicating the attribute's function."),
    primary(),
];

pub static USER: SchemaDef = SchemaDef {
    id: USER_URN,
    name: "User",
    description: "User Account",
    attributes: &[
        A::string("userName", "Unique identifier for the User, typically used by the user to directly authenticate to the service provider. Each User MUST include a non-empty userName value. This identifier MUST be unique across the service provider's entire set of Users.")
            .required()
            .unique(Uniqueness::Server),
        A::complex("name", NAME, "The components of the user's real name."),
        A::string("displayName", "The name of the User, suitable for display to end-users."),
        A::string("nickName", "The casual way to address the user in real life."),
        A::reference("profileUrl", &["external"], "A fully qualified URL pointing to a page representing the User's online profile."),
        A::string("title", "The user's title, such as \"Vice President.\""),
        A::string("userType", "Used to identify the relationship between the organization and the user."),
        A::string("preferredLanguage", "Indicates the User's preferred written or spoken language."),
        A::string("locale", "Used to indicate the User's default location for purposes of localizing items such as currency, date time format, or numerical representations."),
        A::string("timezone", "The User's time zone in the 'Olson' time zone database format, e.g., 'America/Los_Angeles'."),
        A::boolean("active", "A Boolean value indicating the User's administrative status."),
        A::string("password", "The User's cleartext password. Never returned.")
            .mutability(Mutability::WriteOnly)
            .returned(Returned::Never),
        A::complex("emails", EMAILS, "Email addresses for the user.").multi(),
        A::complex("phoneNumbers", PHONES, "Phone numbers for the User.").multi(),
        A::complex("ims", IMS, "Instant messaging addresses for the User.").multi(),
        A::complex("photos", PHOTOS, "URLs of photos of the User.").multi(),
        A::complex("addresses", ADDRESSES, "A physical mailing address for this User.").multi(),
        A::complex("groups", GROUPS, "A list of groups to which the user belongs, either through direct membership, through nested groups, or dynamically calculated.")
            .multi()
            .mutability(Mutability::ReadOnly),
        A::complex("entitlements", PLAIN_MULTI, "A list of entitlements for the User that represent a thing the User has.").multi(),
        A::complex("roles", PLAIN_MULTI, "A list of roles for the User that collectively represent who the User is.").multi(),
        A::complex("x509Certificates", CERTS, "A list of certificates issued to the User.").multi(),
    ],
};
