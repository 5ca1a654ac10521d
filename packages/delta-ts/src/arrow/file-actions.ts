/**
 * The add actions of a checkpoint as Arrow columns (the `add` struct of each decoded checkpoint batch, or of
 * each V2 sidecar), with nothing materialized per row until asked for: paths are decoded once per batch (one
 * TextDecoder call over the whole column when it is ASCII), partition values are dictionary encoded per column,
 * stats are read from `stats` JSON or `stats_parsed` only for the columns a predicate needs, and a FileEntry or
 * add action is built only for the rows a caller reads. Replay (protocol/replay.ts `FileSet`) keeps a selection
 * vector of the live rows over it; pruning (protocol/pruning.ts `pruneColumns`) reads it through
 * {@link FileColumns}.
 *
 * This module is the Arrow data kernel layer: it touches Arrow buffers; `protocol/` must not.
 */
import { DataType as ArrowType, type Data, type Struct } from 'apache-arrow'
import { DeltaError } from '../errors.js'
import type { AddAction, DeletionVectorDescriptor, MetadataAction } from '../protocol/actions.js'
import { decodeActionPath } from '../protocol/actions.js'
import { type BaseFiles, type FileEntry, type FileStats, fileActionKey, parseStats } from '../protocol/file-entry.js'
import { parsePartitionValue } from '../protocol/partition-values.js'
import {
  type FileColumns,
  type NumericStats,
  numericStatsOf,
  type PruningContext,
  setNumericCounts,
  setNumericStatsRow,
  setNumericStatsScan,
} from '../protocol/pruning.js'
import { partitionKeys } from '../protocol/replay.js'
import { type DataType, findField, physicalName } from '../protocol/schema.js'
import { LeafScanner, StatsScanner } from '../protocol/stats-scan.js'
import { takeData } from './take.js'
import { dataToJs } from './to-js.js'

const utf8 = new TextDecoder()

/** One decoded checkpoint batch's `add` column and the rows of it that hold an add. */
interface Chunk {
  data: Data<Struct>
  /** Local row index of each add in `data`. */
  rows: Int32Array
  child: Map<string, Data>
  paths?: string[]
  dvs?: unknown[]
  /** `size` and `modificationTime` as doubles (0 where null), read once per chunk without a BigInt per row. */
  sizes?: Float64Array
  mtimes?: Float64Array
  /** The shared partitionValues object of each local row (see {@link PartitionDictionary}). */
  pvs?: Record<string, string | null>[]
}

/** An int64 (or int32) column as doubles, 0 where null: two 32-bit words per value, no BigInt per row. */
function doubles(data: Data | undefined, n: number): Float64Array {
  const out = new Float64Array(n)
  if (!data) return out
  const v = data.values as ArrayBufferView & { length: number }
  if (v instanceof BigInt64Array || v instanceof BigUint64Array) {
    const w = new Int32Array(v.buffer, v.byteOffset + data.offset * 8, n * 2)
    for (let i = 0; i < n; i++) out[i] = (w[2 * i] >>> 0) + w[2 * i + 1] * 4294967296
  } else {
    const a = v as unknown as ArrayLike<number>
    for (let i = 0; i < n; i++) out[i] = Number(a[data.offset + i])
  }
  if (data.nullCount > 0) for (let i = 0; i < n; i++) if (!isValid(data, i)) out[i] = 0
  return out
}

/** Row `i` of an int64 (or int32) column as a double, 0 where null (one value of {@link doubles}). */
function doubleAt(data: Data | undefined, i: number): number {
  if (!data || !isValid(data, i)) return 0
  const v = data.values as ArrayBufferView & { length: number }
  if (v instanceof BigInt64Array || v instanceof BigUint64Array) {
    const w = new Int32Array(v.buffer, v.byteOffset + (data.offset + i) * 8, 2)
    return (w[0] >>> 0) + w[1] * 4294967296
  }
  return Number((v as unknown as ArrayLike<number>)[data.offset + i])
}

/**
 * One shared partitionValues object per distinct map of a checkpoint's rows (a table has few partitions and
 * a million files; an object, and two strings, per file were a large part of load time, GC and memory). Maps
 * are hashed and compared on their UTF-8 bytes, so no string is decoded for a map seen before.
 */
class PartitionDictionary {
  readonly #byHash = new Map<number, { bytes: Uint8Array; value: Record<string, string | null> }[]>()
  #scratch = new Uint8Array(256)

