/**
 * Splitting rows by the values of some key columns in one pass: every row gets a group id (groups numbered in
 * order of first appearance), then a counting sort yields each group's row indices, ascending. A caller then
 * splits each column into every group at once (`splitData` in take.ts, from the group ids) instead of once per
 * group per input batch.
 */
import { type Data, type RecordBatch, Type } from 'apache-arrow'
import { scalarKey } from './hash.js'
import { type ScalarReader, scalarReader } from './scalar.js'

/** The groups of {@link groupRows}: `rows[g]` are the ascending row indices of group g. */
export interface RowGroups {
  /** Row indices of each group, ascending; groups in order of first appearance. */
  rows: Int32Array[]
  /** The first row of each group (read its key values from there). */
  first: Int32Array
  /** The group of each row (feed it to `splitData` to split columns by group in one pass each). */
  gid: Int32Array
  /** Rows per group. */
  counts: Int32Array
}

/**
 * Groups the rows `0 .. length-1` of the key columns `keys` (same length each) by equal values: equal exact
 * values (see {@link scalarKey}) fall in one group, nulls in their own. Columns of Int32 / Date32 without
 * nulls group on the raw numbers (no key strings); others on {@link scalarKey} strings.
 */
export function groupRows(keys: readonly Data[], length: number): RowGroups {
  const gid = new Int32Array(length)
  const firsts: number[] = []
  if (keys.length === 0) {
    firsts.push(0)
  } else if (keys.length === 1 && isSmallInt(keys[0]) && keys[0].nullCount === 0) {
    const values = keys[0].values as Int32Array
    const seen = new Map<number, number>()
    for (let i = 0; i < length; i++) {
      const v = values[i]
      let g = seen.get(v)
      if (g === undefined) {
        g = firsts.length
        seen.set(v, g)
        firsts.push(i)
      }
      gid[i] = g
    }
  } else {
    const readers: ScalarReader[] = keys.map(scalarReader)
    const seen = new Map<string, number>()
    for (let i = 0; i < length; i++) {
      let key = ''
      for (const r of readers) {
        const v = r(i)
        key += v === null ? '\u0000,' : `${scalarKey(v)}\u0000,`
      }
      let g = seen.get(key)
      if (g === undefined) {
        g = firsts.length
        seen.set(key, g)
        firsts.push(i)
      }
      gid[i] = g
    }
  }
  const groups = firsts.length
  if (groups === 1) {
    const all = new Int32Array(length)
    for (let i = 0; i < length; i++) all[i] = i
    return { rows: [all], first: Int32Array.from(firsts), gid, counts: Int32Array.of(length) }
  }
  const counts = new Int32Array(groups)
  for (let i = 0; i < length; i++) counts[gid[i]]++
  const rows = Array.from(counts, (n) => new Int32Array(n))
  const fill = new Int32Array(groups)
  for (let i = 0; i < length; i++) {
    const g = gid[i]
    rows[g][fill[g]++] = i
  }
  return { rows, first: Int32Array.from(firsts), gid, counts }
}

function isSmallInt(d: Data): boolean {
  const t = d.type as unknown as { typeId: Type; bitWidth?: number; unit?: number }
  return (t.typeId === Type.Int && t.bitWidth === 32) || (t.typeId === Type.Date && t.unit === 0)
}

/**
 * The top-level columns of `batch` (flat types only) whose values look mostly unique: in an evenly spaced sample
 * of up to `sample` rows, more than half the values are distinct. Dictionary encoding such a column costs its
 * encoder a dictionary build that parquet-rs then abandons (falling back to the plain / delta encoding it would
 * have used anyway), so writers turn it off for them. Deterministic: depends on the data only.
 */
export function mostlyUniqueColumns(batch: RecordBatch, sample = 2048): string[] {
  const n = batch.numRows
  if (n < 1024) return []
  const step = Math.max(1, Math.floor(n / sample))
  const out: string[] = []
  batch.schema.fields.forEach((f, j) => {
    const d = batch.data.children[j]
    const t = d.typeId
    if (t === Type.Struct || t === Type.List || t === Type.Map || t === Type.Bool || t === Type.Dictionary) return
    const seen = new Set<unknown>()
    let count = 0
    const valid = d.nullCount === 0 ? undefined : (i: number) => d.getValid(i)
    const values = d.values as ArrayLike<number | bigint> | undefined
    if ((t === Type.Utf8 || t === Type.Binary) && d.valueOffsets instanceof Int32Array) {
      // A 53-bit hash of the raw bytes (two FNV-1a lanes) as the key: no string per value. Two values that
      // collide (about one in 2^53) count as one, which only nudges this estimate.
      const offsets = d.valueOffsets
      const bytes = d.values as Uint8Array
      for (let i = 0; i < n; i += step) {
        if (valid && !valid(i)) continue
        count++
        let a = 0x811c9dc5
        let b = 0x01000193 ^ (offsets[i + 1] - offsets[i])
        for (let k = offsets[i]; k < offsets[i + 1]; k++) {
          a = Math.imul(a ^ bytes[k], 0x01000193)
          b = Math.imul(b ^ bytes[k], 0x5bd1e995)
        }
        seen.add((a >>> 0) * 0x200000 + ((b >>> 0) & 0x1fffff))
      }
    } else if (d.stride === 1 && values && ArrayBuffer.isView(values) && t !== Type.Decimal) {
      // One number per row (ints, floats, dates, timestamps): the value is its own key. Int64 is read as its
      // two 32-bit words into a double (no BigInt per value): exact below 2^53, beyond that neighbours may
      // share a key, which only nudges this estimate.
      if (values instanceof BigInt64Array || values instanceof BigUint64Array) {
        const words = new Uint32Array(values.buffer, values.byteOffset, values.length * 2)
        for (let i = 0; i < n; i += step) {
          if (valid && !valid(i)) continue
          count++
          seen.add(words[2 * i + 1] * 0x1_0000_0000 + words[2 * i])
        }
      } else {
        for (let i = 0; i < n; i += step) {
          if (valid && !valid(i)) continue
          count++
          seen.add(values[i])
        }
      }
    } else {
      const read = scalarReader(d)
      for (let i = 0; i < n; i += step) {
        const v = read(i)
        if (v === null) continue
        count++
        seen.add(scalarKey(v))
      }
    }
    if (count > 0 && seen.size * 2 > count) out.push(f.name)
  })
  return out
}
