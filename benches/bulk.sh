#!/usr/bin/env bash
# Bulk-matching benchmark: generate a dataset with `totsugo gen`, then time `totsugo match` on it
# next to the floor (parsing the same registry with the csv crate, examples/csv_floor.rs), with
# wall time and peak RSS from /usr/bin/time -v. Prints medians and the ratio.
#
#   benches/bulk.sh                               # roster ≈1,000,000 × registry 10,000,000
#   RESIDENTS=1000000 RECIPIENTS=100000 benches/bulk.sh
#
# Settings (environment): RESIDENTS, RECIPIENTS, OFFICES (50), RUNS (3), DATA (the dataset
# folder, kept between runs: generation is skipped when it exists), FIELDS (5), CHECK (1: also
# time `check` on the rosters and the generated insurance.csv, without and with the registry,
# next to the csv floor on insurance.csv; 0 skips it), MATCH (1; 0 skips the match runs),
# PEERS (0; 1 then runs benches/peers.sh on the same dataset: DuckDB, Splink, accuracy).
#
#   RESIDENTS=20000000 RECIPIENTS=2000000 MATCH=0 RUNS=3 benches/bulk.sh   # issue 4's target
# Needs ~1.4 GB of disk per 10 million residents.
set -euo pipefail
cd "$(dirname "$0")/.."

RESIDENTS=${RESIDENTS:-10000000}
RECIPIENTS=${RECIPIENTS:-$((RESIDENTS / 10))}
OFFICES=${OFFICES:-50}
RUNS=${RUNS:-3}
FIELDS=${FIELDS:-5}
CHECK=${CHECK:-1}
MATCH=${MATCH:-1}
AS_OF=20261121
DATA=${DATA:-bench-data/r${RESIDENTS}_m${RECIPIENTS}}
TARGET=${CARGO_TARGET_DIR:-target}

cargo build --release --locked --bin totsugo --example csv_floor
BIN=$TARGET/release/totsugo
FLOOR=$TARGET/release/examples/csv_floor
LOGS=$(mktemp -d "${TMPDIR:-/tmp}/totsugo-bulk.XXXXXX")
trap 'rm -rf "$LOGS"' EXIT

# "wall_seconds peak_rss_kb" of one /usr/bin/time -v log.
measure() {
    python3 - "$1" <<'PY'
import re, sys
text = open(sys.argv[1], encoding="utf-8", errors="replace").read()
wall = re.search(r"Elapsed \(wall clock\) time.*: (?:(\d+):)?(\d+):(\d+(?:\.\d+)?)", text)
h, m, s = wall.groups()
secs = int(h or 0) * 3600 + int(m) * 60 + float(s)
rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", text).group(1))
print(f"{secs:.2f} {rss}")
PY
}

median() { python3 -c 'import statistics,sys; print(f"{statistics.median(map(float, sys.argv[1:])):.2f}")' "$@"; }

if [ ! -f "$DATA/registry.csv" ]; then
    echo "== generating $RESIDENTS residents, ~$RECIPIENTS roster rows in $OFFICES offices → $DATA"
    /usr/bin/time -v "$BIN" gen --residents "$RESIDENTS" --recipients "$RECIPIENTS" \
        --offices "$OFFICES" --seed 1 --as-of "$AS_OF" --out "$DATA" 2> "$LOGS/gen.log" \
        || { cat "$LOGS/gen.log"; exit 1; }
    read -r secs rss < <(measure "$LOGS/gen.log")
    echo "gen: ${secs} s, peak RSS $((rss / 1024)) MiB, $(python3 -c "print(f'{$RESIDENTS/$secs:,.0f}')") registry rows/s"
