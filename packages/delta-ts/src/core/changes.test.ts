import { cpSync, rmSync } from 'node:fs'
import * as path from 'node:path'
import * as arrow from 'apache-arrow'
import { afterEach, describe, expect, it } from 'vitest'
import { cleanupDirs, tmpDir } from '../../test/dml-fixtures.js'
import { goldenRoot } from '../../test/golden.js'
import { DeltaTable, isDeltaError } from '../index.js'
import { readCommit } from './log-reader.js'

afterEach(cleanupDirs)

const schema = new arrow.Schema([
  new arrow.Field('id', new arrow.Int64(), false),
  new arrow.Field('status', new arrow.Utf8(), true),
  new arrow.Field('day', new arrow.Utf8(), true),
])

function rows(list: [number, string, string][]): arrow.Table {
  return arrow.tableFromArrays({
    id: BigInt64Array.from(list.map((r) => BigInt(r[0]))),
    status: list.map((r) => r[1]),
    day: list.map((r) => r[2]),
  })
}

/** Change rows as `version type id status day`, sorted. */
async function changeList(table: DeltaTable, startingVersion: number, endingVersion?: number): Promise<string[]> {
  const feed = await table.changes({ startingVersion, endingVersion })
  const t = await feed.toArrow()
  expect(t.schema.fields.map((f) => f.name)).toEqual([
    'id',
    'status',
    'day',
    '_change_type',
    '_commit_version',
    '_commit_timestamp',
  ])
  return t
    .toArray()
    .map((r) => {
      const o = r.toJSON()
      return `${o._commit_version} ${o._change_type} ${o.id} ${o.status} ${o.day}`
    })
    .sort()
}

async function cdcPaths(table: DeltaTable, version: number): Promise<string[]> {
  return (await readCommit(table.storage, version)).filter((a) => a.cdc).map((a) => a.cdc!.path)
}

describe.each([false, true])('change data feed (deletion vectors: %s)', (deletionVectors) => {
  async function history() {
    const uri = tmpDir('delta-ts-cdf-')
    const t = await DeltaTable.create(uri, {
      schema,
      partitionBy: ['day'],
      properties: { 'delta.enableChangeDataFeed': 'true' },
      deletionVectors,
    })
    await t.write(
      rows([
        [1, 'new', 'd1'],
        [2, 'new', 'd1'],
        [3, 'new', 'd2'],
        [4, 'new', 'd2'],
      ]),
    ) // v1
    await t.delete('id = 1') // v2: a row of a file
    await t.delete("day = 'd2'") // v3: whole files
    await t.update({ predicate: 'id = 2', set: { status: "'paid'" } }) // v4
    await t
      .merge(
        rows([
          [2, 'shipped', 'd1'],
          [5, 'new', 'd3'],
        ]),
        { on: 'target.id = source.id' },
      )
      .whenMatchedUpdateAll()
      .whenNotMatchedInsertAll()
      .execute() // v5
    await t
      .merge(rows([[6, 'new', 'd3']]), { on: 'target.id = source.id' })
      .whenNotMatchedInsertAll()
      .execute() // v6: inserts only
    await t.write(rows([[7, 'new', 'd3']]), { mode: 'overwrite', replaceWhere: 'id >= 5' }) // v7
    return t
  }

  it('records every DML change as Spark does and reads it back at every version range', async () => {
    const t = await history()
    expect(await t.version()).toBe(7)
    const all = [
      '1 insert 1 new d1',
      '1 insert 2 new d1',
      '1 insert 3 new d2',
      '1 insert 4 new d2',
      '2 delete 1 new d1',
      '3 delete 3 new d2',
      '3 delete 4 new d2',
      '4 update_postimage 2 paid d1',
      '4 update_preimage 2 new d1',
      '5 insert 5 new d3',
      '5 update_postimage 2 shipped d1',
      '5 update_preimage 2 paid d1',
      '6 insert 6 new d3',
      '7 delete 5 new d3',
      '7 delete 6 new d3',
      '7 insert 7 new d3',
    ]
    expect(await changeList(t, 0)).toEqual(all)
    for (let s = 0; s <= 7; s++) {
      for (let e = s; e <= 7; e++) {
        const want = all.filter((c) => {
          const v = Number(c.split(' ')[0])
          return v >= s && v <= e
        })
        expect(await changeList(t, s, e)).toEqual(want)
      }
    }
    // cdc files where rows of existing files changed; none for appends, whole-file deletes, inserts alone.
    const withCdc: number[] = []
    for (let v = 0; v <= 7; v++) if ((await cdcPaths(t, v)).length > 0) withCdc.push(v)
    expect(withCdc).toEqual([2, 4, 5, 7])
    const cdc = (await readCommit(t.storage, 5)).filter((a) => a.cdc).map((a) => a.cdc!)
    expect(cdc.every((c) => c.dataChange === false && c.path.startsWith('_change_data/day='))).toBe(true)
    expect(cdc.map((c) => c.partitionValues.day).sort()).toEqual(['d1', 'd3'])
    const [h] = await t.history({ limit: 3 }).then((hs) => hs.filter((x) => x.version === 5))
    expect(h.operationMetrics).toMatchObject({ numTargetChangeFilesAdded: '2' })
  })

  it('resolves timestamps to versions: first commit at or after the start, last at or before the end', async () => {
    const t = await history()
    const hist = (await t.history()).sort((a, b) => a.version - b.version)
    const feed = await t.changes({ startingTimestamp: hist[4].timestamp, endingTimestamp: new Date(hist[5].timestamp) })
    expect([feed.startingVersion, feed.endingVersion]).toEqual([4, 5])
    const out = await feed.toArrow()
    expect(new Set(out.getChild('_commit_version')!.toArray())).toEqual(new Set([4n, 5n]))
    const times = out.getChild('_commit_timestamp')!.toArray() as BigInt64Array
    expect(Number(times[0]) / 1000).toBe(
      out.getChild('_commit_version')!.get(0) === 4n ? hist[4].timestamp : hist[5].timestamp,
    )
  })
})

