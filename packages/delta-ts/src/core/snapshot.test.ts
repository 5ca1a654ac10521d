import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import * as path from 'node:path'
import { tableFromArrays } from 'apache-arrow'
import { afterEach, describe, expect, it } from 'vitest'
import { goldenRoot } from '../../test/golden.js'
import { DeltaError } from '../errors.js'
import { DeltaTable } from './table.js'

const dirs: string[] = []
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})
function tmp(): string {
  const d = mkdtempSync(path.join(tmpdir(), 'delta-ts-snap-'))
  dirs.push(d)
  return d
}
const schema = JSON.stringify({ type: 'struct', fields: [{ name: 'id', type: 'long', nullable: true, metadata: {} }] })
const line = (o: unknown) => JSON.stringify(o)
function writeLog(dir: string, version: number, lines: unknown[], mtime?: number) {
  const p = path.join(dir, '_delta_log', `${String(version).padStart(20, '0')}.json`)
  writeFileSync(p, `${lines.map(line).join('\n')}\n`, { flag: 'w' })
  if (mtime !== undefined) utimesSync(p, mtime / 1000, mtime / 1000)
}
function newTable(): string {
  const dir = tmp()
  cpSync(path.join(goldenRoot(), 'dat/basic_append/delta/_delta_log'), path.join(dir, '_delta_log'), {
    recursive: true,
  })
  return dir
}
const add = (p: string) => ({ add: { path: p, partitionValues: {}, size: 1, modificationTime: 1, dataChange: true } })

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p
    return 'OK'
  } catch (e) {
    return e instanceof DeltaError ? e.code : `OTHER ${e}`
  }
}

