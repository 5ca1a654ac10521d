import { cpSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import * as path from 'node:path'
import * as arrow from 'apache-arrow'
import { afterAll, describe, expect, it } from 'vitest'
import { DeltaError, DeltaTable, isDeltaError } from '../src/index.js'
import { goldenRoot } from './golden.js'

/** Checkpoints, metadata cleanup, vacuum and the writer protocol gate on real local tables. */
const dirs: string[] = []
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})
function tmp(): string {
  const d = mkdtempSync(path.join(tmpdir(), 'delta-ts-maint-'))
  dirs.push(d)
  return d
}
const rows = (ids: number[]) => arrow.tableFromArrays({ id: Int32Array.from(ids) })
const DAY = 86_400_000

/** Sets a log file's modification time to `daysAgo` days before now. */
function age(dir: string, file: string, daysAgo: number) {
  const t = (Date.now() - daysAgo * DAY) / 1000
  utimesSync(path.join(dir, '_delta_log', file), t, t)
}
const v = (n: number) => String(n).padStart(20, '0')

describe('metadata cleanup', () => {
  it('deletes expired commits behind the newest expired checkpoint, keeping every version from it readable', async () => {
    const dir = tmp()
    const table = await DeltaTable.create(dir, {
      schema: rows([]).schema,
      properties: { 'delta.checkpointInterval': '2', 'delta.logRetentionDuration': 'interval 30 days' },
    })
    for (let i = 1; i <= 6; i++) await table.write(rows([i]))
    // Versions 0..4 (and checkpoints 2 and 4) are 40 days old; 5 and 6 are fresh.
    for (let i = 0; i <= 4; i++) age(dir, `${v(i)}.json`, 40)
    age(dir, `${v(2)}.checkpoint.parquet`, 40)
    age(dir, `${v(4)}.checkpoint.parquet`, 40)
    const res = await table.cleanupMetadata()
    expect(res.deletedFiles.map((f) => path.basename(f)).sort()).toEqual(
      [`${v(0)}.json`, `${v(1)}.json`, `${v(2)}.checkpoint.parquet`, `${v(2)}.json`, `${v(3)}.json`].sort(),
    )
    const left = readdirSync(path.join(dir, '_delta_log'))
    expect(left).toContain(`${v(4)}.checkpoint.parquet`)
    const fresh = await DeltaTable.open(dir)
    const t = await (await fresh.snapshot()).scan().toArrow()
    expect([...t.getChild('id')!].sort()).toEqual([1, 2, 3, 4, 5, 6])
    expect((await fresh.snapshot({ version: 4 })).version).toBe(4)
    const err = await fresh.snapshot({ version: 3 }).catch((e) => e)
    expect(err).toBeInstanceOf(DeltaError)
    expect(err.code).toBe('VERSION_NOT_FOUND')
  })

  it('deletes nothing when no checkpoint is old enough (the newest readable checkpoint is never removed)', async () => {
    const dir = tmp()
    const table = await DeltaTable.create(dir, {
      schema: rows([]).schema,
      properties: { 'delta.checkpointInterval': '2' },
    })
    for (let i = 1; i <= 3; i++) await table.write(rows([i]))
    for (let i = 0; i <= 1; i++) age(dir, `${v(i)}.json`, 60)
    expect((await table.cleanupMetadata()).deletedFiles).toEqual([])
  })
})

describe('explicit checkpoints', () => {
  it('checkpoint() writes N.checkpoint.parquet and _last_checkpoint, and a fresh reader starts from it', async () => {
    const dir = tmp()
    const table = await DeltaTable.create(dir, { schema: rows([]).schema })
    await table.write(rows([1, 2]))
    await table.write(rows([3]))
    await table.delete('id = 2')
    const cp = await table.checkpoint()
    expect(cp.version).toBe(3)
    expect(cp.metrics.numAddFiles).toBe(2)
    expect(readdirSync(path.join(dir, '_delta_log'))).toEqual(
      expect.arrayContaining([`${v(3)}.checkpoint.parquet`, '_last_checkpoint']),
    )
    for (let i = 0; i <= 2; i++) rmSync(path.join(dir, '_delta_log', `${v(i)}.json`))
    const t = await (await (await DeltaTable.open(dir)).snapshot()).scan().toArrow()
    expect([...t.getChild('id')!].sort()).toEqual([1, 3])
  })
})

