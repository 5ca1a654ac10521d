import * as path from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { findLogSegment, readCommit } from '../core/log-reader.js'
import { loadSnapshot, refreshSnapshot } from '../core/snapshot.js'
import { readParquetActions } from '../parquet/checkpoint-read.js'
import type { Action } from '../protocol/actions.js'
import { type FileEntry, fileActionKey } from '../protocol/file-entry.js'
import { LOG_DIR } from '../protocol/log-path.js'
import { pruneFiles } from '../protocol/pruning.js'
import { parseCommitJson, ReplayState } from '../protocol/replay.js'
import { LocalStorage } from '../storage/local.js'
import { MemoryStorage } from '../storage/memory.js'
import { CheckpointFiles, utf8Column } from './file-actions.js'

const golden = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../testdata/delta-golden')
const table = (set: string, name: string) => path.join(golden, set, name, 'delta')

/**
 * The reference: the object replay delta-ts used before the columnar store — every checkpoint row (parts,
 * V2 JSON top-level file, sidecars) converted to an action object and applied in log order with the commits.
 */
async function referenceFiles(storage: LocalStorage): Promise<FileEntry[]> {
  const seg = await findLogSegment(storage)
  const state = new ReplayState()
  const cp = seg.checkpoints[0]
  const actions: Action[] = []
  if (cp) {
    for (const p of cp.paths) {
      if (p.endsWith('.json')) actions.push(...parseCommitJson(new TextDecoder().decode(await storage.read(p)), p))
      else actions.push(...(await readParquetActions(storage, p)))
    }
    for (const a of [...actions]) {
      if (!a.sidecar) continue
      const rel = `${LOG_DIR}_sidecars/${decodeURIComponent(a.sidecar.path)}`
      for (const s of await readParquetActions(storage, rel)) if (s.add || s.remove) actions.push(s)
    }
  }
  for (const a of actions) state.apply(a)
  for (const c of seg.commits) {
    if (c.version <= (cp?.version ?? -1)) continue
    for (const a of await readCommit(storage, c.version)) state.apply(a)
  }
  return state.files.entries()
}

/** What a FileEntry says, in a form that compares structurally (stats and add read through their getters). */
function view(f: FileEntry) {
  return {
    key: fileActionKey(f.path, f.deletionVector),
    path: f.path,
    partitionValues: f.partitionValues,
    size: f.size,
    modificationTime: f.modificationTime,
    deletionVector: f.deletionVector ?? null,
    stats: f.stats ?? null,
    addPath: f.add.path,
  }
}

const byKey = (a: { key: string }, b: { key: string }) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)

const CASES: { name: string; dir: string }[] = [
  { name: 'multi-part checkpoint', dir: table('kernel-rs-golden', 'multi-part-checkpoint') },
  {
    name: 'multi-part checkpoint, partitioned, struct stats only',
    dir: table('kernel-rs-data', 'v1-multi-part-partitioned-struct-stats-only'),
  },
  {
    name: 'single-part struct stats only',
    dir: table('kernel-rs-data', 'v1-single-part-struct-stats-only'),
  },
  {
    name: 'V2 parquet checkpoint with sidecars',
    dir: table('kernel-rs-data', 'v2-checkpoints-parquet-with-sidecars'),
  },
  {
    name: 'V2 JSON checkpoint with sidecars',
    dir: table('kernel-rs-data', 'v2-checkpoints-json-with-sidecars'),
  },
  {
    name: 'V2 sidecars, struct stats only',
    dir: table('kernel-rs-data', 'v2-parquet-sidecars-struct-stats-only'),
  },
  { name: 'stats JSON and stats_parsed', dir: table('kernel-rs-data', 'parsed-stats') },
  {
    name: 'deletion vectors, partitioned, checkpoint',
    dir: table('kernel-rs-golden', 'dv-partitioned-with-checkpoint'),
  },
  { name: 'one path under several DVs', dir: table('kernel-rs-golden', 'log-replay-dv-key-cases') },
  { name: 'DVs with column mapping', dir: table('kernel-rs-golden', 'dv-with-columnmapping') },
  { name: 'column mapping (name)', dir: table('kernel-rs-golden', 'table-with-columnmapping-mode-name') },
  {
    name: 'partition values of every type',
    dir: table('kernel-rs-golden', 'data-reader-partition-values'),
  },
  {
    name: 'stats of every type, checkpoint',
    dir: table('kernel-rs-golden', 'data-skipping-basic-stats-all-types-checkpoint'),
  },
  {
    name: 'file removed and re-added',
    dir: table('kernel-rs-golden', 'delete-re-add-same-file-different-transactions'),
  },
]

