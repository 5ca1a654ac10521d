// A browser app (bundle it: `esbuild main.mjs --bundle --format=esm --outfile=app.js`; delta-ts resolves through
// its `browser` export condition to the build without node:*). Serve beside it index.html, parquet-wasm's
// `parquet-wasm/esm/parquet_wasm_bg.wasm` and delta-ts's `delta-ts/decode-worker.js`; the S3 endpoint must allow
// the page's origin (CORS, see docs/runtimes.md). Query: ?s3=<endpoint>&bucket=<bucket>&http=<table URL>.
import { initParquetWasm } from 'delta-ts'
import { runDemo } from '../app.mjs'

const q = new URLSearchParams(location.search)
const out = document.getElementById('out')
try {
  // The web build needs parquet-wasm's WebAssembly handed to it; with `decodeWorker`, parquet files decode in
  // a Web Worker instead of the page's thread.
  await initParquetWasm(new URL('parquet_wasm_bg.wasm', location.href), {
    decodeWorker: new URL('decode-worker.js', location.href),
  })
  const result = await runDemo({
    runtime: 'chromium',
    httpTable: q.get('http') ?? undefined,
    s3: q.get('s3') ? { endpoint: q.get('s3'), bucket: q.get('bucket'), prefix: `chromium-${Date.now()}` } : undefined,
  })
  for (const [storage, rows] of Object.entries(result.rows)) {
    if (storage === 'localDiskError') continue
    const h = document.createElement('h2')
    h.textContent = `${storage}: ${rows.length} rows`
    const table = document.createElement('table')
    const cols = Object.keys(rows[0] ?? {})
    table.innerHTML = `<tr>${cols.map((c) => `<th>${c}</th>`).join('')}</tr>${rows
      .map((r) => `<tr>${cols.map((c) => `<td>${r[c] ?? 'null'}</td>`).join('')}</tr>`)
      .join('')}`
    out.append(h, table)
  }
  globalThis.deltaResult = result
} catch (err) {
  out.textContent = `failed: ${err?.stack ?? err}`
  globalThis.deltaError = String(err?.stack ?? err)
}
