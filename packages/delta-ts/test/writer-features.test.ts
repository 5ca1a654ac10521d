import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import * as path from 'node:path'
import * as arrow from 'apache-arrow'
import { afterAll, describe, expect, it } from 'vitest'
import { DeltaError, DeltaTable } from '../src/index.js'

const dirs: string[] = []
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})
function tmp(): string {
  const d = mkdtempSync(path.join(tmpdir(), 'delta-ts-wfeat-'))
  dirs.push(d)
  return d
}

/** Raw JSON actions of the log. */
type Json = any
/** The actions of one commit file, and the first action of a kind. */
function action(dir: string, version: number, kind: string): Json {
  const a = commitActions(dir, version).find((x) => x[kind])
  if (!a) throw new Error(`no ${kind} action in version ${version}`)
  return a[kind]
}
function commitActions(dir: string, version: number): Json[] {
  const name = `${String(version).padStart(20, '0')}.json`
  return readFileSync(path.join(dir, '_delta_log', name), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l))
}

async function expectError(p: Promise<unknown>, code: string): Promise<DeltaError> {
  const err = await p.then(
    () => undefined,
    (e) => e,
  )
  expect(err, `expected ${code}`).toBeInstanceOf(DeltaError)
  expect((err as DeltaError).code, (err as Error).message).toBe(code)
  return err as DeltaError
}

const ORDERS = new arrow.Schema([
  new arrow.Field('id', new arrow.Int32(), false),
  new arrow.Field('qty', new arrow.Int32(), true),
  new arrow.Field('price', new arrow.Float64(), true),
])
const orders = (ids: number[], qty: (number | null)[], price: number[]) =>
  new arrow.Table({
    id: arrow.vectorFromArray(Int32Array.from(ids)),
    qty: arrow.vectorFromArray(qty, new arrow.Int32()),
    price: arrow.vectorFromArray(Float64Array.from(price)),
  })

describe('CHECK constraints', () => {
  it('refuses an append whose row breaks a constraint, naming it, its expression and the row; nothing is committed', async () => {
    const dir = tmp()
    const table = await DeltaTable.create(dir, {
      schema: ORDERS,
      properties: { 'delta.constraints.qty_positive': 'qty > 0 AND price * qty < 1000' },
    })
    const snap = await table.snapshot()
    expect(snap.protocol.minWriterVersion).toBeGreaterThanOrEqual(3)
    await table.write(orders([1, 2], [1, 5], [10, 20]))
    const err = await expectError(table.write(orders([3, 4], [2, -1], [1, 1])), 'CONSTRAINT_VIOLATION')
    expect(err.message).toContain('qty_positive')
    expect(err.message).toContain('qty > 0 AND price * qty < 1000')
    expect(err.message).toContain('qty = -1')
    // A NULL result violates too (Spark's rule).
    await expectError(table.write(orders([5], [null], [1])), 'CONSTRAINT_VIOLATION')
    expect(await table.version()).toBe(1)
    const rows = await (await table.snapshot()).scan().toArrow()
    expect(rows.numRows).toBe(2)
  })

  it('UPDATE and MERGE output is checked at the same choke point', async () => {
    const dir = tmp()
    const table = await DeltaTable.create(dir, {
      schema: ORDERS,
      properties: { 'delta.constraints.qty_positive': 'qty > 0' },
    })
    await table.write(orders([1, 2], [1, 5], [10, 20]))
    const e1 = await expectError(table.update({ predicate: 'id = 1', set: { qty: 'qty - 5' } }), 'CONSTRAINT_VIOLATION')
    expect(e1.message).toContain('qty_positive')
    const src = orders([2, 9], [-3, -4], [0, 0])
    await expectError(
      table
        .merge(src, { on: 'target.id = source.id' })
        .whenMatchedUpdate({ set: { qty: 'source.qty' } })
        .whenNotMatchedInsertAll()
        .execute(),
      'CONSTRAINT_VIOLATION',
    )
    expect(await table.version()).toBe(1)
    await table.update({ predicate: 'id = 1', set: { qty: 'qty + 1' } })
    const t = await (await table.snapshot()).scan().toArrow()
    expect([...t.getChild('qty')!].sort()).toEqual([2, 5])
  })

  it('addConstraint checks existing rows first and upgrades the protocol; dropConstraint lifts it', async () => {
    const dir = tmp()
    const table = await DeltaTable.create(dir, { schema: ORDERS })
    expect((await table.snapshot()).protocol.minWriterVersion).toBe(2)
    await table.write(orders([1, 2], [1, 0], [10, 20]))
    const refused = await expectError(table.addConstraint('qty_positive', 'qty > 0'), 'CONSTRAINT_VIOLATION')
    expect(refused.message).toContain('qty = 0')
    await table.delete('qty = 0')
    const commit = await table.addConstraint('qty_positive', 'qty > 0')
    const snap = await table.snapshot()
    expect(snap.properties['delta.constraints.qty_positive']).toBe('qty > 0')
    expect(snap.protocol.minWriterVersion).toBe(3)
    expect(commitActions(dir, commit.version)[0].commitInfo.operation).toBe('ADD CONSTRAINT')
    await expectError(table.addConstraint('QTY_positive', 'qty > 1'), 'INVALID_ARGUMENT')
    await expectError(table.write(orders([7], [0], [1])), 'CONSTRAINT_VIOLATION')
    await table.dropConstraint('qty_positive')
    expect((await table.snapshot()).properties['delta.constraints.qty_positive']).toBeUndefined()
    await table.write(orders([7], [0], [1]))
    await expectError(table.dropConstraint('qty_positive'), 'INVALID_ARGUMENT')
    expect(await table.dropConstraint('qty_positive', { ifExists: true })).toBeUndefined()
  })

  it('a constraint outside the supported SQL subset makes the table read-only, naming the expression', async () => {
    const dir = tmp()
    const table = await DeltaTable.create(dir, { schema: ORDERS })
    const snap = await table.snapshot()
    const txn = await table.startTransaction('SET TBLPROPERTIES')
    txn.updateMetadata({
      ...snap.metadata,
      configuration: { 'delta.constraints.odd': 'qty > rand()' },
    })
    const err = await expectError(txn.commit(), 'UNSUPPORTED_FEATURE')
    expect(err.message).toContain('qty > rand()')
    expect(err.message).toContain('odd')
  })
})

