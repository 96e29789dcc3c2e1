//! RFC 7643 schema definitions (§2 characteristics, §4 resources, §8.7 schema representation)
//! and the case-insensitive lookups every other part of the protocol layer uses.

mod enterprise;
mod group;
mod user;

pub use enterprise::ENTERPRISE_USER;
pub use group::GROUP;
pub use user::USER;

pub const USER_URN: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
pub const GROUP_URN: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
pub const ENTERPRISE_USER_URN: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
/// interop(entra): Entra lists this in `schemas` when it creates a group (entra-scim.md §2.7 P-G3).
pub const MS_GROUP_URN: &str =
    "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group";
const CUSTOM_EXTENSION_PREFIX: &str = "urn:ietf:params:scim:schemas:extension:";

/// RFC 7643 §2.3 data types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AttrType {
    String,
    Boolean,
    Decimal,
    Integer,
    DateTime,
    Binary,
    Reference,
    Complex,
}

impl AttrType {
    pub fn as_str(self) -> &'static str {
        match self {
            AttrType::String => "string",
            AttrType::Boolean => "boolean",
            AttrType::Decimal => "decimal",
            AttrType::Integer => "integer",
            AttrType::DateTime => "dateTime",
            AttrType::Binary => "binary",
            AttrType::Reference => "reference",
            AttrType::Complex => "complex",
        }
    }
    /// Types whose values are JSON strings.
    pub fn is_textual(self) -> bool {
        matches!(
            self,
            AttrType::String | AttrType::DateTime | AttrType::Binary | AttrType::Reference
        )
    }
}

/// RFC 7643 §7 `mutability`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Mutability {
    ReadOnly,
    ReadWrite,
    Immutable,
    WriteOnly,
}

impl Mutability {
    pub fn as_str(self) -> &'static str {
        match self {
            Mutability::ReadOnly => "readOnly",
            Mutability::ReadWrite => "readWrite",
            Mutability::Immutable => "immutable",
            Mutability::WriteOnly => "writeOnly",
        }
    }
}

/// RFC 7643 §7 `returned`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Returned {
    Always,
    Never,
    Default,
    Request,
}

impl Returned {
    pub fn as_str(self) -> &'static str {
        match self {
            Returned::Always => "always",
            Returned::Never => "never",
            Returned::Default => "default",
            Returned::Request => "request",
        }
    }
}

/// RFC 7643 §7 `uniqueness`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Uniqueness {
    None,
    Server,
    Global,
}

impl Uniqueness {
    pub fn as_str(self) -> &'static str {
        match self {
            Uniqueness::None => "none",
            Uniqueness::Server => "server",
            Uniqueness::Global => "global",
        }
    }
}

/// One attribute definition with every RFC 7643 §7 characteristic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AttributeDef {
    pub name: &'static str,
    pub ty: AttrType,
    pub multi_valued: bool,
    pub description: &'static str,
    pub required: bool,
    pub case_exact: bool,
    pub mutability: Mutability,
    pub returned: Returned,
    pub uniqueness: Uniqueness,
    pub canonical_values: &'static [&'static str],
    pub reference_types: &'static [&'static str],
    pub sub_attributes: &'static [AttributeDef],
}

