/**
 * Kept for the DML modules (merge.ts, update.ts, dml-support.ts) until they import the take kernels from
 * `arrow/take.ts` directly; new code imports from there.
 */
export { takeData, takeRows } from '../arrow/take.js'
