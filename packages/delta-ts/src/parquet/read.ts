import * as arrow from 'apache-arrow'
import { DeltaError } from '../errors.js'
import { crc32 } from '../protocol/deletion-vector.js'
import type { Storage } from '../storage/types.js'
import type { DecodeRequest, DecodeResponse, FileRange } from './decode-tasks.js'
import { defaultDecoder, type ParquetDecoder } from './decoder.js'
import { int96MicrosFooter } from './int96.js'

/** Default rows per decoded batch: parquet-wasm's own default (1024) makes decoding about twice as slow. */
export const DEFAULT_BATCH_SIZE = 65536

/**
 * Byte ranges of one file fetched ahead of parquet-wasm, which then reads them from memory: every storage call
 * happens in JS before any wasm call (a rejected read inside parquet-wasm 0.8.0 would trap it), and a row group
 * costs one request per contiguous run of column chunks instead of one per chunk.
 */
export class RangeCache {
  #ranges: { start: number; bytes: Uint8Array; pinned: boolean }[] = []

  /** Adds a fetched range; `pinned` ranges (the footer) survive {@link RangeCache.release}. */
  add(start: number, bytes: Uint8Array, pinned = false): void {
    this.#ranges.push({ start, bytes, pinned })
  }

  /** The bytes `[start, end)` when cached ranges cover them (one range, or abutting ones joined). */
  get(start: number, end: number): Uint8Array | undefined {
    const parts: Uint8Array[] = []
    let pos = start
    while (pos < end) {
      const r = this.#ranges.find((x) => pos >= x.start && pos < x.start + x.bytes.length)
      if (!r) return undefined
      const to = Math.min(end, r.start + r.bytes.length)
      parts.push(r.bytes.subarray(pos - r.start, to - r.start))
      pos = to
    }
    if (parts.length === 1) return parts[0]
    const out = new Uint8Array(end - start)
    let k = 0
    for (const p of parts) {
      out.set(p, k)
      k += p.length
    }
    return out
  }

  /** True when `[start, end)` is already cached. */
  has(start: number, end: number): boolean {
    return this.get(start, end) !== undefined
  }

  /** The cached ranges, as a decode task takes them. */
  ranges(): FileRange[] {
    return this.#ranges.map((r) => ({ start: r.start, bytes: r.bytes }))
  }

  /** Drops every unpinned range (a row group's chunks once it is decoded). */
  release(): void {
    this.#ranges = this.#ranges.filter((r) => r.pinned)
  }
}

/** Where one column chunk lies in the file. */
export interface ChunkLocation {
  /** Top-level column name (first element of `path_in_schema`). */
  column: string
  start: number
  end: number
}

/** The byte layout of a parquet file, from its footer. */
export interface ParquetLayout {
  rowGroups: { numRows: number; chunks: ChunkLocation[] }[]
}

// Thrift compact protocol, just enough to walk FileMetaData -> RowGroup -> ColumnChunk -> ColumnMetaData
// (parquet.thrift field ids) and skip everything else.
export class CompactReader {
  pos = 0
  constructor(private b: Uint8Array) {}
  byte(): number {
    if (this.pos >= this.b.length) throw new Error('thrift: truncated')
    return this.b[this.pos++]
  }
  varint(): bigint {
    let shift = 0n
    let v = 0n
    for (;;) {
      const x = this.byte()
      v |= BigInt(x & 0x7f) << shift
      if ((x & 0x80) === 0) return v
      shift += 7n
    }
  }
  zigzag(): bigint {
    const v = this.varint()
    return (v >> 1n) ^ -(v & 1n)
  }
  binary(): Uint8Array {
    const n = Number(this.varint())
    if (this.pos + n > this.b.length) throw new Error('thrift: truncated')
    const out = this.b.subarray(this.pos, this.pos + n)
    this.pos += n
    return out
  }
  /** Iterates a struct's fields, calling `onField(id, type)`; the callback consumes the value or returns false to skip it. */
  struct(onField: (id: number, type: number) => boolean): void {
    let last = 0
    for (;;) {
      const h = this.byte()
      if (h === 0) return
      const type = h & 0x0f
      const delta = h >> 4
      const id = delta === 0 ? Number(this.zigzag()) : last + delta
      last = id
      if (!onField(id, type)) this.skip(type)
    }
  }
  list(onElem: (type: number) => void): void {
    const h = this.byte()
    let n = h >> 4
    const type = h & 0x0f
    if (n === 15) n = Number(this.varint())
    for (let i = 0; i < n; i++) onElem(type)
  }
  skip(type: number): void {
    switch (type) {
      case 1:
      case 2:
        return
      case 3:
        this.pos++
        return
      case 4:
      case 5:
      case 6:
        this.varint()
        return
      case 7:
        this.pos += 8
        return
      case 8:
        this.binary()
        return
      case 9:
      case 10:
        this.list((t) => this.skip(t))
        return
      case 11: {
        const n = Number(this.varint())
        if (n === 0) return
        const kv = this.byte()
        for (let i = 0; i < n; i++) {
          this.skip(kv >> 4)
          this.skip(kv & 0x0f)
        }
        return
      }
      case 12:
        this.struct(() => false)
        return
      default:
        throw new Error(`thrift: unknown type ${type}`)
    }
  }
}

