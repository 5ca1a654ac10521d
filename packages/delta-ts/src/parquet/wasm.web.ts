/**
 * The browser / Worker build's parquet/wasm.ts (tsup.config.ts swaps it in). parquet-wasm's web build
 * (`parquet-wasm/esm`) exports an init function that must run before any other call; this module runs it once,
 * from what the app hands to {@link initParquetWasm}, and keeps the compiled module for decode workers.
 */
import * as pw from 'parquet-wasm'
import { DeltaError } from '../errors.js'
import type { InitParquetWasmOptions, ParquetWasmSource } from './wasm.js'

export type { InitParquetWasmOptions, ParquetWasmSource } from './wasm.js'

type WasmInit = (arg?: { module_or_path: unknown }) => Promise<unknown>
/** The init function of parquet-wasm's web build; undefined when a bundler picked a build that loads itself. */
const wasmInit = (pw as unknown as { default?: WasmInit }).default

let ready: Promise<void> | undefined
let done = typeof wasmInit !== 'function'
let compiled: WebAssembly.Module | undefined
let decodeWorkerUrl: string | URL | undefined

async function compile(source: ParquetWasmSource): Promise<WebAssembly.Module> {
  if (source instanceof WebAssembly.Module) return source
  if (typeof source === 'string' || source instanceof URL) {
    const res = await fetch(source)
    if (!res.ok) throw new Error(`fetching ${String(source)}: HTTP ${res.status}`)
    return compile(res)
  }
  if (typeof Response === 'function' && source instanceof Response) {
    if (!source.ok) throw new Error(`fetching ${source.url}: HTTP ${source.status}`)
    return WebAssembly.compile(await source.arrayBuffer())
  }
  return WebAssembly.compile(source as BufferSource)
}

/** See parquet/wasm.ts (the same contract in every build). */
export function initParquetWasm(
  source?: ParquetWasmSource | Promise<ParquetWasmSource>,
  options: InitParquetWasmOptions = {},
): Promise<void> {
  if (options.decodeWorker !== undefined) decodeWorkerUrl = options.decodeWorker
  ready ??= (async () => {
    if (typeof wasmInit !== 'function') return
    const given = await source
    // Compile here (not inside parquet-wasm) so decode workers can be handed the same module.
    if (given !== undefined) compiled = await compile(given)
    await wasmInit(compiled === undefined ? undefined : { module_or_path: compiled })
    done = true
  })().catch((err: unknown) => {
    ready = undefined
    throw new DeltaError(
      'MISSING_DEPENDENCY',
      `parquet-wasm's WebAssembly could not be loaded (${err instanceof Error ? err.message : String(err)}); in a ` +
        'browser or Worker call initParquetWasm() with the URL of parquet_wasm_bg.wasm or a WebAssembly.Module ' +
        '(docs/runtimes.md)',
      { cause: err },
    )
  })
  return ready
}

/** Resolves once parquet-wasm can run, initialising it with parquet-wasm's own default when nobody did. */
export function parquetWasmReady(): Promise<void> {
  return done ? Promise.resolve() : initParquetWasm()
}

/** @throws DeltaError `MISSING_DEPENDENCY` when parquet-wasm is not initialised yet. */
export function assertParquetWasmReady(): void {
  if (!done)
    throw new DeltaError(
      'MISSING_DEPENDENCY',
      'parquet-wasm is not initialised: in a browser or Worker, await initParquetWasm(wasmUrlOrModule) before ' +
        'the first write (docs/runtimes.md)',
    )
}

/** The decode worker set by {@link initParquetWasm}, with the compiled module to hand it. */
export function webDecodeWorker(): { url: string | URL; wasm: WebAssembly.Module | undefined } | undefined {
  return decodeWorkerUrl === undefined ? undefined : { url: decodeWorkerUrl, wasm: compiled }
}
