import { execFileSync } from 'node:child_process'
import * as path from 'node:path'
import type { TestProject } from 'vitest/node'
import { repoRoot } from './golden.js'
import { type S3Server, startMoto } from './s3-server.js'

/**
 * Vitest globalSetup shared by the delta-ts and ecommerce-etl projects: makes sure `.venv` exists
 * (scripts/ensure-venv.sh), starts moto on a free loopback port unless `DELTA_TS_S3_ENDPOINT` names a running
 * server, and hands the endpoint to tests through `inject('s3Endpoint')` and to child processes through
 * `DELTA_TS_S3_ENDPOINT`. When the server cannot start, the other tests still run and the S3 tests fail with
 * the reason (`inject('s3Error')`).
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // The SDK warns on Node 20 about a future Node 22 requirement; the warning is noise in test output.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true'
  process.env.AWS_ACCESS_KEY_ID ??= 'test'
  process.env.AWS_SECRET_ACCESS_KEY ??= 'test'
  process.env.AWS_REGION ??= 'us-east-1'
  let endpoint = process.env.DELTA_TS_S3_ENDPOINT ?? ''
  let error = ''
  // Local to this call: the delta-ts and ecommerce-etl projects each run this setup, and each must stop only
  // the server it started.
  let server: S3Server | undefined
  if (!endpoint) {
    try {
      execFileSync('bash', [path.join(repoRoot, 'scripts', 'ensure-venv.sh')], { stdio: 'inherit' })
      server = await startMoto()
      endpoint = server.endpoint
      process.env.DELTA_TS_S3_ENDPOINT = endpoint
    } catch (err) {
      error = `S3 test server unavailable: ${(err as Error).message}`
    }
  }
  project.provide('s3Endpoint', endpoint)
  project.provide('s3Error', error)
  return async () => {
    await server?.stop()
  }
}