const UTF8 = new TextDecoder()

/**
 * Parses the column chunk locations of a parquet footer (the thrift FileMetaData bytes). Returns undefined
 * when the footer does not parse (the reader then lets parquet-wasm fetch chunks itself).
 */
export function parseParquetLayout(footer: Uint8Array): ParquetLayout | undefined {
  try {
    const r = new CompactReader(footer)
    const rowGroups: ParquetLayout['rowGroups'] = []
    r.struct((id, type) => {
      if (id !== 4 || type !== 9) return false
      r.list(() => {
        const rg = { numRows: 0, chunks: [] as ChunkLocation[] }
        r.struct((rid, rtype) => {
          if (rid === 3 && rtype === 6) {
            rg.numRows = Number(r.zigzag())
            return true
          }
          if (rid !== 1 || rtype !== 9) return false
          r.list(() => {
            r.struct((cid, ctype) => {
              if (cid !== 3 || ctype !== 12) return false
              let column = ''
              let size = 0
              let data = -1
              let dict = -1
              r.struct((mid, mtype) => {
                if (mid === 3 && mtype === 9) {
                  let first = true
                  r.list(() => {
                    const part = UTF8.decode(r.binary())
                    if (first) column = part
                    first = false
                  })
                  return true
                }
                if (mtype !== 6 || (mid !== 7 && mid !== 9 && mid !== 11)) return false
                const v = Number(r.zigzag())
                if (mid === 7) size = v
                else if (mid === 9) data = v
                else dict = v
                return true
              })
              // Some writers record a dictionary offset of 0 when there is none: take the smallest real one.
              const start = dict > 0 && dict < data ? dict : data
              if (start >= 0) rg.chunks.push({ column, start, end: start + size })
              return true
            })
          })
          return true
        })
        rowGroups.push(rg)
      })
      return true
    })
    return { rowGroups }
  } catch {
    return undefined
  }
}

/**
 * Walks the pages of one column chunk and checks each page's CRC-32 where the writer recorded one (Spark
 * does by default). parquet-wasm 0.8.0 cannot report a decode failure (it traps and takes the process down),
 * so damage must be found before the bytes reach it: a chunk whose pages do not tile it exactly, or whose
 * checksum does not match, is refused here.
 *
 * @throws DeltaError `PARQUET_ERROR` naming the file and column.
 */
export function verifyChunkPages(chunk: Uint8Array, where: string): void {
  const r = new CompactReader(chunk)
  try {
    while (r.pos < chunk.length) {
      let size = -1
      let crc: number | undefined
      r.struct((id, type) => {
        // PageHeader: 3 = compressed_page_size, 4 = crc (both i32).
        if (type !== 5 || (id !== 3 && id !== 4)) return false
        const v = Number(r.zigzag())
        if (id === 3) size = v
        else crc = v >>> 0
        return true
      })
      if (size < 0 || r.pos + size > chunk.length) throw new Error('page runs past the end of its column chunk')
      if (crc !== undefined && crc32(chunk.subarray(r.pos, r.pos + size)) !== crc)
        throw new Error('page checksum mismatch')
      r.pos += size
    }
  } catch (err) {
    throw new DeltaError('PARQUET_ERROR', `corrupt column chunk in ${where}: ${(err as Error).message}`, { cause: err })
  }
}