impl AttributeDef {
    const fn base(name: &'static str, ty: AttrType, description: &'static str) -> Self {
        AttributeDef {
            name,
            ty,
            multi_valued: false,
            description,
            required: false,
            case_exact: false,
            mutability: Mutability::ReadWrite,
            returned: Returned::Default,
            uniqueness: Uniqueness::None,
            canonical_values: &[],
            reference_types: &[],
            sub_attributes: &[],
        }
    }
    pub const fn string(name: &'static str, description: &'static str) -> Self {
        Self::base(name, AttrType::String, description)
    }
    pub const fn boolean(name: &'static str, description: &'static str) -> Self {
        Self::base(name, AttrType::Boolean, description)
    }
    pub const fn date_time(name: &'static str, description: &'static str) -> Self {
        Self::base(name, AttrType::DateTime, description)
    }
    pub const fn binary(name: &'static str, description: &'static str) -> Self {
        Self::base(name, AttrType::Binary, description)
    }
    pub const fn reference(
        name: &'static str,
        types: &'static [&'static str],
        description: &'static str,
    ) -> Self {
        let mut a = Self::base(name, AttrType::Reference, description);
        a.reference_types = types;
        a
    }
    pub const fn complex(
        name: &'static str,
        subs: &'static [AttributeDef],
        description: &'static str,
    ) -> Self {
        let mut a = Self::base(name, AttrType::Complex, description);
        a.sub_attributes = subs;
        a
    }
    pub const fn multi(mut self) -> Self {
        self.multi_valued = true;
        self
    }
    pub const fn required(mut self) -> Self {
        self.required = true;
        self
    }
    pub const fn case_exact(mut self) -> Self {
        self.case_exact = true;
        self
    }
    pub const fn mutability(mut self, m: Mutability) -> Self {
        self.mutability = m;
        self
    }
    pub const fn returned(mut self, r: Returned) -> Self {
        self.returned = r;
        self
    }
    pub const fn unique(mut self, u: Uniqueness) -> Self {
        self.uniqueness = u;
        self
    }
    pub const fn canonical(mut self, values: &'static [&'static str]) -> Self {
        self.canonical_values = values;
        self
    }

    /// Case-insensitive sub-attribute lookup (RFC 7643 §2.1).
    pub fn sub(&self, name: &str) -> Option<&'static AttributeDef> {
        find_attr(self.sub_attributes, name)
    }
}

/// A schema (RFC 7643 §7): its URN and top-level attributes.
#[derive(Debug, PartialEq, Eq)]
pub struct SchemaDef {
    pub id: &'static str,
    pub name: &'static str,
    pub description: &'static str,
    pub attributes: &'static [AttributeDef],
}

impl SchemaDef {
    pub fn attr(&self, name: &str) -> Option<&'static AttributeDef> {
        find_attr(self.attributes, name)
    }
}

pub(crate) fn find_attr(
    attrs: &'static [AttributeDef],
    name: &str,
) -> Option<&'static AttributeDef> {
    attrs.iter().find(|a| a.name.eq_ignore_ascii_case(name))
}

/// The two resource types scimd serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ResourceKind {
    User,
    Group,
}

impl ResourceKind {
    pub fn name(self) -> &'static str {
        match self {
            ResourceKind::User => "User",
            ResourceKind::Group => "Group",
        }
    }
    pub fn endpoint(self) -> &'static str {
        match self {
            ResourceKind::User => "/Users",
            ResourceKind::Group => "/Groups",
        }
    }
    pub fn core(self) -> &'static SchemaDef {
        match self {
            ResourceKind::User => &USER,
            ResourceKind::Group => &GROUP,
        }
    }
    /// Schema extensions with known definitions (custom extensions are handled generically).
    pub fn extensions(self) -> &'static [&'static SchemaDef] {
        static USER_EXTENSIONS: [&SchemaDef; 1] = [&ENTERPRISE_USER];
        match self {
            ResourceKind::User => &USER_EXTENSIONS,
            ResourceKind::Group => &[],
        }
    }
    /// The attribute that names the resource and must be unique (case-insensitively) per tenant.
    pub fn naming_attr(self) -> &'static str {
        match self {
            ResourceKind::User => "userName",
            ResourceKind::Group => "displayName",
        }
    }
    /// Extension schema URNs that are tolerated in `schemas` but carry no attributes of their own.
    pub fn tolerated_schema(self, urn: &str) -> bool {
        self == ResourceKind::Group && urn.eq_ignore_ascii_case(MS_GROUP_URN)
    }
    /// Whether `urn` can name a custom extension of this resource:
    /// `urn:ietf:params:scim:schemas:extension:<Name>:2.0:<User|Group>`.
    pub fn is_custom_extension(self, urn: &str) -> bool {
        if urn.eq_ignore_ascii_case(ENTERPRISE_USER_URN)
            || urn.len() <= CUSTOM_EXTENSION_PREFIX.len()
        {
            return false;
        }
        let (prefix, rest) = urn.split_at(CUSTOM_EXTENSION_PREFIX.len());
        if !prefix.eq_ignore_ascii_case(CUSTOM_EXTENSION_PREFIX) {
            return false;
        }
        let mut parts = rest.split(':');
        let (Some(name), Some(version), Some(kind), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return false;
        };
        !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.')
            && !version.is_empty()
            && version.chars().all(|c| c.is_ascii_digit() || c == '.')
            && kind.eq_ignore_ascii_case(self.name())
    }
}