describe('columnar file actions (differential against object replay)', () => {
  for (const c of CASES) {
    it(`${c.name}: the same live files, partition values, sizes, DVs and stats as object replay`, async () => {
      const storage = new LocalStorage(c.dir)
      const snap = await loadSnapshot(storage)
      const got = (await snap.files()).map(view).sort(byKey)
      const want = (await referenceFiles(storage)).map(view).sort(byKey)
      expect(got.length).toBeGreaterThan(0)
      expect(got).toEqual(want)
      expect(snap.numFiles).toBe(want.length)
    })
  }

  it('partition values of every type: planned files equal per-file pruning for each partition column', async () => {
    const dir = table('kernel-rs-golden', 'data-reader-partition-values')
    const snap = await loadSnapshot(new LocalStorage(dir))
    const ctx = {
      schema: snap.schema,
      partitionColumns: snap.partitionColumns,
      columnMappingMode: snap.columnMappingMode,
    }
    const all = await snap.files()
    let checked = 0
    for (const col of snap.partitionColumns) {
      for (const f of all) {
        const raw = f.partitionValues[col]
        const filter = raw === null || raw === undefined ? `${col} IS NULL` : `${col} IS NOT NULL`
        const bound = snap.bindPredicate(filter)
        const plan = await snap.scan({ filter: bound }).plan()
        const want = pruneFiles(all, bound, ctx)
        expect(plan.files.map((x) => x.path).sort()).toEqual(want.files.map((x) => x.path).sort())
        expect(plan.stats).toEqual(want.stats)
        expect(plan.filter).toBe(bound)
        checked++
      }
    }
    expect(checked).toBeGreaterThan(0)
  })
})

describe('columnar stats skipping (typed columns) against per-file pruning', () => {
  const statsTables = [
    table('kernel-rs-data', 'v1-single-part-struct-stats-only'),
    table('kernel-rs-data', 'v1-multi-part-partitioned-struct-stats-only'),
    table('kernel-rs-data', 'v2-parquet-sidecars-struct-stats-only'),
    table('kernel-rs-data', 'parsed-stats'),
    table('kernel-rs-golden', 'data-skipping-basic-stats-all-types-checkpoint'),
    table('kernel-rs-golden', 'dv-with-columnmapping'),
  ]
  const NUMERIC = new Set(['long', 'integer', 'short', 'byte', 'double', 'float'])
  for (const dir of statsTables) {
    it(`${dir.split('/').slice(-3, -1).join('/')}: comparisons and null tests of every numeric column keep exactly the files per-file pruning keeps`, async () => {
      const snap = await loadSnapshot(new LocalStorage(dir))
      const ctx = {
        schema: snap.schema,
        partitionColumns: snap.partitionColumns,
        columnMappingMode: snap.columnMappingMode,
      }
      const all = await snap.files()
      let checked = 0
      let skipped = 0
      for (const field of snap.schema.fields) {
        if (typeof field.type !== 'string' || snap.partitionColumns.includes(field.name)) continue
        const filters = [`${field.name} IS NULL`, `${field.name} IS NOT NULL`]
        if (NUMERIC.has(field.type)) {
          const phys = (field.metadata?.['delta.columnMapping.physicalName'] as string | undefined) ?? field.name
          const bounds = new Set<number>()
          for (const f of all)
            for (const b of [f.stats?.minValues?.[phys], f.stats?.maxValues?.[phys]])
              if (typeof b === 'number' && Number.isFinite(b)) bounds.add(b)
          for (const b of [...bounds].slice(0, 4))
            for (const op of ['<', '<=', '=', '!=', '>=', '>'])
              filters.push(`${field.name} ${op} ${b}`, `NOT (${field.name} ${op} ${b}) OR ${field.name} IS NULL`)
        }
        for (const filter of filters) {
          const bound = snap.bindPredicate(filter)
          const plan = await snap.scan({ filter: bound }).plan()
          const want = pruneFiles(all, bound, ctx)
          expect(plan.files.map((x) => x.path).sort(), filter).toEqual(want.files.map((x) => x.path).sort())
          expect(plan.stats, filter).toEqual(want.stats)
          skipped += plan.stats.skippedByStats
          checked++
        }
      }
      expect(checked).toBeGreaterThan(2)
      expect(skipped).toBeGreaterThan(0)
    })
  }
})

