/**
 * The vitest project list. The root vitest.config.ts imports it (Vitest 4 replaced workspace files with
 * `test.projects`). Each package runs from its TypeScript sources through the `source` export condition.
 */
export const projects = [
  {
    resolve: { conditions: ['source'] },
    ssr: { resolve: { conditions: ['source'] } },
    test: {
      name: 'delta-ts',
      root: './packages/delta-ts',
      globalSetup: ['./test/global-setup.ts'],
      include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
      testTimeout: 120_000,
      hookTimeout: 300_000,
    },
  },
  {
    resolve: { conditions: ['source'] },
    ssr: { resolve: { conditions: ['source'] } },
    test: {
      name: 'ecommerce-etl',
      root: './packages/ecommerce-etl',
      // Reuses delta-ts's setup: it starts the moto S3 server the S3 pipeline test runs against.
      globalSetup: ['../delta-ts/test/global-setup.ts'],
      include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
      testTimeout: 300_000,
      hookTimeout: 300_000,
    },
  },
]
// Benchmarks (bench/): one test runs the whole suite at quick sizes and checks the result JSON shape.
projects.push({
  resolve: { conditions: ['source'] },
  ssr: { resolve: { conditions: ['source'] } },
  test: {
    name: 'bench',
    root: './bench',
    include: ['src/**/*.test.ts'],
    testTimeout: 900_000,
    hookTimeout: 300_000,
  },
} as (typeof projects)[number])
