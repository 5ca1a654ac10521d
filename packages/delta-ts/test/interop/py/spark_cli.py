"""Spark (pyspark + delta-spark, the reference implementation) side of the interop suite.

  spark_cli.py <job.json>
      Runs every task of the job in one Spark session (the JVM start costs seconds; the suite pays it once).
      A task is {"kind": "write-scenario", "name", "dir", "out"} or {"kind": "read", "dir", "out", "versions"}
      with the same outputs as deltalake_cli.py, so the TypeScript tests treat both writers alike, or
      {"kind": "append-loop", "dir", "out", "writer", "count", "ready"}: one-row appends {writer, seq}
      racing a delta-ts writer, started through the same ready / ready.go barrier as deltalake_cli.py,
      or {"kind": "sql", "out", "conf", "create", "statements", "queries", "parquetFiles"}: sets the session settings
      (conf) for this task only, creates the tables of "create" (see create_tables), runs the SQL statements (SET works for writer settings such as
      parquet.enable.dictionary), then each named query; writes {"queries": {name: {"schema", "rows"}}, "parquetFiles": {dir: [{file, columns}]}} where
      parquetFiles lists the data files under each given table directory with each column chunk's encodings.

The session (and where the Delta jars come from) is spark_session.py's, shared with the bench.
"""

from __future__ import annotations

import json
import os
import sys
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import canon  # noqa: E402
import scenario_data as sd  # noqa: E402
import spark_session  # noqa: E402


def make_session():
    return spark_session.make_session("delta-ts-interop")


def read_version(spark, path: str, version: int) -> dict:
    df = spark.read.format("delta").option("versionAsOf", version).load(path)
    return {"version": version, "schema": df.schema.json(), "rows": canon.wire_rows(df.toArrow())}


def spark_df(spark, t):
    """A DataFrame of scenario rows. Spark maps Arrow's zone-less timestamp to its session-zone TIMESTAMP; the
    cast (in the UTC session) keeps the wall clock and makes the column the TIMESTAMP_NTZ it is meant to be."""
    from pyspark.sql.functions import col

    return spark.createDataFrame(t).withColumn("ntz", col("ntz").cast("timestamp_ntz"))


def scenario_mixed(spark, path: str) -> list[str]:
    """Same steps as deltalake's mixed scenario, with deletion vectors on and a checkpoint every 3 commits."""
    from delta.tables import DeltaTable

    def df(t):
        return spark_df(spark, t)

    ops = []
    first = df(sd.batch(range(0, 10)))
    (DeltaTable.create(spark).location(path).addColumns(first.schema).partitionedBy(*sd.PARTITION_COLUMNS)
     .property("delta.enableDeletionVectors", "true").property("delta.checkpointInterval", "3").execute())
    ops.append("create empty")
    first.write.format("delta").mode("append").save(path)
    ops.append("append")
    df(sd.batch(range(10, 14))).write.format("delta").mode("append").save(path)
    ops.append("append")
    src = df(sd.batch([1, 2, 100, 101], tag="-merged"))
    (DeltaTable.forPath(spark, path).alias("t").merge(src.alias("s"), "t.id = s.id")
     .whenMatchedUpdateAll().whenNotMatchedInsertAll().execute())
    ops.append("merge")
    DeltaTable.forPath(spark, path).delete("id = 3")
    ops.append("delete (deletion vector)")
    DeltaTable.forPath(spark, path).update("id = 4", {"s": "'updated'", "i32": "i32 + 1"})
    ops.append("update")
    (df(sd.batch(range(200, 203), part="a b")).write.format("delta").mode("overwrite")
     .option("replaceWhere", "part = 'a b'").save(path))
    ops.append("replaceWhere")
    df(sd.batch(range(300, 303))).write.format("delta").mode("append").save(path)
    ops.append("append")
    DeltaTable.forPath(spark, path).optimize().executeCompaction()
    ops.append("optimize")
    DeltaTable.forPath(spark, path).delete("part IS NULL")
    ops.append("delete null partition")
    df(sd.batch(range(400, 406))).write.format("delta").mode("overwrite").save(path)
    ops.append("overwrite")
    return ops


