import { readdirSync, readFileSync } from 'node:fs'
import * as path from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { DeltaTable } from '../src/index.js'
import { canonicalRows, type WireRow, wireRows } from './interop/canon.js'
import { INT96_FILTERS } from './interop/spark-tables.js'

// Issue 16: tables Spark 4.0.1 + Delta 4.0.1 wrote (test/interop/spark-tables.ts; regenerated and compared by
// test/interop/fixtures.spark.ts), with what Spark itself read from them.
const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures')

describe('Spark-written INT96 timestamps (fixture test/fixtures/spark-int96)', () => {
  const expected = JSON.parse(readFileSync(path.join(fixtures, 'spark-int96.expected.json'), 'utf8')) as {
    queries: Record<string, { rows: WireRow[] }>
    parquetFiles: { file: string; columns: Record<string, { physicalType: string; encodings: string[] }> }[]
  }

  it('the fixture holds INT96 columns, top-level and nested, in one dictionary-encoded and one plain file', () => {
    const files = expected.parquetFiles.filter((f) => !f.file.startsWith('_delta_log/'))
    const encodings = files.map((f) => f.columns.ts.encodings.join(','))
    for (const f of files)
      for (const c of ['ts', 'st.ts', 'arr.list.element', 'm.key_value.value'])
        expect(f.columns[c].physicalType).toBe('INT96')
    expect(encodings.filter((e) => e.includes('DICTIONARY'))).toHaveLength(1)
    expect(encodings.filter((e) => !e.includes('DICTIONARY'))).toHaveLength(1)
  })

  it('years 1 and 9999, both ends of the 64-bit nanosecond range and nulls read exactly as Spark reads them, top-level and in struct, array and map', async () => {
    const snap = await (await DeltaTable.open(path.join(fixtures, 'spark-int96'))).snapshot()
    const got = wireRows(await snap.scan().toArrow())
    expect(canonicalRows(got)).toEqual(canonicalRows(expected.queries.all.rows))
    const year1 = got.find((r) => r.id === '1')
    expect(year1?.ts).toBe(String(BigInt(Date.parse('0001-01-01T00:00:00Z')) * 1000n))
  })

  it.each(Object.entries(INT96_FILTERS))('filter %s (%s) returns the rows Spark returns', async (name, filter) => {
    const snap = await (await DeltaTable.open(path.join(fixtures, 'spark-int96'))).snapshot()
    const got = wireRows(await snap.scan({ columns: ['id'], filter }).toArrow())
    expect(canonicalRows(got)).toEqual(canonicalRows(expected.queries[name].rows))
  })
})

describe('Spark-written in-commit timestamps (fixture test/fixtures/spark-ict, checkpoints at versions 2 and 4)', () => {
  const dir = path.join(fixtures, 'spark-ict')
  const log = path.join(dir, '_delta_log')
  // The commits' own inCommitTimestamp (file modification times come from the checkout and mean nothing here).
  const ict = readdirSync(log)
    .filter((f) => /^\d{20}\.json$/.test(f))
    .map((f) => {
      const first = JSON.parse(readFileSync(path.join(log, f), 'utf8').split('\n')[0])
      return { version: Number(f.slice(0, 20)), ts: first.commitInfo.inCommitTimestamp as number }
    })

  it('every version, checkpointed or not, has its commit’s inCommitTimestamp as snapshot timestamp and in history', async () => {
    expect(ict.map((c) => c.version)).toEqual([0, 1, 2, 3, 4, 5])
    const table = await DeltaTable.open(dir)
    for (const c of ict) expect((await table.snapshot({ version: c.version })).timestamp, `v${c.version}`).toBe(c.ts)
    const history = await table.history()
    expect(history.map((h) => [h.version, h.timestamp])).toEqual(ict.map((c) => [c.version, c.ts]).reverse())
  })

  it('time travel to each inCommitTimestamp lands on that version, and 1 ms earlier on the version before', async () => {
    const table = await DeltaTable.open(dir)
    for (const c of ict) {
      expect((await table.snapshot({ timestamp: c.ts })).version).toBe(c.version)
      if (c.version > 0) expect((await table.snapshot({ timestamp: c.ts - 1 })).version).toBe(c.version - 1)
    }
  })
})
