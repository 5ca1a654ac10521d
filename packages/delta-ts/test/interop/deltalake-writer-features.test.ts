import * as path from 'node:path'
import * as arrow from 'apache-arrow'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DeltaTable } from '../../src/index.js'
import { expectPyVersion, readWithDeltaTs } from './compare.js'
import { deltalake, ensureVenv, type PyRead, scratch } from './harness.js'

/*
 * Issue 21: tables delta-ts writes with CHECK constraints, generated columns, identity columns and row tracking
 * (after UPDATE, DELETE, MERGE and OPTIMIZE, so row-tracking files carry materialized row-id columns), read by
 * deltalake (delta-rs 1.6.6) at every version. All four are writer features (no reader feature), so delta-rs
 * reads them; it does not expose row ids (no `_metadata.row_id`), and the materialized columns, which are not in
 * the table schema, must not show up among its columns.
 */

const tmp = scratch('dl-writer-features')
afterAll(() => tmp.cleanup())
const dir = (name: string) => path.join(tmp.dir, name)
const reads = new Map<string, PyRead>()

const idNames = (ids: bigint[], names: string[]) => arrow.tableFromArrays({ id: BigInt64Array.from(ids), name: names })
const ID_NAME = new arrow.Schema([
  new arrow.Field('id', new arrow.Int64(), false),
  new arrow.Field('name', new arrow.Utf8(), true),
])

beforeAll(async () => {
  await ensureVenv()
  const check = await DeltaTable.create(dir('check'), {
    schema: ID_NAME,
    properties: { 'delta.constraints.id_pos': 'id > 0' },
  })
  await check.write(idNames([1n, 2n], ['a', 'b']))
  await check.update({ predicate: 'id = 2', set: { name: "'B'" } })

  const gen = await DeltaTable.create(dir('generated'), {
    schema: new arrow.Schema([
      new arrow.Field('ts', new arrow.TimestampMicrosecond('UTC'), true),
      new arrow.Field('code', new arrow.Utf8(), true),
      new arrow.Field('d', new arrow.DateDay(), true),
      new arrow.Field('tag', new arrow.Utf8(), true),
    ]),
    generatedColumns: { d: 'CAST(ts AS DATE)', tag: "CONCAT(UPPER(code), '-', DATE_FORMAT(ts, 'yyyyMM'))" },
  })
  await gen.write(
    new arrow.Table({
      ts: arrow.vectorFromArray(
        [Date.parse('2024-03-05T23:30:00Z'), Date.parse('1999-12-31T00:00:00Z')],
        new arrow.TimestampMillisecond('UTC'),
      ),
      code: arrow.vectorFromArray(['ab', 'xy'], new arrow.Utf8()),
    }),
  )
  await gen.update({ predicate: "code = 'xy'", set: { code: "'zz'" } })

  const id = await DeltaTable.create(dir('identity'), {
    schema: ID_NAME,
    identityColumns: { id: { start: 5, step: 2 } },
  })
  await id.write(arrow.tableFromArrays({ name: ['a', 'b'] }))
  await id
    .merge(arrow.tableFromArrays({ name: ['b', 'c'] }), { on: 'target.name = source.name' })
    .whenNotMatchedInsert({ values: { name: 'source.name' } })
    .execute()

  const rt = await DeltaTable.create(dir('rowtracking'), {
    schema: ID_NAME,
    properties: { 'delta.enableRowTracking': 'true' },
  })
  await rt.write(idNames([1n, 2n, 3n], ['a', 'b', 'c']))
  await rt.write(idNames([4n], ['d']))
  await rt.update({ predicate: 'id = 2', set: { name: "'B'" } })
  await rt.delete('id = 3')
  await rt
    .merge(idNames([4n, 5n], ['D', 'e']), { on: 'target.id = source.id' })
    .whenMatchedUpdate({ set: { name: 'source.name' } })
    .whenNotMatchedInsert({ values: { id: 'source.id', name: 'source.name' } })
    .execute()
  await rt.optimize()

  for (const name of ['check', 'generated', 'identity', 'rowtracking'])
    reads.set(name, await deltalake.read(dir(name), path.join(tmp.dir, `${name}.read.json`), 'all'))
}, 300_000)

describe('delta-ts tables with writer features, read by deltalake (delta-rs 1.6.6)', () => {
  it.each([
    // The feature by legacy writer version (3: CHECK constraints, 4: generated columns, 6: identity columns)
    // or by table feature (row tracking, writer version 7).
    ['check', 'CHECK constraint, append and UPDATE', 3, undefined],
    ['generated', 'generated columns computed by delta-ts, recomputed by UPDATE', 4, undefined],
    ['identity', 'identity column, append and MERGE insert', 6, undefined],
    ['rowtracking', 'row tracking after UPDATE, DELETE, MERGE, OPTIMIZE', 7, 'rowTracking'],
  ])(
    '%s (%s): deltalake reads every version with the same schema and rows as delta-ts',
    async (name, _what, writerVersion, feature) => {
      const read = reads.get(name)
      expect(read, `deltalake read ${name}`).toBeDefined()
      if (!read) return
      expect(read.protocol.minWriterVersion).toBe(writerVersion)
      if (feature) expect(read.protocol.writerFeatures).toEqual(expect.arrayContaining([feature]))
      const latest = await readWithDeltaTs(dir(name))
      expect(read.latestVersion).toBe(latest.version)
      expect(read.versions.map((v) => v.version)).toEqual([...Array(latest.version + 1).keys()])
      for (const v of read.versions)
        expectPyVersion(v, await readWithDeltaTs(dir(name), v.version), `${name} v${v.version}`)
    },
  )

  it('row tracking: the materialized row-id columns in the rewritten files stay out of the schema deltalake reads', async () => {
    const read = reads.get('rowtracking')
    const props = (await (await DeltaTable.open(dir('rowtracking'))).snapshot()).properties
    const hidden = [
      props['delta.rowTracking.materializedRowIdColumnName'],
      props['delta.rowTracking.materializedRowCommitVersionColumnName'],
    ]
    expect(hidden.every((h) => typeof h === 'string' && h.length > 0)).toBe(true)
    for (const v of read?.versions ?? []) {
      const names = (JSON.parse(v.schema).fields as Array<{ name: string }>).map((f) => f.name)
      expect(names).toEqual(['id', 'name'])
      for (const row of v.rows) for (const h of hidden) expect(row).not.toHaveProperty(h as string)
    }
  })
})
