#!/usr/bin/env bash
# Peer benchmark: on one generated dataset, time totsugo next to the csv-crate floor, DuckDB and
# polars (exact-key verification on 個人番号, written the way their users write it: pure SQL,
# native polars expressions) and Splink (no-number linkage), each under /usr/bin/time -v (wall,
# peak RSS), interleaved run by run, then score accuracy: `totsugo eval` against truth.csv, and
# the linkage F1 of every tool against links.csv. Writes DATA/peers/report.md (the tables
# BENCHMARKS.md quotes) and DATA/peers/report.json.
#
# Same advantages for every peer, untimed: the rosters transcoded to UTF-8 with the physical
# line number as a first column (`peers.py transcode`); totsugo reads the original files (CP932
# and CRLF included) and counts its lines itself.
#
#   benches/peers.sh                                        # 1,000,000 residents, 100k roster
#   RESIDENTS=10000000 RECIPIENTS=1000000 benches/peers.sh  # the 1M-roster size
#
# Settings (environment):
#   RESIDENTS (1000000), RECIPIENTS (RESIDENTS/10), OFFICES (50), RUNS (3: medians),
#   DATA (bench-data/r${RESIDENTS}_m${RECIPIENTS}; generated when missing, kept),
#   CMD ("run": the totsugo subcommand timed, the whole job; "check" gives the same outputs
#   without the lock and baseline),
#   DUCKDB (1: pure SQL), POLARS (1), DUCKDB_UDF (0: the issue-6 script with a per-row Python
#   NFKC UDF, kept for reference only), SPLINK (1), SPLINK_RUNS (1; Splink is the slowest part),
#   VENV (bench-data/.venv).
# Needs: a Rust toolchain, python3 with venv, /usr/bin/time, and PyPI for the first run (the
# venv gets pinned duckdb, splink, pyarrow, pandas: ~470 MB). Disk: ~240 MB per million residents
# for the data, plus the outputs (10M residents / 1M roster: 2.6 GB in all).
set -euo pipefail
cd "$(dirname "$0")/.."

RESIDENTS=${RESIDENTS:-1000000}
RECIPIENTS=${RECIPIENTS:-$((RESIDENTS / 10))}
OFFICES=${OFFICES:-50}
RUNS=${RUNS:-3}
SPLINK_RUNS=${SPLINK_RUNS:-1}
CMD=${CMD:-run}
DUCKDB=${DUCKDB:-1}
POLARS=${POLARS:-1}
DUCKDB_UDF=${DUCKDB_UDF:-0}
SPLINK=${SPLINK:-1}
AS_OF=20261121
DATA=${DATA:-bench-data/r${RESIDENTS}_m${RECIPIENTS}}
VENV=${VENV:-bench-data/.venv}
TARGET=${CARGO_TARGET_DIR:-target}
# Pinned peers (exact versions: the figures are only comparable with the same ones).
PEER_PACKAGES=(duckdb==1.5.6 polars==1.44.2 splink==4.0.17 pyarrow==26.0.1 pandas==3.1.1)

cargo build --release --locked --bin totsugo --example csv_floor
BIN=$TARGET/release/totsugo
FLOOR=$TARGET/release/examples/csv_floor
OUT=$DATA/peers
mkdir -p "$OUT"
LOGS=$OUT/logs
mkdir -p "$LOGS"

