import type { Plugin } from 'esbuild'
import { defineConfig, type Options } from 'tsup'

// Two builds: the library (ESM + CJS + declarations for `delta-ts` and `delta-ts/s3`) and the `delta-ts` bin
// (ESM only: it uses top-level await and is only ever run by node).
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
])