describe('column invariants', () => {
  it('a delta.invariants expression is checked on every written row', async () => {
    const dir = tmp()
    const table = await DeltaTable.create(dir, {
      schema: {
        type: 'struct',
        fields: [
          {
            name: 'v',
            type: 'integer',
            nullable: true,
            metadata: { 'delta.invariants': JSON.stringify({ expression: { expression: 'v < 100' } }) },
          },
        ],
      },
    })
    await table.write(arrow.tableFromArrays({ v: Int32Array.from([1, 99]) }))
    const err = await expectError(
      table.write(arrow.tableFromArrays({ v: Int32Array.from([5, 100]) })),
      'CONSTRAINT_VIOLATION',
    )
    expect(err.message).toContain('invariant of column v')
    expect(err.message).toContain('v = 100')
  })
})

const EVENTS = new arrow.Schema([
  new arrow.Field('ts', new arrow.TimestampMicrosecond('UTC'), true),
  new arrow.Field('code', new arrow.Utf8(), true),
  new arrow.Field('d', new arrow.DateDay(), true),
  new arrow.Field('y', new arrow.Int32(), true),
  new arrow.Field('ym', new arrow.Utf8(), true),
  new arrow.Field('tag', new arrow.Utf8(), true),
  new arrow.Field('n', new arrow.Int64(), true),
])
const GENERATED = {
  d: 'CAST(ts AS DATE)',
  y: 'YEAR(ts)',
  ym: "DATE_FORMAT(ts, 'yyyy-MM')",
  tag: "CONCAT(UPPER(SUBSTRING(code, 1, 2)), '-', CAST(MONTH(ts) AS STRING))",
  n: 'CAST(LENGTH(code) AS BIGINT) * 10 + DAY(ts)',
}
function events(ts: string[], code: string[], extra: Record<string, arrow.Vector> = {}) {
  const cols: Record<string, arrow.Vector> = {
    ts: arrow.vectorFromArray(
      ts.map((t) => Date.parse(t)),
      new arrow.TimestampMillisecond('UTC'),
    ),
    code: arrow.vectorFromArray(code, new arrow.Utf8()),
    ...extra,
  }
  return new arrow.Table(cols)
}

