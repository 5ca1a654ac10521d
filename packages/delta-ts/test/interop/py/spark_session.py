"""The one Spark session builder of the repository: the interop suite (spark_cli.py) and the bench's Spark side
(bench/py/spark_bench.py) both build their session here, so they run the same Delta setup.

The Delta jars come from Maven Central through configure_spark_with_delta_pip into $IVY_DIR (the clone's
.cache/ivy), so a fresh CI clone downloads them itself and later runs work offline.
"""

from __future__ import annotations

import os


def make_session(app_name: str, extra_conf: dict[str, str] | None = None):
    """A local, single-core Spark session with Delta's SQL extension and catalog, the UI off, UTC session time
    and zero-retention vacuum allowed (tests vacuum tables they own). `extra_conf` adds or overrides settings."""
    from delta import configure_spark_with_delta_pip
    from pyspark.sql import SparkSession

    conf = {
        "spark.sql.extensions": "io.delta.sql.DeltaSparkSessionExtension",
        "spark.sql.catalog.spark_catalog": "org.apache.spark.sql.delta.catalog.DeltaCatalog",
        "spark.jars.ivy": os.environ["IVY_DIR"],
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        "spark.sql.shuffle.partitions": "1",
        "spark.default.parallelism": "1",
        "spark.databricks.delta.snapshotPartitions": "1",
        "spark.sql.session.timeZone": "UTC",
        "spark.driver.memory": "1g",
        "spark.databricks.delta.retentionDurationCheck.enabled": "false",
        **(extra_conf or {}),
    }
    b = SparkSession.builder.master("local[1]").appName(app_name)
    for k, v in conf.items():
        b = b.config(k, v)
    spark = configure_spark_with_delta_pip(b).getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark
