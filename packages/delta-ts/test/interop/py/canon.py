"""The interop "wire form": a lossless JSON rendering of Arrow rows that TypeScript can parse without loss.

Both sides of an interop test reduce rows to this form (here for pyarrow tables, in ../canon.ts for Arrow JS
tables), and ../canon.ts makes the canonical, order-free comparison. The rules, per Arrow type:
  integers (any width)  -> decimal string ("-12"), because JSON numbers above 2^53 do not survive JS
  floats                -> JSON number; NaN / Infinity / -Infinity / -0.0 -> "NaN", "Infinity", "-Infinity", "-0"
  decimal(p, s)         -> plain decimal string with exactly s fraction digits ("-1.50")
  date                  -> "YYYY-MM-DD"
  timestamp (tz or not) -> epoch microseconds as a decimal string (wall clock for timestamp_ntz)
  binary                -> lowercase hex string
  struct                -> object; list -> array; map -> array of [key, value] pairs in stored order
  null                  -> null
"""

from __future__ import annotations

import datetime as dt
import json
import math
from decimal import Decimal
from typing import Any

import pyarrow as pa

_EPOCH_UTC = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
_EPOCH_NAIVE = dt.datetime(1970, 1, 1)
_US = dt.timedelta(microseconds=1)


def wire_value(t: pa.DataType, v: Any) -> Any:
    """One Python value (from pyarrow's to_pylist) of Arrow type t in wire form."""
    if v is None:
        return None
    if pa.types.is_integer(t):
        return str(int(v))
    if pa.types.is_floating(t):
        f = float(v)
        if math.isnan(f):
            return "NaN"
        if math.isinf(f):
            return "Infinity" if f > 0 else "-Infinity"
        if f == 0.0 and math.copysign(1.0, f) < 0:
            return "-0"  # JSON.stringify(-0) is "0": keep the sign visible to the comparison
        return f
    if pa.types.is_boolean(t):
        return bool(v)
    if pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t):
        return v
    if pa.types.is_binary(t) or pa.types.is_large_binary(t) or pa.types.is_fixed_size_binary(t) or pa.types.is_binary_view(t):
        return bytes(v).hex()
    if pa.types.is_decimal(t):
        return format(Decimal(v).quantize(Decimal(1).scaleb(-t.scale)), "f")
    if pa.types.is_date(t):
        return v.isoformat()
    if pa.types.is_timestamp(t):
        if v.tzinfo is None:
            return str((v - _EPOCH_NAIVE) // _US)
        return str((v - _EPOCH_UTC) // _US)
    if pa.types.is_struct(t):
        return {t.field(i).name: wire_value(t.field(i).type, v.get(t.field(i).name)) for i in range(t.num_fields)}
    if pa.types.is_map(t):
        return [[wire_value(t.key_type, k), wire_value(t.item_type, x)] for k, x in v]
    if pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_fixed_size_list(t) or pa.types.is_list_view(t):
        return [wire_value(t.value_type, x) for x in v]
    if pa.types.is_dictionary(t):
        return wire_value(t.value_type, v)
    if pa.types.is_null(t):
        return None
    raise TypeError(f"no wire form for Arrow type {t}")


def wire_rows(table: pa.Table) -> list[dict[str, Any]]:
    """All rows of a pyarrow table in wire form (one dict per row, keyed by column name)."""
    cols = [(f.name, f.type, table.column(i).to_pylist()) for i, f in enumerate(table.schema)]
    return [{name: wire_value(t, values[r]) for name, t, values in cols} for r in range(table.num_rows)]


def dump(obj: Any, path: str) -> None:
    """Writes JSON to path (allow_nan=False: wire form never carries bare NaN)."""
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, allow_nan=False, ensure_ascii=False)


def jsonable(v: Any) -> Any:
    """History entries carry Python scalars of many kinds; make them plain JSON."""
    if isinstance(v, dict):
        return {str(k): jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [jsonable(x) for x in v]
    if isinstance(v, (str, bool)) or v is None:
        return v
    if isinstance(v, int):
        return v if abs(v) < 2**53 else str(v)
    if isinstance(v, float):
        return v if math.isfinite(v) else str(v)
    if isinstance(v, (dt.datetime, dt.date)):
        return v.isoformat()
    return str(v)


if __name__ == "__main__":
    # `canon.py sample <file.parquet> <out.json>`: writes the scenario rows to a parquet file with pyarrow and
    # dumps their wire form, so ../canon.test.ts can check the TypeScript normalizer against this one.
    import os
    import sys

    import pyarrow.parquet as pq

    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import scenario_data as sd

    _, cmd, parquet_file, out = sys.argv
    assert cmd == "sample", cmd
    table = sd.batch(range(0, 30))
    pq.write_table(table, parquet_file, row_group_size=7)
    dump({"schema": str(table.schema), "rows": wire_rows(table)}, out)