  /** The object of row `i` of map column `map` (entries: key / value Utf8 children). */
  of(map: Data, i: number): Record<string, string | null> {
    const offsets = map.valueOffsets as Int32Array
    const entries = map.children[0]
    const keys = entries.children[0]
    const vals = entries.children[1]
    const from = offsets[i]
    const to = offsets[i + 1]
    if (from === to) return EMPTY_PARTITION
    // The map serialized as bytes: per entry, key length (2 bytes), key, a null flag, value length, value.
    // Lengths are only separators here (a long key wraps, the bytes after it still differ).
    let len = 0
    const ko = keys.valueOffsets as Int32Array
    const kb = keys.values as Uint8Array
    const vo = vals.valueOffsets as Int32Array
    const vb = vals.values as Uint8Array
    for (let k = from; k < to; k++) len += 6 + (ko[k + 1] - ko[k]) + (isValid(vals, k) ? vo[k + 1] - vo[k] : 0)
    if (this.#scratch.length < len) this.#scratch = new Uint8Array(len * 2)
    const buf = this.#scratch
    let p = 0
    for (let k = from; k < to; k++) {
      const ka = ko[k]
      const kz = ko[k + 1]
      buf[p++] = kz - ka
      buf[p++] = (kz - ka) >> 8
      for (let q = ka; q < kz; q++) buf[p++] = kb[q]
      if (isValid(vals, k)) {
        const va = vo[k]
        const vz = vo[k + 1]
        buf[p++] = 1
        buf[p++] = vz - va
        buf[p++] = (vz - va) >> 8
        for (let q = va; q < vz; q++) buf[p++] = vb[q]
      } else buf[p++] = 0
    }
    len = p
    let h = 0x811c9dc5
    for (let q = 0; q < len; q++) h = Math.imul(h ^ buf[q], 0x01000193)
    let bucket = this.#byHash.get(h)
    if (bucket) {
      for (const c of bucket) {
        if (c.bytes.length !== len) continue
        let same = true
        for (let q = 0; q < len && same; q++) same = c.bytes[q] === buf[q]
        if (same) return c.value
      }
    } else {
      bucket = []
      this.#byHash.set(h, bucket)
    }
    const value: Record<string, string | null> = {}
    for (let k = from; k < to; k++) {
      const key = utf8.decode(kb.subarray(ko[k], ko[k + 1]))
      value[key] = isValid(vals, k) ? utf8.decode(vb.subarray(vo[k], vo[k + 1])) : null
    }
    bucket.push({ bytes: buf.slice(0, len), value })
    return value
  }
}

const EMPTY_PARTITION: Record<string, string | null> = Object.freeze({}) as Record<string, string | null>

function childMap(data: Data): Map<string, Data> {
  const m = new Map<string, Data>()
  const fields = (data.type as Struct).children
  for (let i = 0; i < fields.length; i++) m.set(fields[i].name, data.children[i])
  return m
}

function isValid(data: Data, i: number): boolean {
  const bits = data.nullBitmap
  if (!bits || bits.length === 0) return true
  const p = data.offset + i
  return ((bits[p >> 3] >> (p & 7)) & 1) === 1
}

/**
 * Strings of a Utf8 column. When the whole value buffer is ASCII, one decode of the buffer and a slice per
 * value (byte offsets are then character offsets); otherwise one decode per value. Nulls read as undefined.
 */
export function utf8Column(data: Data): (string | undefined)[] {
  const n = data.length
  const out = new Array<string | undefined>(n)
  if (n === 0) return out
  const offsets = data.valueOffsets as Int32Array
  const bytes = data.values as Uint8Array
  const start = offsets[0]
  const end = offsets[n]
  const all = utf8.decode(bytes.subarray(start, end))
  const ascii = all.length === end - start
  for (let i = 0; i < n; i++) {
    if (!isValid(data, i)) continue
    out[i] = ascii
      ? all.slice(offsets[i] - start, offsets[i + 1] - start)
      : utf8.decode(bytes.subarray(offsets[i], offsets[i + 1]))
  }
  return out
}

/** The FileEntry of a checkpoint row: stats and the add action are built on first access. */
class CheckpointFileEntry implements FileEntry {
  readonly path: string
  readonly partitionValues: Record<string, string | null>
  readonly size: number
  readonly modificationTime: number
  readonly deletionVector: DeletionVectorDescriptor | undefined
  readonly #files: CheckpointFiles
  readonly #row: number
  #stats?: FileStats | null
  #add?: AddAction

  constructor(
    files: CheckpointFiles,
    row: number,
    path: string,
    partitionValues: Record<string, string | null>,
    size: number,
    modificationTime: number,
    deletionVector: DeletionVectorDescriptor | undefined,
  ) {
    this.#files = files
    this.#row = row
    this.path = path
    this.partitionValues = partitionValues
    this.size = size
    this.modificationTime = modificationTime
    this.deletionVector = deletionVector
  }

  get stats(): FileStats | undefined {
    if (this.#stats === undefined) this.#stats = this.#files.stats(this.#row) ?? null
    return this.#stats ?? undefined
  }

  get add(): AddAction {
    this.#add ??= this.#files.add(this.#row)
    return this.#add
  }

  toJSON(): FileEntry {
    return { ...this, stats: this.stats, add: this.add }
  }
}

/**
 * The add actions of one checkpoint (all its parts and sidecars), columnar. Immutable once built; every
 * snapshot over this checkpoint shares it (and its lazily built key index and column caches).
 */
export class CheckpointFiles implements BaseFiles {
  readonly length: number
  readonly #chunks: Chunk[]
  /** Chunk of each row, and the row within the chunk's data. */
  readonly #chunkOf: Uint16Array | Uint32Array
  readonly #local: Int32Array
  #index?: Map<string, number>
  readonly #entries: (FileEntry | undefined)[]
  readonly #columns = new Map<string, FileColumns>()
  #pvDict?: PartitionDictionary

  /**
   * @param adds the `add` struct column of each decoded checkpoint batch (rows without an add are skipped:
   *   their `add.path` is null).
   * @throws DeltaError `INVALID_LOG` when an `add` column is not a struct with a string `path`.
   */
  constructor(adds: readonly Data[], where: string) {
    const chunks: Chunk[] = []
    let total = 0
    for (const data of adds) {
      const child = childMap(data)
      const path = child.get('path')
      if (!path || path.valueOffsets === undefined)
        throw new DeltaError('INVALID_LOG', `${where}: add column without a string path`)
      const rows: number[] = []
      for (let i = 0; i < data.length; i++) if (isValid(data, i) && isValid(path, i)) rows.push(i)
      if (rows.length === 0) continue
      chunks.push({ data: data as Data<Struct>, rows: Int32Array.from(rows), child })
      total += rows.length
    }
    this.#chunks = chunks
    this.length = total
    this.#chunkOf = chunks.length < 65536 ? new Uint16Array(total) : new Uint32Array(total)
    this.#local = new Int32Array(total)
    let r = 0
    chunks.forEach((c, k) => {
      for (let j = 0; j < c.rows.length; j++, r++) {
        this.#chunkOf[r] = k
        this.#local[r] = c.rows[j]
      }
    })
    this.#entries = new Array(total)
  }

  /** `add.path` as written in the log (percent-encoded). */
  rawPath(row: number): string {
    const c = this.#chunks[this.#chunkOf[row]]
    return this.#paths(c)[this.#local[row]]
  }

  #paths(c: Chunk): string[] {
    c.paths ??= utf8Column(c.child.get('path') as Data) as string[]
    return c.paths
  }

  #dvs(c: Chunk): unknown[] | undefined {
    if (c.dvs) return c.dvs
    const dv = c.child.get('deletionVector')
    if (!dv || dv.nullCount === dv.length) return undefined
    c.dvs = dataToJs(dv)
    return c.dvs
  }

