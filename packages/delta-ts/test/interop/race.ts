import { existsSync, readdirSync, writeFileSync } from 'node:fs'
import * as path from 'node:path'
import { Int64, Table, Utf8, vectorFromArray } from 'apache-arrow'
import { DeltaTable } from '../../src/index.js'

/** Helpers of the concurrent-append tests: delta-ts racing another engine's process on one local table. */

/** A one-row table {writer, seq}: each append of a race writes one such row in its own commit. */
export function oneRow(writer: string, seq: number): Table {
  return new Table({
    writer: vectorFromArray([writer], new Utf8()),
    seq: vectorFromArray([BigInt(seq)], new Int64()),
  })
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)))

/** Resolves when `file` exists; rejects after `timeoutMs`. */
export async function waitFor(file: string, timeoutMs: number): Promise<void> {
  const start = Date.now()
  while (!existsSync(file)) {
    if (Date.now() - start > timeoutMs) throw new Error(`${file} did not appear within ${timeoutMs} ms`)
    await sleep(20)
  }
}

/**
 * The delta-ts side of a race: waits until the other process created `ready` (or ended), warms delta-ts up
 * (parquet-wasm loads on the first write, here to a memory table), writes `ready.go` with a start instant
 * both sides honour, then appends `count` one-row commits pausing `paceMs` between them. With
 * `awaitOtherMs`, after each commit it also waits (up to that long) until another writer has committed a
 * newer version: a slow writer such as Spark then always lands between delta-ts's commits, so the commits
 * interleave however the machine's load shifts the two loops.
 */
export async function raceDeltaTs(
  dir: string,
  ready: string,
  other: Promise<unknown>,
  count: number,
  paceMs: number,
  awaitOtherMs = 0,
): Promise<void> {
  let otherDone = false
  other.then(
    () => {
      otherDone = true
    },
    () => {
      otherDone = true
    },
  )
  await Promise.race([waitFor(ready, 300_000), other])
  const warm = await DeltaTable.create(`memory://interop-warm-up-${Date.now()}`, { schema: oneRow('x', 0).schema })
  await warm.write(oneRow('x', 0))
  const table = await DeltaTable.open(dir)
  const startAt = Date.now() + 300
  writeFileSync(`${ready}.go`, String(startAt))
  await sleep(startAt - Date.now())
  for (let k = 0; k < count; k++) {
    const { version } = await table.write(oneRow('delta-ts', k))
    await sleep(paceMs)
    const until = Date.now() + awaitOtherMs
    while (k < count - 1 && !otherDone && Date.now() < until && Math.max(...commitVersions(dir)) <= version) {
      await sleep(50)
    }
  }
}

/** Commit versions present in `_delta_log`, ascending. */
export function commitVersions(dir: string): number[] {
  return readdirSync(path.join(dir, '_delta_log'))
    .filter((f) => /^\d{20}\.json$/.test(f))
    .map((f) => Number(f.slice(0, 20)))
    .sort((a, b) => a - b)
}

/** The writer of each commit after version 0, in version order ('delta-ts' or 'other'), from the history. */
export async function writersInLogOrder(dir: string): Promise<string[]> {
  const history = await (await DeltaTable.open(dir)).history()
  return history
    .filter((h) => h.version > 0)
    .sort((a, b) => a.version - b.version)
    .map((h) => (String(h.engineInfo ?? '').startsWith('delta-ts') ? 'delta-ts' : 'other'))
}

/** How often the writer changes from one commit to the next (0 or 1 means the two did not interleave). */
export function switches(writers: string[]): number {
  return writers.filter((w, k) => k > 0 && w !== writers[k - 1]).length
}
