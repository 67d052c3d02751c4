//! Command line: clap arguments → a checked [`ValidateConfig`] → the run → an exit code.
//! No clap type goes past this file. [`main`] is what the binary calls; [`run`] is the same
//! thing with the output streams passed in, so tests drive the whole CLI in-process.

use std::ffi::OsString;
use std::io::Write;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

use crate::cmd::{self, run::JobConfig};
use crate::config::{self, RunFile};
use crate::error::Error;
use crate::eval::EvalConfig;
use crate::exit::{self, Outcome};
use crate::ingest::Encoding;
use crate::log::{Log, Verbosity};
use crate::matching::{FieldMode, MatchConfig};
use crate::pipeline::PipelineConfig;
use crate::report::OutputEncoding;
use crate::rules::RuleContext;
use crate::rules::date::Ymd;
use crate::schema::{Layout, LayoutKind};
use crate::synth::{GenConfig, GenOutputs};
use crate::validate::ValidateConfig;

const AFTER_HELP: &str = "\
出力（--out のフォルダ、すべてモード 0600、一時ファイルから改名して置き換え）:
  findings.csv            所見 1 件 1 行（個人番号は下4桁以外を伏せる）
  corrections.csv         修正が必要な行（全名簿、確認用、個人番号は全桁）
  corrections/<名簿名>    名簿ごとの修正行（元の列・文字コード・改行のまま、再登録用）
  summary.json            コード別・事務所別の件数、入力の行数と SHA-256、処理時間
  report.html             職員向けの報告ページ（件数・グラフ・事務所別・先頭の明細・コードの説明。
                          外部の読み込みなし、個人番号は常に下4桁のみ）
  review.xlsx             確認用ブック（所見・修正のシート、すべて文字列のセル、確認・理由・期限の欄）
  acknowledged.csv        --ack で確認済みとして除いた所見（理由・期限つき）
  findings.parquet        --parquet のとき: findings.csv・results.csv と同じ行・列・伏せ字の
  results.parquet         Parquet（行番号は整数の列。Parquet 対応つきのビルドのみ）

確認済みの所見（--ack）: findings.csv の所見ID 列で、確認した所見を 所見ID,理由[,期限] の CSV に
するか、review.xlsx の確認欄に印と理由を書いて保存し、次の実行で --ack に渡す。期限を過ぎるか、
値が変わって所見ID が変わると、所見は戻る。

終了コード:
  0  エラーなし（警告・情報のみ）
  1  完了し、エラーが見つかった
  2  実行できなかった（引数の誤り、読めない入力、必須見出しの欠落）";

#[derive(Debug, Parser)]
#[command(
    name = "totsugo",
    version,
    about = "突合: 被保護者名簿を中間サーバーへ登録する前に検査する",
    long_about = "突合 (totsugo): 福祉事務所の被保護者名簿を、中間サーバーへ登録する前に入力規則で検査し、\n\
                  安全に直せるものは直した修正ファイルを作ります。",
    after_long_help = AFTER_HELP
)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
    /// 結果の要約も表示しない（警告と致命的なエラーのみ）
    #[arg(long, short, global = true, conflicts_with = "verbose")]
    quiet: bool,
    /// 詳しく表示する
    #[arg(long, short, global = true)]
    verbose: bool,
    /// 並列処理のスレッド数（既定: CPU のコア数）
    #[arg(long, global = true, value_name = "N")]
    threads: Option<usize>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// 名簿ファイルを入力規則（V01–V16）で検査し、修正ファイルを作る
    #[command(after_long_help = AFTER_HELP)]
    Validate(ValidateArgs),
    /// 名簿を住基の抽出ファイルと基本4情報（5情報）で突合する（M00–M42、results.csv）
    #[command(after_long_help = AFTER_HELP_MATCH)]
    Match(MatchArgs),
    /// 個人番号の紐付け誤り（L01–L05）と資格重複（D01–D05）を名簿・事務所・他制度をまたいで検査する
    #[command(after_long_help = AFTER_HELP_CHECK)]
    Check(CheckArgs),
    /// 検査・照合・紐付け／重複の検査を一度に行い、すべての出力を書く（窓口でも夜間の cron でも）
    #[command(after_long_help = AFTER_HELP_RUN)]
    Run(RunArgs),
    /// 住基の抽出ファイル（CSV）を一度だけ読んで Parquet にする。夜間の照合はその Parquet を --registry に渡す
    #[command(after_long_help = AFTER_HELP_PREPARE)]
    Prepare(PrepareArgs),
    /// 試験用の合成データ（住基・事務所ごとの名簿・正解ファイル）を作る。実在の個人情報は含まない
    #[command(after_long_help = AFTER_HELP_GEN)]
    Gen(GenArgs),
    /// 実行結果を合成データの正解（truth.csv）と照らし、コード別・系統別の適合率・再現率と誤警報率を出す
    #[command(after_long_help = AFTER_HELP_EVAL)]
    Eval(EvalArgs),
}