  deletionVector(row: number): DeletionVectorDescriptor | undefined {
    const c = this.#chunks[this.#chunkOf[row]]
    return (this.#dvs(c)?.[this.#local[row]] ?? undefined) as DeletionVectorDescriptor | undefined
  }

  size(row: number): number {
    const c = this.#chunks[this.#chunkOf[row]]
    c.sizes ??= doubles(c.child.get('size'), c.data.length)
    return c.sizes[this.#local[row]]
  }

  modificationTime(row: number): number {
    const c = this.#chunks[this.#chunkOf[row]]
    c.mtimes ??= doubles(c.child.get('modificationTime'), c.data.length)
    return c.mtimes[this.#local[row]]
  }

  /**
   * The partition values of a row. Rows with the same partition values share one object (see
   * {@link PartitionDictionary}): callers must treat it as read-only, as FileEntry documents.
   */
  partitionValues(row: number): Record<string, string | null> {
    const c = this.#chunks[this.#chunkOf[row]]
    return this.#pvs(c)[this.#local[row]]
  }

  #pvs(c: Chunk): Record<string, string | null>[] {
    if (c.pvs) return c.pvs
    const n = c.data.length
    const out = new Array<Record<string, string | null>>(n)
    const map = c.child.get('partitionValues')
    if (!map || map.valueOffsets === undefined || !map.children[0]) out.fill(EMPTY_PARTITION)
    else {
      this.#pvDict ??= new PartitionDictionary()
      for (let j = 0; j < c.rows.length; j++) {
        const i = c.rows[j]
        out[i] = isValid(map, i) ? this.#pvDict.of(map, i) : EMPTY_PARTITION
      }
    }
    c.pvs = out
    return out
  }

  /** The partition values of local row `i` of `c`, from the shared dictionary, without decoding the chunk's. */
  #pvOf(c: Chunk, i: number): Record<string, string | null> {
    const map = c.child.get('partitionValues')
    if (!map || map.valueOffsets === undefined || !map.children[0] || !isValid(map, i)) return EMPTY_PARTITION
    this.#pvDict ??= new PartitionDictionary()
    return this.#pvDict.of(map, i)
  }

  /** The `stats` JSON of a row, when the checkpoint has it. */
  statsJson(row: number): string | undefined {
    const c = this.#chunks[this.#chunkOf[row]]
    const i = this.#local[row]
    const s = c.child.get('stats')
    return s ? stringAt(s, i) : undefined
  }

  #statsParsed(row: number): Record<string, unknown> | undefined {
    const c = this.#chunks[this.#chunkOf[row]]
    const i = this.#local[row]
    const sp = c.child.get('stats_parsed')
    if (!sp || sp.nullCount === sp.length) return undefined
    if (!isValid(sp, i)) return undefined
    return dataToJs(sp.slice(i, 1))[0] as Record<string, unknown>
  }

