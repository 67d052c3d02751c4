//! Parquet at the columnar boundary (issue 19): the only module that links polars.
//!
//! - `--registry` may be a Parquet file, recognised by its magic bytes (`PAR1`), never by its
//!   name: [`read::stream_registry`] reads it row group by row group and probes each row with
//!   the same function as the CSV reader, so results.csv is byte for byte the CSV run's.
//! - `totsugo prepare` ([`prepare::prepare`]) reads a CSV extract with totsugo's own reader
//!   (CP932, physical line numbers, V14/V16) and writes such a file once, with the source line
//!   of every row and, in the file's key-value metadata, the source's size, modification time,
//!   SHA-256, the lines that could not be read and [`crate::normalize::NORMALIZATION_VERSION`].
//! - `--parquet` ([`write::csv_to_parquet`]) also writes findings.parquet and results.parquet:
//!   the CSVs' rows and cells (masked and defused by the same cell function), line numbers as
//!   integers.
//!
//! The CP932 core never sees polars: it ends at strings. Everything here sits behind the cargo
//! feature `parquet`; without it a Parquet registry is refused with a message saying so.

use std::io::Read;
use std::path::Path;

use crate::error::Error;
use crate::ingest::{Encoding, FileInfo};

#[cfg(feature = "parquet")]
pub mod prepare;
#[cfg(feature = "parquet")]
pub mod read;
#[cfg(feature = "parquet")]
pub mod write;

#[cfg(not(feature = "parquet"))]
pub mod read {
    //! Without the `parquet` feature: a Parquet registry is refused (exit 2).
    pub use super::RowsRead;
    use crate::error::Error;
    use crate::ingest::FileInfo;
    use crate::ingest::stream::Probe;
    use crate::schema::Layout;

    pub fn stream_rows<P, F>(
        info: &FileInfo,
        _layout: &Layout,
        _probe: F,
        _keep: impl FnMut(Probe<P>),
    ) -> Result<RowsRead, Error>
    where
        P: Send,
        F: for<'a> Fn(u64, &'a dyn Fn(usize) -> &'a str) -> Probe<P> + Sync,
    {
        Err(super::not_built(&info.display))
    }
}

/// What `read::stream_rows` read besides the rows: the file's counts and hash, the unreadable
/// lines `prepare` recorded, and where the layout's fields are (with or without the feature).
pub struct RowsRead {
    pub stats: crate::ingest::ReadStats,
    pub recorded_bad_lines: Vec<crate::ingest::stream::BadLine>,
    pub columns: crate::schema::ColumnMap,
}

/// The first (and last) four bytes of every Parquet file.
pub const MAGIC: &[u8; 4] = b"PAR1";

/// Key-value metadata keys of a prepared registry.
pub mod meta {
    pub const NORMALIZATION_VERSION: &str = "totsugo.normalization_version";
    pub const SOURCE_PATH: &str = "totsugo.source_path";
    pub const SOURCE_BYTES: &str = "totsugo.source_bytes";
    pub const SOURCE_MTIME: &str = "totsugo.source_mtime";
    pub const SOURCE_SHA256: &str = "totsugo.source_sha256";
    pub const SOURCE_ENCODING: &str = "totsugo.source_encoding";
    pub const BAD_LINES: &str = "totsugo.bad_lines";
    pub const VERSION: &str = "totsugo.version";
}

/// The column of a prepared file that holds each row's physical line in the CSV extract.
pub const LINE_COLUMN: &str = "行番号";

/// Whether `path` starts with the Parquet magic bytes.
pub fn is_parquet(path: &Path, display: &str) -> Result<bool, Error> {
    let mut f = crate::ingest::encoding::open_input(path, display)?;
    let mut head = [0u8; 4];
    let mut got = 0;
    while got < head.len() {
        match f.read(&mut head[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(source) => {
                return Err(Error::Read {
                    path: display.to_string(),
                    source,
                });
            }
        }
    }
    Ok(got == head.len() && &head == MAGIC)
}

/// [`crate::ingest::sniff`] for the registry: a Parquet file is not sniffed for an encoding
/// (its strings are UTF-8 by the format).
pub fn sniff_registry(path: &Path, display: &str) -> Result<FileInfo, Error> {
    if !is_parquet(path, display)? {
        return crate::ingest::sniff(path, display, None);
    }
    let bytes = std::fs::metadata(path)
        .map_err(|source| Error::Read {
            path: display.to_string(),
            source,
        })?
        .len();
    Ok(FileInfo {
        path: path.to_path_buf(),
        display: display.to_string(),
        encoding: Encoding::Utf8,
        encoding_forced: false,
        bom: false,
        crlf: false,
        bytes,
        provisional: false,
        note: Some("Parquet".into()),
    })
}

/// `--parquet`: `<name>.parquet` from each just-written `<name>.csv` in `out`.
pub fn review_parquet(
    out: &Path,
    names: &[&str],
    enc: crate::report::OutputEncoding,
) -> Result<(), Error> {
    #[cfg(feature = "parquet")]
    for name in names {
        let csv = out.join(format!("{name}.csv"));
        write::csv_to_parquet(&csv, &out.join(format!("{name}.parquet")), enc)?;
    }
    #[cfg(not(feature = "parquet"))]
    if let Some(name) = names.first() {
        let _ = enc;
        return Err(not_built(
            &out.join(format!("{name}.parquet")).display().to_string(),
        ));
    }
    Ok(())
}

/// The error for a Parquet input or output when the binary was built without the feature.
pub fn not_built(display: &str) -> Error {
    Error::Unsupported {
        path: display.to_string(),
        message: "Parquet ファイルですが、この totsugo は Parquet 対応なしでビルドされています（cargo build --release --features parquet でビルドし直してください）".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tests::support::root;

    fn plain() -> std::path::PathBuf {
        root().join("fixtures/parquet/registry_pyarrow.parquet")
    }

    #[test]
    fn parquet_is_recognised_by_its_magic_bytes_not_by_its_name() {
        let dir = tempfile::tempdir().unwrap();
        let disguised = dir.path().join("extract.csv");
        std::fs::copy(plain(), &disguised).unwrap();
        assert!(is_parquet(&disguised, "extract.csv").unwrap());
        let csv_named_parquet = dir.path().join("extract.parquet");
        std::fs::copy(
            root().join("fixtures/match/input/registry.csv"),
            &csv_named_parquet,
        )
        .unwrap();
        assert!(!is_parquet(&csv_named_parquet, "extract.parquet").unwrap());
        let short = dir.path().join("short");
        std::fs::write(&short, b"PAR").unwrap();
        assert!(!is_parquet(&short, "short").unwrap());
        let info = sniff_registry(&disguised, "extract.csv").unwrap();
        assert_eq!(info.note.as_deref(), Some("Parquet"));
    }

    #[cfg(not(feature = "parquet"))]
    #[test]
    fn without_the_feature_a_parquet_registry_is_exit_2_saying_so() {
        let dir = tempfile::tempdir().unwrap();
        let (code, _, err) = crate::tests::support::run(&[
            "match",
            &root()
                .join("fixtures/match/input/tokyo.csv")
                .display()
                .to_string(),
            "--registry",
            &plain().display().to_string(),
            "--out",
            &dir.path().join("out").display().to_string(),
        ]);
        assert_eq!(code, 2, "{err}");
        assert!(err.contains("Parquet 対応なし"), "{err}");
    }
}
