import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import * as path from 'node:path'
import * as arrow from 'apache-arrow'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DeltaTable, escapePartitionPathName, unescapePartitionPathName } from '../../src/index.js'
import { canonicalRows, type WireRow, wireRows } from './canon.js'
import { deltalake, ensureVenv, type PyRead, runSpark, type SparkSqlResult, scratch } from './harness.js'
import {
  ARITH_PREDICATES,
  arithTask,
  ICT_COMMITS,
  INT96_FILTERS,
  ictTask,
  int96Task,
  PARTITION_TIMESTAMPS,
  partitionReadTask,
  sparkPartitionTask,
} from './spark-tables.js'

/** µs since the epoch of a UTC wall-clock `YYYY-MM-DD HH:MM:SS[.ffffff]`. */
function micros(wall: string): bigint {
  const [sec, frac = ''] = wall.split('.')
  return BigInt(Date.parse(`${sec.replace(' ', 'T')}Z`)) * 1000n + BigInt(frac.padEnd(6, '0'))
}

/** delta-ts writes a table partitioned by a timestamp and a timestamp_ntz column (values {@link PARTITION_TIMESTAMPS}). */
async function writeTsPartitioned(dir: string): Promise<WireRow[]> {
  const n = PARTITION_TIMESTAMPS.length + 1
  const ts = new BigInt64Array(n)
  PARTITION_TIMESTAMPS.forEach((v, k) => {
    ts[k] = micros(v)
  })
  const validity = new Uint8Array([(1 << PARTITION_TIMESTAMPS.length) - 1])
  const col = (type: arrow.DataType) =>
    arrow.makeVector(arrow.makeData({ type, length: n, nullCount: 1, nullBitmap: validity, data: ts } as never))
  const batch = new arrow.Table({
    id: arrow.makeVector(Int32Array.from({ length: n }, (_, k) => k)),
    p_ts: col(new arrow.TimestampMicrosecond('UTC')),
    p_ntz: col(new arrow.TimestampMicrosecond()),
  })
  const table = await DeltaTable.create(dir, {
    schema: {
      type: 'struct',
      fields: [
        { name: 'id', type: 'integer', nullable: true, metadata: {} },
        { name: 'p_ts', type: 'timestamp', nullable: true, metadata: {} },
        { name: 'p_ntz', type: 'timestamp_ntz', nullable: true, metadata: {} },
      ],
    },
    partitionBy: ['p_ts', 'p_ntz'],
  })
  await table.write(batch)
  return [...Array(n).keys()].map((k) => {
    const v = k < PARTITION_TIMESTAMPS.length ? String(ts[k]) : null
    return { id: String(k), p_ts: v, p_ntz: v }
  })
}

/**
 * Issue 16 against Spark: Spark writes the INT96 and in-commit-timestamp tables afresh (the statements that
 * made the committed fixtures in test/fixtures/), and delta-ts must read them as Spark does. With
 * `UPDATE_FIXTURES=1` the fresh tables replace the committed fixtures (and their expected results).
 */
const FIXTURES = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../fixtures')

function copyTable(from: string, to: string): void {
  rmSync(to, { recursive: true, force: true })
  mkdirSync(path.dirname(to), { recursive: true })
  // Hadoop's hidden .crc side files are not part of the table.
  cpSync(from, to, { recursive: true, filter: (src) => !path.basename(src).startsWith('.') })
}