  /** Parsed stats of a row: the JSON when present, else `stats_parsed`. */
  stats(row: number): FileStats | undefined {
    return parseStats(this.statsJson(row), this.#statsParsed(row))
  }

  /** The whole add action of a row, converted from its Arrow row. */
  add(row: number): AddAction {
    const c = this.#chunks[this.#chunkOf[row]]
    const i = this.#local[row]
    const add = dataToJs(c.data.slice(i, 1))[0] as AddAction
    return add
  }

  /**
   * The `add` struct data of the live rows (`selection[row] === 1`; every row when undefined), one Data per
   * decoded batch, gathered buffer by buffer with {@link takeData}: what a checkpoint writer copies without
   * building an object per add. A batch whose rows are all live adds is returned as is.
   */
  liveAddData(selection?: Uint8Array): Data[] {
    const out: Data[] = []
    let row = 0
    for (const c of this.#chunks) {
      const local: number[] = []
      for (let j = 0; j < c.rows.length; j++, row++) if (!selection || selection[row] === 1) local.push(c.rows[j])
      if (local.length === 0) continue
      out.push(local.length === c.data.length ? c.data : takeData(c.data, Int32Array.from(local)))
    }
    return out
  }

  *allAdds(): IterableIterator<AddAction> {
    for (const c of this.#chunks) {
      const values = dataToJs(c.data)
      for (let j = 0; j < c.rows.length; j++) yield values[c.rows[j]] as AddAction
    }
  }

  key(row: number): string {
    const raw = this.rawPath(row)
    return fileActionKey(raw.includes('%') ? decodeActionPath(raw) : raw, this.deletionVector(row))
  }

  indexOf(key: string): number {
    if (!this.#index) {
      const index = new Map<string, number>()
      for (let row = 0; row < this.length; row++) index.set(this.key(row), row)
      this.#index = index
    }
    return this.#index.get(key) ?? -1
  }

  entry(row: number): FileEntry {
    let e = this.#entries[row]
    if (!e) {
      const c = this.#chunks[this.#chunkOf[row]]
      e = this.#makeEntry(c, row, this.#local[row], false)
      this.#entries[row] = e
    }
    return e
  }

  /**
   * The FileEntry of local row `i` of chunk `c`. `bulk` (listing every row) decodes the chunk's paths and
   * partition values at once; otherwise (the few rows a query keeps) just this row's, so that a query keeping a
   * thousand files spread over every chunk does not decode a million paths.
   */
  #makeEntry(c: Chunk, row: number, i: number, bulk: boolean): FileEntry {
    const raw = bulk || c.paths ? this.#paths(c)[i] : (stringAt(c.child.get('path') as Data, i) as string)
    if (bulk) {
      c.sizes ??= doubles(c.child.get('size'), c.data.length)
      c.mtimes ??= doubles(c.child.get('modificationTime'), c.data.length)
    }
    return new CheckpointFileEntry(
      this,
      row,
      raw.includes('%') ? decodeActionPath(raw) : raw,
      bulk || c.pvs ? this.#pvs(c)[i] : this.#pvOf(c, i),
      c.sizes ? c.sizes[i] : doubleAt(c.child.get('size'), i),
      c.mtimes ? c.mtimes[i] : doubleAt(c.child.get('modificationTime'), i),
      (this.#dvs(c)?.[i] ?? undefined) as DeletionVectorDescriptor | undefined,
    )
  }

  /**
   * Appends the FileEntry of every live row (`selection[row] === 1`; every row when undefined) to `out`, in
   * row order, a chunk at a time (what `snapshot.files()` lists).
   */
  liveEntries(selection: Uint8Array | undefined, out: FileEntry[]): void {
    let row = 0
    for (const c of this.#chunks) {
      for (let j = 0; j < c.rows.length; j++, row++) {
        if (selection && selection[row] !== 1) continue
        let e = this.#entries[row]
        if (!e) {
          e = this.#makeEntry(c, row, c.rows[j], true)
          this.#entries[row] = e
        }
        out.push(e)
      }
    }
  }

  /**
   * Checks that every add carries a value (possibly null) for every partition column of `metadata`, as
   * protocol/replay.ts `checkPartitionValues` does for one add, on the map columns.
   *
   * @throws DeltaError `INVALID_LOG` naming the file, the column and `where`.
   */
  checkPartitionValues(metadata: MetadataAction | undefined, where: string): void {
    if (!metadata?.partitionColumns || metadata.partitionColumns.length === 0) return
    const wanted = partitionKeys(metadata).map(({ column, keys }) => ({
      column,
      keys: keys.map((k) => new TextEncoder().encode(k)),
    }))
    let row = 0
    for (const c of this.#chunks) {
      const map = c.child.get('partitionValues')
      const hasMap = map !== undefined && map.valueOffsets !== undefined && map.children[0] !== undefined
      const offsets = hasMap ? (map.valueOffsets as Int32Array) : undefined
      const keyData = hasMap ? map.children[0].children[0] : undefined
      const ko = keyData?.valueOffsets as Int32Array | undefined
      const kb = keyData?.values as Uint8Array | undefined
      const isKey = (k: number, name: Uint8Array) => {
        if (!ko || !kb || !isValid(keyData as Data, k)) return false
        const a = ko[k]
        if (ko[k + 1] - a !== name.length) return false
        for (let q = 0; q < name.length; q++) if (kb[a + q] !== name[q]) return false
        return true
      }
      for (let j = 0; j < c.rows.length; j++, row++) {
        const i = c.rows[j]
        let from = 0
        let to = 0
        if (offsets && isValid(map as Data, i)) {
          from = offsets[i]
          to = offsets[i + 1]
        }
        for (const { column, keys: names } of wanted) {
          let found = false
          for (let k = from; k < to && !found; k++) for (const name of names) if (isKey(k, name)) found = true
          if (found) continue
          const has = keyData ? utf8Column(keyData).slice(from, to) : []
          throw new DeltaError(
            'INVALID_LOG',
            `${where}: add of ${this.rawPath(row)} has no value for partition column '${column}' (partitionValues keys: ${has.length > 0 ? has.join(', ') : 'none'})`,
          )
        }
      }
    }
  }

  /** The rows as {@link FileColumns} for pruning (one object per table layout, so its caches are reused). */
  columns(ctx: PruningContext): FileColumns {
    const key = `${ctx.columnMappingMode}\u0000${ctx.partitionColumns.join('\u0000')}`
    let cols = this.#columns.get(key)
    if (!cols) {
      cols = this.#makeColumns(ctx)
      this.#columns.set(key, cols)
    }
    return cols
  }

  #makeColumns(ctx: PruningContext): FileColumns {
    const n = this.length
    const parts = new Map<string, { codes: Int32Array; values: (string | null)[] }>()
    let numRecords: unknown[] | undefined
    let one: StatsScanner | undefined
    const scanners = new Map<string, StatsScanner | TypedLeaf[] | null>()
    const self = this
    return {
      length: n,
      partitionColumn(column) {
        let p = parts.get(column)
        if (p) return p
        p = self.#typedPartitionColumn(ctx, column)
        if (p) {
          parts.set(column, p)
          return p
        }
        const names = partitionNames(ctx, column).map((k) => new TextEncoder().encode(k))
        const one = names.length === 1 ? names[0] : undefined
        const codes = new Int32Array(n).fill(-1)
        const dict = new ValueDictionary()
        let row = 0
        for (const c of self.#chunks) {
          const map = c.child.get('partitionValues')
          if (!map || map.valueOffsets === undefined || !map.children[0]) {
            row += c.rows.length
            continue
          }
          // Keys and values are matched and dictionary encoded on their UTF-8 bytes: a string is decoded
          // once per distinct value, not once per file.
          const offsets = map.valueOffsets as Int32Array
          const keys = map.children[0].children[0]
          const vals = map.children[0].children[1]
          const ko = keys.valueOffsets as Int32Array
          const kb = keys.values as Uint8Array
          const vo = vals.valueOffsets as Int32Array
          const vb = vals.values as Uint8Array
          const mapNulls = map.nullCount > 0
          const keyNulls = keys.nullCount > 0
          const valNulls = vals.nullCount > 0
          for (let j = 0; j < c.rows.length; j++, row++) {
            const i = c.rows[j]
            if (mapNulls && !isValid(map, i)) continue
            for (let k = offsets[i]; k < offsets[i + 1]; k++) {
              if (keyNulls && !isValid(keys, k)) continue
              if (one ? !bytesAre(kb, ko[k], ko[k + 1], one) : !bytesIsOneOf(kb, ko[k], ko[k + 1], names)) continue
              if (!valNulls || isValid(vals, k)) codes[row] = dict.code(vb, vo[k], vo[k + 1])
              break
            }
          }
        }
        const values = dict.values
        p = { codes, values }
        parts.set(column, p)
        return p
      },
      statsColumn(path, type) {
        const r = self.#readStats([path], numRecords === undefined, type)
        numRecords ??= r.numRecords
        return { min: r.min[0], max: r.max[0], nullCount: r.nullCount[0] }
      },
      numericStats(path, type, rows) {
        return self.#numericStats(path, type, rows)
      },
      numRecords() {
        numRecords ??= self.#readStats([], true).numRecords
        return numRecords
      },
      statsAt(path, type, row) {
        return self.#statsAt(path, type, row, scanners)
      },
      numRecordsAt(row) {
        if (numRecords !== undefined) return numRecords[row]
        const text = self.statsJson(row)
        if (text !== undefined && text.length > 0) {
          one ??= new StatsScanner([])
          return one.scan(text) ? one.numRecords : undefined
        }
        return self.#statsParsed(row)?.numRecords
      },
    }
  }