const AFTER_HELP_PREPARE: &str = "\
読み方は照合と同じ（CP932 か UTF-8、物理行の行番号、読めない行は V14・V16 として表示し、
Parquet にも記録して照合の findings.csv に載せる）。
書くもの（一時ファイルから改名、モード 0600）: 住基の列（個人番号・氏名・氏名カナ・生年月日・
性別・住所・状態・異動年月日、すべて文字列）と 行番号（抽出ファイルの物理行）。メタデータに
抽出ファイルの場所・大きさ・更新日時・SHA-256 と正規化の版。
照合のとき、抽出ファイルが同じ場所にあって大きさか更新日時が変わっていれば、古い Parquet で
照合しないよう止める（終了コード 2）。正規化の版が違う Parquet も止める。作り直すこと。
例: totsugo prepare --registry /srv/juki/extract.csv --out /srv/juki/extract.parquet";

#[derive(Debug, clap::Args)]
struct PrepareArgs {
    /// 住民基本台帳の抽出ファイル（CSV）
    #[arg(long, value_name = "EXTRACT")]
    registry: PathBuf,
    /// 書き出す Parquet ファイル
    #[arg(long, short, value_name = "FILE")]
    out: PathBuf,
    /// 見出し名が違うベンダー向けのスキーマファイル（TOML）
    #[arg(long, value_name = "FILE")]
    schema: Vec<PathBuf>,
    /// 入力の文字コード（既定: 自動判定）
    #[arg(long, value_enum, default_value_t = EncodingArg::Auto)]
    encoding: EncodingArg,
}

const AFTER_HELP_EVAL: &str = "\
読むもの: --out のフォルダの findings.csv・summary.json（あれば results.csv も: M00・M01 の判定）
出力: 表を標準出力へ、eval.json を --out のフォルダ（または --json の場所）へ（モード 0600）
照合の単位: ファイル名・行番号・コード。誤警報は、正解に問題のない記録（載っていないか M01 のみ）に
付いた警告・エラーの所見。
例: totsugo eval --truth data/truth.csv --out 結果/";

#[derive(Debug, clap::Args)]
struct EvalArgs {
    /// totsugo gen の正解ファイル（ファイル,行番号,コード,内容）
    #[arg(long, value_name = "TRUTH")]
    truth: PathBuf,
    /// 評価する実行の出力フォルダ（findings.csv・summary.json・results.csv）
    #[arg(long, short, value_name = "OUTDIR")]
    out: PathBuf,
    /// eval.json の書き先（既定: OUTDIR/eval.json）
    #[arg(long, value_name = "FILE")]
    json: Option<PathBuf>,
}

const AFTER_HELP_GEN: &str = "\
出力（--out のフォルダ、すべてモード 0600、一時ファイルから改名して置き換え）:
  registry.csv            住基の抽出ファイル（世帯ごと、旧字・異体字を含む）
  roster_NNN.csv          福祉事務所ごとの名簿（_cp932 付きは CP932・CRLF）
  insurance.csv           他制度資格ファイル（国保・国保組合・後期高齢者医療・被用者保険。
                          UTF-8・LF。--no-insurance で作らない）
  truth.csv               仕込んだ問題とゆれ: ファイル,行番号,コード,内容（名簿の行。
                          資格重複 D02・社会保険状況の食い違い D03、番号の誤り L01〜L05、
                          事務所間・事務所内の重複 D01・D04・D05 を含む）
  links.csv               名簿の各行の本人: ファイル,行番号,住民行番号（住基の物理行、
                          見出しが1行目。住基にいない人は空）

同じ --seed・--as-of・オプションなら、スレッド数によらず同じバイト列になる。
例: totsugo gen --residents 10000000 --recipients 1000000 --offices 50 --out bench/data";