describe('generated columns', () => {
  it('computes absent generated columns (CAST, YEAR, DATE_FORMAT, CONCAT, SUBSTRING, UPPER, MONTH, DAY, LENGTH)', async () => {
    const dir = tmp()
    const table = await DeltaTable.create(dir, { schema: EVENTS, generatedColumns: GENERATED, partitionBy: ['d'] })
    const snap = await table.snapshot()
    expect(snap.protocol.minWriterVersion).toBe(4)
    expect(snap.schema.fields.find((f) => f.name === 'y')!.metadata!['delta.generationExpression']).toBe('YEAR(ts)')
    await table.write(events(['2024-03-05T23:30:00Z', '1999-12-31T00:00:01Z'], ['abcd', 'x']))
    const t = await (await table.snapshot()).scan({ columns: ['ts', 'code', 'd', 'y', 'ym', 'tag', 'n'] }).toArrow()
    const rows = t.toArray().map((r) => r.toJSON())
    rows.sort((a, b) => Number(a.y) - Number(b.y))
    expect(rows.map((r) => [r.y, r.ym, r.tag, r.n])).toEqual([
      [1999, '1999-12', 'X-12', 41n],
      [2024, '2024-03', 'AB-3', 45n],
    ])
    expect(rows.map((r) => new Date(Number(r.d)).toISOString().slice(0, 10))).toEqual(['1999-12-31', '2024-03-05'])
  })

  it('verifies given values: a mismatch is CONSTRAINT_VIOLATION naming the column and expression', async () => {
    const dir = tmp()
    const table = await DeltaTable.create(dir, { schema: EVENTS, generatedColumns: GENERATED })
    await table.write(events(['2024-03-05T10:00:00Z'], ['ab'], { y: arrow.vectorFromArray([2024], new arrow.Int32()) }))
    const err = await expectError(
      table.write(events(['2024-03-05T10:00:00Z'], ['ab'], { y: arrow.vectorFromArray([2023], new arrow.Int32()) })),
      'CONSTRAINT_VIOLATION',
    )
    expect(err.message).toContain('generated column y = YEAR(ts)')
    expect(err.message).toContain('2023')
    expect(await table.version()).toBe(1)
  })

  it('UPDATE of a source column recomputes the generated columns', async () => {
    const dir = tmp()
    const table = await DeltaTable.create(dir, { schema: EVENTS, generatedColumns: GENERATED })
    await table.write(events(['2024-03-05T10:00:00Z'], ['ab']))
    await table.update({ set: { ts: "TIMESTAMP '2030-07-01 00:00:00'" } })
    const r = (await (await table.snapshot()).scan({ columns: ['y', 'ym', 'tag'] }).toArrow()).toArray()[0].toJSON()
    expect([r.y, r.ym, r.tag]).toEqual([2030, '2030-07', 'AB-7'])
  })

  it('a generation expression outside the subset is refused at create with UNSUPPORTED_FEATURE naming it', async () => {
    const err = await expectError(
      DeltaTable.create(tmp(), { schema: EVENTS, generatedColumns: { code: 'uuid()' } }),
      'UNSUPPORTED_FEATURE',
    )
    expect(err.message).toContain('uuid()')
  })
})

const IDS = new arrow.Schema([
  new arrow.Field('id', new arrow.Int64(), false),
  new arrow.Field('name', new arrow.Utf8(), true),
])
const names = (n: string[]) => arrow.tableFromArrays({ name: n })

