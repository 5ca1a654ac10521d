import { existsSync, readFileSync } from 'node:fs'
import * as path from 'node:path'
import { fileURLToPath } from 'node:url'

/** The repository root (two levels above packages/delta-ts/test). */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..')

/**
 * The golden tables folder: `testdata/delta-golden` in the repository (vendored, Apache-2.0; see its README).
 * `$DELTA_GOLDEN` overrides it, to try a newer copy of the corpus without replacing the vendored one. Throws when
 * the folder has no MANIFEST.tsv: a conformance run without its corpus is a failure.
 */
export function goldenRoot(): string {
  const root = process.env.DELTA_GOLDEN || path.join(repoRoot, 'testdata/delta-golden')
  if (existsSync(path.join(root, 'MANIFEST.tsv'))) return root
  throw new Error(
    `golden tables not found at ${root} (no MANIFEST.tsv)` +
      (process.env.DELTA_GOLDEN ? '; unset DELTA_GOLDEN to use the vendored testdata/delta-golden' : ''),
  )
}

/** One row of MANIFEST.tsv with the derived facts parsed out. */
export interface GoldenTable {
  name: string
  group: string
  /** Absolute path of the table root (the `delta/` folder). */
  tableDir: string
  /** Absolute path of `expected/` (may not exist). */
  expectedDir: string
  writer: string
  features: string
  facts: string
  notes: string
  latestVersion?: number
  activeFiles?: number
  liveRows?: number
  /** The manifest says loading must fail. */
  mustFail: boolean
}

/** Parses MANIFEST.tsv. */
export function goldenTables(): GoldenTable[] {
  const root = goldenRoot()
  const lines = readFileSync(path.join(root, 'MANIFEST.tsv'), 'utf8').split('\n').filter(Boolean)
  const header = lines[0].split('\t')
  const idx = (prefix: string) => header.findIndex((h) => h.startsWith(prefix))
  const [iName, iStaged, iWriter, iFeatures, iFacts, iNotes] = [
    idx('name'),
    idx('staged_path'),
    idx('writer'),
    idx('features'),
    idx('derived_facts'),
    idx('verified_notes'),
  ]
  return lines.slice(1).map((line) => {
    const cols = line.split('\t')
    const name = cols[iName]
    const tableDir = path.join(root, cols[iStaged])
    const facts = cols[iFacts] ?? ''
    const num = (key: string) => {
      const m = new RegExp(`${key}=(\\d+)`).exec(facts)
      return m ? Number(m[1]) : undefined
    }
    const notes = cols[iNotes] ?? ''
    return {
      name,
      group: name.split('/')[0],
      tableDir,
      expectedDir: path.join(path.dirname(tableDir), 'expected'),
      writer: cols[iWriter] ?? '',
      features: cols[iFeatures] ?? '',
      facts,
      notes,
      latestVersion: num('latestVersion'),
      activeFiles: num('activeFiles'),
      liveRows: num('liveRows'),
      mustFail: /NEGATIVE|must[- ]fail/i.test(`${facts} ${notes} ${cols[iFeatures] ?? ''}`),
    }
  })
}