describe('snapshot loading', () => {
  it('fails with TABLE_NOT_FOUND where there is no _delta_log', async () => {
    expect(await codeOf(DeltaTable.open(tmp()))).toBe('TABLE_NOT_FOUND')
  })

  it('names the file and line of a malformed JSON action', async () => {
    const dir = newTable()
    writeFileSync(path.join(dir, '_delta_log', `${'2'.padStart(20, '0')}.json`), '{"add": {"path": "x"\n')
    const err = await DeltaTable.open(dir).catch((e) => e)
    expect(err).toBeInstanceOf(DeltaError)
    expect(err.code).toBe('INVALID_LOG')
    expect(err.message).toContain('00000000000000000002.json line 1')
  })

  it('ignores unknown actions and unknown fields', async () => {
    const dir = newTable()
    writeLog(dir, 2, [{ someFutureAction: { x: 1 } }, { add: { ...add('new.parquet').add, futureField: 42 } }])
    const snap = await (await DeltaTable.open(dir)).snapshot()
    expect(snap.version).toBe(2)
    expect((await snap.files()).some((f) => f.path === 'new.parquet')).toBe(true)
  })

  it('survives a corrupt or stale _last_checkpoint', async () => {
    const dir = newTable()
    writeFileSync(path.join(dir, '_delta_log', '_last_checkpoint'), '{not json')
    expect((await (await DeltaTable.open(dir)).snapshot()).version).toBe(1)
    writeFileSync(path.join(dir, '_delta_log', '_last_checkpoint'), '{"version": 99, "size": 3}')
    expect((await (await DeltaTable.open(dir)).snapshot()).version).toBe(1)
  })

  it('refreshes incrementally: a later snapshot() sees only new commits, old snapshots stay as they were', async () => {
    const dir = newTable()
    const table = await DeltaTable.open(dir)
    const before = await table.snapshot()
    const n = before.numFiles
    writeLog(dir, 2, [add('a.parquet')])
    writeLog(dir, 3, [
      { remove: { path: 'a.parquet', dataChange: true, deletionTimestamp: Date.now() } },
      add('b.parquet'),
    ])
    const after = await table.snapshot()
    expect(after.version).toBe(3)
    expect(after.numFiles).toBe(n + 1)
    expect(before.numFiles).toBe(n)
    expect((await after.tombstones()).map((r) => r.path)).toContain('a.parquet')
    expect(await table.snapshot()).toBe(after)
  })

  it('time travels by version and by timestamp (newest version at or before it)', async () => {
    const dir = newTable()
    const t0 = Date.parse('2024-01-01T00:00:00Z')
    writeLog(
      dir,
      0,
      [
        { protocol: { minReaderVersion: 1, minWriterVersion: 2 } },
        { metaData: { id: 'x', format: { provider: 'parquet' }, schemaString: schema, partitionColumns: [] } },
      ],
      t0,
    )
    writeLog(dir, 1, [add('a')], t0 + 60_000)
    writeLog(dir, 2, [add('b')], t0 + 120_000)
    const table = await DeltaTable.open(dir)
    expect((await table.snapshot({ version: 1 })).numFiles).toBe(1)
    expect((await table.snapshot({ timestamp: '2024-01-01T00:01:30Z' })).version).toBe(1)
    expect((await table.snapshot({ timestamp: new Date(t0 + 120_000) })).version).toBe(2)
    expect(await codeOf(table.snapshot({ timestamp: '2023-12-31T00:00:00Z' }))).toBe('VERSION_NOT_FOUND')
    expect(await codeOf(table.snapshot({ version: 9 }))).toBe('VERSION_NOT_FOUND')
  })

  it('uses in-commit timestamps for time travel when the table enables them', async () => {
    const dir = newTable()
    const conf = { 'delta.enableInCommitTimestamps': 'true', 'delta.inCommitTimestampEnablementVersion': '0' }
    const meta = {
      metaData: {
        id: 'x',
        format: { provider: 'parquet' },
        schemaString: schema,
        partitionColumns: [],
        configuration: conf,
      },
    }
    writeLog(dir, 0, [
      { commitInfo: { inCommitTimestamp: 1000 } },
      { protocol: { minReaderVersion: 1, minWriterVersion: 7, writerFeatures: ['inCommitTimestamp'] } },
      meta,
    ])
    writeLog(dir, 1, [{ commitInfo: { inCommitTimestamp: 5000 } }, add('a')])
    const table = await DeltaTable.open(dir)
    expect((await table.snapshot({ timestamp: 4999 })).version).toBe(0)
    expect((await table.snapshot({ timestamp: 5000 })).version).toBe(1)
    expect((await table.snapshot()).timestamp).toBe(5000)
  })

  it('a delta-ts table with in-commit timestamps and checkpoints: every version, checkpointed or not, has its commit’s inCommitTimestamp, whatever the file times', async () => {
    const dir = tmp()
    const table = await DeltaTable.create(dir, {
      schema: JSON.parse(schema),
      properties: { 'delta.enableInCommitTimestamps': 'true', 'delta.checkpointInterval': '2' },
    })
    for (let k = 0; k < 4; k++) await table.write(tableFromArrays({ id: BigInt64Array.of(BigInt(k)) }))
    await table.checkpoint({ version: 1 })
    const log = path.join(dir, '_delta_log')
    expect(readdirSync(log).filter((f) => f.endsWith('.checkpoint.parquet'))).toEqual([
      '00000000000000000001.checkpoint.parquet',
      '00000000000000000002.checkpoint.parquet',
      '00000000000000000004.checkpoint.parquet',
    ])
    const ict: number[] = []
    for (let v = 0; v <= 4; v++) {
      const p = path.join(log, `${String(v).padStart(20, '0')}.json`)
      ict.push(JSON.parse(readFileSync(p, 'utf8').split('\n')[0]).commitInfo.inCommitTimestamp)
      // File times far from the commits' own: only the in-commit timestamp may show.
      utimesSync(p, 1e9 + v, 1e9 + v)
    }
    const reopened = await DeltaTable.open(dir)
    for (let v = 0; v <= 4; v++) {
      expect((await reopened.snapshot({ version: v })).timestamp, `v${v}`).toBe(ict[v])
      expect((await reopened.snapshot({ timestamp: ict[v] })).version).toBe(v)
    }
    expect((await reopened.snapshot()).timestamp).toBe(ict[4])
  })

  it('reads the newest txn per application and domain metadata', async () => {
    const dir = newTable()
    writeLog(dir, 2, [
      { txn: { appId: 'etl', version: 3 } },
      { domainMetadata: { domain: 'd1', configuration: '{}', removed: false } },
    ])
    writeLog(dir, 3, [
      { txn: { appId: 'etl', version: 4 } },
      { domainMetadata: { domain: 'd1', configuration: '{}', removed: true } },
    ])
    const snap = await (await DeltaTable.open(dir)).snapshot()
    expect(await snap.appTransactionVersion('etl')).toBe(4)
    expect(await snap.appTransactionVersion('nope')).toBeUndefined()
    expect((await snap.domainMetadata()).size).toBe(0)
  })
})
