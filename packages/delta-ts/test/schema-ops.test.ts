import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import * as path from 'node:path'
import * as arrow from 'apache-arrow'
import { afterAll, describe, expect, it } from 'vitest'
import { DeltaTable, isDeltaError } from '../src/index.js'
import { runPythonJson } from './python-oracle.js'

/**
 * Schema operations of a table owner (issue 22): column mapping upgrade, RENAME / DROP COLUMN (nested too),
 * type widening, table property changes, as metadata-only commits; rows read back by delta-ts and delta-rs.
 */
const dirs: string[] = []
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})
function tmp(name: string): string {
  const d = mkdtempSync(path.join(tmpdir(), `delta-ts-${name}-`))
  dirs.push(d)
  return d
}

const SCHEMA = {
  type: 'struct' as const,
  fields: [
    { name: 'id', type: 'integer' as const, nullable: true, metadata: {} },
    {
      name: 's',
      type: {
        type: 'struct' as const,
        fields: [
          { name: 'a', type: 'string' as const, nullable: true, metadata: {} },
          { name: 'b', type: 'double' as const, nullable: true, metadata: {} },
        ],
      },
      nullable: true,
      metadata: {},
    },
    { name: 'day', type: 'string' as const, nullable: true, metadata: {} },
  ],
}

function batch(ids: number[], day: string, names: { id?: string; s?: string; a?: string } = {}): arrow.Table {
  const sType = new arrow.Struct([
    new arrow.Field(names.a ?? 'a', new arrow.Utf8(), true),
    new arrow.Field('b', new arrow.Float64(), true),
  ])
  const s = arrow.makeVector(
    arrow.makeData({
      type: sType,
      length: ids.length,
      nullCount: 0,
      children: [
        arrow.vectorFromArray(
          ids.map((i) => `a${i}`),
          new arrow.Utf8(),
        ).data[0],
        arrow.makeVector(Float64Array.from(ids.map((i) => i / 2))).data[0],
      ],
    }),
  )
  return new arrow.Table({
    [names.id ?? 'id']: arrow.makeVector(Int32Array.from(ids)),
    [names.s ?? 's']: s,
    day: arrow.vectorFromArray(
      ids.map(() => day),
      new arrow.Utf8(),
    ),
  })
}

async function rows(table: DeltaTable): Promise<Record<string, unknown>[]> {
  const t = await (await table.snapshot()).scan().toArrow()
  return t
    .toArray()
    .map((r) => JSON.parse(JSON.stringify(r.toJSON(), (_k, v) => (typeof v === 'bigint' ? Number(v) : v))))
    .sort((x, y) => JSON.stringify(x).localeCompare(JSON.stringify(y)))
}

function deltaRsRows(dir: string): Record<string, unknown>[] {
  return runPythonJson<Record<string, unknown>[]>(
    `
import sys, json
import pyarrow as pa
from deltalake import DeltaTable, QueryBuilder
# QueryBuilder (DataFusion) applies column mapping; to_pyarrow_table does not.
rows = pa.table(QueryBuilder().register('t', DeltaTable(sys.argv[1])).execute('select * from t').read_all()).to_pylist()
print(json.dumps(sorted(rows, key=lambda r: json.dumps(r, sort_keys=True, default=str)), default=str))
`,
    [dir],
  )
}

