/**
 * Loading parquet-wasm's WebAssembly. On Node, Deno and Bun the package's Node build loads its `.wasm` from
 * disk by itself when imported, so everything here is a no-op. The browser / Worker build of delta-ts swaps in
 * parquet/wasm.web.ts (see tsup.config.ts), where the `.wasm` must be fetched or handed over first.
 */

/**
 * Where the parquet-wasm WebAssembly comes from in a browser or Worker: a URL of `parquet_wasm_bg.wasm` (the
 * file `parquet-wasm/esm/parquet_wasm_bg.wasm`, served by your app), a compiled `WebAssembly.Module` (Cloudflare
 * Workers: `import wasm from 'parquet-wasm/esm/parquet_wasm_bg.wasm'`), its bytes, or a fetch `Response`.
 */
export type ParquetWasmSource = string | URL | WebAssembly.Module | ArrayBuffer | ArrayBufferView | Response

/** Options of {@link initParquetWasm}. */
export interface InitParquetWasmOptions {
  /**
   * Browsers: the URL of delta-ts's decode worker (`delta-ts/dist/web/decode-worker.js`, served by your app).
   * With it, parquet files decode in a Web Worker, so a damaged file fails with `PARQUET_ERROR` instead of
   * taking the page's thread down; without it, decoding runs in the calling thread. Ignored on Node, Deno and
   * Bun (they use worker threads) and where `Worker` does not exist.
   */
  decodeWorker?: string | URL
}

/**
 * Makes parquet-wasm ready. Needed once, before the first read or write, in browsers and Workers (the web build);
 * a no-op resolving at once on Node, Deno and Bun. Without it, the web build's first read tries parquet-wasm's
 * default (the `.wasm` beside its JavaScript, which works unbundled) and a write fails with
 * `MISSING_DEPENDENCY`. Later calls return the first call's promise; after a failure a call may retry.
 *
 * @throws DeltaError `MISSING_DEPENDENCY` (rejects) when the WebAssembly cannot be fetched or instantiated.
 */
export async function initParquetWasm(
  _source?: ParquetWasmSource | Promise<ParquetWasmSource>,
  _options: InitParquetWasmOptions = {},
): Promise<void> {}

/** Resolves once parquet-wasm can run (web build: initialising it with its default when nobody did). */
export function parquetWasmReady(): Promise<void> {
  return Promise.resolve()
}

/** @throws DeltaError `MISSING_DEPENDENCY` in the web build when parquet-wasm is not initialised yet. */
export function assertParquetWasmReady(): void {}

/** The web build's decode worker, when configured; never on Node. */
export function webDecodeWorker(): { url: string | URL; wasm: WebAssembly.Module | undefined } | undefined {
  return undefined
}
