import * as path from 'node:path'
import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

/**
 * `pnpm test:spark`: the Spark interop suite (*.spark.ts), kept out of `pnpm test` because one Spark session
 * costs about a minute on a 2-core machine. Runs from the TypeScript sources like the main suite.
 */
export default defineConfig({
  resolve: { conditions: ['source'] },
  ssr: { resolve: { conditions: ['source'] } },
  test: {
    name: 'delta-ts-spark',
    root: path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..'),
    include: ['test/interop/**/*.spark.ts'],
    pool: 'forks',
    testTimeout: 300_000,
    hookTimeout: 900_000,
  },
})