describe('column mapping upgrade, rename and drop', () => {
  it('a table without column mapping refuses rename and drop with how to enable it; the upgrade assigns ids and keeps physical names', async () => {
    const dir = tmp('cm-upgrade')
    const table = await DeltaTable.create(dir, { schema: SCHEMA, partitionBy: ['day'] })
    await table.write(batch([1, 2], 'mon'))
    for (const op of [() => table.renameColumn('id', 'key'), () => table.dropColumn('s.b')]) {
      const err = await op().catch((e) => e)
      expect(isDeltaError(err, 'UNSUPPORTED_FEATURE')).toBe(true)
      expect(err.message).toContain('upgradeColumnMapping')
    }
    const up = await table.upgradeColumnMapping()
    expect(up?.version).toBe(2)
    expect(await table.upgradeColumnMapping()).toBeUndefined()
    const snap = await table.snapshot()
    expect(snap.protocol).toEqual({ minReaderVersion: 2, minWriterVersion: 5 })
    expect(snap.properties['delta.columnMapping.mode']).toBe('name')
    expect(snap.properties['delta.columnMapping.maxColumnId']).toBe('5')
    const meta = snap.schema.fields.map((f) => [
      f.metadata?.['delta.columnMapping.id'],
      f.metadata?.['delta.columnMapping.physicalName'],
    ])
    expect(meta).toEqual([
      [1, 'id'],
      [2, 's'],
      [5, 'day'],
    ])
    expect((await table.history({ limit: 1 }))[0].operation).toBe('SET TBLPROPERTIES')
    expect(await rows(table)).toEqual([
      { id: 1, s: { a: 'a1', b: 0.5 }, day: 'mon' },
      { id: 2, s: { a: 'a2', b: 1 }, day: 'mon' },
    ])
  })

  it('rename of top-level, nested and partition columns and drop of a nested column are metadata-only; old and new files read under the new names, by delta-ts and delta-rs', async () => {
    const dir = tmp('cm-rename')
    const table = await DeltaTable.create(dir, {
      schema: SCHEMA,
      partitionBy: ['day'],
      properties: { 'delta.columnMapping.mode': 'name' },
    })
    await table.write(batch([1, 2], 'mon'))
    const filesBefore = (await table.snapshot()).numFiles
    const r1 = await table.renameColumn('id', 'key')
    expect(r1.commitInfo.operation).toBe('RENAME COLUMN')
    expect(r1.commitInfo.operationParameters).toEqual({ oldColumnPath: 'id', newColumnPath: 'key' })
    await table.renameColumn('s.a', 'alpha')
    await table.renameColumn('day', 'weekday')
    expect((await table.snapshot()).partitionColumns).toEqual(['weekday'])
    await table.write(renamed([3], 'tue'))
    const d = await table.dropColumn('s.b')
    expect(d.commitInfo.operationParameters).toEqual({ columns: '["s.b"]' })
    expect((await table.snapshot()).numFiles).toBe(filesBefore + 1)
    const expected = [
      { key: 1, s: { alpha: 'a1' }, weekday: 'mon' },
      { key: 2, s: { alpha: 'a2' }, weekday: 'mon' },
      { key: 3, s: { alpha: 'a3' }, weekday: 'tue' },
    ]
    expect(await rows(await DeltaTable.open(dir))).toEqual(expected)
    expect(deltaRsRows(dir)).toEqual(expected)
    // Pruning keeps working through the physical names in stats and partition values.
    const snap = await table.snapshot()
    expect((await snap.files({ filter: 'key >= 3' })).length).toBe(1)
    expect((await snap.files({ filter: "weekday = 'mon'" })).length).toBe(1)
  })

  it('refuses dropping a partition column, the only field of a struct, a missing column, and renaming onto an existing name', async () => {
    const dir = tmp('cm-refuse')
    const table = await DeltaTable.create(dir, {
      schema: SCHEMA,
      partitionBy: ['day'],
      properties: { 'delta.columnMapping.mode': 'name' },
    })
    const code = async (p: Promise<unknown>) => ((await p.catch((e) => e)) as { code?: string }).code
    expect(await code(table.dropColumn('day'))).toBe('INVALID_ARGUMENT')
    expect(await code(table.dropColumn('nope'))).toBe('INVALID_ARGUMENT')
    expect(await code(table.renameColumn('id', 'DAY'))).toBe('INVALID_ARGUMENT')
    expect(await code(table.renameColumn('s.a', 'B'))).toBe('INVALID_ARGUMENT')
    await table.dropColumn('s.a')
    expect(await code(table.dropColumn('s.b'))).toBe('INVALID_ARGUMENT')
    expect(await table.version()).toBe(1)
  })

  it('a rename beside a concurrent append: the append that landed first does not conflict; an append prepared before the rename conflicts with MetadataChanged', async () => {
    const dir = tmp('cm-race')
    const a = await DeltaTable.create(dir, { schema: SCHEMA, properties: { 'delta.columnMapping.mode': 'name' } })
    const b = await DeltaTable.open(dir)
    const prepared = await b.startTransaction('WRITE')
    await a.write(batch([1], 'mon'))
    // b's rename is based on version 0; the append at 1 changed no metadata, so the rename lands at 2.
    await expect(b.renameColumn('id', 'key')).resolves.toMatchObject({ version: 2 })
    // A transaction prepared against version 0 loses to the rename.
    const err = await prepared.commit().catch((e) => e)
    expect(err.code).toBe('COMMIT_CONFLICT')
    expect(err.kind).toBe('MetadataChanged')
    expect(await rows(await DeltaTable.open(dir))).toEqual([{ key: 1, s: { a: 'a1', b: 0.5 }, day: 'mon' }])
  })
})

