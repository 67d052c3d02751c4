#!/usr/bin/env python3
"""Peers for the bulk benchmark (issue 6), run by benches/peers.sh in its own venv.

  peers.py transcode DATA DIR  UTF-8 copies of the rosters with a leading 行番号 column (the
                               physical line): the same untimed head start for every peer.
  peers.py duckdb-sql DIR DATA OUT
                               DuckDB as its users write it: pure SQL over the UTF-8 copies,
                               roster ⋈ registry on 個人番号, four fields compared after NFC
                               (DuckDB has no NFKC) without spaces.
  peers.py polars DIR DATA OUT polars as its users write it: scan_csv, join on 個人番号, compare
                               after str.normalize("NFKC") without spaces, default threads.
  peers.py duckdb DATA OUT     (the issue-6 script, kept for reference: decodes in Python and
                               runs NFKC as a per-row Python UDF, which nobody would write)
  peers.py splink DATA OUT     Splink (DuckDB backend): no-number linkage of the rosters to the
                               registry on name, kana, birth date, sex and address.
  peers.py score DATA PRED     precision / recall / F1 of a links file (ファイル,行番号,個人番号)
                               against DATA/links.csv; prints one JSON line.
  peers.py totsugo-links OUT PRED  the links behind totsugo's verdicts (results.csv, --unmask).

Every timed step reads the generated files as they are (rosters partly CP932/CRLF): decoding is
counted on the peer's side, as it is on ours. Writes only under OUT.
"""

import csv
import io
import json
import os
import sys
import time
import unicodedata
from pathlib import Path

# Small kana fold to large ones (キョウコ = キヨウコ, the contract's rule); hiragana to katakana.
SMALL = str.maketrans("ァィゥェォッャュョヮヵヶ", "アイウエオツヤユヨワカケ")
HIRA = {c: c + 0x60 for c in range(0x3041, 0x3097)}


def prep(s):
    """NFKC, hiragana→katakana, small kana→large, whitespace runs → one ASCII space."""
    if s is None:
        return None
    s = unicodedata.normalize("NFKC", s).translate(HIRA).translate(SMALL)
    return " ".join(s.split())


def nospace(s):
    """The DuckDB peer's normalization: NFKC and no spaces at all."""
    if s is None:
        return None
    return "".join(unicodedata.normalize("NFKC", s).split())


def decode(path):
    data = Path(path).read_bytes()
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        # A V14 line (a name cut inside a character) must not stop the whole file.
        return data.decode("cp932", errors="replace")


def rosters(data):
    return sorted(Path(data).glob("roster_*.csv"))


def read_rosters(data):
    """Rows of every roster as dicts with file (name) and line (physical, header = 1). The
    generated rosters have no quoted newlines, so a record is one line."""
    cols = {k: [] for k in ("file", "line", "number", "name", "kana", "birth", "sex", "addr")}
    for p in rosters(data):
        reader = csv.reader(io.StringIO(decode(p), newline=""))
        header = next(reader)
        ix = {h: i for i, h in enumerate(header)}
        for n, row in enumerate(reader, start=2):
            if len(row) != len(header):
                continue
            cols["file"].append(p.name)
            cols["line"].append(n)
            cols["number"].append(row[ix["個人番号"]])
            cols["name"].append(row[ix["氏名"]])
            cols["kana"].append(row[ix["氏名カナ"]])
            cols["birth"].append(row[ix["生年月日"]])
            cols["sex"].append(row[ix["性別"]])
            cols["addr"].append(row[ix["住所"]])
    return cols


def arrow_udf(con, name, fn):
    import pyarrow as pa

    def f(arr):
        return pa.array([fn(x) for x in arr.to_pylist()], type=pa.string())

    con.create_function(name, f, ["VARCHAR"], "VARCHAR", type="arrow", null_handling="special")


def registry_sql(data):
    path = str(Path(data) / "registry.csv").replace("'", "''")
    return f"read_csv('{path}', header=true, all_varchar=true)"


def write_verified_links(con, out):
    """OUT/duckdb-links.csv: the records the DuckDB `verdict` table verified (mode 0600)."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    links = out / "duckdb-links.csv"
    con.execute(f"""COPY (SELECT file AS ファイル, line AS 行番号, number AS 個人番号 FROM verdict
                        WHERE verdict = 'verified' ORDER BY file, line)
                    TO '{str(links).replace("'", "''")}' (HEADER, DELIMITER ',')""")
    os.chmod(links, 0o600)