[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
# A no-op (no download) when the pinned versions are already there; replaces any other version.
echo "== peers: ${PEER_PACKAGES[*]} in $VENV"
"$VENV/bin/pip" install -q --disable-pip-version-check "${PEER_PACKAGES[@]}"
PY=$VENV/bin/python

if [ ! -f "$DATA/registry.csv" ] || [ ! -f "$DATA/links.csv" ]; then
    echo "== generating $RESIDENTS residents, ~$RECIPIENTS roster rows in $OFFICES offices → $DATA"
    "$BIN" gen --residents "$RESIDENTS" --recipients "$RECIPIENTS" --offices "$OFFICES" \
        --seed 1 --as-of "$AS_OF" --out "$DATA"
fi
ROSTERS=("$DATA"/roster_*.csv)
# The peers' head start (untimed): UTF-8 copies with line numbers.
COPIES=$OUT/utf8
"$PY" benches/peers.py transcode "$DATA" "$COPIES"
REG_ROWS=$(($(wc -l < "$DATA/registry.csv") - 1))
ROSTER_ROWS=$(($(cat "${ROSTERS[@]}" | wc -l) - ${#ROSTERS[@]}))
INS_ROWS=$(($(wc -l < "$DATA/insurance.csv") - 1))

# One timed run: NAME LOG COMMAND... → appends "NAME wall rss exit" to $OUT/times.txt.
timed() {
    local name=$1 log=$2
    shift 2
    set +e
    /usr/bin/time -v "$@" > "$log.out" 2> "$log"
    local code=$?
    set -e
    # totsugo exits 1 when it found errors (the data carries them on purpose); 2 is a failure.
    if [ "$code" -ge 2 ]; then
        echo "$name failed (exit $code):"; tail -20 "$log"; exit 1
    fi
    python3 - "$log" "$name" "$code" >> "$OUT/times.txt" <<'PY'
import re, sys
text = open(sys.argv[1], encoding="utf-8", errors="replace").read()
h, m, s = re.search(r"Elapsed \(wall clock\) time.*: (?:(\d+):)?(\d+):(\d+(?:\.\d+)?)", text).groups()
rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", text).group(1))
print(sys.argv[2], f"{int(h or 0) * 3600 + int(m) * 60 + float(s):.2f}", rss, sys.argv[3])
PY
    tail -1 "$OUT/times.txt"
}

: > "$OUT/times.txt"
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
echo "== data: registry $REG_ROWS, rosters $ROSTER_ROWS in ${#ROSTERS[@]} files, insurance $INS_ROWS; load $LOAD_BEFORE"
for i in $(seq "$RUNS"); do
    # The floor first, so every tool reads the registry from a warm page cache.
    timed floor "$LOGS/floor.log" "$FLOOR" "$DATA/registry.csv"
    # `match` does what the DuckDB peer does (verify every number against the registry), plus
    # the entry rules and normalization. --unmask: results.csv must name the number each verdict
    # is about, for the linkage score.
    timed match "$LOGS/match.log" "$BIN" match "${ROSTERS[@]}" --registry "$DATA/registry.csv" \
        --out "$OUT/match" --as-of "$AS_OF" --unmask -q
    timed totsugo "$LOGS/totsugo.log" "$BIN" "$CMD" "${ROSTERS[@]}" --registry "$DATA/registry.csv" \
        --insurance "$DATA/insurance.csv" --out "$OUT/totsugo" --as-of "$AS_OF" --unmask -q
    if [ "$DUCKDB" = 1 ]; then
        timed duckdb "$LOGS/duckdb.log" "$PY" benches/peers.py duckdb-sql "$COPIES" "$DATA" "$OUT"
    fi
    if [ "$POLARS" = 1 ]; then
        timed polars "$LOGS/polars.log" "$PY" benches/peers.py polars "$COPIES" "$DATA" "$OUT"
    fi
    if [ "$DUCKDB_UDF" = 1 ]; then
        timed duckdb_udf "$LOGS/duckdb_udf.log" "$PY" benches/peers.py duckdb "$DATA" "$OUT/udf"
    fi
done
if [ "$SPLINK" = 1 ]; then
    for i in $(seq "$SPLINK_RUNS"); do
        timed splink "$LOGS/splink.log" "$PY" benches/peers.py splink "$DATA" "$OUT"
    done
fi
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)

echo "== accuracy"
"$BIN" eval --truth "$DATA/truth.csv" --out "$OUT/totsugo" -q > "$OUT/eval.txt"
cat "$OUT/eval.txt"
"$PY" benches/peers.py totsugo-links "$OUT/totsugo" "$OUT/totsugo-links.csv"
: > "$OUT/scores.txt"
for tool in totsugo duckdb polars splink; do
    [ -f "$OUT/$tool-links.csv" ] || continue
    [ "$tool" = duckdb ] && [ "$DUCKDB" != 1 ] && continue
    [ "$tool" = polars ] && [ "$POLARS" != 1 ] && continue
    [ "$tool" = splink ] && [ "$SPLINK" != 1 ] && continue
    echo "$tool $("$PY" benches/peers.py score "$DATA" "$OUT/$tool-links.csv")" >> "$OUT/scores.txt"
done
cat "$OUT/scores.txt"

python3 - "$OUT" "$REG_ROWS" "$ROSTER_ROWS" "$INS_ROWS" "$RUNS" "$CMD" "$LOAD_BEFORE" "$LOAD_AFTER" <<'PY'
import json, os, statistics, subprocess, sys
out, reg, roster, ins, runs, cmd, load0, load1 = sys.argv[1:]
reg, roster, ins = int(reg), int(roster), int(ins)
times = {}
for line in open(f"{out}/times.txt"):
    name, wall, rss, _ = line.split()
    times.setdefault(name, []).append((float(wall), int(rss)))
scores = {}
for line in open(f"{out}/scores.txt"):
    name, js = line.split(" ", 1)
    scores[name] = json.loads(js)
ev = json.load(open(f"{out}/totsugo/eval.json", encoding="utf-8"))
cpu = next(l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name"))
mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
rev = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
med = {k: statistics.median(w for w, _ in v) for k, v in times.items()}
what = {
    "floor": "csv crate parses registry.csv (no decoding, no checks)",
    "match": "`totsugo match`: entry rules + registry verification (the DuckDB task)",
    "totsugo": f"`totsugo {cmd}`: rosters + registry + insurance, all checks",
    "duckdb": "DuckDB, pure SQL: read_csv, join on 個人番号, compare 4 fields (NFC, no spaces)",
    "polars": "polars: scan_csv, join on 個人番号, compare 4 fields (str.normalize NFKC, no spaces)",
    "duckdb_udf": "DuckDB with a per-row Python NFKC UDF (issue-6 script, reference only)",
    "splink": "Splink: decode + NFKC + kana folding, train (u sampling, 2 EM sessions), predict",
}
rows = []
lines = [f"Machine: {os.cpu_count()} cores ({cpu}), {mem:.0f} GiB; commit {rev}; "
         f"load average (1/5/15 min) {load0} before, {load1} after.",
         f"Data: registry {reg:,} rows, rosters {roster:,} rows, insurance {ins:,} rows.", "",
         "| tool | what | runs | wall median (min–max) | roster rows/s | registry rows/s | peak RSS | × `match` | linkage P / R / F1 |",
         "|---|---|---|---|---|---|---|---|---|"]
for k in ("floor", "match", "totsugo", "duckdb", "polars", "duckdb_udf", "splink"):
    if k not in times:
        continue
    ws = [w for w, _ in times[k]]
    rss = max(r for _, r in times[k]) / 1024
    sc = scores.get(k)
    link = "—" if not sc else f"{sc['precision']:.4f} / {sc['recall']:.4f} / {sc['f1']:.4f}"
    lines.append(f"| {k} | {what[k]} | {len(ws)} | {med[k]:.2f} s ({min(ws):.2f}–{max(ws):.2f}) | "
                 f"{'—' if k == 'floor' else f'{roster / med[k]:,.0f}'} | {reg / med[k]:,.0f} | "
                 f"{rss:,.0f} MiB | {med[k] / med['match']:.2f} | {link} |")
    rows.append({"tool": k, "walls": ws, "median_s": med[k], "peak_rss_mib": rss,
                 "ratio_to_match": med[k] / med["match"], "linkage": sc})
fam = ev["by_family"]
lines += ["", "totsugo accuracy (`totsugo eval`): " + ", ".join(
    f"{f}: P {v['precision']:.4f} R {v['recall']:.4f}" for f, v in fam.items() if v["precision"] is not None)
    + f"; false-alarm rate on benign records {ev['false_alarm_rate']:.5f}"]
for k in ("duckdb", "polars", "splink"):
    try:
        lines.append(f"{k} stages (last run): " + open(f"{out}/logs/{k}.log.out").read().strip().splitlines()[-1])
    except (OSError, IndexError):
        pass
open(f"{out}/report.md", "w", encoding="utf-8").write("\n".join(lines) + "\n")
json.dump({"registry_rows": reg, "roster_rows": roster, "insurance_rows": ins, "load_before": load0,
           "load_after": load1, "commit": rev, "tools": rows, "eval": ev},
          open(f"{out}/report.json", "w", encoding="utf-8"), ensure_ascii=False, indent=1)
print("\n".join(lines))
PY