def scenario_colmap(spark, path: str) -> list[str]:
    """Column mapping (name mode) with a rename and a drop, then deletion-vector deletes."""
    from delta.tables import DeltaTable

    ops = []
    first = spark_df(spark, sd.batch(range(0, 8)))
    (DeltaTable.create(spark).location(path).addColumns(first.schema).partitionedBy("part")
     .property("delta.columnMapping.mode", "name").property("delta.enableDeletionVectors", "true")
     .property("delta.minReaderVersion", "3").property("delta.minWriterVersion", "7").execute())
    ops.append("create empty")
    first.write.format("delta").mode("append").save(path)
    ops.append("append")
    spark.sql(f"ALTER TABLE delta.`{path}` RENAME COLUMN s TO `renamed s`")
    ops.append("rename column")
    spark.sql(f"ALTER TABLE delta.`{path}` DROP COLUMN i8")
    ops.append("drop column")
    DeltaTable.forPath(spark, path).delete("id % 3 = 0")
    ops.append("delete (deletion vector)")
    more = spark_df(spark, sd.batch(range(20, 24))).drop("i8").withColumnRenamed("s", "renamed s")
    more.write.format("delta").mode("append").save(path)
    ops.append("append")
    return ops


SCENARIOS = {"mixed": scenario_mixed, "colmap": scenario_colmap}


def latest_version(spark, path: str) -> int:
    from delta.tables import DeltaTable

    return DeltaTable.forPath(spark, path).history(1).collect()[0]["version"]


def task_write_scenario(spark, t: dict) -> None:
    ops = SCENARIOS[t["name"]](spark, t["dir"])
    latest = latest_version(spark, t["dir"])
    versions = []
    for v in range(latest + 1):
        d = read_version(spark, t["dir"], v)
        d["operation"] = ops[v] if v < len(ops) else None
        versions.append(d)
    canon.dump({"writer": "spark", "scenario": t["name"], "latestVersion": latest, "versions": versions}, t["out"])


def task_read(spark, t: dict) -> None:
    from delta.tables import DeltaTable

    path = t["dir"]
    latest = latest_version(spark, path)
    which = t.get("versions", "all")
    wanted = list(range(latest + 1)) if which == "all" else [latest] if which == "latest" else [int(x) for x in which.split(",")]
    detail = spark.sql(f"DESCRIBE DETAIL delta.`{path}`").collect()[0].asDict(recursive=True)
    history = [r.asDict(recursive=True) for r in DeltaTable.forPath(spark, path).history().collect()]
    canon.dump(
        {
            "reader": "spark",
            "latestVersion": latest,
            "protocol": {"minReaderVersion": detail["minReaderVersion"], "minWriterVersion": detail["minWriterVersion"],
                         "readerFeatures": detail.get("tableFeatures")},
            "partitionColumns": detail["partitionColumns"],
            "versions": [read_version(spark, path, v) for v in wanted],
            "history": canon.jsonable(history),
        },
        t["out"],
    )


def task_append_loop(spark, t: dict) -> None:
    import time

    # Load the table and warm the write path before the barrier, so the race starts with both sides ready.
    spark.read.format("delta").load(t["dir"]).count()
    open(t["ready"], "w").close()
    go = t["ready"] + ".go"
    deadline = time.time() + 300
    while not os.path.exists(go):
        if time.time() > deadline:
            raise TimeoutError(f"{go} never appeared")
        time.sleep(0.01)
    with open(go, encoding="utf-8") as f:
        time.sleep(max(0.0, int(f.read().strip()) / 1000 - time.time()))
    for k in range(int(t["count"])):
        spark.createDataFrame([(t["writer"], k)], "writer string, seq long").write.format("delta").mode("append").save(t["dir"])
    canon.dump({"appended": int(t["count"])}, t["out"])