/** Merges chunk ranges that lie within `gap` bytes of each other, so one request fetches neighbours. */
export function coalesceRanges(
  ranges: readonly { start: number; end: number }[],
  gap = 64 * 1024,
): { start: number; end: number }[] {
  const sorted = [...ranges].sort((a, b) => a.start - b.start)
  const out: { start: number; end: number }[] = []
  for (const r of sorted) {
    const last = out[out.length - 1]
    if (last && r.start <= last.end + gap) last.end = Math.max(last.end, r.end)
    else out.push({ start: r.start, end: r.end })
  }
  return out
}

/** Bytes fetched with the footer in one request; most footers fit, saving a second round trip. */
const FOOTER_PREFETCH = 64 * 1024

/** Row-group facts from the footer. */
export interface RowGroupInfo {
  numRows: number
  /** Index of the group's first row in the file. */
  firstRow: number
}

/** Options of {@link openParquet}. */
export interface OpenParquetOptions {
  /** Where parquet-wasm runs; default {@link defaultDecoder} (an isolated worker where the runtime has them). */
  decoder?: ParquetDecoder
  /** The object size when the caller knows it (`add.size`): saves a `head` request. */
  size?: number
  signal?: AbortSignal
}

/**
 * An open parquet data file. Decoding happens in parquet-wasm, through a {@link ParquetDecoder} (by default in
 * an isolated worker, so a damaged file that traps parquet-wasm fails with `PARQUET_ERROR` instead of ending
 * the process); only the bytes of the footer and of the requested column chunks are fetched, always in JS
 * before the decoder runs. Call {@link ParquetReader.close} when done.
 */
export interface ParquetReader {
  /** The file's Arrow schema as parquet-wasm reads it (field ids as `PARQUET:field_id` metadata). */
  readonly schema: arrow.Schema
  readonly numRows: number
  readonly rowGroups: RowGroupInfo[]
  /**
   * Decodes one row group, projected to the given top-level column names (file names) or nested leaves
   * (`remove.path`: the struct with that child alone), in batches of at most `batchSize` rows. An empty `columns` list is not allowed (use `rowGroups[i].numRows`).
   */
  readRowGroup(index: number, columns: string[], batchSize?: number): AsyncIterable<arrow.RecordBatch>
  /**
   * {@link ParquetReader.readRowGroup} as one task whose batches arrive together; `rows` narrows it to the
   * rows `offset .. offset + limit` of the group (pages before them are still read). Calls may overlap: each
   * fetches its own chunks and runs as its own decode task, so row groups and column groups of one file decode
   * in parallel on a pooled decoder.
   */
  decodeRowGroup(
    index: number,
    columns: string[],
    batchSize?: number,
    rows?: { offset: number; limit: number },
  ): Promise<arrow.RecordBatch[]>
  /** Compressed bytes of `column`'s chunks in row group `index`, from the footer (undefined when unknown). */
  chunkBytes(index: number, column: string): number | undefined
  /** The decoder this reader runs its tasks on. */
  readonly decoder: ParquetDecoder
  /**
   * Reads parquet-wasm asked for that were not fetched ahead (chunk offsets a writer recorded wrongly); each
   * cost a fetch and a rerun of the decode task. 0 is the normal case.
   */
  readonly cacheMisses: number
  close(): void
}

function parquetError(path: string, err: unknown): DeltaError {
  if (err instanceof DeltaError) return err
  return new DeltaError(
    'PARQUET_ERROR',
    `cannot decode parquet file ${path}: ${(err as Error)?.message ?? String(err)}`,
    { cause: err },
  )
}

/**
 * Opens a parquet file through `storage` with ranged reads (footer first).
 *
 * @throws DeltaError `FILE_NOT_FOUND` when the object is missing, `PARQUET_ERROR` when it is not parquet,
 *   storage errors as the backend reports them.
 */