/// Common attributes (RFC 7643 §3.1) that every resource carries outside its schemas.
pub static ID: AttributeDef = AttributeDef::string(
    "id",
    "Unique identifier for the SCIM resource as defined by the service provider.",
)
.case_exact()
.mutability(Mutability::ReadOnly)
.returned(Returned::Always)
.unique(Uniqueness::Server);
pub static EXTERNAL_ID: AttributeDef = AttributeDef::string(
    "externalId",
    "Identifier for the resource as defined by the provisioning client.",
)
.case_exact();
pub static META: AttributeDef = AttributeDef::complex(
    "meta",
    &[
        AttributeDef::string(
            "resourceType",
            "The name of the resource type of the resource.",
        )
        .case_exact()
        .mutability(Mutability::ReadOnly),
        AttributeDef::date_time(
            "created",
            "The date and time the resource was added to the service provider.",
        )
        .mutability(Mutability::ReadOnly),
        AttributeDef::date_time(
            "lastModified",
            "The most recent date and time the resource was modified.",
        )
        .mutability(Mutability::ReadOnly),
        AttributeDef::reference(
            "location",
            &["uri"],
            "The URI of the resource being returned.",
        )
        .case_exact()
        .mutability(Mutability::ReadOnly),
        AttributeDef::string("version", "The version (weak ETag) of the resource.")
            .case_exact()
            .mutability(Mutability::ReadOnly),
    ],
    "Resource metadata.",
)
.mutability(Mutability::ReadOnly);
pub static COMMON: [&AttributeDef; 3] = [&ID, &EXTERNAL_ID, &META];

/// Look up a common attribute (`id`, `externalId`, `meta`) case-insensitively.
pub fn common_attr(name: &str) -> Option<&'static AttributeDef> {
    COMMON
        .iter()
        .copied()
        .find(|a| a.name.eq_ignore_ascii_case(name))
}

/// Where an attribute lives in a resource document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttrHome {
    /// A common attribute or one of the core schema: a top-level key.
    Core,
    /// An attribute of a known extension: under the extension's URN key.
    Extension(&'static SchemaDef),
}

/// A schema-resolved top-level attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResolvedAttr {
    pub home: AttrHome,
    pub def: &'static AttributeDef,
}

impl ResolvedAttr {
    /// The URN of the schema the attribute belongs to (common attributes report the core URN).
    pub fn schema_urn(&self, kind: ResourceKind) -> &'static str {
        match self.home {
            AttrHome::Core => kind.core().id,
            AttrHome::Extension(s) => s.id,
        }
    }
}

/// Resolve an attribute name (optionally prefixed with a schema URN, as in
/// `urn:…:enterprise:2.0:User:department`) against a resource kind's schemas. Unqualified names
/// are looked up in the common attributes, then the core schema, then known extensions.
pub fn resolve(kind: ResourceKind, urn: Option<&str>, name: &str) -> Option<ResolvedAttr> {
    match urn {
        Some(urn) if urn.eq_ignore_ascii_case(kind.core().id) => core_attr(kind, name),
        Some(urn) => kind
            .extensions()
            .iter()
            .find(|s| s.id.eq_ignore_ascii_case(urn))
            .and_then(|s| {
                s.attr(name).map(|def| ResolvedAttr {
                    home: AttrHome::Extension(s),
                    def,
                })
            }),
        None => core_attr(kind, name).or_else(|| {
            kind.extensions().iter().find_map(|s| {
                s.attr(name).map(|def| ResolvedAttr {
                    home: AttrHome::Extension(s),
                    def,
                })
            })
        }),
    }
}