def run_duckdb(data, out):
    import duckdb
    import pyarrow as pa

    t0 = time.perf_counter()
    con = duckdb.connect()
    arrow_udf(con, "nk", nospace)
    roster = pa.table(read_rosters(data))
    con.register("roster", roster)
    t1 = time.perf_counter()
    con.execute(f"""
        CREATE TABLE verdict AS
        SELECT r.file, r.line, g.個人番号 AS number,
          CASE
            WHEN r.number = '' OR r.number IS NULL THEN 'no_number'
            WHEN g.個人番号 IS NULL THEN 'not_in_registry'
            WHEN g.状態 = '1' THEN 'removed'
            WHEN nk(r.name) = nk(g.氏名) AND r.birth = g.生年月日 AND r.sex = g.性別
                 AND nk(r.addr) = nk(g.住所) THEN 'verified'
            ELSE 'differs'
          END AS verdict,
          nk(r.name) = nk(g.氏名) AS name_eq,
          r.birth = g.生年月日 AS birth_eq,
          r.sex = g.性別 AS sex_eq,
          nk(r.addr) = nk(g.住所) AS addr_eq
        FROM roster r LEFT JOIN {registry_sql(data)} g ON r.number = g.個人番号
    """)
    t2 = time.perf_counter()
    counts = dict(con.execute("SELECT verdict, count(*) FROM verdict GROUP BY 1 ORDER BY 1").fetchall())
    write_verified_links(con, out)
    print(json.dumps({"tool": "duckdb", "version": duckdb.__version__, "rows": roster.num_rows,
                      "read_rosters_s": round(t1 - t0, 2), "join_compare_s": round(t2 - t1, 2),
                      "verdicts": counts}, ensure_ascii=False))


def transcode(data, dest):
    """Untimed preparation shared by the SQL/dataframe peers: each roster as UTF-8 (CP932 ones
    decoded; a V14 byte becomes U+FFFD), with the physical line number as a first column, so a
    peer that skips a malformed line (V16) still reports the right line for the others."""
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    for p in rosters(data):
        text = decode(p)
        lines = text.splitlines()
        out = [f"行番号,{lines[0]}"] if lines else []
        out += [f"{n},{line}" for n, line in enumerate(lines[1:], start=2) if line.strip()]
        (dest / p.name).write_text("\n".join(out) + "\n", encoding="utf-8")


def sql_str(p):
    return str(p).replace("'", "''")


def run_duckdb_sql(copies, data, out):
    import duckdb

    t0 = time.perf_counter()
    con = duckdb.connect()
    rosters_glob = sql_str(Path(copies) / "roster_*.csv")
    registry = sql_str(Path(data) / "registry.csv")
    # What a DuckDB user writes: read the files, join on the number, compare normalized text.
    con.execute(f"""
        CREATE TABLE verdict AS
        WITH r AS (
          SELECT parse_filename(filename) AS file, CAST(行番号 AS INTEGER) AS line, *
          FROM read_csv('{rosters_glob}', header = true, all_varchar = true, filename = true,
                        union_by_name = true, ignore_errors = true)
        ), g AS (
          SELECT * FROM read_csv('{registry}', header = true, all_varchar = true)
        )
        SELECT r.file, r.line, g.個人番号 AS number,
          CASE
            WHEN coalesce(r.個人番号, '') = '' THEN 'no_number'
            WHEN g.個人番号 IS NULL THEN 'not_in_registry'
            WHEN g.状態 = '1' THEN 'removed'
            WHEN replace(replace(nfc_normalize(r.氏名), ' ', ''), '　', '')
                   = replace(replace(nfc_normalize(g.氏名), ' ', ''), '　', '')
                 AND r.生年月日 = g.生年月日 AND r.性別 = g.性別
                 AND replace(replace(nfc_normalize(r.住所), ' ', ''), '　', '')
                   = replace(replace(nfc_normalize(g.住所), ' ', ''), '　', '')
            THEN 'verified'
            ELSE 'differs'
          END AS verdict
        FROM r LEFT JOIN g ON r.個人番号 = g.個人番号
    """)
    t1 = time.perf_counter()
    counts = dict(con.execute("SELECT verdict, count(*) FROM verdict GROUP BY 1 ORDER BY 1").fetchall())
    write_verified_links(con, out)
    print(json.dumps({"tool": "duckdb-sql", "version": duckdb.__version__,
                      "read_join_compare_s": round(t1 - t0, 2), "verdicts": counts},
                     ensure_ascii=False))