  /**
   * The raw stats of the leaf at `path` of one row, as `#readStats` reads them for every row: for the types
   * whose typed and JSON values read alike, the `stats_parsed` values when min, max and nullCount are there (or
   * the file is all nulls), else the stats JSON, else `stats_parsed`.
   */
  #statsAt(
    path: readonly string[],
    type: DataType,
    row: number,
    cache: Map<string, StatsScanner | TypedLeaf[] | null>,
  ): { min: unknown; max: unknown; nullCount: unknown } | undefined {
    const ci = this.#chunkOf[row]
    const c = this.#chunks[ci]
    const i = this.#local[row]
    const key = path.join('\u0000')
    if (typeof type === 'string' && TYPED_STATS_TYPES.has(type)) {
      // The typed leaves of this chunk (looked up once per chunk and leaf), read as typedStatsChunk reads them.
      const lk = `${ci}\u0001${key}`
      let leaves = cache.get(lk) as TypedLeaf[] | null | undefined
      if (leaves === undefined) {
        const sp = c.child.get('stats_parsed')
        const parsed = sp && sp.nullCount !== sp.length ? sp : undefined
        const mn = parsed && typedLeaf(parsed, ['minValues', ...path])
        const mx = parsed && typedLeaf(parsed, ['maxValues', ...path])
        const nc = parsed && typedLeaf(parsed, ['nullCount', ...path])
        const nr = parsed && typedLeaf(parsed, ['numRecords'])
        leaves = mn && mx && nc && nr ? [mn, mx, nc, nr] : null
        cache.set(lk, leaves)
      }
      if (leaves) {
        const lo = typedAt(leaves[0], i)
        const hi = typedAt(leaves[1], i)
        const nulls = typedAt(leaves[2], i)
        const count = typedAt(leaves[3], i)
        const allNull = typeof nulls === 'number' && typeof count === 'number' && nulls >= count
        if ((lo !== undefined && hi !== undefined && nulls !== undefined) || allNull || !c.child.get('stats'))
          return { min: lo, max: hi, nullCount: nulls }
      }
    }
    const text = this.statsJson(row)
    if (text !== undefined && text.length > 0) {
      let sc = cache.get(key) as StatsScanner | undefined
      if (!sc) {
        sc = new StatsScanner([path])
        cache.set(key, sc)
      }
      return sc.scan(text) ? { min: sc.min[0], max: sc.max[0], nullCount: sc.nullCount[0] } : undefined
    }
    const parsed = this.#statsParsed(row)
    if (!parsed) return undefined
    return {
      min: digValue(parsed.minValues, path),
      max: digValue(parsed.maxValues, path),
      nullCount: digValue(parsed.nullCount, path),
    }
  }

  /**
   * Partition column `column` dictionary encoded from the checkpoint's `partitionValues_parsed` (as delta-ts
   * and delta-rs write it), when every chunk has it for the column as a date or int32 / int16 / int8 column
   * matching the column's type: codes come from the typed values (no string per file), and each distinct value's
   * serialized string is read from the `partitionValues` map of its first row and checked to parse to the typed
   * value. Undefined (the caller reads the maps) when a chunk lacks the typed column or a check fails.
   */
  #typedPartitionColumn(
    ctx: PruningContext,
    column: string,
  ): { codes: Int32Array; values: (string | null)[] } | undefined {
    const field = findField(ctx.schema, column)
    const type = field?.type
    const want =
      type === 'date' ? 'date' : type === 'integer' ? 32 : type === 'short' ? 16 : type === 'byte' ? 8 : undefined
    if (!field || want === undefined || this.#chunks.length === 0) return undefined
    const names = partitionNames(ctx, column)
    const leaves: { values: Int32Array | Int16Array | Int8Array; levels: Data[] }[] = []
    for (const c of this.#chunks) {
      const pvp = c.child.get('partitionValues_parsed')
      if (!pvp || !ArrowType.isStruct(pvp.type)) return undefined
      const fields = (pvp.type as Struct).children
      const k = fields.findIndex((f) => names.includes(f.name))
      if (k < 0) return undefined
      const leaf = pvp.children[k]
      const t = leaf.type
      const ok =
        want === 'date'
          ? ArrowType.isDate(t) && t.unit === 0 // DateUnit.DAY
          : ArrowType.isInt(t) && t.isSigned && t.bitWidth === want
      const v = leaf.values
      if (!ok || !(v instanceof Int32Array || v instanceof Int16Array || v instanceof Int8Array)) return undefined
      const levels: Data[] = []
      if (pvp.nullCount > 0) levels.push(pvp)
      if (leaf.nullCount > 0) levels.push(leaf)
      leaves.push({ values: v, levels })
    }
    const n = this.length
    const codes = new Int32Array(n).fill(-1)
    const byValue = new Map<number, number>()
    const typedValues: number[] = []
    const firstRow: number[] = []
    let row = 0
    for (let ci = 0; ci < this.#chunks.length; ci++) {
      const rows = this.#chunks[ci].rows
      const { values, levels } = leaves[ci]
      let last = Number.NaN
      let lastCode = -1
      for (let j = 0; j < rows.length; j++, row++) {
        const i = rows[j]
        let valid = true
        for (const level of levels) if (!isValid(level, i)) valid = false
        if (!valid) continue
        const v = values[i]
        if (v === last) {
          codes[row] = lastCode
          continue
        }
        let code = byValue.get(v)
        if (code === undefined) {
          code = typedValues.length
          byValue.set(v, code)
          typedValues.push(v)
          firstRow.push(row)
        }
        codes[row] = code
        last = v
        lastCode = code
      }
    }
    // Each distinct value's string from its first row's map, which must parse to the typed value.
    const values: (string | null)[] = []
    for (let code = 0; code < typedValues.length; code++) {
      const r = firstRow[code]
      const raw = partitionValueOf(this.#pvOf(this.#chunks[this.#chunkOf[r]], this.#local[r]), names)
      if (typeof raw !== 'string') return undefined
      let parsed: unknown
      try {
        parsed = parsePartitionValue(raw, type as DataType)
      } catch {
        return undefined
      }
      if (parsed !== typedValues[code]) return undefined
      values.push(raw)
    }
    return { codes, values }
  }

  /**
   * The stats of the numeric leaf at `path` as typed columns (see protocol/pruning.ts `NumericStats`), for every
   * row or the rows `rows` selects: from the `stats_parsed` leaf buffers when the chunk has them as int / float
   * columns and the type reads alike typed and as JSON (a row whose typed min, max or nullCount is null while
   * the file is not all nulls reads its JSON text), else from the stats JSON with the targeted
   * {@link LeafScanner}, else from the converted `stats_parsed` leaves.
   */
  #numericStats(path: readonly string[], type: string, rows?: Uint8Array): NumericStats {
    const out = numericStatsOf(this.length)
    const scanner = new LeafScanner(path)
    const typedType = TYPED_STATS_TYPES.has(type)
    const intType = type === 'long' || type === 'integer' || type === 'short' || type === 'byte'
    const float = type === 'float'
    let row0 = 0
    for (const c of this.#chunks) {
      const statsData = c.child.get('stats')
      const sp = c.child.get('stats_parsed')
      const parsed = sp && sp.nullCount !== sp.length ? sp : undefined
      const local = c.rows
      const from = row0
      row0 += local.length
      const mn = typedType && parsed ? typedLeaf(parsed, ['minValues', ...path]) : undefined
      const mx = mn && parsed ? typedLeaf(parsed, ['maxValues', ...path]) : undefined
      const nc = mx && parsed ? typedLeaf(parsed, ['nullCount', ...path]) : undefined
      const nr = nc && parsed ? typedLeaf(parsed, ['numRecords']) : undefined
      if (mn && mx && nc && nr && !rows && fastLeaf(mn) && fastLeaf(mx) && fastLeaf(nc) && fastLeaf(nr) && !float) {
        // No nulls anywhere on the leaves' paths and int64 / double leaves: straight from the buffers.
        typedChunk(mn, mx, nc, nr, local, from, out, intType)
        continue
      }
      if (mn && mx && nc && nr) {
        for (let j = 0; j < local.length; j++) {
          const row = from + j
          if (rows && rows[row] !== 1) continue
          const i = local[j]
          const lo = typedNumber(mn, i)
          const hi = typedNumber(mx, i)
          const nulls = typedNumber(nc, i)
          const count = typedNumber(nr, i)
          const allNull = nulls !== NULL && count !== NULL && nulls >= count
          if ((lo === NULL || hi === NULL || nulls === NULL) && !allNull && statsData !== undefined) {
            const text = stringAt(statsData, i)
            if (text !== undefined && text.length > 0) {
              setNumericStatsScan(out, row, type, scanner, text)
              continue
            }
          }
          // NaN here is a null or an int64 beyond 2^53 (pruning ignores both); a float leaf's NaN is a value.
          const loOk = lo !== NULL && (mn.float || !Number.isNaN(lo)) && (!intType || Number.isSafeInteger(lo))
          const hiOk = hi !== NULL && (mx.float || !Number.isNaN(hi)) && (!intType || Number.isSafeInteger(hi))
          out.minKnown[row] = loOk ? 1 : 0
          out.min[row] = loOk ? (float ? Math.fround(lo) : lo) : 0
          out.maxKnown[row] = hiOk ? 1 : 0
          out.max[row] = hiOk ? (float ? Math.fround(hi) : hi) : 0
          setNumericCounts(out, row, nulls === NULL ? Number.NaN : nulls, count === NULL ? Number.NaN : count)
        }
        continue
      }
      let leaves: { min: unknown[]; max: unknown[]; nullCount: unknown[]; numRecords: unknown[] } | undefined
      const texts = statsData && !rows ? utf8Column(statsData) : undefined
      for (let j = 0; j < local.length; j++) {
        const row = from + j
        if (rows && rows[row] !== 1) continue
        const i = local[j]
        const text = texts ? texts[i] : statsData ? stringAt(statsData, i) : undefined
        if (text !== undefined && text.length > 0) setNumericStatsScan(out, row, type, scanner, text)
        else if (parsed && isValid(parsed, i)) {
          leaves ??= {
            min: structLeaf(parsed, ['minValues', ...path]),
            max: structLeaf(parsed, ['maxValues', ...path]),
            nullCount: structLeaf(parsed, ['nullCount', ...path]),
            numRecords: structLeaf(parsed, ['numRecords']),
          }
          setNumericStatsRow(out, row, type, leaves.min[i], leaves.max[i], leaves.nullCount[i], leaves.numRecords[i])
        }
      }
    }
    return out
  }

  /**
   * The stats of the leaves at `paths` (physical names) and numRecords for every row, in the raw form
   * parseStats would give them: from the `stats` JSON with a targeted scanner (no object per file), else from
   * `stats_parsed`, read leaf column by leaf column.
   */
  #readStats(
    paths: readonly (readonly string[])[],
    withNumRecords: boolean,
    type?: DataType,
  ): { min: unknown[][]; max: unknown[][]; nullCount: unknown[][]; numRecords: unknown[] } {
    const n = this.length
    const make = () => paths.map(() => new Array<unknown>(n))
    const min = make()
    const max = make()
    const nullCount = make()
    const numRecords = new Array<unknown>(withNumRecords ? n : 0)
    const scanner = new StatsScanner(paths)
    const typed = paths.length === 1 && typeof type === 'string' && TYPED_STATS_TYPES.has(type)
    let row = 0
    for (const c of this.#chunks) {
      const statsData = c.child.get('stats')
      const sp = c.child.get('stats_parsed')
      const parsed = sp && sp.nullCount !== sp.length ? sp : undefined
      if (typed && parsed) {
        const out = {
          min: min[0],
          max: max[0],
          nullCount: nullCount[0],
          numRecords: withNumRecords ? numRecords : undefined,
        }
        if (typedStatsChunk(c, parsed, paths[0], statsData, scanner, out, row)) {
          row += c.rows.length
          continue
        }
      }
      const texts = statsData ? utf8Column(statsData) : undefined
      let leaves: { min: unknown[]; max: unknown[]; nullCount: unknown[] }[] | undefined
      let nr: unknown[] | undefined
      for (let j = 0; j < c.rows.length; j++, row++) {
        const i = c.rows[j]
        const text = texts?.[i]
        if (text !== undefined && text.length > 0) {
          if (!scanner.scan(text)) continue
          for (let k = 0; k < paths.length; k++) {
            min[k][row] = scanner.min[k]
            max[k][row] = scanner.max[k]
            nullCount[k][row] = scanner.nullCount[k]
          }
          if (withNumRecords) numRecords[row] = scanner.numRecords
        } else if (parsed && isValid(parsed, i)) {
          leaves ??= paths.map((path) => ({
            min: structLeaf(parsed, ['minValues', ...path]),
            max: structLeaf(parsed, ['maxValues', ...path]),
            nullCount: structLeaf(parsed, ['nullCount', ...path]),
          }))
          for (let k = 0; k < paths.length; k++) {
            min[k][row] = leaves[k].min[i]
            max[k][row] = leaves[k].max[i]
            nullCount[k][row] = leaves[k].nullCount[i]
          }
          if (withNumRecords) {
            nr ??= structLeaf(parsed, ['numRecords'])
            numRecords[row] = nr[i]
          }
        }
      }
    }
    return { min, max, nullCount, numRecords }
  }
}

