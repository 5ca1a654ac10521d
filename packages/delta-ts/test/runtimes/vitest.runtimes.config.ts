import * as path from 'node:path'
import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

/**
 * `pnpm test:runtimes` (scripts/test-runtimes.mjs, which installs the runtimes first): the same read/write script
 * under Node, Deno, Bun, headless Chromium and workerd, against the moto S3 server and a local static HTTP
 * server. The runtimes run the built package (dist/), as an app would, so the export conditions are tested too.
 */
export default defineConfig({
  test: {
    name: 'delta-ts-runtimes',
    root: path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..'),
    include: ['test/runtimes/**/*.runtime.ts'],
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 180_000,
    hookTimeout: 300_000,
  },
})
