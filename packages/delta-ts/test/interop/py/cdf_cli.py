"""delta-rs (deltalake) side of the change data feed interop test.

  cdf_cli.py <out.json> <table dir>...
      Reads each table's change data feed with DeltaTable.load_cdf(starting_version=0) and writes
      {dir: {"rows": [...]}} (values as strings, _commit_timestamp dropped) or {dir: {"error": message}}.
"""

from __future__ import annotations

import json
import sys

import pyarrow as pa
from deltalake import DeltaTable


def main(argv: list[str]) -> int:
    out = {}
    for d in argv[1:]:
        try:
            # load_cdf gives an arro3 reader; pyarrow takes it through the Arrow C stream interface.
            t = pa.table(DeltaTable(d).load_cdf(starting_version=0).read_all())
            rows = t.drop(["_commit_timestamp"]).to_pylist()
            out[d] = {"rows": [{k: (None if v is None else str(v)) for k, v in r.items()} for r in rows]}
        except Exception as exc:  # noqa: BLE001
            out[d] = {"error": str(exc)[:1000]}
    with open(argv[0], "w", encoding="utf-8") as f:
        json.dump(out, f)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
