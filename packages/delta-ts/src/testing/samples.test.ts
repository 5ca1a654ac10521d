import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import * as path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { goldenTables } from '../../test/golden.js'
import { DeltaTable } from '../index.js'
import { copySampleTable, readRows, rowsToArrow, SAMPLE_TABLES, type SampleTableName } from '../testing.js'

const pkgDir = path.resolve(import.meta.dirname, '../..')
const tmp = mkdtempSync(path.join(tmpdir(), 'delta-ts-samples-'))
afterAll(() => rmSync(tmp, { recursive: true, force: true }))

/** Where each sample was copied from in the golden corpus (see sample-tables/NOTICE.md). */
const SOURCES: Record<SampleTableName, string> = {
  partitioned: 'kernel-rs-data/basic_partitioned',
  'deletion-vectors': 'kernel-rs-data/table-with-dv-small',
  'column-mapping': 'kernel-rs-golden/table-with-columnmapping-mode-name',
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
    .sort()
}

describe('copySampleTable', () => {
  const golden = new Map(goldenTables().map((t) => [t.name, t]))

  it.each(SAMPLE_TABLES.map((t) => t.name))(
    '%s: the copy reads the same rows as its golden source, and the live row count the manifest states',
    async (name) => {
      const source = golden.get(SOURCES[name])!
      const dir = await copySampleTable(name, path.join(tmp, name))
      const copy = await DeltaTable.open(dir)
      const rows = await readRows(copy)
      expect(rows).toEqual(await readRows(source.tableDir))
      expect(rows).toHaveLength(source.liveRows!)
      expect((await copy.snapshot()).version).toBe(source.latestVersion)
    },
  )

  it('the copies exercise what they are named for: partitions, deletion vectors, column mapping', async () => {
    const part = await (await DeltaTable.open(path.join(tmp, 'partitioned'))).snapshot()
    expect(part.partitionColumns).toEqual(['letter'])
    const dv = await (await DeltaTable.open(path.join(tmp, 'deletion-vectors'))).snapshot()
    expect((await dv.files()).some((f) => f.deletionVector)).toBe(true)
    const cm = await (await DeltaTable.open(path.join(tmp, 'column-mapping'))).snapshot()
    expect(cm.columnMappingMode).toBe('name')
  })

  it('a copy is writable and independent of the shipped table', async () => {
    const dir = await copySampleTable('partitioned', path.join(tmp, 'writable'))
    const table = await DeltaTable.open(dir)
    const before = await readRows(table)
    const snap = await table.snapshot()
    await table.write(rowsToArrow([{ letter: 'z', number: 99n, a_float: 9.5 }], snap.schema))
    const after = await readRows(table)
    expect(after).toHaveLength(before.length + 1)
    expect(after).toContainEqual({ letter: 'z', number: '99', a_float: 9.5 })
    expect(await readRows(path.join(pkgDir, 'sample-tables/partitioned'))).toEqual(before)
  })

  it('rejects unknown names and a destination that already holds a table', async () => {
    await expect(copySampleTable('nope' as SampleTableName, path.join(tmp, 'x'))).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringMatching(/have: partitioned, deletion-vectors, column-mapping/),
    })
    await expect(copySampleTable('partitioned', path.join(tmp, 'partitioned'))).rejects.toMatchObject({
      code: 'TABLE_ALREADY_EXISTS',
    })
  })

  it('ships every sample in the package (files), with its attribution, under 300 KB in all', () => {
    const pkg = JSON.parse(readFileSync(path.join(pkgDir, 'package.json'), 'utf8'))
    expect(pkg.files).toContain('sample-tables')
    const root = path.join(pkgDir, 'sample-tables')
    expect(
      readdirSync(root, { withFileTypes: true })
        .filter((e) => e.isDirectory())
        .map((e) => e.name)
        .sort(),
    ).toEqual(SAMPLE_TABLES.map((t) => t.name).sort())
    const notice = readFileSync(path.join(root, 'NOTICE.md'), 'utf8')
    for (const t of SAMPLE_TABLES) expect(notice).toContain(`\`${t.name}\``)
    const total = filesUnder(root).reduce((s, f) => s + statSync(path.join(root, f)).size, 0)
    expect(total).toBeLessThan(300 * 1024)
    // Copies are exact: same files, same bytes, as the golden sources (checksum side files aside).
    for (const t of SAMPLE_TABLES) {
      const src = golden.get(SOURCES[t.name])!.tableDir
      const want = filesUnder(src).filter((f) => !f.endsWith('.crc') && !path.basename(f).startsWith('.'))
      expect(filesUnder(path.join(root, t.name))).toEqual(want)
      for (const f of want) expect(readFileSync(path.join(root, t.name, f))).toEqual(readFileSync(path.join(src, f)))
      expect(existsSync(path.join(root, t.name, '_delta_log'))).toBe(true)
    }
  })
})
