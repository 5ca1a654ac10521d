import { mkdtemp, readFile, rm } from 'node:fs/promises'
import * as os from 'node:os'
import * as path from 'node:path'
import { afterAll, expect, it } from 'vitest'
import { BENCHMARKS } from './benchmarks.js'
import type { BenchResultFile } from './report.js'
import { runBenchmarks } from './run.js'

// Runs the whole suite at quick sizes into a temporary folder (the committed results stay untouched) and checks
// the shape of what each benchmark reports. No timing assertions: this proves the suite runs, not how fast.
const out = await mkdtemp(path.join(os.tmpdir(), 'bench-test-'))
afterAll(() => rm(out, { recursive: true, force: true }))

const positive = (x: unknown) => typeof x === 'number' && Number.isFinite(x) && x > 0

it('every benchmark runs in quick mode and writes a result JSON with medians, peak RSS and ratios', async () => {
  const docFile = path.join(out, 'performance.md')
  const results = await runBenchmarks({ names: [], quick: true, reps: 2, outDir: out, docFile })
  expect(results.map((r) => r.name)).toEqual(BENCHMARKS.map((b) => b.name))
  for (const r of results) {
    const onDisk = JSON.parse(await readFile(path.join(out, `${r.name}.json`), 'utf8')) as BenchResultFile
    expect(onDisk.name, r.name).toBe(r.name)
    expect(onDisk.error, `${r.name} failed: ${onDisk.error}`).toBeUndefined()
    expect(onDisk.quick).toBe(true)
    expect(onDisk.machine.cores).toBeGreaterThan(0)
    expect(onDisk.versions['delta-ts']).toMatch(/^\d+\.\d+\.\d+/)
    expect(onDisk.cases.length, r.name).toBeGreaterThan(0)
    for (const c of onDisk.cases) {
      expect(c.error, `${r.name}/${c.case} failed: ${c.error}`).toBeNull()
      const ts = c.deltaTs
      if (!ts) throw new Error(`${r.name}/${c.case}: no delta-ts measurement`)
      expect(positive(ts.medianMs), `${r.name}/${c.case} median`).toBe(true)
      expect(ts.runsMs.length, `${r.name}/${c.case} runs`).toBeGreaterThan(0)
      expect(positive(ts.peakRssMb), `${r.name}/${c.case} rss`).toBe(true)
      // Commits compare wall times of concurrent writers, not median latencies.
      if (c.deltaRs && r.name !== 'commits') expect(c.ratioVsDeltaRs).toBeCloseTo(ts.medianMs / c.deltaRs.medianMs, 2)
      if (c.deltaRs) expect(positive(c.ratioVsDeltaRs)).toBe(true)
      if (c.baseline) expect(c.ratioVsBaseline).toBeCloseTo(ts.medianMs / c.baseline.medianMs, 2)
      if (c.target && !c.target.met)
        expect(c.profile?.top.length ?? 0, `${r.name}/${c.case} profile`).toBeGreaterThan(0)
    }
  }
  // Where the issue asks for them: delta-rs on load/scan/append/merge, raw parquet-wasm on scan and append.
  const byName = new Map(results.map((r) => [r.name, r]))
  for (const n of ['snapshot', 'scan', 'append', 'merge'])
    expect(byName.get(n)?.cases.some((c) => c.deltaRs)).toBe(true)
  for (const n of ['scan', 'append']) expect(byName.get(n)?.cases.every((c) => c.baseline)).toBe(true)
  expect(byName.get('commits')?.cases.every((c) => c.throughput?.unit === 'commits/s')).toBe(true)
  expect(byName.get('etl')?.cases[0].throughput?.unit).toBe('order_items rows/s')
  const doc = await readFile(docFile, 'utf8')
  for (const r of results) expect(doc).toContain(`pnpm bench ${r.name}`)
}, 900_000)