#[derive(Debug, clap::Args)]
struct GenArgs {
    /// 住基の行数（住民の数）
    #[arg(long, value_name = "N")]
    residents: u64,
    /// 名簿の行数の目安（全事務所の合計、世帯単位で選ぶので概数。既定: 住民の 1/60）
    #[arg(long, value_name = "M")]
    recipients: Option<u64>,
    /// 福祉事務所の数（名簿ファイルの数）
    #[arg(long, default_value_t = 10, value_name = "K",
          value_parser = clap::value_parser!(u32).range(1..=2000))]
    offices: u32,
    /// 出力先フォルダ（なければ作る）
    #[arg(long, short, value_name = "DIR")]
    out: PathBuf,
    /// 乱数の種
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// 問題（所見コード）を1つ仕込む名簿行の割合
    #[arg(long, default_value_t = 0.02, value_parser = parse_rate)]
    problem_rate: f64,
    /// 仕込む問題の比率をコードごとに（例: V03=2,M20=0.5,V14=0）。書かないコードは 1、0 は仕込まない。
    /// L01〜L05・D01・D04・D05 は --linkage-rate で
    #[arg(long, value_name = "CODE=W,...", value_parser = parse_mix_entry, value_delimiter = ',')]
    problem_mix: Vec<(String, f64)>,
    /// 正しく一致すべき表記ゆれ（M01）を1つ仕込む名簿行の割合
    #[arg(long, default_value_t = 0.05, value_parser = parse_rate)]
    variation_rate: f64,
    /// 番号の誤り・重複（L01〜L05・D01・D04・D05）または紛らわしいが正しい例（双子、資格の再開・
    /// 期限内の転居）を1つ仕込む保護世帯の割合
    #[arg(long, default_value_t = 0.2, value_parser = parse_rate)]
    linkage_rate: f64,
    /// CP932・CRLF で書く事務所の割合
    #[arg(long, default_value_t = 0.3, value_parser = parse_rate)]
    cp932_share: f64,
    /// 住基ファイルの文字コード
    #[arg(long, value_enum, default_value_t = RegistryEncodingArg::Utf8)]
    registry_encoding: RegistryEncodingArg,
    /// 基準日 YYYYMMDD（年齢・資格期間の基準。既定: 今日、日本時間）
    #[arg(long, value_name = "YYYYMMDD", value_parser = parse_as_of)]
    as_of: Option<Ymd>,
    /// 他制度資格ファイル insurance.csv を作らない（資格重複 D02・D03 も仕込まない）
    #[arg(long)]
    no_insurance: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum RegistryEncodingArg {
    Utf8,
    Cp932,
}

fn parse_mix_entry(s: &str) -> Result<(String, f64), String> {
    let (code, w) = s
        .split_once('=')
        .ok_or_else(|| format!("「{s}」は CODE=重み の形ではありません（例: V03=2）"))?;
    match w.trim().parse::<f64>() {
        Ok(w) if w.is_finite() && w >= 0.0 => Ok((code.trim().to_ascii_uppercase(), w)),
        _ => Err(format!("「{s}」の重みは 0 以上の数ではありません")),
    }
}

fn parse_rate(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(r) if (0.0..=1.0).contains(&r) => Ok(r),
        _ => Err(format!("「{s}」は 0 から 1 の割合ではありません")),
    }
}

const AFTER_HELP_MATCH: &str = "\
出力（--out のフォルダ、すべてモード 0600、一時ファイルから改名して置き換え）:
  results.csv             名簿の1件ごとの判定（M00–M42）と項目ごとの 一致／ゆれ／不一致／-
  findings.csv            入力規則の所見（V01–V16）と M10 以上の判定
  corrections.csv         修正が必要な行（住基の住所・氏名、候補の個人番号を提案）
  corrections/<名簿名>    名簿ごとの修正行（元の列・文字コード・改行のまま）
  summary.json            件数・判定別件数・入力の SHA-256・処理時間
  report.html             職員向けの報告ページ（件数・グラフ・事務所別・先頭の明細・コードの説明）

終了コード: 0 エラーなし / 1 エラーあり（M20・M30・M31 など）/ 2 実行できなかった";