export async function openParquet(
  storage: Storage,
  path: string,
  options: OpenParquetOptions & { onRead?: (start: number, end: number) => void } = {},
): Promise<ParquetReader> {
  const { signal } = options
  const size = options.size ?? (await storage.head(path, { signal })).size
  if (size < 12) throw new DeltaError('PARQUET_ERROR', `${path} is too small (${size} bytes) to be a parquet file`)
  // The footer is fetched here, in JS, so that a missing file or a failing store is reported as such.
  const tailStart = Math.max(0, size - FOOTER_PREFETCH)
  options.onRead?.(tailStart, size)
  let tail = await storage.readRange(path, tailStart, size, { signal })
  const magic = (b: Uint8Array, at: number) =>
    b[at] === 0x50 && b[at + 1] === 0x41 && b[at + 2] === 0x52 && b[at + 3] === 0x31
  if (tail.length !== size - tailStart || !magic(tail, tail.length - 4)) {
    throw new DeltaError('PARQUET_ERROR', `${path} is not a parquet file (no PAR1 magic at its end)`)
  }
  const footerLen = new DataView(tail.buffer, tail.byteOffset, tail.byteLength).getUint32(tail.length - 8, true)
  if (footerLen + 8 > size) throw new DeltaError('PARQUET_ERROR', `${path} has a footer longer than the file`)
  let cacheStart = tailStart
  if (footerLen + 8 > tail.length) {
    cacheStart = size - 8 - footerLen
    options.onRead?.(cacheStart, tailStart)
    const head = await storage.readRange(path, cacheStart, tailStart, { signal })
    const all = new Uint8Array(head.length + tail.length)
    all.set(head)
    all.set(tail, head.length)
    tail = all
  }
  let cache = new RangeCache()
  cache.add(cacheStart, tail, true)
  // Pinned ranges (footer, whole small file) are what every task of this file starts from.
  const footer = tail.subarray(tail.length - 8 - footerLen, tail.length - 8)
  const layout = parseParquetLayout(footer)
  // A footer delta-ts cannot walk gives no chunk locations to fetch ahead: fetch the whole file.
  if (!layout && cacheStart > 0) {
    options.onRead?.(0, cacheStart)
    cache.add(0, await storage.readRange(path, 0, cacheStart, { signal }), true)
  }
  const decoder = options.decoder ?? (await defaultDecoder())
  const counter = { misses: 0 }
  const open = async (fileSize: number) => {
    const opened = await runDecode(decoder, storage, path, fileSize, cache, { kind: 'open' }, counter, options)
    if (opened.kind !== 'open') throw new DeltaError('INTERNAL', `unexpected decode answer ${opened.kind}`)
    try {
      return { opened, schema: arrow.tableFromIPC(opened.schema).schema }
    } catch (err) {
      throw parquetError(path, err)
    }
  }
  let { opened, schema } = await open(size)
  // INT96 columns (see int96.ts): parquet-wasm decodes the same column chunks behind a footer that types them
  // as microseconds; every later task sees that virtual file (the data bytes, then the new footer).
  let fileSize = size
  const micros = int96MicrosFooter(footer, () => schema)
  if (micros) {
    const cut = size - 8 - footerLen
    const hinted = new RangeCache()
    for (const r of cache.ranges()) {
      if (r.start < cut) hinted.add(r.start, r.bytes.subarray(0, Math.min(r.bytes.length, cut - r.start)), true)
    }
    hinted.add(cut, micros, true)
    cache = hinted
    fileSize = cut + micros.length
    ;({ opened, schema } = await open(fileSize))
  }
  const rowGroups: RowGroupInfo[] = []
  let first = 0
  for (const n of opened.rowGroups) {
    rowGroups.push({ numRows: n, firstRow: first })
    first += n
  }
  const reader: ParquetReader = {
    schema,
    decoder,
    numRows: first,
    rowGroups,
    get cacheMisses() {
      return counter.misses
    },
    chunkBytes(index: number, column: string): number | undefined {
      const chunks = layout?.rowGroups[index]?.chunks.filter((c) => c.column === column)
      return chunks && chunks.length > 0 ? chunks.reduce((n, c) => n + (c.end - c.start), 0) : undefined
    },
    async decodeRowGroup(index: number, columns: string[], batchSize = DEFAULT_BATCH_SIZE, rows) {
      if (columns.length === 0) throw new DeltaError('INTERNAL', 'readRowGroup needs at least one column')
      // Each task gets its own cache (the footer plus this group's chunks), so several row groups and column
      // groups of one file decode at the same time, and the chunk bytes go away with the task.
      const local = new RangeCache()
      for (const r of cache.ranges()) local.add(r.start, r.bytes, true)
      // A column may name a nested leaf (`remove.path`): its chunks are those of its top-level column (a
      // top-level name may hold a dot itself, so both are kept).
      const tops = new Set(columns.flatMap((c) => [c, c.split('.')[0]]))
      const chunks = layout?.rowGroups[index]?.chunks.filter((c) => tops.has(c.column))
      if (chunks && chunks.length > 0) {
        // Fetch the row group's chunks here so no storage call happens inside parquet-wasm.
        await Promise.all(
          coalesceRanges(chunks.filter((c) => c.end <= size))
            // Bytes fetched with the footer (all of a small file) are not fetched again.
            .map((r) => ({ start: r.start, end: r.end > cacheStart && r.start < cacheStart ? cacheStart : r.end }))
            .filter((r) => !local.has(r.start, r.end))
            .map(async (r) => {
              options.onRead?.(r.start, r.end)
              local.add(r.start, await storage.readRange(path, r.start, r.end, { signal }))
            }),
        )
        for (const c of chunks) {
          const bytes = local.get(c.start, c.end)
          if (bytes) verifyChunkPages(bytes, `${path} column ${c.column} row group ${index}`)
        }
      }
      const task: DecodeTask = { kind: 'rowGroup', rowGroup: index, columns, batchSize, ...rows }
      const out = await runDecode(decoder, storage, path, fileSize, local, task, counter, options)
      if (out.kind !== 'batches') throw new DeltaError('INTERNAL', `unexpected decode answer ${out.kind}`)
      const batches: arrow.RecordBatch[] = []
      for (const ipc of out.batches) {
        let table: arrow.Table
        try {
          table = arrow.tableFromIPC(ipc)
        } catch (err) {
          throw parquetError(path, err)
        }
        batches.push(...table.batches)
      }
      return batches
    },
    async *readRowGroup(index: number, columns: string[], batchSize = DEFAULT_BATCH_SIZE) {
      yield* await reader.decodeRowGroup(index, columns, batchSize)
    },
    close() {
      // The decoder keeps nothing per file: each task carries its bytes.
    },
  }
  return reader
}