fn core_attr(kind: ResourceKind, name: &str) -> Option<ResolvedAttr> {
    common_attr(name)
        .or_else(|| kind.core().attr(name))
        .map(|def| ResolvedAttr {
            home: AttrHome::Core,
            def,
        })
}

/// Known extension schema by URN (case-insensitive).
pub fn extension(kind: ResourceKind, urn: &str) -> Option<&'static SchemaDef> {
    kind.extensions()
        .iter()
        .copied()
        .find(|s| s.id.eq_ignore_ascii_case(urn))
}

/// Split a fully qualified attribute reference `urn:…:<Schema>:<attr>[.<sub>]` into the schema URN
/// and the rest, using the schemas known for `kind` and the custom-extension URN shape.
/// Returns `None` when the text does not start with a URN.
pub fn split_urn(kind: ResourceKind, text: &str) -> Option<(String, String)> {
    if !text
        .get(..4)
        .is_some_and(|p| p.eq_ignore_ascii_case("urn:"))
    {
        return None;
    }
    let known = std::iter::once(kind.core().id).chain(kind.extensions().iter().map(|s| s.id));
    for urn in known {
        if text.len() > urn.len() + 1
            && text.is_char_boundary(urn.len())
            && text[..urn.len()].eq_ignore_ascii_case(urn)
            && text.as_bytes()[urn.len()] == b':'
        {
            return Some((urn.to_string(), text[urn.len() + 1..].to_string()));
        }
    }
    // Custom extension: the attribute is what follows the last ':'.
    let idx = text.rfind(':')?;
    let (urn, rest) = (&text[..idx], &text[idx + 1..]);
    (kind.is_custom_extension(urn) && !rest.is_empty()).then(|| (urn.to_string(), rest.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attribute_lookup_is_case_insensitive() {
        let a = resolve(ResourceKind::User, None, "USERNAME").unwrap();
        assert_eq!(a.def.name, "userName");
        let d = resolve(ResourceKind::User, None, "Department").unwrap();
        assert_eq!(d.home, AttrHome::Extension(&ENTERPRISE_USER));
        let e = resolve(
            ResourceKind::User,
            Some("URN:ietf:params:scim:schemas:extension:ENTERPRISE:2.0:User"),
            "manager",
        );
        assert_eq!(e.unwrap().def.name, "manager");
        assert!(resolve(ResourceKind::Group, None, "userName").is_none());
        assert_eq!(
            USER.attr("emails").unwrap().sub("VALUE").unwrap().name,
            "value"
        );
    }

    #[test]
    fn custom_extension_urns_are_recognised() {
        let k = ResourceKind::User;
        assert!(k.is_custom_extension("urn:ietf:params:scim:schemas:extension:Acme:2.0:User"));
        assert!(k.is_custom_extension("urn:ietf:params:scim:schemas:extension:acme-corp:2.0:user"));
        assert!(!k.is_custom_extension("urn:ietf:params:scim:schemas:extension:Acme:2.0:Group"));
        assert!(!k.is_custom_extension("urn:ietf:params:scim:schemas:extension:2.0:User"));
        assert!(!k.is_custom_extension(ENTERPRISE_USER_URN));
        assert!(!k.is_custom_extension("urn:foo"));
    }

    #[test]
    fn split_urn_finds_schema_and_attribute() {
        let k = ResourceKind::User;
        assert_eq!(
            split_urn(
                k,
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value"
            ),
            Some((ENTERPRISE_USER_URN.to_string(), "manager.value".to_string()))
        );
        assert_eq!(
            split_urn(
                k,
                "urn:ietf:params:scim:schemas:extension:Acme:2.0:User:badge"
            ),
            Some((
                "urn:ietf:params:scim:schemas:extension:Acme:2.0:User".to_string(),
                "badge".to_string()
            ))
        );
        assert_eq!(split_urn(k, "userName"), None);
        assert_eq!(split_urn(k, "urn:x:y"), None);
    }
}
