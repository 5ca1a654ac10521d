// The "pipeline" the two test files below exercise: a job that loads a batch of orders into a Delta table,
// exactly once. It retries transient storage failures and commits whose outcome delta-ts could not settle
// (COMMIT_OUTCOME_UNKNOWN: the write may have landed, and the log could not be read back), and it can retry
// safely because every write carries the batch id as an idempotent txn: a retry after a commit that did land is
// skipped instead of loading the rows twice.
import { DeltaTable, isDeltaError } from 'delta-ts'
import { rowsToArrow } from 'delta-ts/testing'

/**
 * Appends `orders` (plain rows: id bigint, customer string, total decimal string) to the table, as batch
 * `batchId` of application `orders-job`. Returns the version that holds the batch and how many tries it took.
 */
export async function loadOrders(table, orders, batchId, { maxTries = 3 } = {}) {
  const schema = (await table.snapshot()).schema
  const data = rowsToArrow(orders, schema)
  for (let attempt = 1; ; attempt++) {
    try {
      const r = await table.write(data, { txn: { appId: 'orders-job', version: batchId } })
      return { version: r.version, tries: attempt, alreadyLoaded: r.skipped }
    } catch (err) {
      const retryable = isDeltaError(err, 'STORAGE_TRANSIENT') || isDeltaError(err, 'COMMIT_OUTCOME_UNKNOWN')
      if (!retryable || attempt >= maxTries) throw err
    }
  }
}

/** Opens the job's table (for tests that pass their own storage). */
export function openOrders(uri, storage) {
  return DeltaTable.open(uri, storage ? { storage } : {})
}
