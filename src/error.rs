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
    /// Lines, but every one empty or only commas and spaces: the header row is missing.
    #[error(
        "{path}: 見出し行がありません（{lines} 行すべてが空欄かカンマ・空白だけの行です）。1行目に列名の見出し行を入れてください"
    )]
    NoHeader { path: String, lines: u64 },
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
