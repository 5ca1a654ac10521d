import { defineConfig } from 'tsup'

export default defineConfig({
  entry: { index: 'src/index.ts', s3: 'src/s3.ts', cli: 'src/cli.ts' },
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'node20',
  splitting: false,
})
