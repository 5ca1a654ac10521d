// Upsert with MERGE: apply a batch of changes (new customers, updated ones, one to delete) to a table in one
// atomic commit; only the files that may hold matching keys are read and rewritten. Then UPDATE and DELETE
// with SQL predicates, and OPTIMIZE to compact the small files the changes left behind.
// Run: `pnpm exec tsx --conditions=source examples/upsert.mjs`.
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import * as path from 'node:path'
import * as arrow from 'apache-arrow'
import { DeltaTable } from 'delta-ts'

const dir = mkdtempSync(path.join(tmpdir(), 'delta-ts-upsert-'))
const customers = (rows) =>
  new arrow.Table({
    id: arrow.vectorFromArray(
      rows.map((r) => BigInt(r[0])),
      new arrow.Int64(),
    ),
    name: arrow.vectorFromArray(
      rows.map((r) => r[1]),
      new arrow.Utf8(),
    ),
    tier: arrow.vectorFromArray(
      rows.map((r) => r[2]),
      new arrow.Utf8(),
    ),
    op: arrow.vectorFromArray(
      rows.map((r) => r[3] ?? 'upsert'),
      new arrow.Utf8(),
    ),
  })
const contents = async (table) =>
  (await (await table.snapshot()).scan({ columns: ['id', 'name', 'tier'] }).toArrow())
    .toArray()
    .map((r) => `${r.id}:${r.name}:${r.tier}`)
    .sort()

try {
  const table = await DeltaTable.create(dir, {
    schema: new arrow.Schema([
      new arrow.Field('id', new arrow.Int64(), false),
      new arrow.Field('name', new arrow.Utf8(), true),
      new arrow.Field('tier', new arrow.Utf8(), true),
    ]),
  })
  await table.write(
    customers([
      [1, 'Ada', 'gold'],
      [2, 'Bob', 'silver'],
      [3, 'Cy', 'bronze'],
    ]).select(['id', 'name', 'tier']),
  )

  // The change batch: 2 is updated, 3 is deleted, 4 is new. `op` says what to do with each row.
  const changes = customers([
    [2, 'Bob', 'gold'],
    [3, 'Cy', null, 'delete'],
    [4, 'Dee', 'silver'],
  ])
  const merged = await table
    .merge(changes, { on: ['id'] })
    .whenMatchedDelete({ condition: "source.op = 'delete'" })
    .whenMatchedUpdate({ set: { name: 'source.name', tier: 'source.tier' } })
    .whenNotMatchedInsert({
      condition: "source.op <> 'delete'",
      values: { id: 'source.id', name: 'source.name', tier: 'source.tier' },
    })
    .execute()
  const m = merged.metrics
  console.log(
    `merge -> version ${merged.version}: ${m.numTargetRowsInserted} inserted, ${m.numTargetRowsUpdated} updated, ${m.numTargetRowsDeleted} deleted, ${m.numCopiedRows} copied`,
  )
  assert.deepEqual(await contents(table), ['1:Ada:gold', '2:Bob:gold', '4:Dee:silver'])

  // UPDATE and DELETE take SQL predicates and value expressions.
  await table.update({ predicate: "tier = 'silver'", set: { tier: "'gold'" } })
  await table.delete('id = 1')
  assert.deepEqual(await contents(table), ['2:Bob:gold', '4:Dee:gold'])

  // Small appends leave small files; OPTIMIZE bin-packs them (dataChange=false: readers see the same rows).
  for (const row of [
    [5, 'Eve', 'bronze'],
    [6, 'Fay', 'silver'],
  ]) {
    await table.write(customers([row]).select(['id', 'name', 'tier']))
  }
  const before = (await (await table.snapshot()).files()).length
  const opt = await table.optimize()
  console.log(
    `optimize: ${opt.metrics.numFilesRemoved} files -> ${opt.metrics.numFilesAdded} (was ${before} active files)`,
  )
  assert.equal(
    (await (await table.snapshot()).files()).length,
    before - opt.metrics.numFilesRemoved + opt.metrics.numFilesAdded,
  )
  assert.ok(opt.metrics.numFilesRemoved >= 3 && opt.metrics.numFilesAdded === 1, JSON.stringify(opt))
  assert.deepEqual(await contents(table), ['2:Bob:gold', '4:Dee:gold', '5:Eve:bronze', '6:Fay:silver'])

  for (const h of await table.history()) console.log(`  v${h.version} ${h.operation}`)
} finally {
  rmSync(dir, { recursive: true, force: true })
}