describe('identity columns', () => {
  it('GENERATED ALWAYS assigns start, start+step, ... across appends and advances the high-water mark', async () => {
    const dir = tmp()
    const table = await DeltaTable.create(dir, { schema: IDS, identityColumns: { id: { start: 10, step: 5 } } })
    expect((await table.snapshot()).protocol.minWriterVersion).toBe(6)
    await table.write(names(['a', 'b', 'c']))
    await table.write(names(['d']))
    const t = await (await table.snapshot()).scan().toArrow()
    expect([...t.getChild('id')!].sort((a, b) => Number(a - b))).toEqual([10n, 15n, 20n, 25n])
    const field = (await table.snapshot()).schema.fields.find((f) => f.name === 'id')!
    expect(field.metadata!['delta.identity.highWaterMark']).toBe(25)
    // An explicit value into an ALWAYS column is refused.
    const err = await expectError(
      table.write(arrow.tableFromArrays({ id: BigInt64Array.from([99n]), name: ['x'] })),
      'CONSTRAINT_VIOLATION',
    )
    expect(err.message).toContain('GENERATED ALWAYS')
  })

  it('BY DEFAULT keeps explicit values (moving the mark past them) and MERGE inserts get fresh values', async () => {
    const dir = tmp()
    const table = await DeltaTable.create(dir, { schema: IDS, identityColumns: { id: { always: false } } })
    await table.write(names(['a', 'b']))
    await table.write(arrow.tableFromArrays({ id: BigInt64Array.from([100n]), name: ['explicit'] }))
    await table
      .merge(names(['b', 'z']), { on: 'target.name = source.name' })
      .whenNotMatchedInsert({ values: { name: 'source.name' } })
      .execute()
    const t = await (await table.snapshot()).scan().toArrow()
    const byName = Object.fromEntries(t.toArray().map((r) => [r.name, r.id]))
    expect(byName).toEqual({ a: 1n, b: 2n, explicit: 100n, z: 101n })
  })
})

