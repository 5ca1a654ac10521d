import { expect } from 'vitest'
import { DeltaTable } from '../../src/index.js'
import type { StructType } from '../../src/protocol/schema.js'
import { canonicalRows, schemaShape, type WireRow, wireRows } from './canon.js'
import type { PyRead, PyScenario, PyVersion } from './harness.js'
import type { TsScenario } from './ts-scenarios.js'

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

/**
 * Asserts that another engine's read of a delta-ts scenario table matches the scenario's model: same latest
 * version, partition columns, schema and rows at every readable version, and a history whose entries are the
 * commitInfo delta-ts wrote (same operation, delta-ts engineInfo).
 */
export function expectReaderMatchesModel(read: PyRead, s: TsScenario): void {
  const label = `${read.reader} reading ${s.name}`
  expect(read.latestVersion, `${label}: latest version`).toBe(s.latestVersion)
  expect(read.partitionColumns, `${label}: partition columns`).toEqual(s.partitionColumns)
  const wanted = s.readable === 'all' ? [...Array(s.latestVersion + 1).keys()] : [s.latestVersion]
  expect(
    read.versions.map((v) => v.version),
    `${label}: versions read`,
  ).toEqual(wanted)
  for (const got of read.versions) {
    const l = `${label} v${got.version} (${s.operations[got.version]})`
    expect.soft(schemaShape(JSON.parse(got.schema)), `${l} schema`).toEqual(schemaShape(s.schema))
    expect.soft(canonicalRows(got.rows), `${l} rows`).toEqual(canonicalRows(s.rowsAt[got.version]))
  }
  const history = read.history.map((h) => ({
    version: Number(h.version),
    operation: h.operation,
    engineInfo: h.engineInfo,
  }))
  expect(history.length, `${label}: history entries`).toBeGreaterThan(0)
  expect(Math.max(...history.map((h) => h.version)), `${label}: newest history entry`).toBe(s.latestVersion)
  for (const h of history) {
    expect.soft(h.operation, `${label}: history v${h.version} operation`).toBe(s.operations[h.version])
    expect.soft(String(h.engineInfo), `${label}: history v${h.version} engineInfo`).toMatch(/^delta-ts\//)
  }
}