describe('columnar file actions: refresh and dedup', () => {
  it('a commit after the checkpoint that removes a file and re-adds it with a DV replaces the checkpoint row', async () => {
    const src = new LocalStorage(table('kernel-rs-golden', 'multi-part-checkpoint'))
    const mem = new MemoryStorage()
    for await (const m of src.list('')) await mem.put(m.path, await src.read(m.path))
    const base = await loadSnapshot(mem)
    const victim = (await base.files())[0]
    const dv = {
      storageType: 'i' as const,
      pathOrInlineDv: 'wi5b=000010000siXQKl0rr91000f',
      offset: 1,
      sizeInBytes: 1,
      cardinality: 1,
    }
    const commit = (actions: Action[]) =>
      new TextEncoder().encode(`${actions.map((a) => JSON.stringify(a)).join('\n')}\n`)
    const next = base.version + 1
    await mem.put(
      `${LOG_DIR}${String(next).padStart(20, '0')}.json`,
      commit([
        { remove: { path: victim.add.path, deletionTimestamp: 1, dataChange: true } },
        { add: { ...victim.add, deletionVector: dv, stats: null } },
      ]),
    )
    for (const snap of [await refreshSnapshot(base), await loadSnapshot(mem)]) {
      const files = await snap.files()
      expect(snap.numFiles).toBe(base.numFiles)
      expect(files.length).toBe(base.numFiles)
      const same = files.filter((f) => f.path === victim.path)
      expect(same).toHaveLength(1)
      expect(same[0].deletionVector).toEqual(dv)
      expect((await snap.tombstones(2)).map((r) => r.path)).toContain(victim.add.path)
    }
    // The old snapshot is unchanged.
    expect((await base.files()).find((f) => f.path === victim.path)?.deletionVector).toBeUndefined()
  })
})

describe('utf8Column', () => {
  it('decodes ASCII and non-ASCII columns with nulls the same as one decode per value', async () => {
    const { vectorFromArray, Utf8 } = await import('apache-arrow')
    for (const values of [
      ['a', null, 'bc', '', 'date=2024-01-01/part-0.parquet'],
      ['é', null, 'x', '\u{1F600}z', 'plain'],
    ]) {
      const v = vectorFromArray(values, new Utf8())
      expect(Array.from(utf8Column(v.data[0]), (x) => x ?? null)).toEqual(values)
    }
  })

  it('CheckpointFiles refuses an add column without a string path', async () => {
    const { vectorFromArray, Int32 } = await import('apache-arrow')
    const { makeData, Struct, Field } = await import('apache-arrow')
    const pathCol = vectorFromArray([1, 2], new Int32()).data[0]
    const data = makeData({ type: new Struct([new Field('path', new Int32())]), length: 2, children: [pathCol] })
    expect(() => new CheckpointFiles([data], 'test')).toThrow(/add column without a string path/)
  })
})