def run_polars(copies, data, out):
    import polars as pl

    t0 = time.perf_counter()

    def norm(col):
        return pl.col(col).str.normalize("NFKC").str.replace_all(r"\s", "")

    frames = [
        pl.scan_csv(p, infer_schema=False, truncate_ragged_lines=True)
        .with_columns(pl.lit(p.name).alias("file"))
        for p in sorted(Path(copies).glob("roster_*.csv"))
    ]
    roster = pl.concat(frames, how="diagonal")
    registry = pl.scan_csv(Path(data) / "registry.csv", infer_schema=False)
    joined = roster.join(registry, on="個人番号", how="left", suffix="_reg")
    verified = (
        joined.filter(
            (pl.col("個人番号").fill_null("") != "")
            & pl.col("氏名_reg").is_not_null()
            & (pl.col("状態") != "1")
            & (norm("氏名") == norm("氏名_reg"))
            & (pl.col("生年月日") == pl.col("生年月日_reg"))
            & (pl.col("性別") == pl.col("性別_reg"))
            & (norm("住所") == norm("住所_reg"))
        )
        .select(
            pl.col("file").alias("ファイル"),
            pl.col("行番号").cast(pl.Int64),
            pl.col("個人番号"),
        )
        .sort(["ファイル", "行番号"])
        .collect()
    )
    t1 = time.perf_counter()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    links = out / "polars-links.csv"
    verified.write_csv(links)
    os.chmod(links, 0o600)
    print(json.dumps({"tool": "polars", "version": pl.__version__,
                      "read_join_compare_s": round(t1 - t0, 2), "verified": verified.height},
                     ensure_ascii=False))


# Splink: blocking rules (each pair must share the birth date and one more key) and
# comparisons (exact on the prepared values: DuckDB's fuzzy string functions count UTF-8 bytes,
# which is meaningless for Japanese text).
def run_splink(data, out):
    import duckdb
    import pyarrow as pa
    import splink
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    t0 = time.perf_counter()
    con = duckdb.connect()
    arrow_udf(con, "prep", prep)
    con.register("roster_raw", pa.table(read_rosters(data)))
    cols = """
        replace(prep({n}), ' ', '') AS name_n,
        split_part(prep({n}), ' ', 1) AS name_family,
        replace(prep({k}), ' ', '') AS kana_n,
        split_part(prep({k}), ' ', 1) AS kana_family,
        split_part(prep({k}), ' ', 2) AS kana_given,
        {b} AS birth, {s} AS sex,
        replace(prep({a}), ' ', '') AS addr_n"""
    con.execute(f"""CREATE TABLE roster AS SELECT file || ':' || line AS uid,
        {cols.format(n='name', k='kana', b='birth', s='sex', a='addr')} FROM roster_raw""")
    con.execute(f"""CREATE TABLE registry AS SELECT 個人番号 AS uid,
        {cols.format(n='氏名', k='氏名カナ', b='生年月日', s='性別', a='住所')}
        FROM {registry_sql(data)} WHERE 状態 = '0'""")
    con.execute("UPDATE registry SET kana_n = NULL WHERE kana_n = ''")
    con.execute("UPDATE registry SET kana_family = NULL, kana_given = NULL WHERE kana_n IS NULL")
    t1 = time.perf_counter()

    settings = SettingsCreator(
        link_type="link_only",
        unique_id_column_name="uid",
        blocking_rules_to_generate_predictions=[
            block_on("birth", "kana_family"),
            block_on("birth", "name_family"),
            block_on("birth", "kana_given"),
            block_on("birth", "addr_n"),
        ],
        comparisons=[
            cl.ExactMatch("name_n"),
            cl.ExactMatch("kana_n"),
            cl.ExactMatch("birth"),
            cl.ExactMatch("sex"),
            cl.ExactMatch("addr_n"),
        ],
        retain_intermediate_calculation_columns=False,
        retain_matching_columns=False,
    )
    db = DuckDBAPI(connection=con)
    linker = Linker(["roster", "registry"], settings, db, input_table_aliases=["roster", "registry"])
    linker.training.estimate_probability_two_random_records_match(
        [block_on("name_n", "birth", "sex")], recall=0.8)
    linker.training.estimate_u_using_random_sampling(max_pairs=2e6, seed=1)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("kana_n", "birth"))
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("addr_n"))
    t2 = time.perf_counter()
    pred = linker.inference.predict(threshold_match_probability=0.5)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    links = out / "splink-links.csv"
    # One link per roster record: its best registry candidate.
    best = con.sql(f"""
        WITH p AS (
          SELECT CASE WHEN source_dataset_l = 'roster' THEN uid_l ELSE uid_r END AS r,
                 CASE WHEN source_dataset_l = 'roster' THEN uid_r ELSE uid_l END AS g,
                 match_probability AS p
          FROM {pred.physical_name})
        SELECT split_part(r, ':', 1) AS ファイル, CAST(split_part(r, ':', 2) AS INTEGER) AS 行番号,
               arg_max(g, p) AS 個人番号
        FROM p GROUP BY r ORDER BY 1, 2""")
    best.write_csv(str(links))
    os.chmod(links, 0o600)
    t3 = time.perf_counter()
    n = con.execute("SELECT count(*) FROM roster").fetchone()[0]
    print(json.dumps({"tool": "splink", "version": splink.__version__, "rows": n,
                      "prep_s": round(t1 - t0, 2), "train_s": round(t2 - t1, 2),
                      "predict_s": round(t3 - t2, 2),
                      "pairs_scored_over_0_5": con.execute(
                          f"SELECT count(*) FROM {pred.physical_name}").fetchone()[0]},
                     ensure_ascii=False))


