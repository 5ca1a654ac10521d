"""Python `deltalake` (delta-rs) side of the delta-ts benchmarks.

Usage: deltalake_bench.py '<params-json>'. Runs one operation `reps` times, timing only the operation
(time.perf_counter), and prints `BENCH_RESULT {"runsMs": [...], "peakRssMb": ..., "extra": {...}}`.
Untimed preparation (reading inputs, copying templates, moving pending commits in) happens between runs.
"""
import json
import os
import resource
import shutil
import sys
import time

import pyarrow.parquet as pq
from deltalake import DeltaTable, WriterProperties, write_deltalake


def timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return (time.perf_counter() - t0) * 1000.0, out


def repeat(reps, prepare, fn):
    runs, last = [], None
    for _ in range(reps):
        prepare()
        ms, last = timed(fn)
        runs.append(ms)
    return runs, last


def noop():
    pass


def op_load(p):
    runs, files = repeat(p["reps"], noop, lambda: len(DeltaTable(p["table"]).file_uris()))
    return runs, {"files": files}


def op_refresh(p):
    # Pending commit files (written by the Node side) are moved into _delta_log before each run.
    dt = DeltaTable(p["table"])
    pending = sorted(os.listdir(p["pending"]))
    log = os.path.join(p["table"], "_delta_log")
    n = p["newCommits"]

    def prepare():
        for f in pending[:n]:
            os.rename(os.path.join(p["pending"], f), os.path.join(log, f))
        del pending[:n]

    def refresh():
        dt.update_incremental()
        return dt.version()

    # One untimed warm-up refresh, as on the Node side.
    prepare()
    refresh()
    runs, version = repeat(p["reps"], prepare, refresh)
    full_ms, _ = timed(lambda: len(DeltaTable(p["table"]).file_uris()))
    return runs, {"version": version, "fullLoadMs": full_ms}


def op_checkpoint(p):
    # Loaded untimed; timed: create_checkpoint of the loaded version (written afresh on each run).
    # Each run's checkpoint file is stat'ed (untimed) to show every run wrote a full one.
    dt = DeltaTable(p["table"])
    ckpt = os.path.join(p["table"], "_delta_log", f"{dt.version():020d}.checkpoint.parquet")
    writes = []

    def prepare():
        # delta-rs skips create_checkpoint when the version's checkpoint exists (a ~20 ms no-op, measured):
        # remove it and its _last_checkpoint hint, untimed, so every run writes a full one as delta-ts does.
        if os.path.exists(ckpt):
            st = os.stat(ckpt)
            writes.append((st.st_size, st.st_mtime_ns))
            os.remove(ckpt)
            os.remove(os.path.join(p["table"], "_delta_log", "_last_checkpoint"))

    runs, _ = repeat(p["reps"], prepare, lambda: dt.create_checkpoint())
    rows = pq.ParquetFile(ckpt).metadata.num_rows
    prepare()
    # One stat follows each run: as many distinct mtimes as runs means every run wrote it.
    rewritten = len({m for _, m in writes[-len(runs) :]})
    return runs, {
        "files": len(dt.file_uris()),
        "checkpointBytes": writes[-1][0],
        "checkpointRows": rows,
        "distinctCheckpointMtimes": rewritten,
    }


def op_prune(p):
    dt = DeltaTable(p["table"])
    total = len(dt.file_uris())
    filters = [tuple(f) for f in p["partitionFilters"]]
    first = p.get("mode") == "first"
    state = {"dt": dt}

    def prepare():
        # "first": every run queries a freshly opened table (opened untimed); "repeat": the same table, after
        # one untimed query.
        if first:
            state["dt"] = DeltaTable(p["table"])

    if not first:
        dt.file_uris(partition_filters=filters)
    runs, kept = repeat(p["reps"], prepare, lambda: len(state["dt"].file_uris(partition_filters=filters)))
    return runs, {"total": total, "kept": kept}


def op_scan(p):
    dt = DeltaTable(p["table"])
    cols = p.get("columns")
    runs, rows = repeat(p["reps"], noop, lambda: dt.to_pyarrow_table(columns=cols).num_rows)
    return runs, {"rows": rows}


def op_append(p):
    data = pq.read_table(p["input"])
    d = p["dir"]

    def prepare():
        shutil.rmtree(d, ignore_errors=True)

    def write():
        write_deltalake(
            d,
            data,
            partition_by=["date"] if p.get("partitioned") else None,
            writer_properties=WriterProperties(compression="ZSTD"),
        )

    runs, _ = repeat(p["reps"], prepare, write)
    return runs, {"rows": data.num_rows}


