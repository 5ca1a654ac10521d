import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import * as path from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import * as arrow from 'apache-arrow'
import { afterAll, describe, expect, it } from 'vitest'
import { DeltaTable } from '../src/index.js'

/**
 * 8 OS processes appending to one table with an identity column and row tracking, no coordinator: identity
 * values and row ids must never repeat; then 8 processes that append and UPDATE their own rows (copy-on-write
 * rewrites racing appends and each other): the updated rows keep their row ids (workers:
 * test/workers/identity-writer.ts, public API only).
 */
const run = promisify(execFile)
const here = path.dirname(fileURLToPath(import.meta.url))
const worker = path.join(here, 'workers', 'identity-writer.ts')
const tsx = path.resolve(here, '../../../node_modules/.bin/tsx')
const dirs: string[] = []
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

describe('identity columns and row tracking under 8 concurrent writer processes', () => {
  it('8 processes x 4 appends of 3 rows: every identity value and every row id is unique, versions contiguous', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'delta-ts-identity-'))
    dirs.push(dir)
    await DeltaTable.create(dir, {
      schema: new arrow.Schema([
        new arrow.Field('id', new arrow.Int64(), false),
        new arrow.Field('name', new arrow.Utf8(), false),
      ]),
      identityColumns: { id: {} },
      properties: { 'delta.enableRowTracking': 'true' },
    })
    const writers = 8
    const ops = 4
    const outputs = await Promise.all(
      Array.from({ length: writers }, (_, w) =>
        run(tsx, ['--conditions=source', worker, dir, `w${w}`, String(ops)], { timeout: 600_000 }),
      ),
    )
    const lines = outputs.flatMap((o) =>
      o.stdout
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { version: number; retries: number }),
    )
    expect(lines).toHaveLength(writers * ops)
    expect(lines.map((l) => l.version).sort((a, b) => a - b)).toEqual(
      Array.from({ length: writers * ops }, (_, i) => i + 1),
    )
    const table = await DeltaTable.open(dir)
    const t = await (await table.snapshot()).scan({ columns: ['id', 'name', '_metadata.row_id'] }).toArrow()
    const n = writers * ops * 3
    expect(t.numRows).toBe(n)
    const ids = [...t.getChild('id')!] as bigint[]
    const rowIds = [...t.getChild('_metadata.row_id')!] as bigint[]
    expect(new Set(ids).size).toBe(n)
    expect(new Set(rowIds).size).toBe(n)
    expect(new Set([...t.getChild('name')!]).size).toBe(n)
    // Identity values are 1..n (each commit continues the mark it read); row ids are 0..n-1.
    expect(ids.sort((a, b) => Number(a - b))).toEqual(Array.from({ length: n }, (_, i) => BigInt(i + 1)))
    expect(rowIds.sort((a, b) => Number(a - b))).toEqual(Array.from({ length: n }, (_, i) => BigInt(i)))
    const mark = (await table.snapshot()).schema.fields[0].metadata!['delta.identity.highWaterMark']
    expect(mark).toBe(n)
  }, 600_000)

  it('8 processes x (3 appends + 1 UPDATE of their own rows): updated rows keep their row ids, none repeats, each gets its commit version', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'delta-ts-rowtrack-dml-'))
    dirs.push(dir)
    await DeltaTable.create(dir, {
      schema: new arrow.Schema([
        new arrow.Field('id', new arrow.Int64(), false),
        new arrow.Field('writer', new arrow.Utf8(), false),
        new arrow.Field('name', new arrow.Utf8(), false),
      ]),
      identityColumns: { id: {} },
      properties: { 'delta.enableRowTracking': 'true' },
    })
    const writers = 8
    const ops = 3
    const outputs = await Promise.all(
      Array.from({ length: writers }, (_, w) =>
        run(tsx, ['--conditions=source', worker, dir, `w${w}`, String(ops), 'dml'], { timeout: 600_000 }),
      ),
    )
    const lines = outputs.flatMap((o) =>
      o.stdout
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { version: number; update?: boolean; rowIds?: Record<string, string> }),
    )
    expect(lines).toHaveLength(writers * (ops + 1))
    expect(lines.map((l) => l.version).sort((a, b) => a - b)).toEqual(
      Array.from({ length: writers * (ops + 1) }, (_, i) => i + 1),
    )
    const t = await (await (await DeltaTable.open(dir)).snapshot())
      .scan({ columns: ['id', 'name', '_metadata.row_id', '_metadata.row_commit_version'] })
      .toArrow()
    const n = writers * ops * 3
    expect(t.numRows).toBe(n)
    const rows = t.toArray().map((r) => ({
      id: r.id as bigint,
      name: String(r.name),
      rowId: String(r['_metadata.row_id']),
      rcv: Number(r['_metadata.row_commit_version']),
    }))
    expect(new Set(rows.map((r) => r.rowId)).size).toBe(n)
    expect(new Set(rows.map((r) => r.id)).size).toBe(n)
    expect(rows.every((r) => r.name === 'updated')).toBe(true)
    const byId = new Map(rows.map((r) => [String(r.id), r]))
    for (const u of lines.filter((l) => l.update)) {
      const ids = Object.entries(u.rowIds ?? {})
      expect(ids).toHaveLength(ops * 3)
      for (const [id, rowId] of ids) {
        const row = byId.get(id)
        expect(row, `updated row ${id}`).toBeDefined()
        expect(row?.rowId, `row id of ${id}`).toBe(rowId)
        expect(row?.rcv, `row commit version of ${id}`).toBe(u.version)
      }
    }
  }, 600_000)
})