function renamed(ids: number[], day: string): arrow.Table {
  const t = batch(ids, day, { id: 'key', a: 'alpha' })
  return new arrow.Table({ key: t.getChild('key')!, s: t.getChild('s')!, weekday: t.getChild('day')! })
}

describe('type widening', () => {
  it('widenColumn needs delta.enableTypeWidening; int → long records delta.typeChanges, old files read as long, wide values append (delta-rs refuses the feature by name)', async () => {
    const dir = tmp('widen')
    const table = await DeltaTable.create(dir, { schema: SCHEMA })
    await table.write(batch([1, 2], 'mon'))
    expect((await table.widenColumn('id', 'long').catch((e) => e)).code).toBe('UNSUPPORTED_FEATURE')
    await table.setProperties({ 'delta.enableTypeWidening': 'true' })
    const p = (await table.snapshot()).protocol
    expect(p.minReaderVersion).toBe(3)
    expect(p.readerFeatures).toContain('typeWidening')
    expect(p.writerFeatures).toEqual(expect.arrayContaining(['typeWidening', 'appendOnly', 'invariants']))
    expect((await table.widenColumn('id', 'string').catch((e) => e)).code).toBe('INVALID_ARGUMENT')
    expect((await table.widenColumn('s.b', 'float').catch((e) => e)).code).toBe('INVALID_ARGUMENT')
    const w = await table.widenColumn('id', 'long')
    expect(w?.commitInfo.operation).toBe('CHANGE COLUMN')
    expect(await table.widenColumn('id', 'long')).toBeUndefined()
    const f = (await table.snapshot()).schema.fields[0]
    expect(f.type).toBe('long')
    expect(f.metadata?.['delta.typeChanges']).toEqual([{ fromType: 'integer', toType: 'long' }])
    const big = 2 ** 40
    const wide = batch([3], 'tue')
    await table.write(
      new arrow.Table({
        id: arrow.makeVector(BigInt64Array.from([BigInt(big)])),
        s: wide.getChild('s')!,
        day: wide.getChild('day')!,
      }),
    )
    const t = await (await table.snapshot()).scan().toArrow()
    expect(String(t.schema.fields[0].type)).toBe('Int64')
    expect(Array.from(t.getChild('id')!.toArray() as BigInt64Array, Number).sort((a, b) => a - b)).toEqual([1, 2, big])
    // Old file stats (integer) still prune under the long type.
    expect((await (await table.snapshot()).files({ filter: 'id > 1000' })).length).toBe(1)
    // delta-rs (the venv's deltalake) refuses the typeWidening reader feature; Spark reads it (widen.spark.ts).
    expect(() => deltaRsRows(dir)).toThrow(/TypeWidening/)
  })
})

