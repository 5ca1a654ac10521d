import type { SparkSqlTask } from './harness.js'

/**
 * Spark-written tables of issue 16, as SQL for one `sql` task each (py/spark_cli.py). The INT96 and
 * in-commit-timestamp tables are also committed under test/fixtures/ (written by these statements, see
 * fixtures.spark.ts), so the main suite checks them without Spark.
 */

const INT96_VALUES = [
  "TIMESTAMP'0001-01-01 00:00:00'",
  "TIMESTAMP'1969-12-31 23:59:59.999999'",
  "TIMESTAMP'1970-01-01 00:00:00'",
  "TIMESTAMP'9999-12-31 23:59:59.999999'",
  "TIMESTAMP'1969-07-20 20:17:40.123456'",
  "TIMESTAMP'2262-04-11 23:47:16.854776'",
  "TIMESTAMP'1677-09-21 00:12:43.145224'",
]

function int96Rows(firstId: number): string {
  const v = INT96_VALUES
  const rows = v.map((ts, k) => {
    const other = v[(k + 3) % v.length]
    return `(${firstId + k}, ${ts}, named_struct('ts', ${other}, 'n', ${k}), array(${ts}, NULL, ${other}), map('a', ${ts}, 'b', ${other}))`
  })
  rows.push(`(${firstId + v.length}, NULL, NULL, NULL, NULL)`)
  rows.push(`(${firstId + v.length + 1}, ${v[0]}, named_struct('ts', NULL, 'n', NULL), array(), map('n', NULL))`)
  return rows.join(',\n')
}

/** Filters run by Spark and by delta-ts on the INT96 table (name → WHERE clause). */
export const INT96_FILTERS: Record<string, string> = {
  before1970: "ts < TIMESTAMP '1970-01-01 00:00:00'",
  after9000: "ts > TIMESTAMP '9000-01-01 00:00:00'",
  year1: "ts = TIMESTAMP '0001-01-01 00:00:00'",
  nestedBefore1970: "st.ts < TIMESTAMP '1970-01-01 00:00:00'",
  between: "ts BETWEEN TIMESTAMP '1677-01-01 00:00:00' AND TIMESTAMP '2262-12-31 00:00:00'",
}

/**
 * A table of INT96 timestamps (Spark: `spark.sql.parquet.outputTimestampType=INT96`, proleptic calendar):
 * years 1 and 9999, both sides of the epoch, the ends of the 64-bit-nanosecond range, nulls, and the values
 * nested in a struct, an array and a map. Commit 1 writes dictionary-encoded pages, commit 2 plain pages, and
 * version 2 is checkpointed.
 */
export function int96Task(dir: string, out: string): SparkSqlTask {
  const t = `delta.\`${dir}\``
  return {
    kind: 'sql',
    out,
    conf: {
      'spark.sql.parquet.outputTimestampType': 'INT96',
      'spark.sql.parquet.int96RebaseModeInWrite': 'CORRECTED',
      'spark.sql.parquet.int96RebaseModeInRead': 'CORRECTED',
    },
    statements: [
      `CREATE TABLE ${t} (id INT, ts TIMESTAMP, st STRUCT<ts: TIMESTAMP, n: INT>, arr ARRAY<TIMESTAMP>, m MAP<STRING, TIMESTAMP>) USING delta TBLPROPERTIES ('delta.checkpointInterval' = '2')`,
      'SET parquet.enable.dictionary=true',
      `INSERT INTO ${t} SELECT /*+ COALESCE(1) */ * FROM VALUES ${int96Rows(1)}`,
      'SET parquet.enable.dictionary=false',
      `INSERT INTO ${t} SELECT /*+ COALESCE(1) */ * FROM VALUES ${int96Rows(101)}`,
      'SET parquet.enable.dictionary=true',
    ],
    queries: {
      all: `SELECT * FROM ${t}`,
      ...Object.fromEntries(Object.entries(INT96_FILTERS).map(([k, f]) => [k, `SELECT id FROM ${t} WHERE ${f}`])),
    },
    parquetFiles: [dir],
  }
}

/** Commits of the in-commit-timestamp table (checkpoints at versions 2 and 4). */
export const ICT_COMMITS = 6

/** A table with in-commit timestamps from version 0 and a checkpoint every 2 commits; the history as Spark sees it. */
export function ictTask(dir: string, out: string): SparkSqlTask {
  const t = `delta.\`${dir}\``
  const inserts = [...Array(ICT_COMMITS - 1).keys()].map((k) => `INSERT INTO ${t} VALUES (${k}, 'v${k + 1}')`)
  return {
    kind: 'sql',
    out,
    statements: [
      `CREATE TABLE ${t} (id INT, s STRING) USING delta TBLPROPERTIES ('delta.enableInCommitTimestamps' = 'true', 'delta.checkpointInterval' = '2')`,
      ...inserts,
    ],
    queries: { history: `DESCRIBE HISTORY ${t}` },
  }
}

/** Timestamp partition values written by Spark (and by delta-ts in the Spark suite), UTC wall clock. */
export const PARTITION_TIMESTAMPS = ['2024-02-29 12:34:56.123456', '1969-12-31 23:59:59', '2024-11-03 09:30:00']