const AFTER_HELP_CHECK: &str = "\
同じ人の判定: --registry があれば住基で本人と確認できた個人番号（M00–M12）、なければ正規化した
基本4情報（氏名・生年月日・性別・住所）が同じか、個人番号・生年月日・性別と氏名かカナが同じ記録。

出力（--out のフォルダ、すべてモード 0600、一時ファイルから改名して置き換え）:
  findings.csv            所見（V・M・L・D）。組になる所見は両方の行に書き、関連ファイル・関連行番号で相手を示す
  results.csv             --registry があるとき: 名簿の1件ごとの判定（M00–M42）
  corrections.csv         修正が必要な行（入れ替わった番号、住基の番号、資格喪失日などを提案）
  corrections/<名簿名>    名簿ごとの修正行（元の列・文字コード・改行のまま）
  summary.json            件数・入力の SHA-256・処理時間
  report.html             職員向けの報告ページ（件数・グラフ・事務所別・先頭の明細・コードの説明）

終了コード: 0 エラーなし / 1 エラーあり（L01–L05、D01・D02・D04 など）/ 2 実行できなかった
例: totsugo check 名簿A.csv 名簿B.csv --insurance 国保.csv --registry 住基.csv --out 結果/";

const AFTER_HELP_RUN: &str = "\
入力規則（V）・住基との照合（M）・紐付け誤りと資格重複（L・D）を一度の実行で調べ、
--state を付けると前回の基準と比べて新規の未照合（N01、保留）と変更（N02）も調べる。