describe('writer protocol gate', () => {
  it('refuses to write a table whose features delta-ts does not implement, naming them', async () => {
    const dir = tmp()
    const src = path.join(goldenRoot(), 'kernel-rs-data/table-with-dv-small/delta')
    cpSync(src, dir, { recursive: true })
    const table = await DeltaTable.open(dir)
    // A check constraint whose expression is outside the SQL subset delta-ts evaluates makes the table read-only.
    const snap = await table.snapshot()
    const txn = await table.startTransaction('SET TBLPROPERTIES')
    txn.updateMetadata({
      ...snap.metadata,
      configuration: { ...snap.metadata.configuration, 'delta.constraints.positive': 'value > rand()' },
    })
    const err = await txn.commit().catch((e) => e)
    expect(err).toBeInstanceOf(DeltaError)
    expect(err.code).toBe('UNSUPPORTED_FEATURE')
    expect(err.message).toContain('value > rand()')
  })

  it('continues a Spark table with V2 checkpoints and sidecars: deletes rows and writes its own V2 checkpoint', async () => {
    const dir = tmp()
    cpSync(path.join(goldenRoot(), 'kernel-rs-data/v2-checkpoints-parquet-with-sidecars/delta'), dir, {
      recursive: true,
    })
    const table = await DeltaTable.open(dir)
    const before = await (await table.snapshot()).scan().toArrow()
    const n = before.numRows
    expect(n).toBeGreaterThan(2)
    await table.delete('id < 2')
    const cp = await table.checkpoint()
    expect(cp.format).toBe('v2')
    expect(cp.sidecars.length).toBe(1)
    const after = await (await (await DeltaTable.open(dir)).snapshot()).scan().toArrow()
    expect(after.numRows).toBe(n - [...before.getChild('id')!].filter((x) => Number(x) < 2).length)
  })
})

describe('V2 checkpoint sidecars in metadata cleanup and vacuum', () => {
  it('cleanup deletes the sidecars of deleted checkpoints and old orphans, keeping those retained checkpoints reference', async () => {
    const dir = tmp()
    const table = await DeltaTable.create(dir, {
      schema: rows([]).schema,
      properties: { 'delta.checkpointPolicy': 'v2', 'delta.logRetentionDuration': 'interval 30 days' },
    })
    for (let i = 1; i <= 3; i++) await table.write(rows([i]))
    const first = await table.checkpoint()
    for (let i = 4; i <= 5; i++) await table.write(rows([i]))
    const second = await table.checkpoint()
    const sidecarDir = path.join(dir, '_delta_log', '_sidecars')
    writeFileSync(path.join(sidecarDir, 'orphan-old.parquet'), 'x')
    writeFileSync(path.join(sidecarDir, 'orphan-fresh.parquet'), 'x')
    const old = (Date.now() - 40 * DAY) / 1000
    for (const f of readdirSync(path.join(dir, '_delta_log')))
      if (f.endsWith('.json') ? Number(f.slice(0, 20)) <= second.version : f.includes('.checkpoint.'))
        utimesSync(path.join(dir, '_delta_log', f), old, old)
    for (const f of [...first.sidecars, ...second.sidecars, '_delta_log/_sidecars/orphan-old.parquet'])
      utimesSync(path.join(dir, f), old, old)
    // Vacuum's dry run names the unreferenced sidecar as well; nothing is deleted yet.
    const dry = await table.vacuum({ dryRun: true })
    expect(dry.files).toEqual(['_delta_log/_sidecars/orphan-old.parquet'])
    const res = await table.cleanupMetadata()
    const deleted = new Set(res.deletedFiles)
    for (const p of [...first.paths, ...first.sidecars, '_delta_log/_sidecars/orphan-old.parquet'])
      expect(deleted).toContain(p)
    for (const p of [...second.paths, ...second.sidecars]) expect(deleted).not.toContain(p)
    expect(readdirSync(sidecarDir).sort()).toEqual(
      [...second.sidecars.map((p) => path.basename(p)), 'orphan-fresh.parquet'].sort(),
    )
    const t = await (await (await DeltaTable.open(dir)).snapshot()).scan().toArrow()
    expect([...t.getChild('id')!].sort()).toEqual([1, 2, 3, 4, 5])
  })

  it('vacuum deletes an old sidecar no checkpoint references and keeps the referenced ones', async () => {
    const dir = tmp()
    const table = await DeltaTable.create(dir, {
      schema: rows([]).schema,
      properties: { 'delta.checkpointPolicy': 'v2' },
    })
    await table.write(rows([1, 2]))
    const cp = await table.checkpoint()
    const orphan = path.join(dir, '_delta_log', '_sidecars', 'left-by-a-failed-checkpoint.parquet')
    writeFileSync(orphan, 'x')
    const old = (Date.now() - 3 * DAY) / 1000
    utimesSync(orphan, old, old)
    for (const f of cp.sidecars) utimesSync(path.join(dir, f), old, old)
    const res = await table.vacuum()
    expect(res.files).toEqual(['_delta_log/_sidecars/left-by-a-failed-checkpoint.parquet'])
    expect(readdirSync(path.join(dir, '_delta_log', '_sidecars'))).toEqual(cp.sidecars.map((p) => path.basename(p)))
    const t = await (await (await DeltaTable.open(dir)).snapshot()).scan().toArrow()
    expect([...t.getChild('id')!].sort()).toEqual([1, 2])
  })
})

