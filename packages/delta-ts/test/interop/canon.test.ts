import { readFileSync } from 'node:fs'
import * as path from 'node:path'
import { tableFromIPC } from 'apache-arrow'
import * as pw from 'parquet-wasm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { canonicalRows, type WireRow, wireRows } from './canon.js'
import { ensureVenv, py, scratch } from './harness.js'

// The interop suite compares rows that Python and TypeScript each reduce to the wire form. This checks the
// two normalizers agree on the same bytes: pyarrow writes a parquet file of every type, Arrow JS reads it.
describe('wire-form normalizers (py/canon.py and canon.ts)', () => {
  const tmp = scratch('canon')
  afterAll(() => tmp.cleanup())
  let expected: { rows: WireRow[] }
  let actual: WireRow[]

  beforeAll(async () => {
    await ensureVenv()
    const file = path.join(tmp.dir, 'sample.parquet')
    const out = path.join(tmp.dir, 'sample.json')
    await py('canon.py', ['sample', file, out])
    expected = JSON.parse(readFileSync(out, 'utf8'))
    const wasm = pw.readParquet(new Uint8Array(readFileSync(file)))
    actual = wireRows(tableFromIPC(wasm.intoIPCStream()))
  })

  it('renders every type of a multi-row-group parquet file identically to pyarrow', () => {
    expect(actual).toHaveLength(30)
    expect(actual).toEqual(expected.rows)
  })

  it('keeps microseconds, pre-1970 timestamps, decimals, NaN and -0 exactly', () => {
    const row0 = actual.find((r) => r.id === '0')
    expect(row0?.ts).toBe('-1') // 1969-12-31T23:59:59.999999Z
    expect(row0?.dec).toBe('-3.000')
    expect(actual.find((r) => r.id === '1')?.f64).toBe('NaN')
    expect(actual.find((r) => r.id === '4')?.f64).toBe('-0')
  })

  it('compares row sets regardless of order', () => {
    expect(canonicalRows([...actual].reverse())).toEqual(canonicalRows(expected.rows))
  })
})
