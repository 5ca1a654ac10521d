/**
 * One measurement in its own process (spawned by harness.ts): `child.ts <case> <params-json>`. Prints
 * `BENCH_RESULT {runsMs, peakRssMb, extra}` as its last line. Untimed preparation (reading inputs, copying
 * templates) happens outside the timed region; peak RSS covers the whole process.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { cp, mkdir, readdir, rm, writeFile } from 'node:fs/promises'
import { Session } from 'node:inspector/promises'
import { createRequire } from 'node:module'
import { availableParallelism } from 'node:os'
import * as path from 'node:path'
import { performance } from 'node:perf_hooks'
import { pathToFileURL } from 'node:url'
import { Worker } from 'node:worker_threads'
import * as arrow from 'apache-arrow'
import { DeltaTable, type StorageOptions } from 'delta-ts'
import * as pw from 'parquet-wasm'
import { generateInput, type InputSpec, readParquetFile, writeSyntheticLog } from './data.js'
import { RESULT_MARKER } from './harness.js'
import { repoRoot } from './util.js'

type Params = Record<string, unknown>

/** One writer-settings variant of the `settings` benchmark (delta-ts's settings with one changed). */
export interface SettingsVariant {
  name: string
  codec: 'ZSTD' | 'SNAPPY' | 'UNCOMPRESSED'
  writerVersion: 1 | 2
  maxRowGroupRows: number
  /** Undefined keeps parquet-rs's 1 MiB. */
  dataPageBytes?: number
  /** 'auto': on, except the columns delta-ts's `mostlyUniqueColumns` picks. */
  dictionary: 'on' | 'off' | 'auto'
}
type CaseFn = (p: Params) => Promise<{ runsMs: number[]; extra?: Record<string, unknown> }>

const str = (p: Params, k: string): string => String(p[k])
const num = (p: Params, k: string): number => Number(p[k])

const RAW_WORKER = `
const { parentPort, workerData } = require('node:worker_threads')
const pw = require(workerData.pw)
parentPort.on('message', async ({ bytes, columns }) => {
  const file = await pw.ParquetFile.fromFile(new Blob([bytes]))
  const reader = (await file.stream({ columns, batchSize: 65536 })).getReader()
  const out = []
  for (;;) { const x = await reader.read(); if (x.done) break; out.push(x.value.intoIPCStream()) }
  file.free()
  parentPort.postMessage(out, out.map((b) => b.buffer))
})`

/** Workers (one per core) that decode a file's column group with parquet-wasm and answer Arrow IPC. */
function rawPool(): { run(bytes: Uint8Array, columns: string[]): Promise<Uint8Array[]>; close(): void }[] {
  const pwPath = createRequire(import.meta.url).resolve('parquet-wasm')
  return Array.from({ length: availableParallelism() }, () => {
    const w = new Worker(RAW_WORKER, { eval: true, workerData: { pw: pwPath } })
    return {
      run: (bytes, columns) =>
        new Promise((resolve, reject) => {
          w.once('message', resolve)
          w.once('error', reject)
          w.postMessage({ bytes, columns })
        }),
      close: () => void w.terminate(),
    }
  })
}

/** When set (by harness.ts), the timed regions are CPU-profiled into this file (module loading is not). */
const profileFile = process.env.BENCH_CPU_PROFILE
let session: Session | undefined

async function timed<T>(fn: () => Promise<T>): Promise<[number, T]> {
  if (profileFile && !session) {
    session = new Session()
    session.connect()
    await session.post('Profiler.enable')
    await session.post('Profiler.start')
  }
  const t0 = performance.now()
  const out = await fn()
  return [performance.now() - t0, out]
}

async function writeProfile(): Promise<void> {
  if (!profileFile || !session) return
  const { profile } = await session.post('Profiler.stop')
  await writeFile(profileFile, JSON.stringify(profile))
  session.disconnect()
}

/** A full collection when the process runs with --expose-gc (bench children do); otherwise nothing. */
function collectGarbage(): void {
  const gc = (globalThis as { gc?: () => void }).gc
  if (gc) gc()
}