describe('type widening on write', () => {
  it('schemaMode merge widens a short column to integer when delta.enableTypeWidening is on, recording delta.typeChanges; without it the write is a mismatch', async () => {
    const table = await DeltaTable.create(tmp('widen-write'), {
      schema: { type: 'struct', fields: [{ name: 'v', type: 'short', nullable: true, metadata: {} }] },
    })
    await table.write(arrow.tableFromArrays({ v: Int16Array.from([1, 2]) }))
    const wide = arrow.tableFromArrays({ v: Int32Array.from([100_000]) })
    expect(((await table.write(wide, { schemaMode: 'merge' }).catch((e) => e)) as { code?: string }).code).toBe(
      'SCHEMA_MISMATCH',
    )
    await table.setProperties({ 'delta.enableTypeWidening': 'true' })
    expect(((await table.write(wide).catch((e) => e)) as { code?: string }).code).toBe('SCHEMA_MISMATCH')
    await table.write(wide, { schemaMode: 'merge' })
    const f = (await table.snapshot()).schema.fields[0]
    expect(f.type).toBe('integer')
    expect(f.metadata?.['delta.typeChanges']).toEqual([{ fromType: 'short', toType: 'integer' }])
    const t = await (await table.snapshot()).scan().toArrow()
    expect(Array.from(t.getChild('v')!.toArray() as Int32Array).sort((a, b) => a - b)).toEqual([1, 2, 100_000])
  })
})

describe('setProperties / unsetProperties', () => {
  it('validates known values, upgrades the protocol for deletion vectors and change data feed, refuses v2 checkpoints and Iceberg compatibility by name, unsets', async () => {
    const dir = tmp('props')
    const table = await DeltaTable.create(dir, { schema: SCHEMA })
    const err = async (p: Promise<unknown>): Promise<any> => p.catch((e) => e)
    const bad = await err(table.setProperties({ 'delta.checkpointInterval': 'ten' }))
    expect(bad.code).toBe('INVALID_ARGUMENT')
    const v2 = await err(table.setProperties({ 'delta.checkpointPolicy': 'v2' }))
    expect(v2.code).toBe('UNSUPPORTED_FEATURE')
    expect(v2.message).toContain('v2Checkpoint')
    expect((await err(table.setProperties({ 'delta.enableIcebergCompatV2': 'true' }))).code).toBe('UNSUPPORTED_FEATURE')
    expect((await err(table.setProperties({ 'delta.columnMapping.mode': 'id' }))).code).toBe('UNSUPPORTED_FEATURE')
    expect(await table.version()).toBe(0)

    await table.setProperties({ 'delta.enableChangeDataFeed': 'true', 'delta.checkpointInterval': '5' })
    expect((await table.snapshot()).protocol).toEqual({ minReaderVersion: 1, minWriterVersion: 4 })
    await table.write(batch([1], 'mon'))
    expect(deltaRsRows(dir).length).toBe(1)
    await table.setProperties({ 'delta.enableDeletionVectors': 'true' })
    const p = (await table.snapshot()).protocol
    expect(p).toMatchObject({ minReaderVersion: 3, minWriterVersion: 7, readerFeatures: ['deletionVectors'] })
    expect(p.writerFeatures).toEqual(
      expect.arrayContaining(['deletionVectors', 'changeDataFeed', 'checkConstraints', 'generatedColumns']),
    )
    expect(await table.setProperties({ 'delta.checkpointInterval': '5' })).toBeUndefined()
    const h = (await table.history({ limit: 1 }))[0]
    expect(h.operation).toBe('SET TBLPROPERTIES')

    expect((await err(table.unsetProperties(['user.missing']))).code).toBe('INVALID_ARGUMENT')
    expect(await table.unsetProperties(['user.missing'], { ifExists: true })).toBeUndefined()
    await table.unsetProperties(['delta.checkpointInterval'])
    expect((await table.snapshot()).properties['delta.checkpointInterval']).toBeUndefined()
    await table.write(batch([2], 'mon'))
    expect((await rows(table)).length).toBe(2)
  })
})