/** The value at `path` under `obj` (a converted stats_parsed section), undefined when absent. */
function digValue(obj: unknown, path: readonly string[]): unknown {
  let cur = obj
  for (const p of path) {
    if (cur === null || typeof cur !== 'object') return undefined
    cur = (cur as Record<string, unknown>)[p]
  }
  return cur
}

/** The value of the first of `names` present in `pv` (undefined when none is). */
function partitionValueOf(pv: Record<string, string | null>, names: readonly string[]): string | null | undefined {
  for (const k of names) if (Object.hasOwn(pv, k)) return pv[k]
  return undefined
}

/** Whether bytes `a`..`z` of `b` are `name`. */
function bytesAre(b: Uint8Array, a: number, z: number, name: Uint8Array): boolean {
  const len = z - a
  if (name.length !== len) return false
  for (let q = 0; q < len; q++) if (b[a + q] !== name[q]) return false
  return true
}

/** Whether bytes `a`..`z` of `b` equal one of `names`. */
function bytesIsOneOf(b: Uint8Array, a: number, z: number, names: readonly Uint8Array[]): boolean {
  const len = z - a
  for (const name of names) {
    if (name.length !== len) continue
    let q = 0
    while (q < len && b[a + q] === name[q]) q++
    if (q === len) return true
  }
  return false
}

