//! Ingest: bytes of an input file → records with their physical line numbers.
//!
//! 1. [`sniff`] reads the whole file once, in fixed-size chunks: its SHA-256, whether it is
//!    valid UTF-8 throughout (the contract's encoding rule), its BOM and its line ending.
//! 2. [`RecordReader`] splits records on raw bytes with the csv crate (quoted fields with commas
//!    and line breaks work; CP932 trail bytes are 0x40–0xFC and never look like `,` `"` CR LF)
//!    and hands out batches of [`RawRecord`]s with the line span each one covers.
//! 3. [`decode_field`] decodes one field in the file's encoding without replacement, so an
//!    undecodable byte costs its line (V14), never the file.
//!
//! Memory stays flat: one batch of records at a time, whatever the file size.

pub mod encoding;
pub mod reader;

pub use encoding::{Encoding, FileInfo, decode_field, sniff};
pub use reader::{RawRecord, RecordReader};
