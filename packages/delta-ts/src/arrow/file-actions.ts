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
import type { FileColumns, PruningContext } from '../protocol/pruning.js'
import { partitionKeys } from '../protocol/replay.js'
import { type DataType, findField, physicalName } from '../protocol/schema.js'
import { StatsScanner } from '../protocol/stats-scan.js'
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
      e = this.#makeEntry(c, row, this.#local[row])
      this.#entries[row] = e
    }
    return e
  }

  #makeEntry(c: Chunk, row: number, i: number): FileEntry {
    const raw = this.#paths(c)[i]
    c.sizes ??= doubles(c.child.get('size'), c.data.length)
    c.mtimes ??= doubles(c.child.get('modificationTime'), c.data.length)
    return new CheckpointFileEntry(
      this,
      row,
      raw.includes('%') ? decodeActionPath(raw) : raw,
      this.#pvs(c)[i],
      c.sizes[i],
      c.mtimes[i],
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
          e = this.#makeEntry(c, row, c.rows[j])
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
    const self = this
    return {
      length: n,
      partitionColumn(column) {
        let p = parts.get(column)
        if (p) return p
        const names = partitionNames(ctx, column)
        const dict = new Map<string, number>()
        const values: string[] = []
        const codes = new Int32Array(n).fill(-1)
        let row = 0
        for (const c of self.#chunks) {
          const map = c.child.get('partitionValues')
          if (!map || map.valueOffsets === undefined || !map.children[0]) {
            row += c.rows.length
            continue
          }
          const offsets = map.valueOffsets as Int32Array
          const keys = utf8Column(map.children[0].children[0])
          const vals = utf8Column(map.children[0].children[1])
          for (let j = 0; j < c.rows.length; j++, row++) {
            const i = c.rows[j]
            if (!isValid(map, i)) continue
            for (let k = offsets[i]; k < offsets[i + 1]; k++) {
              const key = keys[k]
              if (key === undefined || !names.includes(key)) continue
              const v = vals[k]
              if (v !== undefined) {
                let code = dict.get(v)
                if (code === undefined) {
                  code = values.length
                  values.push(v)
                  dict.set(v, code)
                }
                codes[row] = code
              }
              break
            }
          }
        }
        p = { codes, values }
        parts.set(column, p)
        return p
      },
      statsColumn(path, type) {
        const r = self.#readStats([path], numRecords === undefined, type)
        numRecords ??= r.numRecords
        return { min: r.min[0], max: r.max[0], nullCount: r.nullCount[0] }
      },
      numRecords() {
        numRecords ??= self.#readStats([], true).numRecords
        return numRecords
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
  if (ArrowType.isFloat(t) && (v instanceof Float32Array || v instanceof Float64Array)) return { levels, values: v }
  return undefined
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