describe('CheckpointFiles stats from stats_parsed', () => {
  const ctx = {
    schema: { type: 'struct' as const, fields: [{ name: 'id', type: 'long' as const, nullable: true, metadata: {} }] },
    partitionColumns: [],
    columnMappingMode: 'none' as const,
  }
  const json = (lo: number, hi: number) =>
    JSON.stringify({ numRecords: 10, minValues: { id: lo }, maxValues: { id: hi }, nullCount: { id: 0 } })

  async function files() {
    const { vectorFromArray, Struct, Field, Utf8, Int64 } = await import('apache-arrow')
    const leaf = () => new Struct([new Field('id', new Int64(), true)])
    const type = new Struct([
      new Field('path', new Utf8()),
      new Field('stats', new Utf8(), true),
      new Field(
        'stats_parsed',
        new Struct([
          new Field('numRecords', new Int64(), true),
          new Field('minValues', leaf(), true),
          new Field('maxValues', leaf(), true),
          new Field('nullCount', leaf(), true),
        ]),
        true,
      ),
    ])
    const typed = (lo: bigint | null, hi: bigint | null, nulls: bigint | null) => ({
      numRecords: 10n,
      minValues: { id: lo },
      maxValues: { id: hi },
      nullCount: { id: nulls },
    })
    // The JSON and the typed stats disagree on purpose, to show which one is read.
    const v = vectorFromArray(
      [
        { path: 'a', stats: json(0, 9), stats_parsed: typed(100n, 109n, 0n) },
        { path: 'b', stats: json(20, 29), stats_parsed: typed(null, null, null) },
        { path: 'c', stats: null, stats_parsed: typed(-(2n ** 60n), 2n ** 60n, 1n) },
        { path: 'd', stats: json(40, 49), stats_parsed: null },
        { path: 'e', stats: null, stats_parsed: null },
      ],
      type,
    )
    return new CheckpointFiles([v.data[0]], 'test')
  }

  it('numeric columns read the typed stats, a row without typed values its JSON, longs beyond 2^53 as bigints', async () => {
    const cols = (await files()).columns(ctx)
    const s = cols.statsColumn(['id'], 'long')
    expect(Array.from(s.min)).toEqual([100, 20, -(2n ** 60n), 40, undefined])
    expect(Array.from(s.max)).toEqual([109, 29, 2n ** 60n, 49, undefined])
    expect(Array.from(s.nullCount)).toEqual([0, 0, 1, 0, undefined])
    expect(Array.from(cols.numRecords())).toEqual([10, 10, 10, 10, undefined])
  })

  it('columns of other types (and an untyped read) keep reading the JSON first', async () => {
    const s = (await files()).columns(ctx).statsColumn(['id'], 'string')
    // Row c has no JSON: its typed stats, as converted objects give them.
    expect(Array.from(s.min)).toEqual([0, 20, Number(-(2n ** 60n)), 40, undefined])
  })

  it('pruning keeps the files whose typed bounds may match: row a by its typed stats, not its JSON', async () => {
    const { pruneColumns } = await import('../protocol/pruning.js')
    const { bindPredicate } = await import('../core/plan.js')
    const cf = await files()
    const keptBy = (filter: string) => {
      const r = pruneColumns(cf.columns(ctx), bindPredicate(filter, ctx.schema), ctx)
      return ['a', 'b', 'c', 'd', 'e'].filter((_, i) => r.keep[i] === 1)
    }
    expect(keptBy('id >= 100 AND id < 110')).toEqual(['a', 'c', 'e'])
    expect(keptBy('id < 10')).toEqual(['c', 'e'])
  })
})

describe('CheckpointFiles partition column from partitionValues_parsed', () => {
  const ctx = {
    schema: {
      type: 'struct' as const,
      fields: [
        { name: 'id', type: 'long' as const, nullable: true, metadata: {} },
        { name: 'd', type: 'date' as const, nullable: true, metadata: {} },
      ],
    },
    partitionColumns: ['d'],
    columnMappingMode: 'none' as const,
  }
  const DAY = 86_400_000

  /** Checkpoint rows with partition value strings `raw` and typed values `typed` (days; null: a null value). */
  async function files(raw: (string | null)[], typed: (number | null)[]) {
    const { vectorFromArray, Struct, Field, Utf8, Map_, DateDay } = await import('apache-arrow')
    const type = new Struct([
      new Field('path', new Utf8()),
      new Field(
        'partitionValues',
        new Map_(
          new Field(
            'entries',
            new Struct<{ key: InstanceType<typeof Utf8>; value: InstanceType<typeof Utf8> }>([
              new Field('key', new Utf8()),
              new Field('value', new Utf8(), true),
            ]),
          ),
        ),
        true,
      ),
      new Field('partitionValues_parsed', new Struct([new Field('d', new DateDay(), true)]), true),
    ])
    const v = vectorFromArray(
      raw.map((r, i) => ({
        path: `f${i}`,
        partitionValues: new Map([['d', r]]),
        partitionValues_parsed: { d: typed[i] === null ? null : new Date(typed[i] * DAY) },
      })),
      type,
    )
    return new CheckpointFiles([v.data[0]], 'test')
  }

  const decoded = (p: { codes: Int32Array; values: readonly (string | null)[] }) =>
    Array.from(p.codes, (c) => (c < 0 ? null : p.values[c]))

  it('typed values that agree with the maps give the maps’ strings, one code per distinct value', async () => {
    const raw = ['2024-01-02', '2024-01-01', null, '2024-01-02']
    const cf = await files(raw, [19724, 19723, null, 19724])
    const p = cf.columns(ctx).partitionColumn('d')
    expect(decoded(p)).toEqual(raw)
    expect(p.values).toHaveLength(2)
  })

  it('typed values that disagree with the maps are not used: the maps decide', async () => {
    const raw = ['2024-01-02', '2024-01-01', '2024-01-03']
    const cf = await files(raw, [19723, 19723, 19723])
    expect(decoded(cf.columns(ctx).partitionColumn('d'))).toEqual(raw)
  })

  it('pruning on the typed codes keeps exactly the files of the matching partition', async () => {
    const { pruneColumns } = await import('../protocol/pruning.js')
    const { bindPredicate } = await import('../core/plan.js')
    const cf = await files(['2024-01-02', '2024-01-01', null], [19724, 19723, null])
    const r = pruneColumns(cf.columns(ctx), bindPredicate("d = '2024-01-01'", ctx.schema), ctx)
    expect(Array.from(r.keep)).toEqual([0, 1, 0])
    expect(r.stats).toEqual({ total: 3, prunedByPartition: 2, skippedByStats: 0, kept: 1 })
  })
})