/** A decode task without its bytes (see {@link runDecode}). */
type DecodeTask =
  | { kind: 'open' }
  | { kind: 'rowGroup'; rowGroup: number; columns: string[]; batchSize: number; offset?: number; limit?: number }

/**
 * Runs a decode task over the cached ranges of a file. When parquet-wasm asked for bytes that were not
 * fetched ahead (a writer that recorded chunk offsets wrongly), they are fetched here and the task runs
 * again; after the first such retry the whole file is fetched.
 */
async function runDecode(
  decoder: ParquetDecoder,
  storage: Storage,
  path: string,
  size: number,
  cache: RangeCache,
  task: DecodeTask,
  counter: { misses: number },
  options: { signal?: AbortSignal; onRead?: (start: number, end: number) => void },
): Promise<DecodeResponse> {
  for (let attempt = 0; ; attempt++) {
    const out = await decoder.run(path, { ...task, size, ranges: cache.ranges() } as DecodeRequest)
    if (out.kind !== 'missing') return out
    counter.misses += out.missing.length
    if (attempt >= 2) throw new DeltaError('PARQUET_ERROR', `${path}: parquet-wasm reads past the file's own layout`)
    const wanted = attempt === 0 ? out.missing : [{ start: 0, end: size }]
    for (const m of wanted) {
      const end = Math.min(size, m.end)
      if (m.start >= end || cache.has(m.start, end)) continue
      options.onRead?.(m.start, end)
      cache.add(m.start, await storage.readRange(path, m.start, end, { signal: options.signal }))
    }
  }
}