describe('change data feed tables', () => {
  it('row deletes write cdc files, whole-partition deletes none; vacuum deletes cdc files past the retention only', async () => {
    const dir = tmp()
    const schema = arrow.tableFromArrays({ id: Int32Array.from([1]), p: ['a'] }).schema
    const table = await DeltaTable.create(dir, {
      schema,
      partitionBy: ['p'],
      properties: { 'delta.enableChangeDataFeed': 'true' },
    })
    await table.write(arrow.tableFromArrays({ id: Int32Array.from([1, 2, 3]), p: ['a', 'a', 'b'] }))
    const whole = await table.delete("p = 'b'")
    expect(whole.metrics.numChangeFilesAdded).toBe(0)
    const rows = await table.delete('id = 1')
    expect(rows.metrics.numChangeFilesAdded).toBe(1)
    const t = await (await table.snapshot()).scan().toArrow()
    expect(t.numRows).toBe(1)
    const cdcFiles = () => readdirSync(path.join(dir, '_change_data', 'p=a'))
    expect(cdcFiles()).toHaveLength(1)
    // Within the retention the cdc file stays; past it (retention 0) it goes like a removed data file.
    expect((await table.vacuum({ dryRun: true })).files.some((f) => f.startsWith('_change_data/'))).toBe(false)
    const swept = await table.vacuum({ retentionHours: 0, enforceRetentionDuration: false })
    expect(swept.files.filter((f) => f.startsWith('_change_data/'))).toHaveLength(1)
    expect(cdcFiles()).toHaveLength(0)
    const err = await (await table.changes({ startingVersion: 3 })).toArrow().catch((e: unknown) => e)
    expect(isDeltaError(err, 'FILE_NOT_FOUND')).toBe(true)
  })
})

describe('vacuum protocol check', () => {
  it('refuses to vacuum a table with a writer feature delta-ts does not implement', async () => {
    const dir = tmp()
    await DeltaTable.create(dir, { schema: rows([]).schema })
    // A later writer added a writer feature delta-ts does not implement (column defaults).
    const protocol = {
      minReaderVersion: 1,
      minWriterVersion: 7,
      writerFeatures: ['appendOnly', 'invariants', 'allowColumnDefaults'],
    }
    writeFileSync(path.join(dir, '_delta_log', `${v(1)}.json`), `${JSON.stringify({ protocol })}\n`)
    const err = await (await DeltaTable.open(dir)).vacuum({ dryRun: true }).catch((e) => e)
    expect(err.code).toBe('UNSUPPORTED_FEATURE')
    expect(err.message).toContain('allowColumnDefaults')
  })
})
