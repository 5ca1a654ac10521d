import { expect } from 'vitest'
import { DeltaTable } from '../../src/index.js'
import type { StructType } from '../../src/protocol/schema.js'
import { canonicalRows, schemaShape, type WireRow, wireRows } from './canon.js'
import type { PyScenario, PyVersion } from './harness.js'

/** One version of a table as delta-ts reads it, in the same shape as the Python side's dump. */
export interface TsVersion {
  version: number
  schema: StructType
  rows: WireRow[]
}

/** Reads `version` of the table at `dir` with delta-ts's public API and renders it in wire form. */
export async function readWithDeltaTs(dir: string, version?: number): Promise<TsVersion> {
  const table = await DeltaTable.open(dir)
  const snapshot = await table.snapshot(version === undefined ? {} : { version })
  const arrow = await snapshot.scan().toArrow()
  return { version: snapshot.version, schema: snapshot.schema, rows: wireRows(arrow) }
}

/**
 * Asserts that delta-ts reads every version of a scenario table exactly as its writer did: same version,
 * same schema (names, types, nullability) and the same multiset of rows. All versions are checked (soft
 * assertions) so one run reports every differing version, each labelled with the writer's operation.
 */
export async function expectSameAtEveryVersion(dir: string, scenario: PyScenario): Promise<void> {
  expect(scenario.versions.map((v) => v.version)).toEqual([...Array(scenario.latestVersion + 1).keys()])
  for (const want of scenario.versions) {
    const label = `${scenario.writer} ${scenario.scenario} v${want.version} (${want.operation})`
    const got = await readWithDeltaTs(dir, want.version)
    expect.soft(got.version, label).toBe(want.version)
    expect.soft(schemaShape(got.schema), `${label} schema`).toEqual(schemaShape(JSON.parse(want.schema)))
    expect.soft(canonicalRows(got.rows), `${label} rows`).toEqual(canonicalRows(want.rows))
  }
  const latest = await readWithDeltaTs(dir)
  expect(latest.version).toBe(scenario.latestVersion)
}

/** Asserts that a Python reader saw `want` rows and schema at one version of a delta-ts-written table. */
export function expectPyVersion(got: PyVersion | undefined, want: TsVersion, label: string): void {
  expect(got, `${label}: the reader returned this version`).toBeDefined()
  expect.soft(got?.version, label).toBe(want.version)
  expect
    .soft(schemaShape(JSON.parse(got?.schema ?? '{"type":"struct","fields":[]}')), `${label} schema`)
    .toEqual(schemaShape(want.schema))
  expect.soft(canonicalRows(got?.rows ?? []), `${label} rows`).toEqual(canonicalRows(want.rows))
}