def parquet_files(table_dir: str) -> list[dict]:
    """The parquet files of a table directory (data files and checkpoints) with each column chunk's physical
    type and encodings (row group 0)."""
    import pyarrow.parquet as pq

    out = []
    for root, dirs, files in os.walk(table_dir):
        dirs[:] = sorted(dirs)
        for name in sorted(files):
            if not name.endswith(".parquet"):
                continue
            full = os.path.join(root, name)
            md = pq.ParquetFile(full).metadata
            rg = md.row_group(0)
            cols = {rg.column(i).path_in_schema: {"physicalType": rg.column(i).physical_type,
                                                   "encodings": sorted(rg.column(i).encodings)}
                    for i in range(rg.num_columns)}
            out.append({"file": os.path.relpath(full, table_dir), "columns": cols})
    return out


def create_tables(spark, specs: list[dict]) -> None:
    """Creates tables through delta-spark's DeltaTableBuilder: Delta 4.0's SQL DDL refuses GENERATED ALWAYS AS
    and identity columns through the session catalog (delta-io/delta#1100, SQL support came in 4.4), the builder
    writes the same metadata. A spec is {"dir", "columns": [{"name", "type", "nullable"?, "generatedAlwaysAs"?,
    "identity"?: {"always", "start", "step"}}], "properties"?}."""
    from delta.tables import DeltaTable, IdentityGenerator

    for spec in specs:
        b = DeltaTable.create(spark).location(spec["dir"])
        for c in spec["columns"]:
            kw = {}
            ident = c.get("identity")
            if ident is not None:
                gen = IdentityGenerator(start=ident.get("start", 1), step=ident.get("step", 1))
                kw["generatedAlwaysAs" if ident.get("always", True) else "generatedByDefaultAs"] = gen
            elif c.get("generatedAlwaysAs"):
                kw["generatedAlwaysAs"] = c["generatedAlwaysAs"]
            b = b.addColumn(c["name"], c["type"], nullable=c.get("nullable", True), **kw)
        for k, v in spec.get("properties", {}).items():
            b = b.property(k, v)
        b.execute()


def task_sql(spark, t: dict) -> None:
    conf = t.get("conf", {})
    saved = {k: spark.conf.get(k, None) for k in conf}
    for k, v in conf.items():
        spark.conf.set(k, str(v))
    try:
        create_tables(spark, t.get("create", []))
        for st in t.get("statements", []):
            spark.sql(st).collect()
        queries = {}
        for name, q in t.get("queries", {}).items():
            df = spark.sql(q)
            queries[name] = {"schema": df.schema.json(), "rows": canon.wire_rows(df.toArrow())}
    finally:
        for k, v in saved.items():
            if v is None:
                spark.conf.unset(k)
            else:
                spark.conf.set(k, v)
    canon.dump({"queries": queries, "parquetFiles": {d: parquet_files(d) for d in t.get("parquetFiles", [])}}, t["out"])


def main(argv: list[str]) -> int:
    with open(argv[0], encoding="utf-8") as f:
        job = json.load(f)
    spark = make_session()
    failed = 0
    for t in job["tasks"]:
        # One failing task must not hide the others' results: each writes its own output or an error file.
        try:
            if t["kind"] == "write-scenario":
                task_write_scenario(spark, t)
            elif t["kind"] == "read":
                task_read(spark, t)
            elif t["kind"] == "append-loop":
                task_append_loop(spark, t)
            elif t["kind"] == "sql":
                task_sql(spark, t)
            else:
                raise ValueError(f"unknown task kind {t['kind']}")
        except Exception as exc:  # noqa: BLE001
            failed += 1
            # The exception's own message first (Spark's error class and text), then the traceback's tail.
            canon.dump({"error": str(exc).split("\n\tat ")[0][:1500] + "\n...\n" + traceback.format_exc()[-2500:]}, t["out"])
    spark.stop()
    return 0 if failed == 0 else 2


if __name__ == "__main__":
    code = 1
    try:
        code = main(sys.argv[1:])
    except BaseException:  # noqa: BLE001
        traceback.print_exc()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