設定ファイル（--config、TOML）: 各オプションと同じ名前のキー（roster, registry, insurance, out,
state, schema, encoding, output-encoding, fields, as-of, unmask, ack, parquet, threads, quiet, verbose）。
コマンドラインの指定が優先。相対パスは設定ファイルのフォルダから。roster にフォルダを書くと
その中の *.csv（名前順）。例:
  roster    = [\"/srv/welfare/roster\"]
  registry  = \"/srv/juki/extract.csv\"
  insurance = [\"/srv/kokuho/shikaku.csv\"]
  out       = \"/var/lib/totsugo/out\"
  state     = \"/var/lib/totsugo/state\"
cron の例（毎晩 2:30、エラーか実行できなかったときだけメール）:
  30 2 * * * totsugo run --config /etc/totsugo/office.toml --quiet || mail -s totsugo kakari@example.lg.jp

出力（--out のフォルダ、すべてモード 0600、一時ファイルから改名して置き換え）:
  findings.csv / results.csv / corrections.csv / corrections/<名簿名> / summary.json /
  report.html / review.xlsx（/ acknowledged.csv）
状態フォルダ（--state、モード 0700）:
  baseline.v1     照合済みの記録の基準（値は持たずハッシュのみ）。実行が完了したときだけ置き換える
  totsugo.lock    二重起動を防ぐロック（実行中のプロセスの PID）
  state.json      基準を作ったことの記録（基準が消えたことに気づくため）

終了コード: 0 エラーなし / 1 エラーあり / 2 実行できなかった（引数・入力・ロック・基準の破損、中断）";

#[derive(Debug, clap::Args)]
struct RunArgs {
    /// 設定ファイル（TOML）。コマンドラインの指定が優先する
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// 名簿ファイル（フォルダならその中の *.csv）。複数可
    #[arg(value_name = "ROSTER")]
    rosters: Vec<PathBuf>,
    /// 名簿ファイル（位置引数と同じ。複数可）
    #[arg(long = "roster", value_name = "ROSTER")]
    roster: Vec<PathBuf>,
    /// 住民基本台帳の抽出ファイル（CSV、または Parquet: totsugo prepare で作ったものか、
    /// 住基の列を文字列で持つもの。先頭の PAR1 で見分ける）
    #[arg(long, value_name = "REGISTRY")]
    registry: Option<PathBuf>,
    /// 他制度資格ファイル（CSV）。複数可
    #[arg(long, value_name = "FILE")]
    insurance: Vec<PathBuf>,
    /// 出力先フォルダ（なければ作る）
    #[arg(long, short, value_name = "DIR")]
    out: Option<PathBuf>,
    /// 状態フォルダ（前回の基準とロック）。あれば新規（N01）・変更（N02）を調べ、基準を更新する
    #[arg(long, value_name = "DIR")]
    state: Option<PathBuf>,
    /// 前回の基準を使わず、今回照合できた記録で作り直す（基準が壊れたときなど）
    #[arg(long)]
    reset_baseline: bool,
    /// 見出し名が違うベンダー向けのスキーマファイル（TOML）
    #[arg(long, value_name = "FILE")]
    schema: Vec<PathBuf>,
    /// 入力の文字コード（既定: 自動判定）
    #[arg(long, value_enum, value_name = "ENCODING")]
    encoding: Option<EncodingArg>,
    /// findings.csv・corrections.csv の文字コード（既定: utf8-bom）
    #[arg(long, value_enum, value_name = "ENCODING")]
    output_encoding: Option<OutputEncodingArg>,
    /// 照合する項目数 4 か 5（既定: 5）
    #[arg(long, value_parser = clap::value_parser!(u8).range(4..=5))]
    fields: Option<u8>,
    /// 基準日 YYYYMMDD（既定: 今日、日本時間）
    #[arg(long, value_name = "YYYYMMDD", value_parser = parse_as_of)]
    as_of: Option<Ymd>,
    /// findings.csv に個人番号を全桁で書く
    #[arg(long)]
    unmask: bool,
    /// 確認済みの所見の一覧（CSV か review.xlsx）。設定ファイルなら ack = "..."
    #[arg(long, value_name = "FILE")]
    ack: Option<PathBuf>,
    /// findings.parquet・results.parquet も書く（設定ファイルなら parquet = true）
    #[arg(long)]
    parquet: bool,
}

impl RunArgs {
    /// Flags over the config file over defaults.
    fn into_config(self, file: Option<RunFile>) -> Result<JobConfig, Error> {
        let mut f = file.unwrap_or_default();
        let missing = |what: &str| {
            Error::Usage(format!(
                "run には --{what} が要ります（設定ファイルなら {what} = ...）"
            ))
        };
        let mut rosters = self.rosters;
        rosters.extend(self.roster);
        if rosters.is_empty() {
            rosters = f.rosters();
        }
        let rosters = config::expand_folders(rosters)?;
        if rosters.is_empty() {
            return Err(missing("roster"));
        }
        let registry = self
            .registry
            .or(f.registry.take())
            .ok_or_else(|| missing("registry"))?;
        let insurance = if self.insurance.is_empty() {
            f.insurance_files()
        } else {
            self.insurance
        };
        let out = self.out.or(f.out.take()).ok_or_else(|| missing("out"))?;
        let schema = if self.schema.is_empty() {
            f.schemas()
        } else {
            self.schema
        };
        let key_value = |key: &str, v: &str| {
            Error::Usage(format!("設定ファイルの {key} = \"{v}\" は使えない値です"))
        };
        let encoding = match (self.encoding, &f.encoding) {
            (Some(e), _) => e,
            (None, Some(v)) => {
                EncodingArg::from_str(v, true).map_err(|_| key_value("encoding", v))?
            }
            (None, None) => EncodingArg::Auto,
        };
        let output_encoding = match (self.output_encoding, &f.output_encoding) {
            (Some(e), _) => e,
            (None, Some(v)) => {
                OutputEncodingArg::from_str(v, true).map_err(|_| key_value("output-encoding", v))?
            }
            (None, None) => OutputEncodingArg::Utf8Bom,
        };
        let fields = self.fields.or(f.fields).unwrap_or(5);
        if !(4..=5).contains(&fields) {
            return Err(key_value("fields", &fields.to_string()));
        }
        let as_of = match (self.as_of, &f.as_of) {
            (Some(d), _) => Some(d),
            (None, Some(v)) => Some(parse_as_of(v).map_err(|_| key_value("as-of", v))?),
            (None, None) => None,
        };
        let wanted = [
            LayoutKind::Roster,
            LayoutKind::Registry,
            LayoutKind::Insurance,
        ];
        let registry_layout = layout(LayoutKind::Registry, &schema, &wanted)?;
        let insurance_layout = layout(LayoutKind::Insurance, &schema, &wanted)?;
        let roster = ValidateArgs {
            rosters,
            out,
            schema,
            encoding,
            output_encoding,
            as_of,
            unmask: self.unmask || f.unmask.unwrap_or(false),
            ack: self.ack.or(f.ack.take()),
            parquet: self.parquet || f.parquet.unwrap_or(false),
        }
        .into_config(&wanted)?;
        Ok(JobConfig {
            pipeline: PipelineConfig {
                command: "run",
                roster,
                registry: Some((registry, registry_layout)),
                fields: if fields == 4 {
                    FieldMode::Four
                } else {
                    FieldMode::Five
                },
                insurance,
                insurance_layout,
                checks: true,
            },
            state: self.state.or(f.state.take()),
            reset_baseline: self.reset_baseline,
        })
    }
}

#[derive(Debug, clap::Args)]
struct CheckArgs {
    #[command(flatten)]
    roster: ValidateArgs,
    /// 他制度資格ファイル（国保・国保組合・後期高齢者医療・被用者保険、CSV）。複数可
    #[arg(long, value_name = "FILE")]
    insurance: Vec<PathBuf>,
    /// 住民基本台帳の抽出ファイル（CSV か Parquet）。あれば本人確認済みの番号で同じ人を決め、L03・L04 も調べる
    #[arg(long, value_name = "REGISTRY")]
    registry: Option<PathBuf>,
    /// 照合する項目数（--registry があるとき）: 5 は氏名カナも、4 はカナを比べない
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u8).range(4..=5))]
    fields: u8,
}

