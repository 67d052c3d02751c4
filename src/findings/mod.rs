//! Findings: the closed, stable set of finding codes of the data contract, and the
//! [`Finding`] value every stage produces for the report.
//!
//! A finding is data, never an error: a bad row becomes a `Finding` and the run goes on.
//! Codes never change meaning once released; the table test at the bottom pins them to the
//! contract (`../shared/spec/contract.md`).

pub mod explain;
pub mod mask;

use std::fmt;

/// 重要度 of a finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// `情報`
    Info,
    /// `警告`
    Warning,
    /// `エラー`: makes the run exit with 1.
    Error,
}

impl Severity {
    pub fn label(self) -> &'static str {
        match self {
            Severity::Info => "情報",
            Severity::Warning => "警告",
            Severity::Error => "エラー",
        }
    }
}

/// 対応: what the office should do with the record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Action {
    /// `修正`: auto-fixed in the correction file.
    Fix,
    /// `修正要確認`: must change, a person decides the value.
    Review,
    /// `削除`
    Delete,
    /// `保留`
    Hold,
    /// `本人確認`
    ConfirmIdentity,
}

impl Action {
    pub fn label(self) -> &'static str {
        match self {
            Action::Fix => "修正",
            Action::Review => "修正要確認",
            Action::Delete => "削除",
            Action::Hold => "保留",
            Action::ConfirmIdentity => "本人確認",
        }
    }
}

macro_rules! codes {
    ($($variant:ident => $sev:ident, $title:literal;)*) => {
        /// A finding code of the contract. Declaration order is the report order.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Code { $($variant,)* }

        impl Code {
            /// Every code, in report order.
            pub const ALL: &'static [Code] = &[$(Code::$variant,)*];

            /// The code as written in the files, e.g. `V03`.
            pub fn as_str(self) -> &'static str {
                match self { $(Code::$variant => stringify!($variant),)* }
            }

            /// 重要度 fixed by the contract.
            pub fn severity(self) -> Severity {
                match self { $(Code::$variant => Severity::$sev,)* }
            }

            /// One-line Japanese title (README, report pages, summary).
            pub fn title(self) -> &'static str {
                match self { $(Code::$variant => $title,)* }
            }
        }
    };
}

codes! {
    V01 => Error, "必須項目が空です";
    V02 => Error, "桁数または文字種が誤っています";
    V03 => Error, "個人番号の検査用数字が誤っています";
    V04 => Error, "保険者番号（公費負担者番号）が誤っています";
    V05 => Error, "受給者番号の検査用数字が誤っています";
    V06 => Error, "存在しない日付です";
    V07 => Error, "日付が和暦または区切り文字付きです（自動修正）";
    V08 => Error, "性別コードが誤っています";
    V09 => Error, "カナが全角カタカナではありません";
    V10 => Error, "姓と名の区切りが誤っています";
    V11 => Error, "CP932で表せない文字または外字があります";
    V12 => Error, "日付の前後関係が誤っています";
    V13 => Error, "郵便番号の形式が誤っています";
    V14 => Error, "文字コードとして読めない行です";
    V15 => Warning, "完全に同じ行が重複しています";
    V16 => Error, "列の数が誤っています";
    M00 => Info, "照合項目がすべて一致";
    M01 => Info, "正規化後に一致（表記ゆれ）";
    M10 => Warning, "住所のみ不一致";
    M11 => Warning, "氏名のみ不一致";
    M12 => Warning, "氏名カナのみ不一致";
    M20 => Error, "生年月日・性別の不一致、または複数項目の不一致";
    M30 => Error, "個人番号が住基にありません";
    M31 => Error, "住基で消除された個人番号です";
    M40 => Warning, "個人番号なし：候補が1件";
    M41 => Warning, "個人番号なし：候補が複数";
    M42 => Warning, "個人番号なし：候補なし";
    L01 => Error, "同じ個人番号で生年月日が異なります";
    L02 => Error, "同じ個人番号・生年月日で氏名が異なります";
    L03 => Error, "世帯内で個人番号が入れ替わっています";
    L04 => Error, "個人番号が別人のものです";
    L05 => Error, "同一人物に異なる個人番号があります";
    D01 => Error, "二つの福祉事務所で資格期間が重複しています";
    D02 => Error, "国保・国保組合・後期高齢者医療と重複しています";
    D03 => Warning, "社会保険状況が被用者保険の資格と矛盾します";
    D04 => Error, "同じ保険者番号・受給者番号が別人に使われています";
    D05 => Warning, "同一人物が同じ事務所で複数の受給者番号を持っています";
    N01 => Warning, "未照合の新規レコードです（保留）";
    N02 => Warning, "前回照合後に個人番号または基本情報が変わりました";
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a row came from: the input file (index into the run's input list) and the
/// 1-based physical line of the record's first line (the header is line 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Source {
    pub file: u32,
    pub line: u64,
}

/// One row of `findings.csv`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub code: Code,
    pub source: Source,
    /// 保険者番号 of the record as found (empty when the line could not be read).
    pub insurer_no: String,
    /// 受給者番号 of the record as found.
    pub recipient_no: String,
    /// 項目: the field concerned, by its contract name (empty for whole-line findings).
    pub field: String,
    /// 内容: what is wrong with the value found and what was expected. Any My Number in it is
    /// already masked (see [`mask`]).
    pub message: String,
    pub action: Action,
    /// 関連ファイル/関連行番号 for cross-record findings.
    pub related: Option<Source>,
}

impl Finding {
    pub fn severity(&self) -> Severity {
        self.code.severity()
    }

    /// Sort key of the contract: file, line, code (then field, for a stable order).
    pub fn order_key(&self) -> (Source, Code, &str) {
        (self.source, self.code, self.field.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The contract's tables, transcribed: a code's severity is part of its meaning.
    #[test]
    fn codes_match_contract_severities() {
        let expect = [
            ("V01", "エラー"),
            ("V07", "エラー"),
            ("V14", "エラー"),
            ("V15", "警告"),
            ("V16", "エラー"),
            ("M00", "情報"),
            ("M01", "情報"),
            ("M10", "警告"),
            ("M12", "警告"),
            ("M20", "エラー"),
            ("M31", "エラー"),
            ("M40", "警告"),
            ("M42", "警告"),
            ("L05", "エラー"),
            ("D03", "警告"),
            ("D04", "エラー"),
            ("D05", "警告"),
            ("N01", "警告"),
            ("N02", "警告"),
        ];
        for (code, sev) in expect {
            let c = Code::ALL.iter().find(|c| c.as_str() == code).unwrap();
            assert_eq!(c.severity().label(), sev, "{code}");
        }
        assert_eq!(Code::ALL.len(), 16 + 11 + 5 + 5 + 2);
        // Report order follows the pipeline (V, M, L, D, N), numbers ascending in a family.
        let names: Vec<_> = Code::ALL.iter().map(|c| c.as_str()).collect();
        let rank = |n: &str| ("VMLDN".find(&n[..1]).unwrap(), n[1..].to_string());
        let mut sorted = names.clone();
        sorted.sort_by_key(|n| rank(n));
        assert_eq!(names, sorted);
        assert!(Code::V16 < Code::M00 && Code::M42 < Code::L01 && Code::D05 < Code::N01);
    }
}
