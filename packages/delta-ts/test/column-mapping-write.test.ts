import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import * as path from 'node:path'
import * as arrow from 'apache-arrow'
import { afterAll, describe, expect, it } from 'vitest'
import { DeltaTable } from '../src/index.js'
import { runPythonJson } from './python-oracle.js'

/**
 * Writing column-mapped tables (name and id modes): create assigns ids and physical names, files carry
 * physical names and field ids, partition values and stats are keyed by physical names, schema evolution
 * assigns the next ids, DML works, and delta-rs reads the result by logical names.
 */
const dirs: string[] = []
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

const rows = (ids: number[], day: string) =>
  arrow.tableFromArrays({ id: Int32Array.from(ids), name: ids.map((i) => `n${i}`), day: ids.map(() => day) })

async function scanIds(table: DeltaTable): Promise<string[]> {
  const t = await (await table.snapshot()).scan().toArrow()
  return [...t].map((r) => `${r.id}:${r.name}:${r.day}${'extra' in r.toJSON() ? `:${r.extra}` : ''}`).sort()
}

describe('writes to column-mapped tables', () => {
  for (const mode of ['name', 'id'] as const) {
    it(`${mode} mode: create, append, merge schema, delete, update, merge; delta-rs reads the same rows`, async () => {
      const dir = mkdtempSync(path.join(tmpdir(), `delta-ts-cm-${mode}-`))
      dirs.push(dir)
      const table = await DeltaTable.create(dir, {
        schema: rows([], 'x').schema,
        partitionBy: ['day'],
        properties: { 'delta.columnMapping.mode': mode },
      })
      const snap0 = await table.snapshot()
      expect(snap0.protocol).toEqual({ minReaderVersion: 2, minWriterVersion: 5 })
      expect(snap0.properties['delta.columnMapping.maxColumnId']).toBe('3')
      const phys = snap0.schema.fields.map((f) => f.metadata?.['delta.columnMapping.physicalName'] as string)
      expect(phys.every((p) => p.startsWith('col-'))).toBe(true)

      await table.write(rows([1, 2], 'mon'))
      await table.write(rows([3], 'tue'))
      const files = await (await table.snapshot()).files()
      for (const f of files) {
        expect(Object.keys(f.partitionValues)).toEqual([phys[2]])
        expect(Object.keys(f.stats?.minValues ?? {}).sort()).toEqual([phys[0], phys[1]].sort())
      }
      const extra = arrow.tableFromArrays({
        id: Int32Array.from([4]),
        name: ['n4'],
        day: ['tue'],
        extra: Float64Array.from([2.5]),
      })
      await table.write(extra, { schemaMode: 'merge' })
      const snap = await table.snapshot()
      expect(snap.properties['delta.columnMapping.maxColumnId']).toBe('4')
      expect(snap.schema.fields[3].metadata?.['delta.columnMapping.id']).toBe(4)
      await table.delete('id = 1')
      await table.update({ predicate: 'id = 3', set: { name: "'three'" } })
      await table
        .merge(arrow.tableFromArrays({ id: Int32Array.from([2, 9]), name: ['two', 'n9'], day: ['mon', 'wed'] }), {
          on: ['id'],
        })
        .whenMatchedUpdateAll()
        .whenNotMatchedInsertAll()
        .execute()
      const expected = ['2:two:mon:null', '3:three:tue:null', '4:n4:tue:2.5', '9:n9:wed:null']
      expect(await scanIds(await DeltaTable.open(dir))).toEqual(expected)

      const rs = runPythonJson<string[]>(
        `
import sys, json
from deltalake import DeltaTable, QueryBuilder
dt = DeltaTable(sys.argv[1])
import pyarrow as pa
rows = pa.table(QueryBuilder().register('t', dt).execute('select id, name, day, extra from t').read_all()).to_pylist()
print(json.dumps(sorted(f"{r['id']}:{r['name']}:{r['day']}:{'null' if r['extra'] is None else r['extra']}" for r in rows)))
`,
        [dir],
      )
      expect(rs).toEqual(expected)
    })
  }
})
