/**
 * `delta-ts/testing`: helpers for testing programs built on delta-ts. Build tables from plain rows
 * ({@link createTestTable}), read them back in an exact JSON-safe form ({@link readRows}), assert on them
 * ({@link assertRows}, the vitest/jest matchers {@link deltaMatchers}), inject storage faults
 * ({@link FaultyStorage}: failures, delays, lost responses, concurrent writers) and copy real sample tables
 * ({@link copySampleTable}). Node only. Nothing in the main `delta-ts` entry imports this one.
 * @packageDocumentation
 */

export { rowsToArrow } from './testing/arrow.js'
export {
  type AssertRowsOptions,
  assertRows,
  compareRows,
  type DeltaMatchers,
  deltaMatchers,
  type MatcherContext,
  type MatcherResult,
  type RowComparison,
  type RowsUnderTest,
} from './testing/assert.js'
export {
  COMMIT_FILE,
  type Fault,
  type FaultError,
  type FaultKind,
  type FaultTarget,
  FaultyStorage,
  type HookContext,
  type StorageCall,
  type StorageOperation,
} from './testing/faulty-storage.js'
export { copySampleTable, SAMPLE_TABLES, type SampleTable, type SampleTableName } from './testing/samples.js'
export {
  type CreateTestTableOptions,
  createTestTable,
  inferSchema,
  type ReadRowsOptions,
  type RowSource,
  readRows,
  type TestRow,
} from './testing/tables.js'
