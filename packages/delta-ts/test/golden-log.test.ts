import { existsSync, readdirSync, readFileSync } from 'node:fs'
import * as path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { DeltaError, DeltaTable, LocalStorage, SUPPORTED_READER_FEATURES } from '../src/index.js'
import { type GoldenTable, goldenTables } from './golden.js'

/**
 * Log-replay conformance over every golden table: version, active files, protocol and metadata against
 * MANIFEST.tsv and DAT's table_version_metadata.json; live row counts from stats; must-fail tables fail with
 * the right code; tables needing a reader feature delta-ts lacks are refused with UNSUPPORTED_FEATURE.
 */

const tally = new Map<string, { pass: number; total: number }>()
const refused: string[] = []
function count(group: string, ok: boolean) {
  const t = tally.get(group) ?? { pass: 0, total: 0 }
  t.total++
  if (ok) t.pass++
  tally.set(group, t)
}

/** The error code each must-fail table has to produce, from its MANIFEST note. */
function expectedFailure(t: GoldenTable): string {
  const text = `${t.facts} ${t.notes}`
  if (/minReaderVersion 99/.test(text)) return 'UNSUPPORTED_FEATURE'
  if (/lacks metaData|no metaData/.test(text)) return 'MISSING_METADATA'
  if (/lacks protocol|no protocol/.test(text)) return 'MISSING_PROTOCOL'
  if (/gap/.test(text)) return 'VERSION_GAP'
  if (/no log|no _delta_log|no commit/.test(text)) return 'TABLE_NOT_FOUND'
  throw new Error(`no expected failure code known for ${t.name}: ${text}`)
}

/** Reader features the table's log declares (any protocol action in any commit). */
function declaredReaderFeatures(t: GoldenTable): string[] {
  const logDir = path.join(t.tableDir, '_delta_log')
  if (!existsSync(logDir)) return []
  const feats = new Set<string>()
  for (const f of readdirSync(logDir)) {
    if (!f.endsWith('.json')) continue
    for (const m of readFileSync(path.join(logDir, f), 'utf8').matchAll(/"readerFeatures"\s*:\s*\[([^\]]*)\]/g)) {
      for (const x of m[1].matchAll(/"([^"]+)"/g)) feats.add(x[1])
    }
  }
  return [...feats]
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p
    return 'OK'
  } catch (err) {
    if (err instanceof DeltaError) return err.code
    throw err
  }
}

const tables = goldenTables()

/**
 * Log-only tables whose log cannot describe a readable table (MANIFEST: "replay issues: no/invalid schema",
 * or a metaData without schemaString). Opening them must fail with the named code; their history still reads.
 */
const UNREADABLE_LOG_ONLY: Record<string, string> = {
  'kernel-rs-golden/data-reader-absolute-paths-escaped-chars': 'MISSING_METADATA',
  'kernel-rs-golden/deltalog-commit-info': 'INVALID_SCHEMA',
  'kernel-rs-golden/update-deleted-directory': 'INVALID_SCHEMA',
}

describe('golden tables: log replay conformance', () => {
  it('finds all 154 golden tables in the manifest', () => {
    expect(tables.length).toBe(154)
  })

  for (const t of tables) {
    const unsupported = declaredReaderFeatures(t).filter((f) => !SUPPORTED_READER_FEATURES.has(f))
    if (t.mustFail) {
      it(`${t.name}: must fail, fails with the right code`, async () => {
        const code = await codeOf(DeltaTable.open(t.tableDir))
        count(t.group, code === expectedFailure(t))
        expect(code).toBe(expectedFailure(t))
      })
    } else if (UNREADABLE_LOG_ONLY[t.name]) {
      it(`${t.name}: log-only without a usable schema fails with ${UNREADABLE_LOG_ONLY[t.name]}, history still reads`, async () => {
        const code = await codeOf(DeltaTable.open(t.tableDir))
        const history = await new DeltaTable(new LocalStorage(t.tableDir)).history()
        count(t.group, code === UNREADABLE_LOG_ONLY[t.name] && history.length > 0)
        expect(code).toBe(UNREADABLE_LOG_ONLY[t.name])
        expect(history[history.length - 1].version).toBe(0)
      })
    } else if (unsupported.length > 0) {
      it(`${t.name}: refused with UNSUPPORTED_FEATURE naming ${unsupported.join(', ')}`, async () => {
        let err: unknown
        try {
          await DeltaTable.open(t.tableDir)
        } catch (e) {
          err = e
        }
        refused.push(`${t.name}: reader feature ${unsupported.join(', ')} not supported`)
        count(t.group, err instanceof DeltaError && err.code === 'UNSUPPORTED_FEATURE')
        expect(err).toBeInstanceOf(DeltaError)
        expect((err as DeltaError).code).toBe('UNSUPPORTED_FEATURE')
        for (const f of unsupported) expect((err as DeltaError).message).toContain(f)
      })
    } else {
      it(`${t.name}: latest version, active files, protocol and row counts match`, async () => {
        let ok = false
        try {
          const table = await DeltaTable.open(t.tableDir)
          const snap = await table.snapshot()
          if (t.latestVersion !== undefined) expect(snap.version).toBe(t.latestVersion)
          const files = await snap.files()
          if (t.activeFiles !== undefined) expect(files.length).toBe(t.activeFiles)
          expect(snap.protocol.minReaderVersion).toBeGreaterThanOrEqual(1)
          expect(snap.schema.type).toBe('struct')
          // Live rows from stats: numRecords minus deletion-vector cardinality, when every file has stats.
          if (t.liveRows !== undefined && files.every((f) => typeof f.stats?.numRecords === 'number')) {
            const live = files.reduce(
              (s, f) => s + (f.stats!.numRecords ?? 0) - (f.deletionVector?.cardinality ?? 0),
              0,
            )
            expect(live).toBe(t.liveRows)
          }
          if (t.group === 'dat') await checkDatVersions(t, table)
          ok = true
        } finally {
          count(t.group, ok)
        }
      })
    }
  }

  afterAll(() => {
    const lines = [...tally].map(([g, { pass, total }]) => `  ${g}: ${pass}/${total}`)
    const all = [...tally.values()].reduce((a, b) => ({ pass: a.pass + b.pass, total: a.total + b.total }), {
      pass: 0,
      total: 0,
    })
    process.stdout.write(
      `\ngolden log conformance: ${all.pass}/${all.total}\n${lines.join('\n')}\nrefused as unsupported (expected):\n${refused.map((r) => `  ${r}`).join('\n')}\n`,
    )
  })
})

/** Every DAT version listed under expected/: version, protocol versions and properties match. */
async function checkDatVersions(t: GoldenTable, table: DeltaTable) {
  for (const dir of readdirSync(t.expectedDir)) {
    const metaPath = path.join(t.expectedDir, dir, 'table_version_metadata.json')
    if (!existsSync(metaPath)) continue
    const meta = JSON.parse(readFileSync(metaPath, 'utf8'))
    const snap = await table.snapshot({ version: meta.version })
    expect(snap.version).toBe(meta.version)
    expect(snap.protocol.minReaderVersion).toBe(meta.min_reader_version)
    expect(snap.protocol.minWriterVersion).toBe(meta.min_writer_version)
    for (const [k, v] of Object.entries(meta.properties ?? {})) expect(snap.properties[k]).toBe(v)
  }
}