describe('CheckpointFiles stats of the few files a partition filter keeps', () => {
  it('decides as per-file pruning of the entries, from typed stats, the JSON, or neither', async () => {
    const { vectorFromArray, Struct, Field, Utf8, Int64, Map_ } = await import('apache-arrow')
    const { pruneColumns } = await import('../protocol/pruning.js')
    const { bindPredicate } = await import('../core/plan.js')
    const ctx = {
      schema: {
        type: 'struct' as const,
        fields: [
          { name: 'id', type: 'long' as const, nullable: true, metadata: {} },
          { name: 'p', type: 'string' as const, nullable: true, metadata: {} },
        ],
      },
      partitionColumns: ['p'],
      columnMappingMode: 'none' as const,
    }
    const leaf = () => new Struct([new Field('id', new Int64(), true)])
    const type = new Struct([
      new Field('path', new Utf8()),
      new Field(
        'partitionValues',
        new Map_(
          new Field(
            'entries',
            new Struct<{ key: InstanceType<typeof Utf8>; value: InstanceType<typeof Utf8> }>([
              new Field('key', new Utf8()),
              new Field('value', new Utf8(), true),
            ]),
          ),
        ),
        true,
      ),
      new Field('stats', new Utf8(), true),
      new Field(
        'stats_parsed',
        new Struct([
          new Field('numRecords', new Int64(), true),
          new Field('minValues', leaf(), true),
          new Field('maxValues', leaf(), true),
          new Field('nullCount', leaf(), true),
        ]),
        true,
      ),
    ])
    // 64 files in 32 partitions: `p = 'k'` keeps 2 files (under a sixteenth), read one by one.
    const rows = Array.from({ length: 64 }, (_, k) => {
      const lo = (k * 37) % 100
      const hi = lo + (k % 5)
      const json = JSON.stringify({
        numRecords: 10,
        minValues: { id: lo },
        maxValues: { id: hi },
        nullCount: { id: 0 },
      })
      const typed = {
        numRecords: 10n,
        minValues: { id: BigInt(lo) },
        maxValues: { id: BigInt(hi) },
        nullCount: { id: 0n },
      }
      return {
        path: `f${k}`,
        partitionValues: new Map([['p', `v${k % 32}`]]),
        stats: k % 3 === 1 ? null : json,
        stats_parsed: k % 3 === 2 ? null : typed,
      }
    })
    const cf = new CheckpointFiles([vectorFromArray(rows, type).data[0]], 'test')
    const entries = Array.from({ length: cf.length }, (_, r) => cf.entry(r))
    let skipped = 0
    for (let k = 0; k < 32; k++)
      for (const cond of ['id < 50', 'id >= 60', 'id = 37']) {
        const bound = bindPredicate(`p = 'v${k}' AND ${cond}`, ctx.schema)
        const got = pruneColumns(cf.columns(ctx), bound, ctx)
        const want = pruneFiles(entries, bound, ctx)
        expect(got.stats).toEqual(want.stats)
        expect(entries.filter((_, r) => got.keep[r] === 1)).toEqual(want.files)
        skipped += want.stats.skippedByStats
      }
    expect(skipped).toBeGreaterThan(30)
  })
})