def totsugo_links(out, pred):
    """The registry row totsugo puts behind each record, by number (a number is one registry
    row). A number the run proposes in corrections.csv comes first: the checks' proof that the
    record carries someone else's number (L03, L04, L05: the person's own number) or the single
    M40 candidate. Otherwise the record's own 個人番号 when the registry verified it (M00, M01,
    M10, M11, M12). M20, M30, M31, M41, M42 and the wrong side of L01/L02 give no link: totsugo
    leaves those to a clerk. Needs a run with --unmask (results.csv masks numbers otherwise)."""
    proposed = {}
    text = Path(out, "corrections.csv").read_text(encoding="utf-8-sig")
    for r in csv.DictReader(io.StringIO(text, newline="")):
        proposed[(Path(r["入力ファイル"]).name, r["行番号"])] = r["個人番号"]
    text = Path(out, "results.csv").read_text(encoding="utf-8-sig")
    rows = csv.DictReader(io.StringIO(text, newline=""))
    with open(pred, "w", encoding="utf-8", newline="") as f:
        os.chmod(pred, 0o600)
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["ファイル", "行番号", "個人番号"])
        for r in rows:
            v = r["判定"]
            key = (Path(r["入力ファイル"]).name, r["行番号"])
            own = r["個人番号"]
            if "*" in own:
                sys.exit("results.csv の個人番号が伏せられています: --unmask で実行してください")
            fix = proposed.get(key, "")
            if len(fix) == 12 and fix.isdigit() and fix != own:
                number = fix
            elif v in ("M00", "M01", "M10", "M11", "M12"):
                number = own
            else:
                number = r["候補個人番号"] if v == "M40" else ""
            if number:
                w.writerow([key[0], key[1], number])


def score(data, pred):
    data = Path(data)
    truth_line = {}
    for r in csv.DictReader(open(data / "links.csv", encoding="utf-8-sig", newline="")):
        if r["住民行番号"]:
            truth_line[(r["ファイル"], int(r["行番号"]))] = int(r["住民行番号"])
    wanted = set(truth_line.values())
    number_of = {}
    with open(data / "registry.csv", encoding="utf-8", newline="") as f:
        for n, line in enumerate(f, start=1):
            if n in wanted:
                number_of[n] = line.split(",", 1)[0]
    truth = {k: number_of[v] for k, v in truth_line.items()}
    predicted = {}
    for r in csv.DictReader(open(pred, encoding="utf-8-sig", newline="")):
        predicted[(r["ファイル"], int(r["行番号"]))] = r["個人番号"]
    tp = sum(1 for k, v in predicted.items() if truth.get(k) == v)
    fp = len(predicted) - tp
    fn = sum(1 for k, v in truth.items() if predicted.get(k) != v)
    p = tp / (tp + fp) if tp + fp else None
    r = tp / (tp + fn) if tp + fn else None
    f1 = 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else None
    print(json.dumps({"links_true": len(truth), "links_predicted": len(predicted), "tp": tp,
                      "fp": fp, "fn": fn, "precision": p, "recall": r, "f1": f1}))


if __name__ == "__main__":
    cmd, *args = sys.argv[1:]
    {"duckdb": run_duckdb, "splink": run_splink, "score": score,
     "transcode": transcode, "duckdb-sql": run_duckdb_sql, "polars": run_polars,
     "totsugo-links": totsugo_links}[cmd](*args)