describe('row tracking', () => {
  it('assigns baseRowId / defaultRowCommitVersion, advances the domain high-water mark, exposes _metadata columns', async () => {
    const dir = tmp()
    const table = await DeltaTable.create(dir, { schema: IDS, properties: { 'delta.enableRowTracking': 'true' } })
    const p = (await table.snapshot()).protocol
    expect(p.writerFeatures).toEqual(expect.arrayContaining(['rowTracking', 'domainMetadata']))
    const data = (n: number, from: number) =>
      arrow.tableFromArrays({
        id: BigInt64Array.from({ length: n }, (_, i) => BigInt(from + i)),
        name: Array.from({ length: n }, (_, i) => `r${from + i}`),
      })
    await table.write(data(3, 0))
    await table.write(data(2, 3))
    const add1 = action(dir, 1, 'add')
    const add2 = action(dir, 2, 'add')
    expect([add1.baseRowId, add1.defaultRowCommitVersion]).toEqual([0, 1])
    expect([add2.baseRowId, add2.defaultRowCommitVersion]).toEqual([3, 2])
    const dm = action(dir, 2, 'domainMetadata')
    expect(dm).toEqual({ domain: 'delta.rowTracking', configuration: '{"rowIdHighWaterMark":4}', removed: false })
    const t = await (await table.snapshot())
      .scan({ columns: ['id', '_metadata.row_id', '_metadata.row_commit_version'] })
      .toArrow()
    const rows = t.toArray().map((r) => [r.id, r['_metadata.row_id'], r['_metadata.row_commit_version']])
    rows.sort((a, b) => Number(a[0] - b[0]))
    expect(rows).toEqual([
      [0n, 0n, 1n],
      [1n, 1n, 1n],
      [2n, 2n, 1n],
      [3n, 3n, 2n],
      [4n, 4n, 2n],
    ])
    // Whole-file deletes keep every other row's id.
    await table.delete('true')
    expect(readdirSync(path.join(dir, '_delta_log')).length).toBeGreaterThan(3)
  })

  /** [id, name, row_id, row_commit_version] of every row, by id. */
  async function tracked(table: DeltaTable) {
    const t = await (await table.snapshot())
      .scan({ columns: ['id', 'name', '_metadata.row_id', '_metadata.row_commit_version'] })
      .toArrow()
    return t
      .toArray()
      .map((r) => [r.id, r.name, r['_metadata.row_id'], r['_metadata.row_commit_version']])
      .sort((a, b) => Number(a[0] - b[0]))
  }
  const rows = (ids: bigint[], names: string[]) => arrow.tableFromArrays({ id: BigInt64Array.from(ids), name: names })

  it('copy-on-write UPDATE, DELETE, MERGE and OPTIMIZE keep row ids; changed rows get the new commit version, inserts fresh ids', async () => {
    const dir = tmp()
    const table = await DeltaTable.create(dir, { schema: IDS, properties: { 'delta.enableRowTracking': 'true' } })
    const conf = (await table.snapshot()).properties
    expect(conf['delta.rowTracking.materializedRowIdColumnName']).toMatch(/^_row-id-col-[0-9a-f-]{36}$/)
    expect(conf['delta.rowTracking.materializedRowCommitVersionColumnName']).toMatch(
      /^_row-commit-version-col-[0-9a-f-]{36}$/,
    )
    await table.write(rows([1n, 2n, 3n], ['a', 'b', 'c'])) // v1: row ids 0..2
    await table.write(rows([4n, 5n], ['d', 'e'])) // v2: row ids 3..4
    const v3 = await table.update({ predicate: 'id = 2', set: { name: "'B'" } })
    expect(v3.version).toBe(3)
    expect(await tracked(table)).toEqual([
      [1n, 'a', 0n, 1n],
      [2n, 'B', 1n, 3n],
      [3n, 'c', 2n, 1n],
      [4n, 'd', 3n, 2n],
      [5n, 'e', 4n, 2n],
    ])
    // The rewritten file has a fresh baseRowId past the high-water mark; the ids live in its materialized column.
    const add3 = commitActions(dir, 3).find((a) => a.add)!.add
    expect([add3.baseRowId, add3.defaultRowCommitVersion]).toEqual([5, 3])
    expect(JSON.parse(action(dir, 3, 'domainMetadata').configuration)).toEqual({ rowIdHighWaterMark: 7 })

    await table.delete('id = 4') // v4: copy-on-write (no deletion vectors): e keeps id 4 and version 2
    await table
      .merge(rows([3n, 6n, 7n], ['C', 'f', 'g']), { on: 'target.id = source.id' })
      .whenMatchedUpdate({ set: { name: 'source.name' } })
      .whenNotMatchedInsert({ values: { id: 'source.id', name: 'source.name' } })
      .execute() // v5
    const afterMerge = await tracked(table)
    expect(afterMerge.slice(0, 4)).toEqual([
      [1n, 'a', 0n, 1n],
      [2n, 'B', 1n, 3n],
      [3n, 'C', 2n, 5n],
      [5n, 'e', 4n, 2n],
    ])
    // Inserted rows: fresh ids above every id handed out before (high-water mark 7 after v3, 8 after v4).
    const inserted = afterMerge.slice(4)
    expect(inserted.map((r) => [r[0], r[1], r[3]])).toEqual([
      [6n, 'f', 5n],
      [7n, 'g', 5n],
    ])
    for (const r of inserted) expect(r[2]).toBeGreaterThan(8n)
    const ids = afterMerge.map((r) => r[2])
    expect(new Set(ids).size).toBe(ids.length)

    const before = await tracked(table)
    const opt = await table.optimize()
    expect(opt.metrics.numFilesRemoved).toBeGreaterThan(1)
    expect(opt.metrics.numFilesAdded).toBe(1)
    expect(await tracked(table)).toEqual(before)
    await table.write(rows([8n], ['h']))
    const z = await table.optimize({ zOrderBy: ['id'] })
    expect(z.metrics.numFilesAdded).toBe(1)
    const last = await tracked(table)
    expect(last.slice(0, -1)).toEqual(before)
    expect(last.at(-1)?.slice(0, 2)).toEqual([8n, 'h'])
  })

  it('deletion-vector DML on a row-tracking table: UPDATE and MERGE keep row ids, the marked files keep theirs', async () => {
    const dir = tmp()
    const table = await DeltaTable.create(dir, {
      schema: IDS,
      properties: { 'delta.enableRowTracking': 'true', 'delta.enableDeletionVectors': 'true' },
    })
    await table.write(rows([1n, 2n, 3n], ['a', 'b', 'c'])) // v1: row ids 0..2
    await table.update({ predicate: 'id = 2', set: { name: "'B'" } }) // v2
    expect(commitActions(dir, 2).some((a) => a.add?.deletionVector)).toBe(true)
    await table
      .merge(rows([3n, 4n], ['C', 'd']), { on: 'target.id = source.id' })
      .whenMatchedUpdate({ set: { name: 'source.name' } })
      .whenNotMatchedInsert({ values: { id: 'source.id', name: 'source.name' } })
      .execute() // v3
    const after = await tracked(table)
    expect(after.slice(0, 3)).toEqual([
      [1n, 'a', 0n, 1n],
      [2n, 'B', 1n, 2n],
      [3n, 'C', 2n, 3n],
    ])
    expect(after[3].slice(0, 2)).toEqual([4n, 'd'])
    expect(after[3][2]).toBeGreaterThan(2n)
    expect(after[3][3]).toBe(3n)
  })

  it('row tracking with change data feed: UPDATE keeps row ids and the change feed holds the table columns only', async () => {
    const dir = tmp()
    const table = await DeltaTable.create(dir, {
      schema: IDS,
      properties: { 'delta.enableRowTracking': 'true', 'delta.enableChangeDataFeed': 'true' },
    })
    await table.write(rows([1n, 2n], ['a', 'b']))
    await table.update({ predicate: 'id = 2', set: { name: "'B'" } })
    expect(await tracked(table)).toEqual([
      [1n, 'a', 0n, 1n],
      [2n, 'B', 1n, 2n],
    ])
    const cdc = commitActions(dir, 2).filter((a) => a.cdc)
    expect(cdc.length).toBeGreaterThan(0)
    const feed = await (await table.changes({ startingVersion: 2 })).toArrow()
    expect(feed.schema.fields.map((f) => f.name).slice(0, 2)).toEqual(['id', 'name'])
    expect(feed.schema.fields.some((f) => f.name.startsWith('_row-'))).toBe(false)
    const kinds = feed
      .toArray()
      .map((r) => [r.id, r.name, r._change_type])
      .sort((x, y) => String(x[2]).localeCompare(String(y[2])))
    expect(kinds).toEqual([
      [2n, 'B', 'update_postimage'],
      [2n, 'b', 'update_preimage'],
    ])
  })

  it('partitioned table: an UPDATE that moves rows to another partition keeps their row ids', async () => {
    const dir = tmp()
    const table = await DeltaTable.create(dir, {
      schema: IDS,
      partitionBy: ['name'],
      properties: { 'delta.enableRowTracking': 'true' },
    })
    await table.write(rows([1n, 2n, 3n, 4n], ['p', 'q', 'p', 'q']))
    const ids = new Map((await tracked(table)).map((r) => [r[0], r[2]]))
    await table.update({ predicate: 'id <= 2', set: { name: "'r'" } })
    const after = await tracked(table)
    expect(after.map((r) => [r[0], r[1], r[2], r[3]])).toEqual([
      [1n, 'r', ids.get(1n), 2n],
      [2n, 'r', ids.get(2n), 2n],
      [3n, 'p', ids.get(3n), 1n],
      [4n, 'q', ids.get(4n), 1n],
    ])
  })

  it('column mapping (name mode) with row tracking: UPDATE and OPTIMIZE keep row ids', async () => {
    const dir = tmp()
    const table = await DeltaTable.create(dir, {
      schema: IDS,
      properties: { 'delta.enableRowTracking': 'true', 'delta.columnMapping.mode': 'name' },
    })
    await table.write(rows([1n, 2n], ['a', 'b']))
    await table.write(rows([3n], ['c']))
    await table.update({ predicate: 'id = 1', set: { name: "'A'" } })
    await table.optimize()
    expect(await tracked(table)).toEqual([
      [1n, 'A', 0n, 3n],
      [2n, 'b', 1n, 1n],
      [3n, 'c', 2n, 2n],
    ])
  })

  it('setProperties enables row tracking on a table with data: backfills row ids in one commit, then DML keeps them', async () => {
    const dir = tmp()
    const table = await DeltaTable.create(dir, { schema: IDS })
    await table.write(rows([1n, 2n], ['a', 'b']))
    await table.write(rows([3n], ['c']))
    await table.setProperties({ 'delta.enableRowTracking': 'true' }) // v3
    const snap = await table.snapshot()
    expect(snap.protocol.writerFeatures).toEqual(expect.arrayContaining(['rowTracking', 'domainMetadata']))
    expect(snap.properties['delta.rowTracking.materializedRowIdColumnName']).toMatch(/^_row-id-col-/)
    const v3 = commitActions(dir, 3)
    const readds = v3.filter((a) => a.add).map((a) => a.add)
    expect(readds).toHaveLength(2)
    expect(readds.every((a) => a.dataChange === false && a.defaultRowCommitVersion === 3)).toBe(true)
    // Consecutive ranges from 0, one per file (in the snapshot's file order).
    const ranges = readds
      .map((a) => [a.baseRowId, a.baseRowId + JSON.parse(a.stats).numRecords - 1])
      .sort((x, y) => x[0] - y[0])
    expect(ranges.flat()[0]).toBe(0)
    expect(ranges[1][0]).toBe(ranges[0][1] + 1)
    expect(ranges[1][1]).toBe(2)
    expect(JSON.parse(action(dir, 3, 'domainMetadata').configuration)).toEqual({ rowIdHighWaterMark: 2 })
    const before = await tracked(table)
    expect(before.map((r) => r[2]).sort()).toEqual([0n, 1n, 2n])
    expect(before.every((r) => r[3] === 3n)).toBe(true)
    await table.update({ predicate: 'id = 3', set: { name: "'C'" } })
    const after = await tracked(table)
    expect(after.map((r) => r[2])).toEqual(before.map((r) => r[2]))
    expect(after.find((r) => r[0] === 3n)?.[3]).toBe(4n)
  })

  it('a row-tracking table whose configuration names no materialized columns refuses copy-on-write DML with UNSUPPORTED_FEATURE', async () => {
    const dir = tmp()
    // A log as a writer that never assigns materialized column names would leave it (hand-written version 0).
    mkdirSync(path.join(dir, '_delta_log'))
    const schema = {
      type: 'struct',
      fields: [
        { name: 'id', type: 'long', nullable: true, metadata: {} },
        { name: 'name', type: 'string', nullable: true, metadata: {} },
      ],
    }
    const v0 = [
      { protocol: { minReaderVersion: 1, minWriterVersion: 7, writerFeatures: ['domainMetadata', 'rowTracking'] } },
      {
        metaData: {
          id: '9c3c0a5e-8a4f-4f43-9d8c-2f3c1d1f0a11',
          format: { provider: 'parquet', options: {} },
          schemaString: JSON.stringify(schema),
          partitionColumns: [],
          configuration: { 'delta.enableRowTracking': 'true' },
          createdTime: 0,
        },
      },
    ]
    writeFileSync(
      path.join(dir, '_delta_log', `${'0'.padStart(20, '0')}.json`),
      v0.map((a) => JSON.stringify(a)).join('\n'),
    )
    const table = await DeltaTable.open(dir)
    await table.write(rows([1n, 2n], ['a', 'b']))
    const err = await expectError(table.update({ predicate: 'id = 1', set: { name: "'x'" } }), 'UNSUPPORTED_FEATURE')
    expect(err.message).toContain('materializedRowIdColumnName')
    expect((await table.snapshot()).version).toBe(1)
  })

  it('a writer that loses the race re-assigns its row ids after the winner', async () => {
    const dir = tmp()
    await DeltaTable.create(dir, { schema: IDS, properties: { 'delta.enableRowTracking': 'true' } })
    const a = await DeltaTable.open(dir)
    const b = await DeltaTable.open(dir)
    await a.snapshot()
    await b.snapshot()
    const one = (id: bigint) => arrow.tableFromArrays({ id: BigInt64Array.from([id, id + 1n]), name: ['p', 'q'] })
    // Both read version 0; the one that loses version 1 retries at 2 and must not reuse row ids 0..1.
    const [ra, rb] = await Promise.all([a.write(one(0n)), b.write(one(10n))])
    expect((ra.commit?.attempts ?? 0) + (rb.commit?.attempts ?? 0)).toBe(3)
    const adds = [1, 2].map((v) => action(dir, v, 'add'))
    expect(adds.map((x) => [x.baseRowId, x.defaultRowCommitVersion])).toEqual([
      [0, 1],
      [2, 2],
    ])
    const marks = [1, 2].map((v) => JSON.parse(action(dir, v, 'domainMetadata').configuration))
    expect(marks).toEqual([{ rowIdHighWaterMark: 1 }, { rowIdHighWaterMark: 3 }])
  })
})
