/**
 * `delta-ts/testing/vitest`: registers the delta matchers with vitest's `expect` and types them. Import it
 * once (in a test file or a vitest `setupFiles` entry):
 *
 * ```ts
 * import 'delta-ts/testing/vitest'
 * await expect(table).toHaveRows([{ id: 1n, name: 'ada' }])
 * ```
 *
 * vitest is an optional peer dependency of delta-ts: only this entry imports it.
 * @packageDocumentation
 */

import { type DeltaMatchers, deltaMatchers } from 'delta-ts/testing'
import { expect } from 'vitest'

expect.extend(deltaMatchers)

declare module 'vitest' {
  interface Matchers<T = any> extends DeltaMatchers<void> {}
}

export type { DeltaMatchers }
