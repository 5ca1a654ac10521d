"""Spark (pyspark + delta-spark) side of the delta-ts benchmarks: which files Spark's Delta scan reads.

Usage: spark_bench.py '<params-json>' with {"op": "pruning", "predicates": [...], "tables": [{"path",
"versions": [...]}]}. One Spark session (its JVM start costs seconds) answers every predicate on every version
of every table: it runs `SELECT sum(payload) WHERE <predicate>` and reads `numFiles` of the executed plan's
FileSourceScanExec, the files left after Delta's data skipping (min/max stats) chose them. The same query
without a predicate must read every file of the version, else the metric is not what this measures and the
script fails. Prints `BENCH_RESULT {"runsMs": [], "peakRssMb": ..., "extra": {"tables": [{"versions":
[{"version", "numFiles", "read": [...]}]}]}}` with `read` the fraction of files each predicate reads.

The session is the interop suite's (spark_session.py); the Delta jars come from $IVY_DIR (the clone's
.cache/ivy, filled by the interop suite's Spark runs).
"""
import json
import os
import resource
import sys

# The Spark session builder is the interop suite's (packages/delta-ts/test/interop/py/spark_session.py).
sys.path.insert(
    0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "packages", "delta-ts", "test", "interop", "py")
)
import spark_session  # noqa: E402


def make_session():
    # Adaptive execution wraps the plan in AdaptiveSparkPlanExec; without it the executed plan is the tree.
    return spark_session.make_session("delta-ts-bench", {"spark.sql.adaptive.enabled": "false"})


def scanned_files(spark, path, version, predicate):
    """Runs the query and sums `numFiles` over the FileSourceScanExec nodes of its executed plan."""
    from pyspark.sql import functions as F

    df = spark.read.format("delta").option("versionAsOf", version).load(path)
    if predicate is not None:
        df = df.where(predicate)
    # sum, not count: Delta answers a bare count(*) from the log's stats without scanning.
    df = df.agg(F.sum("payload"))
    df.collect()
    total, found, stack = 0, 0, [df._jdf.queryExecution().executedPlan()]
    while stack:
        node = stack.pop()
        if node.getClass().getSimpleName() == "FileSourceScanExec":
            found += 1
            total += node.metrics().apply("numFiles").value()
        children = node.children()
        stack.extend(children.apply(i) for i in range(children.size()))
    if found == 0:
        raise RuntimeError(f"no FileSourceScanExec in the plan of {predicate!r} on {path}@{version}")
    return total


def op_pruning(p):
    spark = make_session()
    out = []
    for t in p["tables"]:
        versions = []
        for v in t["versions"]:
            everything = scanned_files(spark, t["path"], v, None)
            expected = len(spark.read.format("delta").option("versionAsOf", v).load(t["path"]).inputFiles())
            if everything != expected or expected == 0:
                raise RuntimeError(
                    f"numFiles of the unfiltered scan is {everything}, the version has {expected} files: "
                    "the metric does not count the files read"
                )
            read = [scanned_files(spark, t["path"], v, f) / everything for f in p["predicates"]]
            versions.append({"version": v, "numFiles": everything, "read": read})
        out.append({"versions": versions})
    spark.stop()
    return {"tables": out}


def main():
    p = json.loads(sys.argv[1])
    extra = {"pruning": op_pruning}[p["op"]](p)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    print("BENCH_RESULT " + json.dumps({"runsMs": [], "peakRssMb": rss, "extra": extra}), flush=True)


if __name__ == "__main__":
    main()