def op_settings_write(p):
    """write_deltalake of the input with its default writer properties (`compression` unset) or with a codec
    and level; reports the bytes written and what the first data file's footer says delta-rs wrote."""
    data = pq.read_table(p["input"])
    d = p["dir"]
    props = None
    if p.get("compression"):
        props = WriterProperties(compression=p["compression"], compression_level=p.get("level"))

    def prepare():
        shutil.rmtree(d, ignore_errors=True)

    runs, _ = repeat(p["reps"], prepare, lambda: write_deltalake(d, data, writer_properties=props))
    files = sorted(f for f in os.listdir(d) if f.endswith(".parquet"))
    size = sum(os.path.getsize(os.path.join(d, f)) for f in files)
    md = pq.ParquetFile(os.path.join(d, files[0])).metadata
    rg0 = md.row_group(0)
    cols = [rg0.column(j) for j in range(rg0.num_columns)]
    meta = {
        "files": len(files),
        "bytes": size,
        "createdBy": md.created_by,
        "formatVersion": md.format_version,
        "rowGroups": md.num_row_groups,
        "rowGroupRows": [md.row_group(i).num_rows for i in range(md.num_row_groups)],
        "codecs": sorted({c.compression for c in cols}),
        "dictionaryColumns": [c.path_in_schema for c in cols if c.has_dictionary_page],
        "encodings": {c.path_in_schema: list(c.encodings) for c in cols},
        "statistics": all(c.is_stats_set for c in cols),
        # Mean compressed bytes per data page is not in the footer; the page index (offset index) is what
        # would say, and pyarrow does not expose it. Column chunk sizes are.
        "chunkBytes": {c.path_in_schema: c.total_compressed_size for c in cols},
    }
    shutil.rmtree(d, ignore_errors=True)
    return runs, meta


def op_merge(p):
    source = pq.read_table(p["source"])
    d = p["dir"]

    def prepare():
        shutil.rmtree(d, ignore_errors=True)
        shutil.copytree(p["template"], d)

    def merge():
        dt = DeltaTable(d)
        return (
            dt.merge(source=source, predicate="target.id = source.id", source_alias="source", target_alias="target")
            .when_matched_update_all()
            .when_not_matched_insert_all()
            .execute()
        )

    runs, metrics = repeat(p["reps"], prepare, merge)
    return runs, {"metrics": metrics}


def op_delete(p):
    d = p["dir"]

    def prepare():
        shutil.rmtree(d, ignore_errors=True)
        shutil.copytree(p["template"], d)

    runs, metrics = repeat(p["reps"], prepare, lambda: DeltaTable(d).delete(p["predicate"]))
    return runs, {"metrics": metrics}


def op_update(p):
    d = p["dir"]

    def prepare():
        shutil.rmtree(d, ignore_errors=True)
        shutil.copytree(p["template"], d)

    runs, metrics = repeat(
        p["reps"], prepare, lambda: DeltaTable(d).update(updates={"amount": "amount * 2"}, predicate=p["predicate"])
    )
    return runs, {"metrics": metrics}


def peak_rss_kib():
    """VmHWM (this process's own high-water mark); getrusage's ru_maxrss survives fork+exec and would include
    the parent's RSS at spawn time."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return float(line.split()[1])
    except OSError:
        pass
    return float(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def op_commit_writer(p):
    """One concurrent writer: waits for the shared start instant, then appends one row per commit."""
    import pyarrow as pa
    from deltalake import CommitProperties

    # delta-rs gives up after 15 lost races by default (seen with 8 writers); allow as many as delta-ts does.
    props = CommitProperties(max_commit_retries=1000)
    schema = pa.schema([pa.field("writer", pa.int32()), pa.field("seq", pa.int32())])
    wait = p["startAt"] / 1000.0 - time.time()
    if wait > 0:
        time.sleep(wait)
    start = time.time() * 1000.0
    latencies = []
    for i in range(p["commits"]):
        batch = pa.table({"writer": [p["writerId"]], "seq": [i]}, schema=schema)
        ms, _ = timed(lambda: write_deltalake(p["uri"], batch, mode="append", commit_properties=props))
        latencies.append(ms)
    return latencies, {"start": start, "end": time.time() * 1000.0}


def main():
    p = json.loads(sys.argv[1])
    runs, extra = globals()["op_" + p["op"]](p)
    peak = peak_rss_kib() / 1024.0
    print("\nBENCH_RESULT " + json.dumps({"runsMs": runs, "peakRssMb": round(peak, 1), "extra": extra}, default=str))
    sys.stdout.flush()
    # Skip interpreter teardown: delta-rs/pyarrow worker threads sometimes abort the process at exit
    # ("terminate called without an active exception") after the work is done and reported.
    os._exit(0)


if __name__ == "__main__":
    main()
