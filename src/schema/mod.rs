//! Layouts of the three input files (roster, registry, other insurance), read from the TOML
//! files under `schemas/` (built in) or from a user's own schema file (`--schema FILE`), and
//! the resolution of a file's header row to the contract's columns.
//!
//! A layout's fields are always in contract order, so field `i` of a roster layout is
//! [`RosterKey`] `i` whatever the column order in the file is. A user schema only replaces the
//! fields it lists (by `key`), so a vendor file that calls 個人番号 `マイナンバー番号` needs a
//! three-line schema.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use unicode_normalization::UnicodeNormalization;

/// Which of the contract's layouts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LayoutKind {
    Roster,
    Registry,
    Insurance,
}

impl LayoutKind {
    pub fn name(self) -> &'static str {
        match self {
            LayoutKind::Roster => "roster",
            LayoutKind::Registry => "registry",
            LayoutKind::Insurance => "insurance",
        }
    }

    fn builtin_text(self) -> &'static str {
        match self {
            LayoutKind::Roster => include_str!("../../schemas/roster.toml"),
            LayoutKind::Registry => include_str!("../../schemas/registry.toml"),
            LayoutKind::Insurance => include_str!("../../schemas/insurance.toml"),
        }
    }

    /// The contract's keys with their value types, in contract order.
    pub fn keys(self) -> &'static [(&'static str, &'static str)] {
        match self {
            LayoutKind::Roster => &[
                ("保険者番号", "kohi_futansha_no"),
                ("受給者番号", "jukyusha_no"),
                ("ケース番号", "case_no"),
                ("世帯員番号", "member_no"),
                ("個人番号", "my_number"),
                ("氏名", "kanji_name"),
                ("氏名カナ", "kana_name"),
                ("生年月日", "date"),
                ("性別", "sex"),
                ("郵便番号", "postcode"),
                ("住所", "address"),
                ("資格取得日", "date"),
                ("資格喪失日", "date"),
                ("社会保険状況", "flag01"),
            ],
            LayoutKind::Registry => &[
                ("個人番号", "my_number"),
                ("氏名", "kanji_name"),
                ("氏名カナ", "kana_name"),
                ("生年月日", "date"),
                ("性別", "sex"),
                ("住所", "address"),
                ("状態", "registry_status"),
                ("異動年月日", "date"),
            ],
            LayoutKind::Insurance => &[
                ("保険者番号", "insurer_no"),
                ("制度区分", "system_code"),
                ("個人番号", "my_number"),
                ("氏名", "kanji_name"),
                ("氏名カナ", "kana_name"),
                ("生年月日", "date"),
                ("性別", "sex"),
                ("資格取得日", "date"),
                ("資格喪失日", "date"),
            ],
        }
    }

    fn parse(name: &str) -> Option<LayoutKind> {
        match name {
            "roster" => Some(LayoutKind::Roster),
            "registry" => Some(LayoutKind::Registry),
            "insurance" => Some(LayoutKind::Insurance),
            _ => None,
        }
    }
}

/// The roster's columns, in contract order (= index into a roster [`Layout`]'s fields).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RosterKey {
    InsurerNo,
    RecipientNo,
    CaseNo,
    MemberNo,
    MyNumber,
    Name,
    NameKana,
    BirthDate,
    Sex,
    Postcode,
    Address,
    AcquiredOn,
    LostOn,
    SocialInsurance,
}

impl RosterKey {
    pub const ALL: [RosterKey; 14] = [
        RosterKey::InsurerNo,
        RosterKey::RecipientNo,
        RosterKey::CaseNo,
        RosterKey::MemberNo,
        RosterKey::MyNumber,
        RosterKey::Name,
        RosterKey::NameKana,
        RosterKey::BirthDate,
        RosterKey::Sex,
        RosterKey::Postcode,
        RosterKey::Address,
        RosterKey::AcquiredOn,
        RosterKey::LostOn,
        RosterKey::SocialInsurance,
    ];

    pub fn index(self) -> usize {
        self as usize
    }

    /// The contract's column name.
    pub fn name(self) -> &'static str {
        LayoutKind::Roster.keys()[self.index()].0
    }
}

/// One column of a layout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldSpec {
    pub key: String,
    pub headers: Vec<String>,
    pub value_type: String,
    /// An empty value is V01.
    pub required: bool,
    /// The column must be present in the file.
    pub header_required: bool,
    pub rule: String,
}

