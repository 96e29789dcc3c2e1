//! RFC 7644 §3.4.2.2 filters: parse (syntax, limits) → bind (schema, case rules) → evaluate in
//! memory, or translate to SQL in `storage`.

pub mod ast;
pub mod bind;
pub mod eval;
pub mod parser;

pub use ast::{AttrPath, CompValue, CompareOp, Filter, PatchPath};
pub use bind::{bind, AttrLoc, BoundAttr, BoundFilter};
pub use eval::matches;
pub use parser::{parse, parse_patch_path, MAX_DEPTH, MAX_LENGTH};
