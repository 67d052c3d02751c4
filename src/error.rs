//! Errors that stop the run (exit 2). Trouble in the data is never one of these: it is a
//! [`crate::findings::Finding`] and the run goes on.

use crate::schema::SchemaError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{path}: 読み込めません: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: 書き込めません: {source}")]
    Write {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: ファイルが空です（見出し行がありません）")]
    EmptyFile { path: String },
    #[error("{path}: 見出し行の{column}列目を {encoding} として読めません（{bytes}）{hint}")]
    HeaderDecode {
        path: String,
        column: usize,
        encoding: &'static str,
        bytes: String,
        /// Why the file was read in that encoding, when the header itself says otherwise.
        hint: &'static str,
    },
    #[error("{path}: {message}")]
    Unsupported { path: String, message: String },
    #[error(transparent)]
    Schema(#[from] SchemaError),
    #[error("{0}")]
    Usage(String),
    /// Another run holds the state folder's lock.
    #[error("{0}")]
    Locked(String),
    /// The nightly baseline is missing or damaged: never treated as empty.
    #[error("{path}: {message}")]
    Baseline { path: String, message: String },
    /// SIGINT/SIGTERM/SIGHUP arrived before the outputs were replaced.
    #[error("{0} を受けて中断しました。前回の出力と基準はそのまま残っています")]
    Interrupted(&'static str),
    #[error("内部エラー: {0}")]
    Internal(String),
}
