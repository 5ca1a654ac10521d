// Concurrent writers without a coordinator. Part 1: six processes append to one table at the same time; every
// commit is a put-if-absent of the next log version, losers re-check the winners and retry, and all 18 commits
// land with no row lost. Part 2: two transactions remove the same file (say, two compactions); the second one
// to commit gets a CommitConflictError naming the conflict instead of silently resurrecting data. Part 3: an
// idempotent write (application transaction id) is safe to retry after a crash.
// Run: `pnpm exec tsx --conditions=source examples/concurrent-writers.mjs`.
import assert from 'node:assert/strict'
import { fork } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import * as path from 'node:path'
import { fileURLToPath } from 'node:url'
import * as arrow from 'apache-arrow'
import { CommitConflictError, DeltaTable } from 'delta-ts'

const WRITERS = 6
const COMMITS_PER_WRITER = 3
const ROWS_PER_COMMIT = 100

const batch = (writer, commit) =>
  new arrow.Table({
    writer: arrow.vectorFromArray(Array(ROWS_PER_COMMIT).fill(writer), new arrow.Int32()),
    seq: arrow.vectorFromArray(
      Array.from({ length: ROWS_PER_COMMIT }, (_, i) => BigInt(commit * ROWS_PER_COMMIT + i)),
      new arrow.Int64(),
    ),
  })

if (process.argv[2] === 'writer') {
  // A child process: open the table and append, each commit racing the other processes.
  const [dir, id] = [process.argv[3], Number(process.argv[4])]
  const table = await DeltaTable.open(dir)
  let attempts = 0
  for (let c = 0; c < COMMITS_PER_WRITER; c++) attempts += (await table.write(batch(id, c))).commit.attempts
  process.send?.({ id, attempts })
  process.exit(0)
}

const dir = mkdtempSync(path.join(tmpdir(), 'delta-ts-concurrent-'))
try {
  const table = await DeltaTable.create(dir, {
    schema: new arrow.Schema([
      new arrow.Field('writer', new arrow.Int32(), false),
      new arrow.Field('seq', new arrow.Int64(), false),
    ]),
  })

  // Part 1: real processes, real races on the local file system.
  const results = await Promise.all(
    Array.from({ length: WRITERS }, (_, id) => {
      const child = fork(fileURLToPath(import.meta.url), ['writer', dir, String(id)])
      return new Promise((resolve, reject) => {
        let report
        child.on('message', (m) => (report = m))
        child.on('exit', (code) => (code === 0 ? resolve(report) : reject(new Error(`writer ${id} exited ${code}`))))
      })
    }),
  )
  const retries = results.reduce((s, r) => s + r.attempts, 0) - WRITERS * COMMITS_PER_WRITER
  const snap = await table.snapshot()
  const rows = await snap.scan().toArrow()
  console.log(
    `${WRITERS} writers x ${COMMITS_PER_WRITER} commits: version ${snap.version}, ${rows.numRows} rows, ${retries} lost races retried`,
  )
  assert.equal(snap.version, WRITERS * COMMITS_PER_WRITER)
  assert.equal(rows.numRows, WRITERS * COMMITS_PER_WRITER * ROWS_PER_COMMIT)

  // Part 2: two transactions start from the same snapshot and both remove the same file.
  const [victim] = await snap.files()
  const a = await table.startTransaction('OPTIMIZE')
  const b = await (await DeltaTable.open(dir)).startTransaction('OPTIMIZE')
  a.readFilePaths([victim.path]).remove([victim.add])
  b.readFilePaths([victim.path]).remove([victim.add])
  const won = await a.commit()
  try {
    await b.commit()
    assert.fail('the second removal of the same file must conflict')
  } catch (err) {
    assert.ok(err instanceof CommitConflictError, String(err))
    console.log(`second remover lost to version ${err.winningVersion}: ${err.kind}\n  hint: ${err.hint}`)
    assert.equal(err.winningVersion, won.version)
  }

  // Part 3: an idempotent write. A retry after a crash (same appId and version) commits nothing the second time.
  const txn = { appId: 'nightly-load', version: 20240501 }
  const first = await table.write(batch(99, 0), { txn })
  const retry = await table.write(batch(99, 0), { txn })
  console.log(`idempotent write: first committed version ${first.version}, retry skipped=${retry.skipped}`)
  assert.equal(retry.skipped, true)
  assert.equal(await (await table.snapshot()).appTransactionVersion('nightly-load'), txn.version)
} finally {
  rmSync(dir, { recursive: true, force: true })
}
