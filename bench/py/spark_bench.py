"""Spark (pyspark + delta-spark) side of the delta-ts benchmarks: which files Spark's Delta scan reads.

Usage: spark_bench.py '<params-json>' with {"op": "pruning", "predicates": [...], "tables": [{"path",
"versions": [...]}]}. One Spark session (its JVM start costs seconds) answers every predicate on every version
of every table: it runs `SELECT sum(payload) WHERE <predicate>` and reads `numFiles` of the executed plan's
FileSourceScanExec, the files left after Delta's data skipping (min/max stats) chose them. The same query
without a predicate must read every file of the version, else the metric is not what this measures and the
script fails. Prints `BENCH_RESULT {"runsMs": [], "peakRssMb": ..., "extra": {"tables": [{"versions":
[{"version", "numFiles", "read": [...]}]}]}}` with `read` the fraction of files each predicate reads.

The Delta jars come from $IVY_DIR (the clone's .cache/ivy, filled by the interop suite's Spark runs).
"""
import json
import os
import resource
import sys


def make_session():
    from delta import configure_spark_with_delta_pip
    from pyspark.sql import SparkSession

    b = (
        SparkSession.builder.master("local[1]")
        .appName("delta-ts-bench")
        .config("spark.sql.extensions", "io.delta.sql.DeltaSparkSessionExtension")
        .config("spark.sql.catalog.spark_catalog", "org.apache.spark.sql.delta.catalog.DeltaCatalog")
        .config("spark.jars.ivy", os.environ["IVY_DIR"])
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "1")
        .config("spark.default.parallelism", "1")
        .config("spark.databricks.delta.snapshotPartitions", "1")
        # Adaptive execution wraps the plan in AdaptiveSparkPlanExec; without it the executed plan is the tree.
        .config("spark.sql.adaptive.enabled", "false")
        .config("spark.driver.memory", "1g")
    )
    spark = configure_spark_with_delta_pip(b).getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark


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
