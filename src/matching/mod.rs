//! `totsugo match`: prove or disprove, for every roster record, that its 個人番号 belongs to
//! that person, by matching 氏名, 生年月日, 性別, 住所 (and 氏名カナ in 5-field mode) against a
//! resident-registry extract.
//!
//! 1. Rosters (the small side) are read and checked as by `validate` (V01–V16); each row keeps
//!    its values after the safe fixes, so a fixable format fault never causes a mismatch
//!    ([`crate::validate::read_rosters`]).
//! 2. Indexes are built from them: usable number → records; normalized name + birth + sex →
//!    records without a usable number.
//! 3. The registry is streamed once ([`registry::stream`]), in parallel, keeping only hits.
//! 4. Each record gets its verdict M00–M42 ([`verdict`]); outputs are written in roster order.

pub mod registry;
pub(crate) mod verdict;

use std::path::PathBuf;

use crate::schema::Layout;
use crate::validate::ValidateConfig;
pub use verdict::{FieldMode, Verdict};

/// Everything `match` needs, already checked.
#[derive(Debug, Clone)]
pub struct MatchConfig {
    /// Rosters, output folder, roster layout, encodings and rule settings (as `validate`).
    pub roster: ValidateConfig,
    pub registry: PathBuf,
    pub registry_layout: Layout,
    pub fields: FieldMode,
}