async function repeat<T>(reps: number, prepare: () => Promise<void>, fn: () => Promise<T>): Promise<[number[], T]> {
  const runs: number[] = []
  let last: T | undefined
  for (let i = 0; i < reps; i++) {
    await prepare()
    // Collect the previous run's garbage (untimed) so one run's peak RSS does not stack on the last one's unreclaimed
    // buffers: the Python side frees by reference counting as it goes. Node runs children with --expose-gc.
    collectGarbage()
    const [ms, out] = await timed(fn)
    runs.push(ms)
    last = out
  }
  return [runs, last as T]
}

const noop = async () => {}

/**
 * The rows of a bench input: generated in Arrow JS from its spec (`p[genKey]`, the spec the input file was
 * written from: the same rows) when given, else decoded from the file `p[fileKey]`. Generating keeps
 * parquet-wasm's heap (which never shrinks) out of this process's peak RSS; delta-rs's side reads the file
 * with pyarrow.
 */
async function loadInput(p: Params, fileKey = 'input', genKey = 'gen'): Promise<arrow.Table> {
  const spec = p[genKey] as InputSpec | undefined
  return spec ? generateInput(spec) : readParquetFile(str(p, fileKey))
}

const cases: Record<string, CaseFn> = {
  /** Full snapshot load: open (log listing + replay) and list the active files. */
  async load(p) {
    const [runsMs, files] = await repeat(num(p, 'reps'), noop, async () => {
      const t = await DeltaTable.open(str(p, 'table'))
      return (await (await t.snapshot()).files()).length
    })
    return { runsMs, extra: { files } }
  },

  /** Incremental refresh after `newCommits` synthetic commits (written untimed before each run). */
  async refresh(p) {
    const root = str(p, 'table')
    const table = await DeltaTable.open(root)
    let version = await table.version()
    const addCommits = async () => {
      await writeSyntheticLog(root, {
        from: version + 1,
        to: version + num(p, 'newCommits'),
        addsPerCommit: 1,
        days: 30,
        tag: 'refresh',
      })
      version += num(p, 'newCommits')
    }
    // One untimed warm-up refresh, so the runs measure a refresh, not the JIT compiling it.
    await addCommits()
    await table.snapshot()
    const [runsMs, snap] = await repeat(
      num(p, 'reps'),
      addCommits,
      // Timed: the refresh alone (listing + reading the new commits), not listing the files afterwards.
      async () => table.snapshot(),
    )
    if (snap.version !== version) throw new Error(`refresh reached ${snap.version}, expected ${version}`)
    const files = profileFile ? Number.NaN : (await snap.files()).length
    // A full load of the same final version, in the same process, for the refresh/full ratio (skipped when
    // profiling, so that the profile shows the refresh only).
    const [fullMs] = profileFile
      ? [Number.NaN]
      : await timed(async () => (await (await DeltaTable.open(root)).snapshot()).files())
    return { runsMs, extra: { files, fullLoadMs: fullMs } }
  },

  /**
   * Snapshot.files({filter}): partition pruning and stats skipping. `mode: 'first'` loads a fresh snapshot
   * before each run (untimed) and times its first filtered query, which pays for building the cached min/max
   * and partition columns; `mode: 'repeat'` loads one snapshot, runs the query once untimed, and times the
   * repeats on it (cached columns).
   */
  async prune(p) {
    const open = async () => (await DeltaTable.open(str(p, 'table'))).snapshot()
    const query = async () => (await snap.files({ filter: str(p, 'filter') })).length
    let snap = await open()
    const total = snap.numFiles
    const first = str(p, 'mode') === 'first'
    if (!first) await query()
    let loaded = true
    const [runsMs, kept] = await repeat(
      num(p, 'reps'),
      async () => {
        if (first && !loaded) snap = await open()
        loaded = false
      },
      query,
    )
    return { runsMs, extra: { total, kept } }
  },

  /**
   * Clustering: builds a table of `rows` uniformly random rows in `files` appends (untimed), measures the
   * fraction of files each predicate keeps, runs one OPTIMIZE (timed) laying the data out by `layout`
   * (`liquid`: create with clusterBy x; `zorder`: zOrderBy x, y) into about as many files, and measures again.
   * Returns the versions before and after OPTIMIZE too (Spark measures the same two layouts).
   */
  async cluster(p) {
    const dir = str(p, 'dir')
    await rm(dir, { recursive: true, force: true })
    const rows = num(p, 'rows')
    const nFiles = num(p, 'files')
    const layout = str(p, 'layout')
    const predicates = p.predicates as string[]
    let seed = 12345
    const rand = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648
      return seed / 2147483648
    }
    const per = Math.ceil(rows / nFiles)
    const batch = (k: number) =>
      arrow.tableFromArrays({
        id: Int32Array.from({ length: per }, (_, i) => k * per + i),
        x: Int32Array.from({ length: per }, () => Math.floor(rand() * 1_000_000)),
        y: Int32Array.from({ length: per }, () => Math.floor(rand() * 1_000_000)),
        payload: Float64Array.from({ length: per }, () => rand()),
      })
    const table = await DeltaTable.create(dir, {
      schema: batch(0).schema,
      ...(layout === 'liquid' ? { clusterBy: ['x'] } : {}),
    })
    const txnData: arrow.Table[] = []
    for (let k = 0; k < nFiles; k++) txnData.push(batch(k))
    for (const t of txnData) await table.write(t)
    const fractions = async () => {
      const snap = await table.snapshot()
      const out: number[] = []
      for (const f of predicates) out.push((await snap.files({ filter: f })).length / snap.numFiles)
      return out
    }
    const before = await fractions()
    const versionBefore = (await table.snapshot()).version
    const size = (await (await table.snapshot()).files()).reduce((s, f) => s + f.size, 0)
    const [ms, result] = await timed(() =>
      table.optimize({
        targetSizeBytes: Math.ceil(size / nFiles),
        ...(layout === 'zorder' ? { zOrderBy: ['x', 'y'] } : {}),
      }),
    )
    const after = await fractions()
    const snapAfter = await table.snapshot()
    const filesAfter = snapAfter.numFiles
    return {
      runsMs: [ms],
      extra: {
        before,
        after,
        filesBefore: nFiles,
        filesAfter,
        removed: result.metrics.numFilesRemoved,
        // The table versions before and after OPTIMIZE, for Spark to read the same layouts (time travel).
        versionBefore,
        versionAfter: snapAfter.version,
      },
    }
  },

  /** Full or projected scan into one Arrow table (`concurrency` unset: the pool's default, the cores). */
  async scan(p) {
    const snap = await (await DeltaTable.open(str(p, 'table'))).snapshot()
    const columns = p.columns as string[] | undefined
    const concurrency = p.concurrency === undefined ? undefined : num(p, 'concurrency')
    const [runsMs, rows] = await repeat(
      num(p, 'reps'),
      noop,
      async () => (await snap.scan({ columns, concurrency }).toArrow()).numRows,
    )
    return { runsMs, extra: { rows } }
  },

  /**
   * Baseline on one thread: parquet-wasm decodes the same files in this thread (`ParquetFile.stream` with the
   * projection, which `readParquet` ignores), batches into Arrow JS through IPC.
   */
  async rawReadSingle(p) {
    const files = p.files as string[]
    const columns = p.columns as string[] | undefined
    const [runsMs, rows] = await repeat(num(p, 'reps'), noop, async () => {
      let rows = 0
      for (const f of files) {
        const file = await pw.ParquetFile.fromFile(new Blob([readFileSync(f)]))
        const reader = (await file.stream({ columns, batchSize: 65536 })).getReader()
        for (;;) {
          const x = await reader.read()
          if (x.done) break
          rows += arrow.tableFromIPC(x.value.intoIPCStream()).numRows
        }
        file.free()
      }
      return rows
    })
    return { runsMs, extra: { rows } }
  },

  /**
   * Baseline on a pool: the same decode split as delta-ts's scans (each file's columns in one group per
   * worker, `os.availableParallelism()` workers), parquet-wasm in each worker, IPC back to Arrow JS here.
   */
  async rawReadPool(p) {
    const files = p.files as string[]
    const pool = rawPool()
    const [runsMs, rows] = await repeat(num(p, 'reps'), noop, async () => {
      let rows = 0
      for (const f of files) {
        const bytes = readFileSync(f)
        const file = await pw.ParquetFile.fromFile(new Blob([bytes]))
        const names =
          (p.columns as string[] | undefined) ??
          arrow.tableFromIPC(file.schema().intoIPCStream()).schema.fields.map((x) => x.name)
        file.free()
        const k = Math.min(pool.length, names.length)
        const groups = Array.from({ length: k }, (_, i) => names.filter((_: string, j: number) => j % k === i))
        const parts = await Promise.all(groups.map((columns, i) => pool[i].run(bytes, columns)))
        for (const ipcs of parts) rows += ipcs.reduce((n, b) => n + arrow.tableFromIPC(b).numRows, 0) / k
      }
      return rows
    })
    for (const w of pool) w.close()
    return { runsMs, extra: { rows } }
  },

  /** Baseline: read the same Parquet files with parquet-wasm directly (file read + decode + Arrow JS). */
  async rawRead(p) {
    const files = p.files as string[]
    const columns = p.columns as string[] | undefined
    const [runsMs, rows] = await repeat(num(p, 'reps'), noop, async () => {
      let rows = 0
      for (const f of files) rows += (await readParquetFile(f, columns)).numRows
      return rows
    })
    return { runsMs, extra: { rows } }
  },

  /** Append the input rows to a new table (created untimed before each run). */
  async append(p) {
    const input = await loadInput(p)
    const dir = str(p, 'dir')
    const partitionBy = p.partitioned ? ['date'] : []
    const [runsMs, r] = await repeat(
      num(p, 'reps'),
      async () => {
        await rm(dir, { recursive: true, force: true })
        await DeltaTable.create(dir, { schema: input.schema, partitionBy })
      },
      async () => (await DeltaTable.open(dir)).write(input),
    )
    return { runsMs, extra: { rows: r.metrics.numOutputRows, files: r.metrics.numFilesAdded } }
  },

  /** Baseline: encode the same rows with parquet-wasm (delta-ts's writer properties) and write one file. */
  async rawWrite(p) {
    const input = await loadInput(p)
    const dir = str(p, 'dir')
    await mkdir(dir, { recursive: true })
    const [runsMs, size] = await repeat(num(p, 'reps'), noop, async () => {
      const props = new pw.WriterPropertiesBuilder()
        .setCompression(pw.Compression.ZSTD)
        .setWriterVersion(pw.WriterVersion.V2)
        .setMaxRowGroupSize(1 << 20)
        .setStatisticsEnabled(pw.EnabledStatistics.Chunk)
        .setDictionaryEnabled(true)
        .build()
      const bytes = pw.writeParquet(pw.Table.fromIPCStream(arrow.tableToIPC(input, 'stream')), props)
      await writeFile(path.join(dir, 'raw.parquet'), bytes)
      return bytes.length
    })
    return { runsMs, extra: { bytes: size } }
  },

  /**
   * Writer settings: encodes the input rows with parquet-wasm once per variant of delta-ts's writer properties
   * (`variants`: one setting changed each, see benchmarks.ts `settingsBench`), untimed warm-up first. The Arrow
   * to IPC conversion is done once, untimed; timed: building the properties and `writeParquet`. The
   * `dictionary: 'auto'` variants use delta-ts's own rule (arrow/partition.ts `mostlyUniqueColumns`, imported
   * from the sources as data-writer.ts calls it, on the first batch).
   */
  async settingsEncode(p) {
    const input = await loadInput(p)
    const partitionTs = pathToFileURL(path.join(repoRoot, 'packages', 'delta-ts', 'src', 'arrow', 'partition.ts')).href
    const { mostlyUniqueColumns } = (await import(partitionTs)) as {
      mostlyUniqueColumns(batch: arrow.RecordBatch): string[]
    }
    const auto = mostlyUniqueColumns(input.batches[0])
    const ipc = arrow.tableToIPC(input, 'stream')
    const variants = p.variants as SettingsVariant[]
    const encode = (v: SettingsVariant, bytes: Uint8Array) => {
      let b = new pw.WriterPropertiesBuilder()
        .setCompression(pw.Compression[v.codec])
        .setWriterVersion(v.writerVersion === 1 ? pw.WriterVersion.V1 : pw.WriterVersion.V2)
        .setMaxRowGroupSize(v.maxRowGroupRows)
        .setMaxRowGroupBytes(128 * 1024 * 1024)
        .setStatisticsEnabled(pw.EnabledStatistics.Chunk)
        .setDictionaryEnabled(v.dictionary !== 'off')
      if (v.dataPageBytes !== undefined) b = b.setDataPageSizeLimit(v.dataPageBytes)
      if (v.dictionary === 'auto') for (const c of auto) b = b.setColumnDictionaryEnabled(c, false)
      return pw.writeParquet(pw.Table.fromIPCStream(bytes), b.build())
    }
    // Warm-up: compiles the wasm encoder's hot paths, so the first variant does not pay for it.
    encode(variants[0], arrow.tableToIPC(input.slice(0, Math.min(input.numRows, 20_000)), 'stream'))
    const results: { name: string; runsMs: number[]; bytes: number }[] = []
    for (const v of variants) {
      const [runsMs, bytes] = await repeat(num(p, 'reps'), noop, async () => encode(v, ipc).length)
      results.push({ name: v.name, runsMs, bytes })
    }
    return { runsMs: results[0].runsMs, extra: { variants: results, noDictionaryColumns: auto } }
  },

  /**
   * Baseline on every core: the input cut into one slice per core, each encoded (delta-ts's writer properties)
   * on its own worker thread running parquet-wasm, and written as its own file. What raw parquet-wasm can do
   * with the whole machine; workers are started (and their wasm compiled) before the timed region.
   */
  /**
   * The floor of a copy-on-write rewrite through parquet-wasm: every data file of the table `template` read,
   * decoded whole (readParquet) and encoded again (writeParquet, delta-ts's writer settings: zstd, v2 pages,
   * chunk statistics, 1 Mi-row groups, dictionary off for `noDictionary`), then written under `dir`, on one
   * worker thread per core (each file on one worker). No filter, no stats, no Arrow JS, no commit.
   */
  async rawRewrite(p) {
    const template = str(p, 'template')
    const dir = str(p, 'dir')
    const files: string[] = []
    const walk = (d: string) => {
      for (const e of readdirSync(d, { withFileTypes: true })) {
        if (e.isDirectory() && e.name !== '_delta_log') walk(path.join(d, e.name))
        else if (e.isFile() && e.name.endsWith('.parquet')) files.push(path.join(d, e.name))
      }
    }
    walk(template)
    const n = Number(p.workers ?? availableParallelism())
    const pwPath = createRequire(import.meta.url).resolve('parquet-wasm')
    const source = `
const { parentPort, workerData } = require('node:worker_threads')
const { readFileSync, writeFileSync } = require('node:fs')
const pw = require(workerData.pw)
parentPort.on('message', (job) => {
  if (job === null) return parentPort.postMessage(0)
  let b = new pw.WriterPropertiesBuilder().setCompression(pw.Compression.ZSTD).setWriterVersion(pw.WriterVersion.V2)
    .setMaxRowGroupSize(1 << 20).setMaxRowGroupBytes(128 * 1024 * 1024).setStatisticsEnabled(pw.EnabledStatistics.Chunk)
    .setDictionaryEnabled(true)
  for (const c of workerData.noDictionary) b = b.setColumnDictionaryEnabled(c, false)
  const bytes = pw.writeParquet(pw.readParquet(readFileSync(job.from)), b.build())
  writeFileSync(job.to, bytes)
  parentPort.postMessage(bytes.length)
})`
    const noDictionary = (p.noDictionary as string[] | undefined) ?? []
    const workers = Array.from(
      { length: n },
      () => new Worker(source, { eval: true, workerData: { pw: pwPath, noDictionary } }),
    )
    const ask = (w: Worker, job: { from: string; to: string } | null) =>
      new Promise<number>((resolve, reject) => {
        w.once('message', resolve)
        w.once('error', reject)
        w.postMessage(job)
      })
    await Promise.all(workers.map((w) => ask(w, null)))
    const [runsMs, size] = await repeat(
      num(p, 'reps'),
      async () => {
        await rm(dir, { recursive: true, force: true })
        await mkdir(dir, { recursive: true })
      },
      async () => {
        let next = 0
        let bytes = 0
        await Promise.all(
          workers.map(async (w) => {
            while (next < files.length) {
              const k = next++
              bytes += await ask(w, { from: files[k], to: path.join(dir, `raw-${k}.parquet`) })
            }
          }),
        )
        return bytes
      },
    )
    await Promise.all(workers.map((w) => w.terminate()))
    await rm(dir, { recursive: true, force: true })
    return { runsMs, extra: { bytes: size, files: files.length, workers: n } }
  },
  async rawWritePool(p) {
    const input = await loadInput(p)
    const dir = str(p, 'dir')
    await mkdir(dir, { recursive: true })
    const n = Number(p.workers ?? availableParallelism())
    const pwPath = createRequire(import.meta.url).resolve('parquet-wasm')
    const source = `
const { parentPort, workerData } = require('node:worker_threads')
const pw = require(workerData)
parentPort.on('message', (ipc) => {
  if (ipc === null) return parentPort.postMessage(null)
  const props = new pw.WriterPropertiesBuilder().setCompression(pw.Compression.ZSTD).setWriterVersion(pw.WriterVersion.V2)
    .setMaxRowGroupSize(1 << 20).setStatisticsEnabled(pw.EnabledStatistics.Chunk).setDictionaryEnabled(true).build()
  const bytes = pw.writeParquet(pw.Table.fromIPCStream(ipc), props)
  parentPort.postMessage(bytes, [bytes.buffer])
})`
    const workers = Array.from({ length: n }, () => new Worker(source, { eval: true, workerData: pwPath }))
    const ask = (w: Worker, msg: Uint8Array | null) =>
      new Promise<Uint8Array | null>((resolve) => {
        w.once('message', resolve)
        w.postMessage(msg, msg ? [msg.buffer as ArrayBuffer] : [])
      })
    await Promise.all(workers.map((w) => ask(w, null)))
    const [runsMs, size] = await repeat(num(p, 'reps'), noop, async () => {
      const per = Math.ceil(input.numRows / n)
      const files = await Promise.all(
        workers.map(async (w, k) => {
          const ipc = arrow.tableToIPC(input.slice(k * per, Math.min(input.numRows, (k + 1) * per)), 'stream')
          const bytes = (await ask(w, ipc)) as Uint8Array
          await writeFile(path.join(dir, `raw-${k}.parquet`), bytes)
          return bytes.length
        }),
      )
      return files.reduce((a, b) => a + b, 0)
    })
    await Promise.all(workers.map((w) => w.terminate()))
    return { runsMs, extra: { bytes: size, workers: n } }
  },

  /** One concurrent writer: waits for the shared start time, then commits `commits` one-row appends. */
  async commitWriter(p) {
    const storageOptions = p.s3 ? ({ s3: p.s3 } as StorageOptions) : undefined
    const table = await DeltaTable.open(str(p, 'uri'), { storageOptions })
    const wait = num(p, 'startAt') - Date.now()
    if (wait > 0) await new Promise((r) => setTimeout(r, wait))
    const start = Date.now()
    const latencies: number[] = []
    let retries = 0
    for (let i = 0; i < num(p, 'commits'); i++) {
      const batch = new arrow.Table({
        writer: arrow.makeVector(Int32Array.of(num(p, 'writerId'))),
        seq: arrow.makeVector(Int32Array.of(i)),
      })
      const [ms, r] = await timed(() =>
        table.write(batch, { maxRetries: 1000, initialBackoffMs: 5, maxBackoffMs: 200 }),
      )
      latencies.push(ms)
      retries += (r.commit?.attempts ?? 1) - 1
    }
    return { runsMs: latencies, extra: { start, end: Date.now(), retries } }
  },

  /** MERGE the source into a fresh copy of the target (copied untimed before each run). */
  async merge(p) {
    const source = await loadInput(p, 'source', 'sourceGen')
    const dir = str(p, 'dir')
    const [runsMs, r] = await repeat(
      num(p, 'reps'),
      async () => {
        await rm(dir, { recursive: true, force: true })
        await cp(str(p, 'template'), dir, { recursive: true })
      },
      async () => {
        const t = await DeltaTable.open(dir)
        return t
          .merge(source, { on: 'target.id = source.id', targetAlias: 'target', sourceAlias: 'source' })
          .whenMatchedUpdateAll()
          .whenNotMatchedInsertAll()
          .execute()
      },
    )
    return { runsMs, extra: { metrics: r.metrics } }
  },

  /** DELETE `predicate` from a fresh copy of the template (copied untimed before each run). */
  async delete(p) {
    const dir = str(p, 'dir')
    const [runsMs, r] = await repeat(
      num(p, 'reps'),
      async () => {
        await rm(dir, { recursive: true, force: true })
        await cp(str(p, 'template'), dir, { recursive: true })
      },
      async () => (await DeltaTable.open(dir)).delete(str(p, 'predicate')),
    )
    const { commit: _c, ...metrics } = r
    return { runsMs, extra: { metrics } }
  },

  /** UPDATE of the rows matching `predicate` (`amount = amount * 2`) in a fresh copy of `template` (copied untimed). */
  async update(p) {
    const dir = str(p, 'dir')
    const [runsMs, r] = await repeat(
      num(p, 'reps'),
      async () => {
        await rm(dir, { recursive: true, force: true })
        await cp(str(p, 'template'), dir, { recursive: true })
      },
      async () =>
        (await DeltaTable.open(dir)).update({ predicate: str(p, 'predicate'), set: { amount: 'amount * 2' } }),
    )
    const { commit: _c, ...metrics } = r
    return { runsMs, extra: { metrics } }
  },

  /**
   * The whole ecommerce-etl pipeline into a fresh warehouse, or (with `template`) into a copy of a warehouse
   * that already holds data (copied untimed before each run). Reports each step's and each job stage's time.
   */
  async etl(p) {
    const warehouse = str(p, 'warehouse')
    const [runsMs, r] = await repeat(
      num(p, 'reps'),
      async () => {
        await rm(warehouse, { recursive: true, force: true })
        if (p.template) await cp(str(p, 'template'), warehouse, { recursive: true })
      },
      // Imported here, not at the top: other cases should not pay for (or profile) the ETL's modules.
      async () => (await import('ecommerce-etl')).runPipeline({ warehouse, raw: str(p, 'input'), notifiers: [] }),
    )
    if (r.status !== 'succeeded') throw new Error(`pipeline ${r.status}: ${JSON.stringify(r.steps)}`)
    const items = r.jobs.order_items
    return {
      runsMs,
      extra: {
        status: r.status,
        orderItems: items ? JSON.parse(JSON.stringify(items)) : null,
        // Of the last run: step durations and, per job, where its time went.
        steps: Object.fromEntries(r.steps.map((st) => [st.name, Math.round(st.durationMs)])),
        jobStages: Object.fromEntries(Object.entries(r.jobs).map(([k, j]) => [k, j?.stageMs])),
      },
    }
  },

  /** Setup (untimed by callers): load each input in turn into a new warehouse (a warehouse that holds data). */
  async etlLoad(p) {
    const warehouse = str(p, 'warehouse')
    await rm(warehouse, { recursive: true, force: true })
    const { runPipeline } = await import('ecommerce-etl')
    let rows = 0
    const [ms] = await timed(async () => {
      for (const input of p.inputs as string[]) {
        const r = await runPipeline({ warehouse, raw: input, notifiers: [] })
        if (r.status !== 'succeeded') throw new Error(`pipeline ${r.status}: ${JSON.stringify(r.steps)}`)
        rows += r.jobs.order_items?.inserted ?? 0
      }
    })
    return { runsMs: [ms], extra: { orderItems: rows } }
  },

  /** Setup (untimed by callers): write the input into a new delta-ts table. */
  async makeTable(p) {
    const input = await loadInput(p)
    const dir = str(p, 'dir')
    await rm(dir, { recursive: true, force: true })
    const t = await DeltaTable.create(dir, {
      schema: input.schema,
      partitionBy: p.partitioned ? ['date'] : [],
      deletionVectors: p.deletionVectors === true,
    })
    const [ms, r] = await timed(() => t.write(input))
    const files = (await (await t.snapshot()).files()).map((f) => path.join(dir, f.path))
    return { runsMs: [ms], extra: { files, rows: r.metrics.numOutputRows } }
  },

  /**
   * Checkpoint write of a loaded snapshot (timed: building and storing the checkpoint, rewritten per run). The
   * snapshot is loaded from the JSON commits: checkpoints an earlier process left in this copy (the measured
   * runs before a profiled one) are removed first, untimed, so that every process times the same path.
   */
  async checkpointWrite(p) {
    const log = path.join(str(p, 'table'), '_delta_log')
    for (const f of await readdir(log))
      if (f.includes('.checkpoint.') || f === '_last_checkpoint') await rm(path.join(log, f), { force: true })
    const t = await DeltaTable.open(str(p, 'table'))
    await t.snapshot()
    const [runsMs, r] = await repeat(num(p, 'reps'), noop, async () => t.checkpoint())
    return { runsMs, extra: { numAddFiles: r.metrics.numAddFiles } }
  },

  /**
   * Baseline of checkpointWrite: parquet-wasm alone encoding the rows delta-ts's checkpoint holds, with the
   * writer properties delta-ts uses for checkpoints (snappy, V2 pages, chunk statistics, no dictionary). Untimed:
   * one delta-ts checkpoint, read back into an Arrow table. Timed: Arrow IPC, the wasm table, the encode, the
   * file write (what `rawWrite` times for the append case).
   */
  async rawCheckpointEncode(p) {
    const dir = str(p, 'table')
    const t = await DeltaTable.open(dir)
    const r = await t.checkpoint()
    const written = readFileSync(path.join(dir, r.path))
    const table = arrow.tableFromIPC(pw.readParquet(written).intoIPCStream())
    const [runsMs, size] = await repeat(num(p, 'reps'), noop, async () => {
      const props = new pw.WriterPropertiesBuilder()
        .setCompression(pw.Compression.SNAPPY)
        .setWriterVersion(pw.WriterVersion.V2)
        .setMaxRowGroupSize(1 << 20)
        .setMaxRowGroupBytes(128 * 1024 * 1024)
        .setStatisticsEnabled(pw.EnabledStatistics.Chunk)
        .setCreatedBy('delta-ts')
        .setDictionaryEnabled(false)
        .build()
      const bytes = pw.writeParquet(pw.Table.fromIPCStream(arrow.tableToIPC(table, 'stream')), props)
      await writeFile(path.join(dir, 'raw-checkpoint.parquet'), bytes)
      return bytes.length
    })
    return { runsMs, extra: { rows: table.numRows, bytes: size, deltaTsBytes: written.length } }
  },

  /** Setup: write a checkpoint at the latest version. */
  async checkpoint(p) {
    const [ms] = await timed(async () => (await DeltaTable.open(str(p, 'table'))).checkpoint())
    return { runsMs: [ms] }
  },
}

/**
 * Peak RSS of this process in KiB. On Linux: VmHWM from /proc/self/status, the high-water mark of this
 * process's own memory. Not `resourceUsage().maxRSS`: getrusage's maxrss survives fork+exec, so a child
 * would report at least its parent's RSS at spawn time.
 */
function peakRssKb(): number {
  try {
    const m = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'))
    if (m) return Number(m[1])
  } catch {
    // Not Linux: fall back to getrusage below.
  }
  return process.resourceUsage().maxRSS
}

async function main(): Promise<void> {
  const [name, json] = process.argv.slice(2)
  const fn = cases[name]
  if (!fn) throw new Error(`unknown case ${name}; known: ${Object.keys(cases).join(', ')}`)
  const out = await fn(JSON.parse(json ?? '{}') as Params)
  await writeProfile()
  const peakRssMb = Math.round((peakRssKb() / 1024) * 10) / 10
  process.stdout.write(
    `\n${RESULT_MARKER}${JSON.stringify({ runsMs: out.runsMs, peakRssMb, extra: out.extra ?? {} })}\n`,
  )
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`)
  process.exit(1)
})
