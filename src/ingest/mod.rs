//! Ingest: bytes of an input file → records with their physical line numbers.
//!
//! 1. [`sniff`] decides the encoding: a BOM or `--encoding` from the first chunk; otherwise one
//!    pass checks the file is valid UTF-8 throughout (the contract's rule). Also the line ending.
//! 2. [`RecordReader`] reads 1 MiB at a time, hashes it (SHA-256 for the summary) and finds the
//!    record boundaries (quoted fields with commas and line breaks work; CP932 trail bytes are
//!    0x40–0xFC and never look like `,` `"` CR LF). It hands out [`Block`]s: the bytes plus the
//!    [`Span`] and physical lines of each record. Worker threads split a span into fields
//!    ([`Block::fields`]).
//! 3. [`decode_field`] decodes one field in the file's encoding without replacement, so an
//!    undecodable byte costs its line (V14), never the file.
//!
//! Memory stays flat: a few blocks at a time, whatever the file size.

pub mod encoding;
pub mod reader;
pub mod sjis2004;
pub mod stream;

pub use encoding::{
    Encoding, FileInfo, PREFIX, decode_field, has_nec_ibm_rows, jisx0213_warning, sniff, sniff_full,
};
pub use reader::{
    Block, FieldScratch, Fields, PackedStr, RawRecord, ReadStats, RecordReader, Span,
};
