// Time travel: every commit is a version you can read again, by number or by time.
// Creates a table in a temp directory, commits three versions (append, append, overwrite), then reads each
// version back and the version current at a point in time. Run: `pnpm exec tsx --conditions=source examples/time-travel.mjs`.
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import * as path from 'node:path'
import * as arrow from 'apache-arrow'
import { DeltaTable, isDeltaError } from 'delta-ts'

const dir = mkdtempSync(path.join(tmpdir(), 'delta-ts-time-travel-'))
const prices = (skus, price) =>
  new arrow.Table({
    sku: arrow.vectorFromArray(skus, new arrow.Utf8()),
    price: arrow.vectorFromArray(
      skus.map(() => price),
      new arrow.Float64(),
    ),
  })

try {
  const table = await DeltaTable.create(dir, {
    schema: new arrow.Schema([
      new arrow.Field('sku', new arrow.Utf8(), false),
      new arrow.Field('price', new arrow.Float64(), true),
    ]),
  })
  await table.write(prices(['A', 'B'], 10)) // version 1
  const afterV1 = Date.now()
  await new Promise((r) => setTimeout(r, 20)) // commit times are file times: keep the versions apart
  await table.write(prices(['C'], 12)) // version 2
  await table.write(prices(['A', 'B', 'C'], 15), { mode: 'overwrite' }) // version 3

  for (const version of [0, 1, 2, 3]) {
    const snap = await table.snapshot({ version })
    const rows = await snap.scan().toArrow()
    const sum =
      rows
        .getChild('price')
        ?.toArray()
        .reduce((s, p) => s + p, 0) ?? 0
    console.log(`version ${version}: ${rows.numRows} rows, price total ${sum}`)
  }
  assert.equal((await (await table.snapshot({ version: 1 })).scan().toArrow()).numRows, 2)
  assert.equal((await (await table.snapshot({ version: 2 })).scan().toArrow()).numRows, 3)

  // By time: the newest version committed at or before the instant.
  const atTime = await table.snapshot({ timestamp: new Date(afterV1) })
  console.log(`at ${new Date(afterV1).toISOString()}: version ${atTime.version}`)
  assert.equal(atTime.version, 1)

  // The log knows what happened at each version.
  for (const h of await table.history())
    console.log(`  v${h.version} ${h.operation} ${JSON.stringify(h.operationParameters)}`)

  // Versions that do not exist fail with a code, not a message to parse.
  try {
    await table.snapshot({ version: 42 })
    assert.fail('version 42 should not exist')
  } catch (err) {
    assert.ok(isDeltaError(err, 'VERSION_NOT_FOUND'))
    console.log(`version 42: ${err.code}`)
  }
} finally {
  rmSync(dir, { recursive: true, force: true })
}