/**
 * Strings dictionary encoded by their UTF-8 bytes (FNV-1a hash into an open-addressing table, then a byte
 * comparison), each decoded once.
 */
class ValueDictionary {
  readonly values: string[] = []
  readonly #bytes: Uint8Array[] = []
  #hashes = new Int32Array(64)
  /** code + 1 per slot; 0 is empty. */
  #slots = new Int32Array(64)

  /** The code of the string whose bytes are `a`..`z` of `b`. */
  code(b: Uint8Array, a: number, z: number): number {
    let h = 0x811c9dc5
    for (let q = a; q < z; q++) h = Math.imul(h ^ b[q], 0x01000193)
    const len = z - a
    const slots = this.#slots
    const mask = slots.length - 1
    for (let k = h & mask; ; k = (k + 1) & mask) {
      const s = slots[k]
      if (s === 0) break
      if (this.#hashes[k] !== h) continue
      const have = this.#bytes[s - 1]
      if (have.length !== len) continue
      let q = 0
      while (q < len && have[q] === b[a + q]) q++
      if (q === len) return s - 1
    }
    const code = this.values.length
    const bytes = b.slice(a, z)
    this.#bytes.push(bytes)
    this.values.push(utf8.decode(bytes))
    this.#insert(h, code)
    if (this.values.length * 2 > slots.length) this.#grow()
    return code
  }

  #insert(h: number, code: number): void {
    const slots = this.#slots
    const mask = slots.length - 1
    let k = h & mask
    while (slots[k] !== 0) k = (k + 1) & mask
    slots[k] = code + 1
    this.#hashes[k] = h
  }

  #grow(): void {
    const slots = this.#slots
    const hashes = this.#hashes
    this.#slots = new Int32Array(slots.length * 2)
    this.#hashes = new Int32Array(slots.length * 2)
    for (let k = 0; k < slots.length; k++) if (slots[k] !== 0) this.#insert(hashes[k], slots[k] - 1)
  }
}

/** The keys partition column `column` may have in partitionValues: its logical and physical names. */
function partitionNames(ctx: PruningContext, column: string): string[] {
  const field = findField(ctx.schema, column)
  return field ? [...new Set([column, field.name, physicalName(field, ctx.columnMappingMode)])] : [column]
}

function stringAt(data: Data, i: number): string | undefined {
  if (!isValid(data, i)) return undefined
  const offsets = data.valueOffsets as Int32Array
  return utf8.decode((data.values as Uint8Array).subarray(offsets[i], offsets[i + 1]))
}

/**
 * The values of the struct leaf at `path` under `data` (a `stats_parsed` column), indexed like `data`; a row
 * where the leaf or any struct above it is null or missing reads as undefined, as a property walk over the
 * row's converted object would.
 */
function structLeaf(data: Data, path: readonly string[]): unknown[] {
  const levels: Data[] = [data]
  let cur = data
  for (const name of path) {
    const fields = (cur.type as Struct).children
    const k = fields ? fields.findIndex((f) => f.name === name) : -1
    if (k < 0) return new Array(data.length)
    cur = cur.children[k]
    levels.push(cur)
  }
  const values = dataToJs(cur)
  for (let i = 0; i < data.length; i++) {
    for (const level of levels)
      if (!isValid(level, i)) {
        values[i] = undefined
        break
      }
  }
  return values
}

/**
 * Column types whose stats read from `stats_parsed` give the values the JSON gives (JS numbers; a long beyond
 * 2^53 as a bigint, which pruning ignores as the inexact JSON double is ignored), so that a checkpoint's typed
 * stats can replace its stats JSON for them. Dates, timestamps, decimals and strings keep the JSON, whose
 * forms pruning's rules are written against.
 */
const TYPED_STATS_TYPES = new Set(['long', 'integer', 'short', 'byte', 'float', 'double'])

/** A numeric leaf of a `stats_parsed` struct: its values and the struct levels whose validity it needs. */
interface TypedLeaf {
  levels: Data[]
  /** Int32 view of an Int64 column (two words per value), or the values of a 32-bit-or-smaller / float column. */
  words?: Int32Array
  values?: ArrayLike<number>
  big?: BigInt64Array | BigUint64Array
  /** A float column (its NaN is a value, not a marker). */
  float?: boolean
}

/** The numeric leaf at `path` under `data` (a `stats_parsed` column), or undefined when it is absent or not an int / float column. */
function typedLeaf(data: Data, path: readonly string[]): TypedLeaf | undefined {
  const levels: Data[] = []
  let cur = data
  for (const name of path) {
    if (!ArrowType.isStruct(cur.type)) return undefined
    const fields = (cur.type as Struct).children
    const k = fields.findIndex((f) => f.name === name)
    if (k < 0) return undefined
    if (cur.nullCount > 0) levels.push(cur)
    cur = cur.children[k]
  }
  if (cur.nullCount > 0) levels.push(cur)
  const t = cur.type
  const v = cur.values as ArrayLike<number> | BigInt64Array | BigUint64Array | undefined
  if (!v) return undefined
  if (ArrowType.isInt(t)) {
    if (t.bitWidth === 64) {
      const big = v as BigInt64Array | BigUint64Array
      const words = new Int32Array(big.buffer, big.byteOffset, cur.length * 2)
      return { levels, words, big: t.isSigned ? (big as BigInt64Array) : undefined }
    }
    return { levels, values: v as ArrayLike<number> }
  }
  if (ArrowType.isFloat(t) && (v instanceof Float32Array || v instanceof Float64Array))
    return { levels, values: v, float: true }
  return undefined
}

