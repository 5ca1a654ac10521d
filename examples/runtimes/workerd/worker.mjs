// A Cloudflare Worker (workerd). Bundle it with the `workerd`/`worker` conditions (wrangler does) so delta-ts
// resolves to its build without node:*; a Worker cannot compile WebAssembly from bytes at run time, so the
// parquet-wasm module is imported (wrangler and workerd turn a `.wasm` import into a WebAssembly.Module) and
// handed to initParquetWasm. Query: ?s3=<endpoint>&bucket=<bucket>&http=<table URL>.

import { initParquetWasm } from 'delta-ts'
import wasm from 'parquet-wasm/esm/parquet_wasm_bg.wasm'
import { runDemo } from '../app.mjs'

export default {
  async fetch(request) {
    const q = new URL(request.url).searchParams
    try {
      await initParquetWasm(wasm)
      const result = await runDemo({
        runtime: 'workerd',
        httpTable: q.get('http') ?? undefined,
        s3: q.get('s3')
          ? { endpoint: q.get('s3'), bucket: q.get('bucket'), prefix: `workerd-${Date.now()}` }
          : undefined,
      })
      return Response.json(result)
    } catch (err) {
      return new Response(String(err?.stack ?? err), { status: 500 })
    }
  },
}
