import { readdirSync, readFileSync } from 'node:fs'
import * as path from 'node:path'
import { describe, expect, it } from 'vitest'

const src = path.resolve(import.meta.dirname, '..')

/** Every non-test TypeScript file under src/, relative to src/. */
function sources(): string[] {
  return readdirSync(src, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
    .map((f) => f.split(path.sep).join('/'))
}

const importsOf = (file: string) =>
  [...readFileSync(path.join(src, file), 'utf8').matchAll(/(?:from|import)\s*\(?\s*'([^']+)'/g)].map((m) => m[1])

describe('delta-ts/testing stays out of the main entry', () => {
  it('no library module imports the testing modules', () => {
    const library = sources().filter((f) => f !== 'testing.ts' && !f.startsWith('testing/'))
    expect(library.length).toBeGreaterThan(20)
    const offenders = library.filter((f) =>
      importsOf(f).some((i) => /(^|\/)testing(\.js|\/|$)|^delta-ts\/testing/.test(i)),
    )
    expect(offenders).toEqual([])
  })

  it('the testing modules use the library only through its public entry (the package name)', () => {
    const testing = sources().filter((f) => f === 'testing.ts' || f.startsWith('testing/'))
    expect(testing.length).toBeGreaterThan(5)
    for (const f of testing) {
      const relative = importsOf(f).filter(
        (i) => i.startsWith('.') && !(f === 'testing.ts' ? /^\.\/testing\//.test(i) : /^\.\/[^/]+\.js$/.test(i)),
      )
      expect({ file: f, relative }).toEqual({ file: f, relative: [] })
    }
  })
})
