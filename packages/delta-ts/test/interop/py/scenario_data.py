"""Deterministic test rows covering every Delta type, shared by the deltalake and Spark scenario writers.

Each row is a function of its id, so a scenario can be replayed and a row recognised by its id alone. Values
include the awkward cases: nulls in every nullable column, NaN / infinities / -0.0, negative decimals, dates
before 1970 and on 29 February, timestamps before 1970 with microseconds, unicode, empty strings, empty and
null lists, null structs, and partition values with characters that need escaping in paths.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pyarrow as pa

# Partition values that need Hive escaping or URI encoding in add.path; None is the null partition.
PARTS = ["a b", "x/y", "100%", "k=v", "ü:é", None, "plain"]

SCHEMA = pa.schema(
    [
        pa.field("id", pa.int64(), nullable=False),
        pa.field("i8", pa.int8()),
        pa.field("i16", pa.int16()),
        pa.field("i32", pa.int32()),
        pa.field("f32", pa.float32()),
        pa.field("f64", pa.float64()),
        pa.field("flag", pa.bool_()),
        pa.field("s", pa.string()),
        pa.field("bin", pa.binary()),
        pa.field("dec", pa.decimal128(12, 3)),
        pa.field("d", pa.date32()),
        pa.field("ts", pa.timestamp("us", tz="UTC")),
        pa.field("ntz", pa.timestamp("us")),
        pa.field("arr", pa.list_(pa.field("element", pa.int32()))),
        pa.field("st", pa.struct([pa.field("x", pa.int32()), pa.field("y", pa.string())])),
        pa.field("m", pa.map_(pa.string(), pa.int64())),
        pa.field("part", pa.string()),
        pa.field("pd", pa.date32()),
    ]
)

PARTITION_COLUMNS = ["part", "pd"]

_F64 = [1.5, float("nan"), float("inf"), float("-inf"), -0.0, 1e-300, 123456789.125]


def row(i: int, tag: str = "") -> dict:
    """The row for id i; tag varies the string column so updates are visible."""
    n = i % 7
    return {
        "id": i,
        "i8": None if n == 1 else (i % 256) - 128,
        "i16": None if n == 2 else -((i * 300) % 32000),
        "i32": None if n == 3 else i * 1000 - 5,
        "f32": None if n == 4 else i + 0.25,
        "f64": None if n == 5 else _F64[i % len(_F64)],
        "flag": None if n == 6 else i % 2 == 0,
        "s": None if n == 0 else ("" if n == 1 else f"s{i}{tag} ✓"),
        "bin": None if n == 2 else bytes([i % 256, 0, 255]),
        "dec": None if n == 3 else Decimal(i * 1001 - 3000) / 1000,
        "d": None if n == 4 else dt.date(1969, 12, 31) + dt.timedelta(days=i * 37) if n != 5 else dt.date(2024, 2, 29),
        "ts": None if n == 5 else dt.datetime(1969, 12, 31, 23, 59, 59, 999999, tzinfo=dt.timezone.utc) + dt.timedelta(seconds=i * 86413, microseconds=i * 7),
        "ntz": None if n == 6 else dt.datetime(2024, 3, 10, 2, 30) + dt.timedelta(minutes=i * 61, microseconds=i),
        "arr": None if n == 0 else ([] if n == 1 else [i, None, -i]),
        "st": None if n == 2 else {"x": None if n == 3 else i, "y": f"y{i}"},
        "m": None if n == 3 else ({} if n == 4 else {"k": i, "null": None}),
        "part": PARTS[i % len(PARTS)],
        "pd": dt.date(2024, 1, 1 + i % 3) if n != 6 else None,
    }


def batch(ids, tag: str = "", part: str | None = "__by_id__") -> pa.Table:
    """A table of rows for ids; part forces one partition value when given."""
    rows = [row(i, tag) for i in ids]
    if part != "__by_id__":
        for r in rows:
            r["part"] = part
    cols = {f.name: [r[f.name] for r in rows] for f in SCHEMA}
    return pa.Table.from_pydict(
        {k: (pa.array([None if m is None else list(m.items()) for m in v], SCHEMA.field(k).type) if k == "m" else v) for k, v in cols.items()},
        schema=SCHEMA,
    )


if __name__ == "__main__":
    # `scenario_data.py batches <out_dir> <spec.json>`: for delta-ts's own writes. The spec maps a batch name
    # to {"ids": [...], "tag"?: str, "part"?: str|null}; each batch is written as <name>.arrow (Arrow IPC
    # stream) for delta-ts to write, and <name>.json (its wire rows) for the test's expected state.
    import json
    import os
    import sys

    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import canon

    _, cmd, out_dir, spec_file = sys.argv
    assert cmd == "batches", cmd
    with open(spec_file, encoding="utf-8") as f:
        spec = json.load(f)
    for name, b in spec.items():
        kwargs = {"tag": b.get("tag", "")}
        if "part" in b:
            kwargs["part"] = b["part"]
        t = batch(b["ids"], **kwargs)
        with pa.OSFile(os.path.join(out_dir, f"{name}.arrow"), "wb") as sink, pa.ipc.new_stream(sink, t.schema) as w:
            w.write_table(t)
        canon.dump(canon.wire_rows(t), os.path.join(out_dir, f"{name}.json"))