fi
ROSTERS=("$DATA"/roster_*.csv)
REG_ROWS=$(($(wc -l < "$DATA/registry.csv") - 1))
ROSTER_ROWS=$(($(cat "${ROSTERS[@]}" | wc -l) - ${#ROSTERS[@]}))
echo "== data: registry $REG_ROWS rows ($(du -h "$DATA/registry.csv" | cut -f1)), rosters $ROSTER_ROWS rows in ${#ROSTERS[@]} files"
echo "== machine: $(nproc) cores, $(python3 -c "import os; print(round(os.sysconf('SC_PAGE_SIZE')*os.sysconf('SC_PHYS_PAGES')/2**30))") GiB, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"

match_walls=(); match_rss=(); floor_walls=()
for i in $(seq "$RUNS"); do
    [ "$MATCH" = 1 ] || break
    # The floor first, so both read the registry from a warm page cache.
    /usr/bin/time -v "$FLOOR" "$DATA/registry.csv" > /dev/null 2> "$LOGS/floor.log"
    read -r secs _ < <(measure "$LOGS/floor.log")
    floor_walls+=("$secs")
    set +e
    /usr/bin/time -v "$BIN" match "${ROSTERS[@]}" --registry "$DATA/registry.csv" \
        --out "$DATA/out" --as-of "$AS_OF" --fields "$FIELDS" -q 2> "$LOGS/match.log"
    code=$?
    set -e
    # Exit 1 is expected (the data carries errors); 2 means the run failed.
    if [ "$code" -ge 2 ]; then cat "$LOGS/match.log"; exit 1; fi
    read -r secs rss < <(measure "$LOGS/match.log")
    match_walls+=("$secs"); match_rss+=("$rss")
    echo "run $i: match ${secs} s, peak RSS $((rss / 1024)) MiB; csv floor ${floor_walls[-1]} s"
done
if [ "$MATCH" = 1 ]; then
m=$(median "${match_walls[@]}"); f=$(median "${floor_walls[@]}")
peak=$(printf '%s\n' "${match_rss[@]}" | sort -n | tail -1)
echo "== median of $RUNS: match $m s ($(python3 -c "print(f'{$REG_ROWS/$m:,.0f}')") registry rows/s), csv floor $f s, ratio $(python3 -c "print(f'{$m/$f:.2f}')")×, peak RSS $((peak / 1024)) MiB"
python3 - "$DATA/out/summary.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1], encoding="utf-8"))
print("== stages (ms, last run):", s["timings_ms"], " registry rows kept:", s.get("registry_rows_kept"))
print("== verdicts:", s.get("verdicts"))
PY
fi

# check: the rosters against each other and the other-insurance file (issue 4), without the
# registry (identity from the roster) and with it (registry-verified identity, L03/L04).
if [ "$CHECK" = 1 ] && [ -f "$DATA/insurance.csv" ]; then
    INS_ROWS=$(($(wc -l < "$DATA/insurance.csv") - 1))
    echo "== check: insurance $INS_ROWS rows ($(du -h "$DATA/insurance.csv" | cut -f1))"
    for mode in plain registry; do
        walls=(); rsss=(); floors=()
        extra=()
        [ "$mode" = registry ] && extra=(--registry "$DATA/registry.csv")
        for i in $(seq "$RUNS"); do
            /usr/bin/time -v "$FLOOR" "$DATA/insurance.csv" > /dev/null 2> "$LOGS/floor.log"
            read -r secs _ < <(measure "$LOGS/floor.log")
            floors+=("$secs")
            set +e
            /usr/bin/time -v "$BIN" check "${ROSTERS[@]}" --insurance "$DATA/insurance.csv" \
                "${extra[@]}" --out "$DATA/out-check-$mode" --as-of "$AS_OF" -q 2> "$LOGS/check.log"
            code=$?
            set -e
            if [ "$code" -ge 2 ]; then cat "$LOGS/check.log"; exit 1; fi
            read -r secs rss < <(measure "$LOGS/check.log")
            walls+=("$secs"); rsss+=("$rss")
            echo "run $i: check ($mode) ${secs} s, peak RSS $((rss / 1024)) MiB; csv floor on insurance ${floors[-1]} s"
        done
        m=$(median "${walls[@]}"); f=$(median "${floors[@]}")
        peak=$(printf '%s\n' "${rsss[@]}" | sort -n | tail -1)
        echo "== median of $RUNS: check ($mode) $m s, insurance csv floor $f s, peak RSS $((peak / 1024)) MiB"
        python3 - "$DATA/out-check-$mode/summary.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1], encoding="utf-8"))
print("== stages (ms, last run):", s["timings_ms"])
print("== codes:", {k: v for k, v in s["by_code"].items() if k[0] in "LD"})
PY
    done
fi

# Peers (issue 6): DuckDB and Splink on the same files, and accuracy (benches/peers.sh).
if [ "${PEERS:-0}" = 1 ]; then
    RESIDENTS=$RESIDENTS RECIPIENTS=$RECIPIENTS DATA=$DATA RUNS=$RUNS benches/peers.sh
fi