#[derive(Debug, clap::Args)]
struct MatchArgs {
    #[command(flatten)]
    roster: ValidateArgs,
    /// 住民基本台帳の抽出ファイル（CSV か Parquet）。一度だけ先頭から読み、全体は読み込まない
    #[arg(long, value_name = "REGISTRY")]
    registry: PathBuf,
    /// 照合する項目数: 5 は氏名カナも（住基にカナがある行のみ）、4 はカナを比べない
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u8).range(4..=5))]
    fields: u8,
}

#[derive(Debug, clap::Args)]
struct ValidateArgs {
    /// 名簿ファイル（加入者情報ファイル、CSV）。複数可
    #[arg(required = true, value_name = "ROSTER")]
    rosters: Vec<PathBuf>,
    /// 出力先フォルダ（なければ作る）
    #[arg(long, short, value_name = "DIR")]
    out: PathBuf,
    /// 見出し名が違うベンダー向けのスキーマファイル（TOML、schemas/README.md 参照）
    #[arg(long, value_name = "FILE")]
    schema: Vec<PathBuf>,
    /// 入力の文字コード（既定: 自動判定。BOM 付きか全体が UTF-8 なら UTF-8、それ以外は CP932）
    #[arg(long, value_enum, default_value_t = EncodingArg::Auto)]
    encoding: EncodingArg,
    /// findings.csv・corrections.csv の文字コード
    #[arg(long, value_enum, default_value_t = OutputEncodingArg::Utf8Bom)]
    output_encoding: OutputEncodingArg,
    /// 「未来の日付」(V12) の基準日 YYYYMMDD（既定: 今日、日本時間）
    #[arg(long, value_name = "YYYYMMDD", value_parser = parse_as_of)]
    as_of: Option<Ymd>,
    /// findings.csv に個人番号を全桁で書く（既定は下4桁以外を伏せる）
    #[arg(long)]
    unmask: bool,
    /// 確認済みの所見の一覧（所見ID・理由・期限の CSV、または確認欄を記入した review.xlsx）。
    /// 載っている所見は findings.csv と終了コードから除き、acknowledged.csv に書く
    #[arg(long, value_name = "FILE")]
    ack: Option<PathBuf>,
    /// findings.csv・results.csv と同じ行・列・伏せ字の findings.parquet・results.parquet も書く
    /// （行番号は整数の列。polars・DuckDB・pandas でそのまま読める）
    #[arg(long)]
    parquet: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum EncodingArg {
    Auto,
    Utf8,
    Cp932,
    /// Shift_JIS-2004 (JIS X 0213): never detected, only on request
    Sjis2004,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum OutputEncodingArg {
    #[value(name = "utf8-bom")]
    Utf8Bom,
    Utf8,
    Cp932,
}

fn parse_as_of(s: &str) -> Result<Ymd, String> {
    Ymd::parse_yyyymmdd(s).ok_or_else(|| format!("「{s}」は YYYYMMDD の日付ではありません"))
}

/// The layout of `kind` with the user schemas for it applied; a schema for another layout is
/// skipped. Err when schemas were given and none is for any of `wanted`.
fn layout(kind: LayoutKind, schemas: &[PathBuf], wanted: &[LayoutKind]) -> Result<Layout, Error> {
    let mut layout = Layout::builtin(kind);
    let mut used = false;
    for path in schemas {
        let user = Layout::read_user(path)?;
        if user.kind == kind {
            layout.apply(&user);
        }
        used |= wanted.contains(&user.kind);
    }
    if !schemas.is_empty() && !used {
        let names: Vec<_> = wanted.iter().map(|k| k.name()).collect();
        return Err(Error::Usage(format!(
            "--schema に {} 用のスキーマがありません（layout = \"{}\"）",
            names.join("・"),
            names.join("\" か \"")
        )));
    }
    Ok(layout)
}

impl ValidateArgs {
    fn into_config(self, wanted: &[LayoutKind]) -> Result<ValidateConfig, Error> {
        if self.parquet && !cfg!(feature = "parquet") {
            return Err(Error::Usage(
                "--parquet は Parquet 対応つきのビルドでだけ使えます（cargo build --release --features parquet）"
                    .into(),
            ));
        }
        Ok(ValidateConfig {
            layout: layout(LayoutKind::Roster, &self.schema, wanted)?,
            rosters: self.rosters,
            out: self.out,
            encoding: encoding(self.encoding),
            output_encoding: match self.output_encoding {
                OutputEncodingArg::Utf8Bom => OutputEncoding::Utf8Bom,
                OutputEncodingArg::Utf8 => OutputEncoding::Utf8,
                OutputEncodingArg::Cp932 => OutputEncoding::Cp932,
            },
            rules: RuleContext {
                as_of: self.as_of.unwrap_or_else(Ymd::today_jst),
                unmask: self.unmask,
            },
            ack: self.ack,
            parquet: self.parquet,
        })
    }
}

/// The binary's entry point.
pub fn main(args: impl IntoIterator<Item = OsString>) -> u8 {
    if let Err(e) = crate::cancel::install() {
        let _ = writeln!(
            std::io::stderr(),
            "totsugo: シグナルの受け取りを準備できません: {e}"
        );
        return exit::FAILED;
    }
    // A panic's message is data-dependent: shown masked, like every log line (the run itself
    // turns the panic into exit 2 through catch_unwind).
    std::panic::set_hook(Box::new(|info| {
        let text = crate::findings::mask::log_line(&info.to_string()).into_owned();
        let _ = writeln!(std::io::stderr(), "totsugo: 内部エラー: {text}");
    }));
    crate::progress::enable_if_terminal();
    run(args, &mut std::io::stdout(), &mut std::io::stderr())
}

/// Parses `args`, runs, and returns the exit code; help and usage go to `stdout`/`stderr`.
pub fn run(
    args: impl IntoIterator<Item = OsString>,
    stdout: &mut dyn Write,
    stderr: &mut (dyn Write + Send),
) -> u8 {
    let args = match Args::try_parse_from(args) {
        Ok(a) => a,
        Err(e) => {
            let text = e.render().ansi().to_string();
            return if e.use_stderr() {
                let _ = write!(stderr, "{text}");
                exit::FAILED
            } else {
                let _ = write!(stdout, "{text}");
                exit::CLEAN
            };
        }
    };
    // `run --config`: the file may set the log level and threads too.
    let mut file = None;
    if let Command::Run(RunArgs {
        config: Some(path), ..
    }) = &args.command
    {
        match RunFile::read(path) {
            Ok(f) => file = Some(f),
            Err(e) => {
                let text = crate::findings::mask::log_line(&e.to_string()).into_owned();
                let _ = writeln!(stderr, "totsugo: {text}");
                return exit::FAILED;
            }
        }
    }
    let from_file = |get: fn(&RunFile) -> Option<bool>| file.as_ref().and_then(get) == Some(true);
    let level = if args.quiet || (!args.verbose && from_file(|f| f.quiet)) {
        Verbosity::Quiet
    } else if args.verbose || from_file(|f| f.verbose) {
        Verbosity::Verbose
    } else {
        Verbosity::Normal
    };
    if level == Verbosity::Quiet {
        crate::progress::disable();
    }
    let threads = args.threads.or(file.as_ref().and_then(|f| f.threads));
    let mut log = Log::new(stderr, level);
    let result = catch_unwind(AssertUnwindSafe(|| {
        dispatch(args.command, threads, file, stdout, &mut log)
    }))
    .unwrap_or_else(|panic| {
        let what = panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        Err(Error::Internal(what))
    });
    if let Err(e) = &result {
        log.warn(format!("totsugo: {e}"));
    }
    exit::code(&result)
}

fn encoding(e: EncodingArg) -> Option<Encoding> {
    match e {
        EncodingArg::Auto => None,
        EncodingArg::Utf8 => Some(Encoding::Utf8),
        EncodingArg::Cp932 => Some(Encoding::Cp932),
        EncodingArg::Sjis2004 => Some(Encoding::Sjis2004),
    }
}

fn dispatch(
    command: Command,
    threads: Option<usize>,
    file: Option<RunFile>,
    stdout: &mut dyn Write,
    log: &mut Log,
) -> Result<Outcome, Error> {
    let mut pool = rayon::ThreadPoolBuilder::new();
    if let Some(n) = threads {
        if n == 0 {
            return Err(Error::Usage("--threads は 1 以上です".into()));
        }
        pool = pool.num_threads(n);
    }
    let pool = pool
        .build()
        .map_err(|e| Error::Internal(format!("スレッドを作れません: {e}")))?;
    match command {
        Command::Validate(a) => {
            let cfg = a.into_config(&[LayoutKind::Roster])?;
            pool.install(|| cmd::validate::run(&cfg, log))
        }
        Command::Match(a) => {
            let wanted = [LayoutKind::Roster, LayoutKind::Registry];
            let registry_layout = layout(LayoutKind::Registry, &a.roster.schema, &wanted)?;
            let cfg = MatchConfig {
                roster: a.roster.into_config(&wanted)?,
                registry: a.registry,
                registry_layout,
                fields: if a.fields == 4 {
                    FieldMode::Four
                } else {
                    FieldMode::Five
                },
            };
            pool.install(|| cmd::r#match::run(&cfg, log))
        }
        Command::Check(a) => {
            let wanted = [
                LayoutKind::Roster,
                LayoutKind::Registry,
                LayoutKind::Insurance,
            ];
            let registry_layout = layout(LayoutKind::Registry, &a.roster.schema, &wanted)?;
            let insurance_layout = layout(LayoutKind::Insurance, &a.roster.schema, &wanted)?;
            let cfg = PipelineConfig {
                command: "check",
                roster: a.roster.into_config(&wanted)?,
                registry: a.registry.map(|r| (r, registry_layout)),
                fields: if a.fields == 4 {
                    FieldMode::Four
                } else {
                    FieldMode::Five
                },
                insurance: a.insurance,
                insurance_layout,
                checks: true,
            };
            pool.install(|| cmd::check::run(&cfg, log))
        }
        Command::Run(a) => {
            let cfg = a.into_config(file)?;
            pool.install(|| cmd::run::run(&cfg, log))
        }
        Command::Prepare(a) => {
            let layout = layout(LayoutKind::Registry, &a.schema, &[LayoutKind::Registry])?;
            pool.install(|| {
                cmd::prepare::run(&a.registry, &a.out, &layout, encoding(a.encoding), log)
            })
        }
        Command::Eval(a) => {
            let cfg = EvalConfig {
                truth: a.truth,
                out: a.out,
                json: a.json,
            };
            cmd::eval::run(&cfg, stdout, log)
        }
        Command::Gen(a) => {
            let cfg = GenConfig {
                out: a.out,
                residents: a.residents,
                recipients: a.recipients.unwrap_or(a.residents / 60),
                offices: a.offices,
                seed: a.seed,
                problem_rate: a.problem_rate,
                problem_mix: a.problem_mix,
                variation_rate: a.variation_rate,
                linkage_rate: a.linkage_rate,
                cp932_share: a.cp932_share,
                registry_cp932: matches!(a.registry_encoding, RegistryEncodingArg::Cp932),
                as_of: a.as_of.unwrap_or_else(Ymd::today_jst),
            };
            let outputs = GenOutputs {
                insurance: !a.no_insurance,
            };
            pool.install(|| cmd::r#gen::run(&cfg, outputs, log))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn clap_definition_is_consistent() {
        Args::command().debug_assert();
    }

    #[test]
    fn as_of_must_be_a_date() {
        assert!(parse_as_of("20261121").is_ok());
        assert!(parse_as_of("20261321").is_err());
    }
}
