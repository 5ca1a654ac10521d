"""deltalake (delta-rs) side of the interop suite. One command per invocation; results go to a JSON file.

  write-scenario <name> <table_dir> <out.json>
      Builds the named scenario table with deltalake and dumps, for every version, the operation, the Delta
      schema and the rows deltalake reads at that version (wire form, see canon.py).
  read <table_dir> <out.json> [versions]
      Reads a table (written by delta-ts): latest version, protocol, schema, rows at each requested version
      ("all", "latest" or a comma list) and deltalake's history. Tables with deletion vectors are read through
      deltalake's DataFusion reader (QueryBuilder), which applies them; to_pyarrow_table refuses the feature.
  append-loop <table_dir> <writer> <count> [ready_file]
      Appends count one-row commits {writer, seq} to an existing table, one commit each, for the concurrency
      test; delta-rs retries lost races itself. Creates ready_file once deltalake is loaded and the table
      open, then starts at the epoch millisecond the test writes to ready_file + ".go".

The process ends with os._exit: delta-rs 1.6's runtime can abort during interpreter shutdown ("terminate
called without an active exception"), which would turn a finished run into a failure.
"""

from __future__ import annotations

import os
import sys
import time
import traceback

import pyarrow as pa
from deltalake import DeltaTable, QueryBuilder, write_deltalake

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import canon  # noqa: E402
import scenario_data as sd  # noqa: E402


def snapshot_dump(table_dir: str, version: int) -> dict:
    dt = DeltaTable(table_dir, version=version)
    if "deletionVectors" in (dt.protocol().reader_features or []):
        # to_pyarrow_table refuses deletion vectors; delta-rs's DataFusion reader applies them.
        t = pa.table(QueryBuilder().register("t", dt).execute("select * from t").read_all())
        t = t.select([f.name for f in dt.schema().fields]).cast(pa.schema(dt.schema().to_arrow()))
    else:
        t = dt.to_pyarrow_table()
    return {"version": dt.version(), "schema": dt.schema().to_json(), "rows": canon.wire_rows(t)}


def scenario_mixed(path: str) -> list[str]:
    """Appends, merge, delete, update, replaceWhere, explicit and automatic checkpoints, optimize, overwrite."""
    ops = []
    write_deltalake(path, sd.batch(range(0, 10)), partition_by=sd.PARTITION_COLUMNS, mode="error",
                    configuration={"delta.checkpointInterval": "4"})
    ops.append("create")
    write_deltalake(path, sd.batch(range(10, 14)), mode="append")
    ops.append("append")
    src = sd.batch([1, 2, 100, 101], tag="-merged")
    (DeltaTable(path).merge(src, "t.id = s.id", source_alias="s", target_alias="t")
     .when_matched_update_all().when_not_matched_insert_all().execute())
    ops.append("merge")
    DeltaTable(path).delete("id = 3")
    ops.append("delete")
    DeltaTable(path).update(updates={"s": "'updated'", "i32": "i32 + 1"}, predicate="id = 4")
    ops.append("update")
    write_deltalake(path, sd.batch(range(200, 203), part="a b"), mode="overwrite", predicate="part = 'a b'")
    ops.append("replaceWhere")
    DeltaTable(path).create_checkpoint()
    write_deltalake(path, sd.batch(range(300, 303)), mode="append")
    ops.append("append after explicit checkpoint")
    DeltaTable(path).optimize.compact()
    ops.append("optimize")
    DeltaTable(path).delete("part IS NULL")
    ops.append("delete null partition")
    write_deltalake(path, sd.batch(range(400, 406)), mode="overwrite")
    ops.append("overwrite")
    return ops


def scenario_plain(path: str) -> list[str]:
    """An unpartitioned table with a checkpoint every 2 commits, so readers start from checkpoints."""
    ops = []
    write_deltalake(path, sd.batch(range(0, 5)), mode="error", configuration={"delta.checkpointInterval": "2"})
    ops.append("create")
    for k in range(1, 6):
        write_deltalake(path, sd.batch(range(k * 10, k * 10 + 3)), mode="append")
        ops.append("append")
    DeltaTable(path).delete("id % 2 = 0")
    ops.append("delete")
    return ops


SCENARIOS = {"mixed": scenario_mixed, "plain": scenario_plain}


def cmd_write_scenario(name: str, path: str, out: str) -> None:
    ops = SCENARIOS[name](path)
    latest = DeltaTable(path).version()
    versions = []
    for v in range(latest + 1):
        d = snapshot_dump(path, v)
        d["operation"] = ops[v] if v < len(ops) else None
        versions.append(d)
    canon.dump({"writer": "deltalake", "scenario": name, "latestVersion": latest, "versions": versions}, out)


def cmd_read(path: str, out: str, which: str = "all") -> None:
    dt = DeltaTable(path)
    latest = dt.version()
    if which == "all":
        wanted = list(range(latest + 1))
    elif which == "latest":
        wanted = [latest]
    else:
        wanted = [int(x) for x in which.split(",")]
    p = dt.protocol()
    canon.dump(
        {
            "reader": "deltalake",
            "latestVersion": latest,
            "protocol": {"minReaderVersion": p.min_reader_version, "minWriterVersion": p.min_writer_version,
                         "readerFeatures": p.reader_features, "writerFeatures": p.writer_features},
            "partitionColumns": dt.metadata().partition_columns,
            "versions": [snapshot_dump(path, v) for v in wanted],
            "history": canon.jsonable(dt.history()),
        },
        out,
    )


def cmd_append_loop(path: str, writer: str, count: int, ready_file: str | None = None) -> None:
    schema = pa.schema([pa.field("writer", pa.string()), pa.field("seq", pa.int64())])
    DeltaTable(path)
    if ready_file:
        # Two-way start barrier: say we are ready, then wait for the test's go file, which holds the epoch
        # millisecond at which both writers start, so neither finishes before the other has begun.
        open(ready_file, "w").close()
        go = ready_file + ".go"
        deadline = time.time() + 120
        while not os.path.exists(go):
            if time.time() > deadline:
                raise TimeoutError(f"{go} never appeared")
            time.sleep(0.01)
        with open(go, encoding="utf-8") as f:
            start_at = int(f.read().strip()) / 1000
        time.sleep(max(0.0, start_at - time.time()))
    for k in range(count):
        write_deltalake(path, pa.Table.from_pydict({"writer": [writer], "seq": [k]}, schema=schema), mode="append")
        time.sleep(PACE_S)


# A short pause between one writer's commits spreads its appends over time, so the two writers' commits
# overlap even when one of them is much faster on a loaded machine.
PACE_S = 0.02


def main(argv: list[str]) -> int:
    cmd, *args = argv
    if cmd == "write-scenario":
        cmd_write_scenario(*args)
    elif cmd == "read":
        cmd_read(*args)
    elif cmd == "append-loop":
        cmd_append_loop(args[0], args[1], int(args[2]), *args[3:])
    else:
        raise SystemExit(f"unknown command {cmd}")
    return 0


if __name__ == "__main__":
    code = 1
    try:
        code = main(sys.argv[1:])
    except BaseException:  # noqa: BLE001 - report every failure to the test through stderr and the exit code
        traceback.print_exc()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