describe('change data feed errors', () => {
  it('refuses versions without change data, bad ranges, and reports vacuumed files', async () => {
    const uri = tmpDir('delta-ts-cdf-')
    const t = await DeltaTable.create(uri, { schema, partitionBy: [] })
    await t.write(rows([[1, 'a', 'd1']])) // v1, feed off
    await t.setProperties({ 'delta.enableChangeDataFeed': 'true' }) // v2
    await t.write(rows([[2, 'b', 'd1']])) // v3
    await t.delete('id = 1') // v4: cdc
    const code = async (p: Promise<unknown>) =>
      p.then(
        () => 'ok',
        (e: unknown) => (isDeltaError(e) ? e.code : String(e)),
      )
    expect(await code(t.changes({ startingVersion: 1 }))).toBe('CHANGE_DATA_NOT_RECORDED')
    expect(await changeList(t, 2)).toEqual(['3 insert 2 b d1', '4 delete 1 a d1'])
    expect(await code(t.changes({ startingVersion: 9 }))).toBe('INVALID_ARGUMENT')
    expect(await code(t.changes({ startingVersion: 3, endingVersion: 2 }))).toBe('INVALID_ARGUMENT')
    expect(await code(t.changes({} as never))).toBe('INVALID_ARGUMENT')
    expect(await code(t.changes({ startingTimestamp: Date.now() + 3_600_000 }))).toBe('VERSION_NOT_FOUND')
    // An ending version past the latest reads up to the latest, as Spark.
    expect((await t.changes({ startingVersion: 3, endingVersion: 99 })).endingVersion).toBe(4)
    await t.setProperties({ 'delta.enableChangeDataFeed': 'false' }) // v5
    expect(await code(t.changes({ startingVersion: 3 }))).toBe('CHANGE_DATA_NOT_RECORDED')
    expect(await changeList(t, 3, 4)).toHaveLength(2)
    // The file v3 added (and v4 removed) is gone: reading v3's inserts fails with a clear FILE_NOT_FOUND.
    const added = (await readCommit(t.storage, 3)).find((a) => a.add)!.add!
    rmSync(path.join(uri, added.path))
    const err = await (await t.changes({ startingVersion: 3, endingVersion: 3 })).toArrow().catch((e: unknown) => e)
    expect(isDeltaError(err, 'FILE_NOT_FOUND')).toBe(true)
    expect((err as Error).message).toContain('version 3')
  })
})

describe('change data feed over deletion-vector commits (kernel-rs golden cdf-table-with-dv, Spark-written)', () => {
  it('each commit that only changes vectors yields exactly the rows that left (delete) and came back (insert)', async () => {
    const uri = tmpDir('delta-ts-cdf-golden-')
    cpSync(path.join(goldenRoot(), 'kernel-rs-data/cdf-table-with-dv/delta'), uri, { recursive: true })
    const t = await DeltaTable.open(uri)
    const rowsAt = async (v: number) =>
      (await (await t.snapshot({ version: v })).scan().toArrow()).toArray().map((r) => JSON.stringify(r.toJSON()))
    const minus = (a: string[], b: string[]) => {
      const left = [...b]
      return a.filter((x) => {
        const i = left.indexOf(x)
        if (i < 0) return true
        left.splice(i, 1)
        return false
      })
    }
    let restored = 0
    for (let v = 1; v <= (await t.version()); v++) {
      const [before, after] = [await rowsAt(v - 1), await rowsAt(v)]
      const out = (await (await t.changes({ startingVersion: v, endingVersion: v })).toArrow()).toArray()
      const of = (type: string) =>
        out
          .filter((r) => r._change_type === type)
          .map((r) => {
            const { _change_type, _commit_version, _commit_timestamp, ...row } = r.toJSON()
            return JSON.stringify(row)
          })
          .sort()
      expect(of('delete'), `version ${v} deletes`).toEqual(minus(before, after).sort())
      expect(of('insert'), `version ${v} inserts`).toEqual(minus(after, before).sort())
      restored += of('insert').length
    }
    // The table's history re-adds rows (a RESTORE of a vector): the old-minus-new side is exercised.
    expect(restored).toBeGreaterThan(0)
  })
})

describe('change data feed reserved columns', () => {
  it('refuses enabling the feed on a table with a _change_type column, at create and by setProperties, committing nothing', async () => {
    const clashing = new arrow.Schema([
      new arrow.Field('id', new arrow.Int64(), false),
      new arrow.Field('_Change_Type', new arrow.Utf8(), true),
    ])
    const create = await DeltaTable.create(tmpDir('delta-ts-cdf-'), {
      schema: clashing,
      properties: { 'delta.enableChangeDataFeed': 'true' },
    }).catch((e: unknown) => e)
    expect(isDeltaError(create, 'INVALID_SCHEMA')).toBe(true)
    expect((create as Error).message).toContain("'_Change_Type'")
    const t = await DeltaTable.create(tmpDir('delta-ts-cdf-'), { schema: clashing })
    const set = await t.setProperties({ 'delta.enableChangeDataFeed': 'true' }).catch((e: unknown) => e)
    expect(isDeltaError(set, 'INVALID_SCHEMA')).toBe(true)
    expect(await (await DeltaTable.open(t.uri)).version()).toBe(0)
  })
})
