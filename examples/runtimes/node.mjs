// Node: `node examples/runtimes/node.mjs` (after `pnpm build`). The same script as under Deno and Bun, for comparison:
// local disk works, and parquet-wasm loads itself. The S3 server and the HTTP table come from the environment
// (the runtime tests set them; see docs/runtimes.md).
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runDemo } from './app.mjs'

const env = process.env
const result = await runDemo({
  runtime: 'node',
  httpTable: env.DELTA_TS_HTTP_TABLE,
  s3: env.DELTA_TS_S3_ENDPOINT
    ? { endpoint: env.DELTA_TS_S3_ENDPOINT, bucket: env.DELTA_TS_S3_BUCKET, prefix: `node-${Date.now()}` }
    : undefined,
  localDir: mkdtempSync(join(tmpdir(), 'delta-ts-node-')),
})
console.log(JSON.stringify(result))
