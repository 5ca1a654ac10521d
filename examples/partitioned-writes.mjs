// Partitioned writes: rows land in Hive-style directories (country=DE/...), reads prune whole partitions and
// skip files by their min/max statistics, and `replaceWhere` rewrites one partition atomically.
// Run: `pnpm exec tsx --conditions=source examples/partitioned-writes.mjs`.
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import * as path from 'node:path'
import * as arrow from 'apache-arrow'
import { DeltaTable, isDeltaError } from 'delta-ts'

const dir = mkdtempSync(path.join(tmpdir(), 'delta-ts-partitioned-'))
const orders = (rows) =>
  new arrow.Table({
    order_id: arrow.vectorFromArray(
      rows.map((r) => BigInt(r[0])),
      new arrow.Int64(),
    ),
    country: arrow.vectorFromArray(
      rows.map((r) => r[1]),
      new arrow.Utf8(),
    ),
    amount: arrow.vectorFromArray(
      rows.map((r) => r[2]),
      new arrow.Float64(),
    ),
  })

try {
  const table = await DeltaTable.create(dir, {
    schema: new arrow.Schema([
      new arrow.Field('order_id', new arrow.Int64(), false),
      new arrow.Field('country', new arrow.Utf8(), true),
      new arrow.Field('amount', new arrow.Float64(), true),
    ]),
    partitionBy: ['country'],
  })
  // One write, three partitions (null goes to __HIVE_DEFAULT_PARTITION__, as in Spark).
  await table.write(
    orders([
      [1, 'DE', 20],
      [2, 'DE', 35],
      [3, 'FR', 12],
      [4, null, 7],
    ]),
  )
  await table.write(
    orders([
      [5, 'FR', 300],
      [6, 'US', 99],
    ]),
  )

  const snap = await table.snapshot()
  for (const f of await snap.files()) console.log(`  ${f.path} (${f.stats?.numRecords} rows)`)
  assert.deepEqual([...new Set((await snap.files()).map((f) => f.path.split('/')[0]))].sort(), [
    'country=DE',
    'country=FR',
    'country=US',
    'country=__HIVE_DEFAULT_PARTITION__',
  ])

  // A filtered scan: partition pruning, then stats skipping, then the row filter.
  const scan = snap.scan({ filter: "country = 'FR' AND amount > 100", columns: ['order_id', 'amount'] })
  const big = await scan.toArrow()
  console.log(
    `FR orders over 100: ${big
      .toArray()
      .map((r) => r.order_id)
      .join(', ')}; files`,
    scan.metrics,
  )
  assert.deepEqual(
    big.toArray().map((r) => Number(r.order_id)),
    [5],
  )
  assert.ok((scan.metrics?.prunedByPartition ?? 0) >= 3)

  // Replace exactly one partition; the others are untouched. Rows outside the predicate are refused.
  await table.write(orders([[7, 'DE', 50]]), { mode: 'overwrite', replaceWhere: "country = 'DE'" })
  const de = await (await table.snapshot()).scan({ filter: "country = 'DE'" }).toArrow()
  assert.deepEqual(
    de.toArray().map((r) => Number(r.order_id)),
    [7],
  )
  assert.equal((await (await table.snapshot()).scan().toArrow()).numRows, 5)
  try {
    await table.write(orders([[8, 'FR', 1]]), { mode: 'overwrite', replaceWhere: "country = 'DE'" })
    assert.fail('a row outside replaceWhere must be refused')
  } catch (err) {
    assert.ok(isDeltaError(err, 'CONSTRAINT_VIOLATION'), String(err))
    console.log(`row outside replaceWhere: ${err.code}`)
  }
  console.log(`table at version ${await table.version()}`)
} finally {
  rmSync(dir, { recursive: true, force: true })
}
