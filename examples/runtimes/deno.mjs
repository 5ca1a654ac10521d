// Deno: `deno run -A examples/runtimes/deno.mjs` from a project with delta-ts, apache-arrow and
// @aws-sdk/client-s3 in node_modules (Deno 2 reads package.json). delta-ts resolves through its `deno` export
// condition to the Node build: local disk works, and parquet-wasm loads itself. The S3 server and the HTTP
// table come from the environment (the runtime tests set them; see docs/runtimes.md).
import { runDemo } from './app.mjs'

const env = (k) => Deno.env.get(k)
const result = await runDemo({
  runtime: 'deno',
  httpTable: env('DELTA_TS_HTTP_TABLE'),
  s3: env('DELTA_TS_S3_ENDPOINT')
    ? { endpoint: env('DELTA_TS_S3_ENDPOINT'), bucket: env('DELTA_TS_S3_BUCKET'), prefix: `deno-${Date.now()}` }
    : undefined,
  localDir: await Deno.makeTempDir({ prefix: 'delta-ts-deno-' }),
})
console.log(JSON.stringify(result))