/** A typed leaf without nulls on its path, whose values are int64 words or doubles. */
function fastLeaf(leaf: TypedLeaf): boolean {
  return (
    leaf.levels.length === 0 &&
    ((leaf.words !== undefined && leaf.big !== undefined) || leaf.values instanceof Float64Array)
  )
}

/** A {@link fastLeaf}'s value at `i` as a double: NaN for an int64 beyond 2^53. */
function fastAt(leaf: TypedLeaf, i: number): number {
  const v = leaf.values
  if (v !== undefined) return v[i]
  const w = leaf.words as Int32Array
  const d = w[2 * i + 1] * 4294967296 + (w[2 * i] >>> 0)
  return Number.isSafeInteger(d) ? d : Number.NaN
}

/**
 * One chunk of {@link CheckpointFiles} numeric stats from {@link fastLeaf} leaves (no nulls: no row falls back
 * to its JSON): the typed loop of `#numericStats` without validity tests.
 */
function typedChunk(
  mn: TypedLeaf,
  mx: TypedLeaf,
  nc: TypedLeaf,
  nr: TypedLeaf,
  local: Int32Array,
  from: number,
  out: NumericStats,
  intType: boolean,
): void {
  const { min, max, minKnown, maxKnown, mayNull, mayNonNull, empty } = out
  const minFloat = mn.float === true
  const maxFloat = mx.float === true
  for (let j = 0; j < local.length; j++) {
    const row = from + j
    const i = local[j]
    const lo = fastAt(mn, i)
    const hi = fastAt(mx, i)
    // An int leaf's NaN is an int64 beyond 2^53; a float leaf's NaN is a value (for the float types).
    const loOk = (minFloat || !Number.isNaN(lo)) && (!intType || Number.isSafeInteger(lo))
    const hiOk = (maxFloat || !Number.isNaN(hi)) && (!intType || Number.isSafeInteger(hi))
    minKnown[row] = loOk ? 1 : 0
    min[row] = loOk ? lo : 0
    maxKnown[row] = hiOk ? 1 : 0
    max[row] = hiOk ? hi : 0
    // setNumericCounts, inline: NaN (an int64 beyond 2^53) is unknown.
    const nulls = fastAt(nc, i)
    const count = fastAt(nr, i)
    mayNull[row] = nulls > 0 || Number.isNaN(nulls) ? 1 : 0
    mayNonNull[row] = nulls >= count ? 0 : 1
    empty[row] = count === 0 ? 1 : 0
  }
}

/** What {@link typedNumber} returns for a null value (a distinct NaN test is not needed: see there). */
const NULL = Number.NEGATIVE_INFINITY

/**
 * Row `i` of a typed leaf as a double: {@link NULL} (-Infinity) when it or a struct above it is null, NaN for an
 * int64 beyond 2^53 (not exact in a double). An integer leaf never holds -Infinity, and a float leaf's
 * -Infinity reads as null: a lost -Infinity bound only keeps more files.
 */
function typedNumber(leaf: TypedLeaf, i: number): number {
  for (const level of leaf.levels) if (!isValid(level, i)) return NULL
  if (leaf.values) return leaf.values[i]
  const w = leaf.words as Int32Array
  const lo = w[2 * i] >>> 0
  const hi = w[2 * i + 1]
  const d = leaf.big === undefined ? (hi >>> 0) * 4294967296 + lo : hi * 4294967296 + lo
  return Number.isSafeInteger(d) ? d : Number.NaN
}

/**
 * Row `i` of a typed leaf as pruning's raw stats value: a number, a bigint for an int64 beyond 2^53
 * (pruning then ignores it), undefined when null.
 */
function typedAt(leaf: TypedLeaf, i: number): unknown {
  for (const level of leaf.levels) if (!isValid(level, i)) return undefined
  if (leaf.values) return leaf.values[i]
  const w = leaf.words as Int32Array
  const lo = w[2 * i] >>> 0
  const hi = w[2 * i + 1]
  if (leaf.big === undefined) {
    // Unsigned int64: the high word reads as unsigned.
    const d = (hi >>> 0) * 4294967296 + lo
    return Number.isSafeInteger(d) ? d : undefined
  }
  const d = hi * 4294967296 + lo
  return Number.isSafeInteger(d) ? d : leaf.big[i]
}

/**
 * Reads the stats of the numeric leaf at `path` for one checkpoint chunk from its `stats_parsed` columns into
 * `out` (rows from `row0`), without touching the stats JSON, and returns true; returns false (nothing
 * written) when the struct lacks the leaf's min, max, nullCount or numRecords as int / float columns, so that
 * the caller reads the JSON. A row whose typed min, max or nullCount is null while the file is not all nulls
 * (a file whose typed stats are missing, or partial) is read from its JSON text when it has one.
 */
function typedStatsChunk(
  c: Chunk,
  parsed: Data,
  path: readonly string[],
  statsData: Data | undefined,
  scanner: StatsScanner,
  out: { min: unknown[]; max: unknown[]; nullCount: unknown[]; numRecords: unknown[] | undefined },
  row0: number,
): boolean {
  const mn = typedLeaf(parsed, ['minValues', ...path])
  const mx = typedLeaf(parsed, ['maxValues', ...path])
  const nc = typedLeaf(parsed, ['nullCount', ...path])
  const nr = typedLeaf(parsed, ['numRecords'])
  if (!mn || !mx || !nc || !nr) return false
  const { min, max, nullCount, numRecords } = out
  const rows = c.rows
  for (let j = 0; j < rows.length; j++) {
    const i = rows[j]
    const row = row0 + j
    const lo = typedAt(mn, i)
    const hi = typedAt(mx, i)
    const nulls = typedAt(nc, i)
    const count = typedAt(nr, i)
    if (
      (lo === undefined || hi === undefined || nulls === undefined) &&
      !(typeof nulls === 'number' && typeof count === 'number' && nulls >= count) &&
      statsData !== undefined
    ) {
      const text = stringAt(statsData, i)
      if (text !== undefined && text.length > 0) {
        if (scanner.scan(text)) {
          min[row] = scanner.min[0]
          max[row] = scanner.max[0]
          nullCount[row] = scanner.nullCount[0]
          if (numRecords) numRecords[row] = scanner.numRecords
        }
        continue
      }
    }
    min[row] = lo
    max[row] = hi
    nullCount[row] = nulls
    if (numRecords) numRecords[row] = count
  }
  return true
}
