import type { Plugin } from 'esbuild'
import { defineConfig, type Options } from 'tsup'

// Four builds: the library (ESM + CJS + declarations for `delta-ts` and `delta-ts/s3`), the `delta-ts` bin
// (ESM only: it uses top-level await and is only ever run by node), and the test helpers (`delta-ts/testing`
// and `delta-ts/testing/vitest`).
//
// `delta-ts/s3` stays external everywhere: src/storage/uri.ts imports it lazily by package name so that
// programs that never open an s3:// URI never load @aws-sdk/client-s3. Bundling it would defeat that. At
// runtime the self-reference resolves through package.json exports to dist/s3.js or dist/s3.cjs.
const external = ['delta-ts/s3']

/**
 * The s3 entry must throw the same DeltaError class that `delta-ts` exports, or `err instanceof DeltaError`
 * (and isDeltaError) would be false for S3 failures. So its import of errors.ts becomes an import of the main
 * entry by package name instead of a bundled copy.
 */
const shareErrorsWithMainEntry: Plugin = {
  name: 'share-errors-with-main-entry',
  setup(build) {
    build.onResolve({ filter: /\/errors\.js$/ }, (args) =>
      /[\\/]storage[\\/]s3\.ts$/.test(args.importer) ? { path: 'delta-ts', external: true } : undefined,
    )
  },
}

/**
 * In the CJS build, `import('delta-ts/s3')` must become `require('delta-ts/s3')`: a real dynamic import from
 * CJS would load the ESM build (dist/s3.js), which in turn loads the ESM main entry, a second copy of the
 * library with its own DeltaError (the dual-package hazard).
 */
const requireInCjs: Options['esbuildOptions'] = (options, { format }) => {
  if (format === 'cjs') options.supported = { ...options.supported, 'dynamic-import': false }
}

/**
 * The bin uses the library only through src/index.ts (see src/cli/*.ts); in the build that import becomes the
 * package's own main entry, so the bin ships no second copy of the library and shares DeltaError with
 * `delta-ts/s3`.
 */
const cliUsesMainEntry: Plugin = {
  name: 'cli-uses-main-entry',
  setup(build) {
    build.onResolve({ filter: /^\.\.\/index\.js$/ }, (args) =>
      /[\\/]src[\\/]cli[\\/][^\\/]+\.ts$/.test(args.importer) ? { path: 'delta-ts', external: true } : undefined,
    )
  },
}

/**
 * The web build (dist/web/, for the `browser`, `worker`, `workerd` and `default` export conditions) swaps the
 * three modules that need Node for stand-ins with the same exports, so that no `node:*` module is imported:
 * local disk (storage/local.ts → local.web.ts, which throws UNSUPPORTED_FEATURE), parquet-wasm loading
 * (parquet/wasm.ts → wasm.web.ts, which initialises parquet-wasm's web build) and the decoder's worker threads
 * (worker/node.ts → worker/web-default.ts, Web Workers).
 */
const webStandIns: Plugin = {
  name: 'web-stand-ins',
  setup(build) {
    const swap: Record<string, string> = {
      'storage/local.js': 'src/storage/local.web.ts',
      'parquet/wasm.js': 'src/parquet/wasm.web.ts',
      'worker/node.js': 'src/worker/web-default.ts',
    }
    build.onResolve({ filter: /(local|wasm|node)\.js$/ }, (args) => {
      if (args.kind === 'entry-point') return undefined
      const target = new URL(args.path, `file://${args.resolveDir}/`).pathname
      for (const [tail, standIn] of Object.entries(swap))
        if (target.endsWith(`/src/${tail}`)) return { path: new URL(standIn, `file://${process.cwd()}/`).pathname }
      return undefined
    })
  },
}

export default defineConfig([
  {
    entry: { index: 'src/index.ts', s3: 'src/s3.ts' },
    format: ['esm', 'cjs'],
    dts: true,
    clean: true,
    sourcemap: true,
    target: 'node20',
    splitting: false,
    external: [...external, 'delta-ts'],
    esbuildPlugins: [shareErrorsWithMainEntry],
    esbuildOptions: requireInCjs,
  },
  // delta-ts/testing imports the library only by package name ('delta-ts'), and the vitest entry imports
  // 'delta-ts/testing': all external, so the helpers share DeltaTable, Snapshot and DeltaError with the main
  // entry (instanceof works across entries, and the declarations refer to the same types). vitest is an
  // optional peer dependency; only dist/testing/vitest.* imports it. `shims` gives the CJS build an
  // import.meta.url for locating the shipped sample tables.
  {
    entry: { testing: 'src/testing.ts', 'testing/vitest': 'src/testing/vitest.ts' },
    format: ['esm', 'cjs'],
    dts: true,
    clean: false,
    sourcemap: true,
    target: 'node20',
    splitting: false,
    shims: true,
    external: [...external, 'delta-ts', 'delta-ts/testing', 'vitest'],
    esbuildOptions: requireInCjs,
  },
  {
    entry: { cli: 'src/cli.ts' },
    format: ['esm'],
    dts: false,
    clean: false,
    sourcemap: true,
    target: 'node20',
    splitting: false,
    external: [...external, 'delta-ts'],
    esbuildPlugins: [cliUsesMainEntry],
  },
  // The web build: ESM only, the same entries, declarations shared with the build above (same API).
  {
    entry: { 'web/index': 'src/index.ts', 'web/s3': 'src/s3.ts' },
    format: ['esm'],
    dts: false,
    clean: false,
    sourcemap: true,
    platform: 'neutral',
    target: 'es2022',
    splitting: false,
    external: [...external, 'delta-ts', 'parquet-wasm', 'apache-arrow', '@aws-sdk/client-s3'],
    esbuildPlugins: [webStandIns, shareErrorsWithMainEntry],
  },
  // The browsers' decode worker: one self-contained module with parquet-wasm's web build bundled in, loaded by
  // `new Worker(url, { type: 'module' })` (see worker/web.ts).
  {
    entry: { 'web/decode-worker': 'src/worker/web-decode-entry.ts' },
    format: ['esm'],
    dts: false,
    clean: false,
    sourcemap: false,
    platform: 'browser',
    target: 'es2022',
    splitting: false,
    noExternal: ['parquet-wasm'],
  },
])