describe('Spark-written INT96 and in-commit-timestamp tables (delta-spark 4.0.1)', () => {
  const tmp = scratch('spark-fixtures')
  afterAll(() => tmp.cleanup())
  const dir = (name: string) => path.join(tmp.dir, name)
  let int96: SparkSqlResult
  let ict: SparkSqlResult
  let sparkPart: SparkSqlResult
  let arith: SparkSqlResult
  let tsPartModel: WireRow[]
  const tsPartReads: Record<string, SparkSqlResult> = {}
  let tsPartDeltalake: PyRead

  beforeAll(async () => {
    await ensureVenv()
    tsPartModel = await writeTsPartitioned(dir('ts-part'))
    const zones = ['UTC', 'America/Los_Angeles']
    const tasks = [
      int96Task(dir('int96'), dir('int96.json')),
      ictTask(dir('ict'), dir('ict.json')),
      sparkPartitionTask(dir('part'), dir('part.json')),
      arithTask(dir('arith'), dir('arith.json')),
      ...zones.map((z, k) => partitionReadTask(dir('ts-part'), dir(`ts-part-${k}.json`), z)),
    ]
    const outputs = (await runSpark(tasks, dir('job.json'))) as SparkSqlResult[]
    ;[int96, ict, sparkPart, arith] = outputs
    zones.forEach((z, k) => {
      tsPartReads[z] = outputs[4 + k]
    })
    tsPartDeltalake = await deltalake.read(dir('ts-part'), dir('ts-part.deltalake.json'), 'latest')
    if (process.env.UPDATE_FIXTURES) {
      copyTable(dir('int96'), path.join(FIXTURES, 'spark-int96'))
      copyTable(dir('ict'), path.join(FIXTURES, 'spark-ict'))
      const files = int96.parquetFiles[dir('int96')]
      writeFileSync(
        path.join(FIXTURES, 'spark-int96.expected.json'),
        `${JSON.stringify({ queries: int96.queries, parquetFiles: files }, null, 1)}\n`,
      )
    }
  })

  it('the INT96 table holds INT96 columns, one file dictionary-encoded and one plain', () => {
    const all = int96.parquetFiles[dir('int96')]
    expect(all.some((f) => f.file === '_delta_log/00000000000000000002.checkpoint.parquet')).toBe(true)
    const files = all.filter((f) => !f.file.startsWith('_delta_log/'))
    expect(files).toHaveLength(2)
    const encodings = files.map((f) => f.columns.ts.encodings)
    for (const f of files) {
      for (const c of ['ts', 'st.ts', 'arr.list.element', 'm.key_value.value'])
        expect(f.columns[c]?.physicalType, c).toBe('INT96')
    }
    expect(encodings.some((e) => e.some((x) => x.includes('DICTIONARY')))).toBe(true)
    expect(encodings.some((e) => !e.some((x) => x.includes('DICTIONARY')))).toBe(true)
  })

  it('Spark reads the fresh INT96 table exactly as the committed fixture expects', () => {
    const want = JSON.parse(readFileSync(path.join(FIXTURES, 'spark-int96.expected.json'), 'utf8')) as {
      queries: SparkSqlResult['queries']
    }
    for (const [name, q] of Object.entries(int96.queries))
      expect(canonicalRows(q.rows), name).toEqual(canonicalRows(want.queries[name].rows))
  })

  it('delta-ts reads the fresh INT96 table (top-level and nested, dictionary and plain) with the rows Spark reads, and filters as Spark does', async () => {
    const snap = await (await DeltaTable.open(dir('int96'))).snapshot()
    expect(canonicalRows(wireRows(await snap.scan().toArrow()))).toEqual(canonicalRows(int96.queries.all.rows))
    for (const [name, filter] of Object.entries(INT96_FILTERS)) {
      const got = wireRows(await snap.scan({ columns: ['id'], filter }).toArrow())
      expect(canonicalRows(got), name).toEqual(canonicalRows(int96.queries[name].rows))
    }
  })

  it('delta-ts gives each version of the Spark in-commit-timestamp table (checkpoints at 2 and 4) the timestamp Spark reports, and time travel by it lands on that version', async () => {
    const history = ict.queries.history.rows as WireRow[]
    expect(history).toHaveLength(ICT_COMMITS)
    const table = await DeltaTable.open(dir('ict'))
    for (const h of history) {
      const version = Number(h.version)
      const ms = Number(BigInt(h.timestamp as string) / 1000n)
      const snap = await table.snapshot({ version })
      expect(snap.timestamp, `v${version}`).toBe(ms)
      expect((await table.snapshot({ timestamp: ms })).version, `at ${ms}`).toBe(version)
    }
  })

  it.each(['UTC', 'America/Los_Angeles'])(
    'Spark in a %s session reads the timestamp and timestamp_ntz partition values delta-ts wrote as the same instants and wall clocks, and filters on them',
    (zone) => {
      const read = tsPartReads[zone]
      expect(canonicalRows(read.queries.all.rows)).toEqual(canonicalRows(tsPartModel))
      expect(read.queries.eqTs.rows).toEqual([{ id: '0' }])
      expect(read.queries.eqNtz.rows).toEqual([{ id: '0' }])
      expect(read.queries.beforeEpoch.rows).toEqual([{ id: '1' }])
    },
  )

  it('delta-ts writes timestamp partition values in UTC ISO-8601 (…Z) and timestamp_ntz without zone, in Hive-escaped directories; deltalake reads the same values', async () => {
    const files = await (await (await DeltaTable.open(dir('ts-part'))).snapshot()).files()
    const first = files.find((f) => f.partitionValues.p_ts?.startsWith('2024-02-29'))
    expect(first?.partitionValues).toEqual({ p_ts: '2024-02-29T12:34:56.123456Z', p_ntz: '2024-02-29 12:34:56.123456' })
    expect(path.dirname(first?.path ?? '')).toBe(
      'p_ts=2024-02-29T12%3A34%3A56.123456Z/p_ntz=2024-02-29 12%3A34%3A56.123456',
    )
    expect(canonicalRows(tsPartDeltalake.versions[0].rows)).toEqual(canonicalRows(tsPartModel))
  })

  it('a timestamp-partitioned table Spark wrote in America/Los_Angeles: delta-ts reads the values Spark reads, and its directory escaping is Spark’s', async () => {
    const snap = await (await DeltaTable.open(dir('part'))).snapshot()
    expect(canonicalRows(wireRows(await snap.scan().toArrow()))).toEqual(canonicalRows(sparkPart.queries.all.rows))
    // Spark names the directory from its own rendering of the value (not the log's string); the escaping of
    // each segment must be delta-ts's.
    for (const f of await snap.files()) {
      for (const segment of path.dirname(f.path).split('/')) {
        const [name, value] = segment.split('=')
        expect(`${escapePartitionPathName(name)}=${escapePartitionPathName(unescapePartitionPathName(value))}`).toBe(
          segment,
        )
      }
    }
  })

  it.each(ARITH_PREDICATES.map((p, k) => [p, k] as const))(
    'arithmetic predicate %s selects the rows Spark selects',
    async (predicate, k) => {
      const snap = await (await DeltaTable.open(dir('arith'))).snapshot()
      const got = wireRows(await snap.scan({ columns: ['id'], filter: predicate }).toArrow())
      expect(canonicalRows(got)).toEqual(canonicalRows(arith.queries[`q${k}`].rows))
    },
  )
})