/// A layout: its kind and its fields in contract order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    pub kind: LayoutKind,
    pub title: String,
    /// Where it came from: `組み込み` or the user's schema file(s).
    pub origin: String,
    pub fields: Vec<FieldSpec>,
}

/// A problem with a schema file or with a file's header row. Each one stops the run (exit 2).
#[derive(Debug, thiserror::Error)]
pub enum SchemaError {
    #[error("スキーマ {path}: 読み込めません: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("スキーマ {origin}: {message}")]
    Invalid { origin: String, message: String },
    #[error(
        "{file}: 必須の見出し「{key}」がありません（受け付ける見出し: {accepted}）。--schema で見出し名を指定できます"
    )]
    MissingHeader {
        file: String,
        key: String,
        accepted: String,
    },
    #[error(
        "{file}: タブ区切りのファイルです（見出し行がカンマでなくタブで{columns}列に分かれています）。totsugo が読むのはカンマ区切りの CSV です。Excel で開き、「名前を付けて保存」でファイルの種類を「CSV UTF-8 (コンマ区切り) (*.csv)」か「CSV (コンマ区切り) (*.csv)」にして保存し直してください"
    )]
    TabSeparated { file: String, columns: usize },
    #[error(
        "{file}: 見出し「{key}」に当たる列が二つあります（{first}列目「{a}」と{second}列目「{b}」）"
    )]
    AmbiguousHeader {
        file: String,
        key: String,
        first: usize,
        second: usize,
        a: String,
        b: String,
    },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileDoc {
    layout: String,
    #[serde(default)]
    title: Option<String>,
    #[serde(default, rename = "field")]
    fields: Vec<FieldDoc>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FieldDoc {
    key: String,
    #[serde(default)]
    headers: Option<Vec<String>>,
    #[serde(default, rename = "type")]
    value_type: Option<String>,
    #[serde(default)]
    required: Option<bool>,
    #[serde(default)]
    header_required: Option<bool>,
    #[serde(default)]
    rule: Option<String>,
}

fn parse_doc(text: &str, origin: &str) -> Result<(LayoutKind, FileDoc), SchemaError> {
    let invalid = |message: String| SchemaError::Invalid {
        origin: origin.to_string(),
        message,
    };
    let doc: FileDoc = toml::from_str(text).map_err(|e| invalid(e.to_string()))?;
    let kind = LayoutKind::parse(&doc.layout).ok_or_else(|| {
        invalid(format!(
            "layout = \"{}\" は不明です（roster / registry / insurance）",
            doc.layout
        ))
    })?;
    let keys = kind.keys();
    let mut seen = Vec::new();
    for f in &doc.fields {
        let Some((_, ty)) = keys.iter().find(|(k, _)| *k == f.key) else {
            let names: Vec<_> = keys.iter().map(|(k, _)| *k).collect();
            return Err(invalid(format!(
                "key = \"{}\" は {} の項目ではありません（{}）",
                f.key,
                kind.name(),
                names.join("、")
            )));
        };
        if let Some(t) = &f.value_type
            && t != ty
        {
            return Err(invalid(format!(
                "「{}」の type は {ty} です（\"{t}\" には変えられません）",
                f.key
            )));
        }
        if let Some(h) = &f.headers
            && h.iter().all(|h| header_key(h).is_empty())
        {
            return Err(invalid(format!("「{}」の headers が空です", f.key)));
        }
        if seen.contains(&f.key) {
            return Err(invalid(format!("「{}」が二度書かれています", f.key)));
        }
        seen.push(f.key.clone());
    }
    Ok((kind, doc))
}

impl Layout {
    /// The built-in layout (from `schemas/*.toml`, compiled in).
    pub fn builtin(kind: LayoutKind) -> Layout {
        let origin = format!("組み込み schemas/{}.toml", kind.name());
        // The built-in files are part of the program and pinned by a test.
        let (k, doc) = parse_doc(kind.builtin_text(), &origin)
            .unwrap_or_else(|e| panic!("built-in schema is invalid: {e}"));
        debug_assert_eq!(k, kind);
        let fields = kind
            .keys()
            .iter()
            .map(|(key, ty)| {
                let f = doc.fields.iter().find(|f| f.key == *key);
                FieldSpec {
                    key: key.to_string(),
                    headers: f
                        .and_then(|f| f.headers.clone())
                        .unwrap_or_else(|| vec![key.to_string()]),
                    value_type: ty.to_string(),
                    required: f.and_then(|f| f.required).unwrap_or(false),
                    header_required: f.and_then(|f| f.header_required).unwrap_or(true),
                    rule: f.and_then(|f| f.rule.clone()).unwrap_or_default(),
                }
            })
            .collect();
        Layout {
            kind,
            title: doc.title.unwrap_or_default(),
            origin,
            fields,
        }
    }

    /// Reads a user's schema file and returns which layout it is for, to be merged with
    /// [`Layout::apply`].
    pub fn read_user(path: &Path) -> Result<UserSchema, SchemaError> {
        // A FIFO or device would never end: only regular files.
        let regular = std::fs::metadata(path).map(|m| m.is_file());
        if let Ok(false) = regular {
            return Err(SchemaError::Read {
                path: path.to_path_buf(),
                source: std::io::Error::new(
                    std::io::ErrorKind::InvalidInput,
                    "通常のファイルではありません（パイプ、デバイス、フォルダは読みません）",
                ),
            });
        }
        let text = std::fs::read_to_string(path).map_err(|source| SchemaError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let origin = path.display().to_string();
        let (kind, doc) = parse_doc(&text, &origin)?;
        Ok(UserSchema { kind, origin, doc })
    }

    /// Overrides the fields a user schema lists; the others stay as built in.
    pub fn apply(&mut self, user: &UserSchema) {
        debug_assert_eq!(self.kind, user.kind);
        for f in &user.doc.fields {
            if let Some(spec) = self.fields.iter_mut().find(|s| s.key == f.key) {
                if let Some(h) = &f.headers {
                    spec.headers = h.clone();
                }
                if let Some(r) = f.required {
                    spec.required = r;
                }
                if let Some(r) = f.header_required {
                    spec.header_required = r;
                }
                if let Some(r) = &f.rule {
                    spec.rule = r.clone();
                }
            }
        }
        if let Some(t) = &user.doc.title {
            self.title = t.clone();
        }
        self.origin = format!("{} + {}", self.origin, user.origin);
    }

    /// Finds each field's column in a header row.
    pub fn resolve(&self, file: &str, header: &[String]) -> Result<ColumnMap, SchemaError> {
        let keys: Vec<String> = header.iter().map(|h| header_key(h)).collect();
        let mut columns = Vec::with_capacity(self.fields.len());
        let mut used = vec![false; header.len()];
        for spec in &self.fields {
            let accepted: Vec<String> = spec.headers.iter().map(|h| header_key(h)).collect();
            let mut hit: Option<usize> = None;
            for (i, k) in keys.iter().enumerate() {
                if !k.is_empty() && accepted.contains(k) {
                    if let Some(first) = hit {
                        return Err(SchemaError::AmbiguousHeader {
                            file: file.to_string(),
                            key: spec.key.clone(),
                            first: first + 1,
                            second: i + 1,
                            a: header[first].clone(),
                            b: header[i].clone(),
                        });
                    }
                    hit = Some(i);
                }
            }
            match hit {
                Some(i) => used[i] = true,
                None if spec.header_required && header.len() == 1 && header[0].contains('\t') => {
                    return Err(SchemaError::TabSeparated {
                        file: file.to_string(),
                        columns: header[0].split('\t').count(),
                    });
                }
                None if spec.header_required => {
                    return Err(SchemaError::MissingHeader {
                        file: file.to_string(),
                        key: spec.key.clone(),
                        accepted: spec.headers.join("、"),
                    });
                }
                None => {}
            }
            columns.push(hit);
        }
        let extra = used
            .iter()
            .enumerate()
            .filter(|(_, u)| !**u)
            .map(|(i, _)| (i, header[i].clone()))
            .collect();
        Ok(ColumnMap {
            columns,
            extra,
            width: header.len(),
        })
    }
}

/// A parsed user schema file.
pub struct UserSchema {
    pub kind: LayoutKind,
    pub origin: String,
    doc: FileDoc,
}

/// Where each of a layout's fields sits in one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnMap {
    /// Column index per layout field; `None` for an optional column the file does not have.
    pub columns: Vec<Option<usize>>,
    /// Columns no field claims: ignored, reported once in summary.json.
    pub extra: Vec<(usize, String)>,
    /// Number of columns in the header row.
    pub width: usize,
}

/// How header names are compared: NFKC (full-width letters and brackets), no spaces, ASCII
/// letters lower-cased, a BOM dropped. `生年月日（西暦）` and `生年月日(西暦)` are the same header.
pub fn header_key(h: &str) -> String {
    h.nfkc()
        .filter(|c| !c.is_whitespace() && *c != '\u{feff}')
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn builtin_layouts_follow_contract_order() {
        for kind in [
            LayoutKind::Roster,
            LayoutKind::Registry,
            LayoutKind::Insurance,
        ] {
            let l = Layout::builtin(kind);
            let keys: Vec<_> = l.fields.iter().map(|f| f.key.as_str()).collect();
            let want: Vec<_> = kind.keys().iter().map(|(k, _)| *k).collect();
            assert_eq!(keys, want);
            assert!(
                l.fields.iter().all(|f| !f.rule.is_empty()),
                "{kind:?} rules"
            );
        }
        let roster = Layout::builtin(LayoutKind::Roster);
        let required: Vec<_> = roster
            .fields
            .iter()
            .filter(|f| f.required)
            .map(|f| f.key.as_str())
            .collect();
        // The contract's V01 list.
        assert_eq!(
            required,
            [
                "保険者番号",
                "受給者番号",
                "ケース番号",
                "世帯員番号",
                "氏名",
                "氏名カナ",
                "生年月日",
                "性別",
                "住所",
                "資格取得日",
                "社会保険状況"
            ]
        );
        for (i, k) in RosterKey::ALL.iter().enumerate() {
            assert_eq!(k.index(), i);
            assert_eq!(roster.fields[i].key, k.name());
        }
    }

    #[test]
    fn resolves_columns_in_any_order_with_aliases_and_extras() {
        let l = Layout::builtin(LayoutKind::Registry);
        let h = header(&[
            "備考",
            "状態",
            "マイナンバー",
            "氏名",
            "生年月日",
            "性別",
            "住所",
            "異動年月日",
            " カナ氏名 ",
        ]);
        let m = l.resolve("r.csv", &h).unwrap();
        assert_eq!(
            m.columns,
            [
                Some(2),
                Some(3),
                Some(8),
                Some(4),
                Some(5),
                Some(6),
                Some(1),
                Some(7)
            ]
        );
        assert_eq!(m.extra, vec![(0, "備考".to_string())]);
    }

    #[test]
    fn full_width_brackets_in_header_match() {
        assert_eq!(header_key("生年月日（西暦）"), header_key("生年月日(西暦)"));
        assert_eq!(header_key("ケースＮＯ"), header_key("ケースNo"));
    }

    #[test]
    fn missing_and_ambiguous_headers_are_errors() {
        let l = Layout::builtin(LayoutKind::Registry);
        let e = l
            .resolve("r.csv", &header(&["氏名", "生年月日"]))
            .unwrap_err()
            .to_string();
        assert!(e.contains("必須の見出し「個人番号」がありません"), "{e}");
        assert!(e.contains("マイナンバー"), "{e}");
        let e = l
            .resolve(
                "r.csv",
                &header(&[
                    "個人番号",
                    "マイナンバー",
                    "氏名",
                    "氏名カナ",
                    "生年月日",
                    "性別",
                    "住所",
                    "状態",
                    "異動年月日",
                ]),
            )
            .unwrap_err()
            .to_string();
        assert!(e.contains("二つあります"), "{e}");
    }

    #[test]
    fn user_schema_overrides_only_listed_fields() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("vendor.toml");
        std::fs::write(
            &p,
            "layout = \"roster\"\n[[field]]\nkey = \"個人番号\"\nheaders = [\"マイナンバー番号\"]\n\
             [[field]]\nkey = \"郵便番号\"\nheader_required = false\n",
        )
        .unwrap();
        let user = Layout::read_user(&p).unwrap();
        let mut l = Layout::builtin(LayoutKind::Roster);
        l.apply(&user);
        assert_eq!(l.fields[4].headers, ["マイナンバー番号"]);
        assert!(!l.fields[9].header_required);
        assert_eq!(l.fields[0].headers[0], "保険者番号");
    }

    #[test]
    fn user_schema_mistakes_are_reported() {
        for (text, want) in [
            ("layout = \"rooster\"\n", "不明です"),
            (
                "layout = \"roster\"\n[[field]]\nkey = \"電話番号\"\n",
                "roster の項目ではありません",
            ),
            (
                "layout = \"roster\"\n[[field]]\nkey = \"氏名\"\ntype = \"date\"\n",
                "変えられません",
            ),
            ("layout = \"roster\"\nfoo = 1\n", "foo"),
        ] {
            let e = parse_doc(text, "x.toml").err().unwrap().to_string();
            assert!(e.contains(want), "{text}: {e}");
        }
    }
}