/**
 * A Spark-written table partitioned by a `timestamp` and a `timestamp_ntz` column, written in a session in
 * America/Los_Angeles: how Spark serializes and escapes such partition values.
 */
export function sparkPartitionTask(dir: string, out: string): SparkSqlTask {
  const t = `delta.\`${dir}\``
  const rows = PARTITION_TIMESTAMPS.map((v, k) => `(${k}, TIMESTAMP'${v}Z', TIMESTAMP_NTZ'${v}')`).concat([
    `(${PARTITION_TIMESTAMPS.length}, NULL, NULL)`,
  ])
  return {
    kind: 'sql',
    out,
    conf: { 'spark.sql.session.timeZone': 'America/Los_Angeles' },
    statements: [
      `CREATE TABLE ${t} (id INT, p_ts TIMESTAMP, p_ntz TIMESTAMP_NTZ) USING delta PARTITIONED BY (p_ts, p_ntz)`,
      `INSERT INTO ${t} VALUES ${rows.join(', ')}`,
    ],
    queries: { all: `SELECT * FROM ${t}` },
  }
}

/** Reads of a (delta-ts-written) timestamp-partitioned table in one session time zone. */
export function partitionReadTask(dir: string, out: string, timeZone: string): SparkSqlTask {
  const t = `delta.\`${dir}\``
  return {
    kind: 'sql',
    out,
    conf: { 'spark.sql.session.timeZone': timeZone },
    queries: {
      all: `SELECT * FROM ${t}`,
      eqTs: `SELECT id FROM ${t} WHERE p_ts = TIMESTAMP '2024-02-29 12:34:56.123456Z'`,
      eqNtz: `SELECT id FROM ${t} WHERE p_ntz = TIMESTAMP_NTZ '2024-02-29 12:34:56.123456'`,
      beforeEpoch: `SELECT id FROM ${t} WHERE p_ts < TIMESTAMP '1970-01-01 00:00:00Z'`,
    },
  }
}

/**
 * Arithmetic predicates cross-checked against Spark (non-ANSI session, where division by zero is NULL
 * as in delta-ts; no predicate here overflows).
 */
export const ARITH_PREDICATES = [
  'i % 3 = 1',
  'i % 3 = -1',
  'i % -3 = 1',
  '-i > 0',
  '- i < -5',
  'i + l > 50',
  'l - i < 0',
  'i * 2 = 14',
  'i / 2 = 3.5',
  'i / 0 IS NULL',
  'l % 0 IS NULL',
  'b + 1 > 2',
  'b - 1 < 0',
  'b * i > 50',
  '(i + 1) * 2 = 16',
  'i - -1 = 8',
  'i + 1 * 2 = 9',
  'l * 1000000000 > 0',
  'd * 2 > 20',
  'd + d2 > 10',
  'd - 0.01 = 12.33',
  'd / 3 > 1.11',
  'd / 3 = 4.1133333333333',
  'd / 3 = 4.113333',
  'd / i = 1.7628571428571',
  'd * i > 80',
  'd2 / 6 < 0.1',
  'd % 1 = 0.34',
  'd2 * d2 > 1',
  'd / 0 IS NULL',
  'd + i > 19',
  'f * 2 = 5',
  'r + f > 3',
  'f / r < 0',
  'f % 2 = 0.5',
  'f / 0 IS NULL',
  'r * 2 = 1',
  'i + f > 9',
  '1 + 1 = 2 AND id > 4',
  'id % 2 = 0 AND d > 0',
  'i % 3 IN (1, 2)',
  'l + 1 BETWEEN 0 AND 101',
  'i * 1.5 > 10',
  'i = l / 100 * 7',
  'i + l IS NULL',
]

/** A Spark-written table of numbers for {@link ARITH_PREDICATES}; Spark's answer to each (ids). */
export function arithTask(dir: string, out: string): SparkSqlTask {
  const t = `delta.\`${dir}\``
  return {
    kind: 'sql',
    out,
    conf: { 'spark.sql.ansi.enabled': 'false' },
    statements: [
      `CREATE TABLE ${t} (id INT, b TINYINT, i INT, l BIGINT, d DECIMAL(10,2), d2 DECIMAL(5,3), f DOUBLE, r FLOAT) USING delta`,
      `INSERT INTO ${t} VALUES
        (1, 1, 7, 100, 12.34, 1.5, 2.5, 0.5),
        (2, -3, -7, -100, -0.01, 0.001, -1.25, 3.0),
        (3, 0, 0, 0, 0.00, 0.000, 0.0, 0.0),
        (4, NULL, 5, NULL, 99999999.99, NULL, NULL, 1.5),
        (5, 100, 1000000, 9000000000, 1.00, 99.999, 1e300, -2.5),
        (6, 10, 3, 3, 3.33, 3.333, 3.0, 3.0),
        (7, -100, -2, 2, -5.55, -1.234, -0.5, -0.25)`,
    ],
    queries: Object.fromEntries(ARITH_PREDICATES.map((p, k) => [`q${k}`, `SELECT id FROM ${t} WHERE ${p}`])),
  }
}
