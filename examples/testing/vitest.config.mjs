// vitest config of the testing examples. A project using the published package needs none of this: the
// `source` condition only makes `delta-ts` resolve to the workspace's TypeScript sources (no build needed).
import { defineConfig } from 'vitest/config'

export default defineConfig({
  resolve: { conditions: ['source'] },
  ssr: { resolve: { conditions: ['source'] } },
  test: { include: ['**/*.vitest.test.mjs'], root: import.meta.dirname },
})
