//! Japanese text normalization: pure functions over `&str`.
//!
//! - `width`: half-width ⇔ full-width (digits, letters, katakana with voicing marks).
//! - `kana`: katakana checks and hiragana/half-width → katakana.
//!
//! Validation uses these to fix a value in place (V02, V09); registry matching will use the
//! same functions to build comparison keys, so a value fixed here compares equal there.

pub mod kana;
pub mod width;
