import { cpSync } from 'node:fs'
import * as path from 'node:path'
import * as arrow from 'apache-arrow'
import { afterEach, describe, expect, it } from 'vitest'
import { cleanupDirs, createOrders, order, ordersTable, readOrders, tmpDir } from '../../test/dml-fixtures.js'
import { goldenRoot } from '../../test/golden.js'
import { isDeltaError } from '../errors.js'
import { DeltaTable, LocalStorage } from '../index.js'

afterEach(cleanupDirs)

// Target: ids 1..4 over two days; source: 2 (newer), 3 (older), 5 (new).
const target = [
  order(1, 'new', 10),
  order(2, 'new', 10),
  order(3, 'new', 10, '2024-01-02'),
  order(4, 'new', 10, '2024-01-02'),
]
const source = [order(2, 'paid', 20), order(3, 'stale', 5, '2024-01-02'), order(5, 'new', 20, '2024-01-03')]

describe('MERGE clauses (hand-computed expectations)', () => {
  it('joins integer keys of different widths, keys beyond 2^53 and null keys exactly', async () => {
    const big = 2n ** 60n
    const t = await DeltaTable.create(tmpDir(), {
      schema: new arrow.Schema([
        new arrow.Field('id', new arrow.Int64(), true),
        new arrow.Field('v', new arrow.Int32()),
      ]),
    })
    await t.write(
      new arrow.Table({
        id: arrow.vectorFromArray([1n, big, big + 1n, null], new arrow.Int64()),
        v: arrow.makeVector(Int32Array.from([0, 0, 0, 0])),
      }),
    )
    const read = async () =>
      (await (await t.snapshot()).scan().toArrow())
        .toArray()
        .map((r) => `${r.id}:${r.v}`)
        .sort()
    // Source keys as int32: the integer index joins them with the long target keys.
    await t
      .merge(arrow.tableFromArrays({ id: Int32Array.from([1, 7]), v: Int32Array.from([1, 1]) }), { on: ['id'] })
      .whenMatchedUpdateAll()
      .execute()
    expect(await read()).toEqual([`${big}:0`, `${big + 1n}:0`, '1:1', 'null:0'])
    // Source keys beyond 2^53 (and a null, which matches nothing): exact key strings, big and big + 1 stay apart.
    await t
      .merge(
        new arrow.Table({
          id: arrow.vectorFromArray([big + 1n, null], new arrow.Int64()),
          v: arrow.makeVector(Int32Array.from([2, 2])),
        }),
        { on: ['id'] },
      )
      .whenMatchedUpdateAll()
      .execute()
    expect(await read()).toEqual([`${big}:0`, `${big + 1n}:2`, '1:1', 'null:0'])
  })

  it('upsert: matched update all + insert all updates 2 rows, inserts 1, copies none of the untouched days', async () => {
    const t = await createOrders(target)
    const r = await t
      .merge(ordersTable(source), { on: 'target.id = source.id' })
      .whenMatchedUpdateAll()
      .whenNotMatchedInsertAll()
      .execute()
    expect(await readOrders(t)).toEqual([
      order(1, 'new', 10),
      order(2, 'paid', 20),
      order(3, 'stale', 5, '2024-01-02'),
      order(4, 'new', 10, '2024-01-02'),
      order(5, 'new', 20, '2024-01-03'),
    ])
    expect(r.metrics).toMatchObject({
      numSourceRows: 3,
      numTargetRowsUpdated: 2,
      numTargetRowsInserted: 1,
      numTargetRowsDeleted: 0,
      numCopiedRows: 2,
      numOutputRows: 5,
      numFilesRemoved: 2,
    })
  })

  it('a null-safe change condition NOT (t.x <=> s.x AND ...) updates only the rows that changed, nulls included', async () => {
    const rows = [order(1, 'new', 10), order(2, null, 10), order(3, 'new', 10, '2024-01-02', null)]
    const t = await createOrders(rows)
    const changed = 'NOT (target.status <=> source.status AND target.amount <=> source.amount)'
    const run = (src: typeof rows) =>
      t
        .merge(ordersTable(src), { on: ['id'] })
        .whenMatchedUpdateAll({ condition: changed })
        .whenNotMatchedInsertAll()
        .execute()
    // The same rows again (nulls in status and amount): nothing changed, nothing is committed.
    const v = await t.version()
    const same = await run(rows)
    expect(same.metrics).toMatchObject({ numTargetRowsUpdated: 0, numFilesRemoved: 0, numFilesAdded: 0 })
    expect(same.version).toBe(v)
    // Row 2's status goes from null to a value, row 3's amount from null to a value: only day 2024-01-02's
    // file and the file holding row 2 change.
    const next = [order(1, 'new', 10), order(2, 'paid', 10), order(3, 'new', 10, '2024-01-02', 7)]
    const r = await run(next)
    expect(r.metrics).toMatchObject({ numTargetRowsUpdated: 2, numTargetRowsInserted: 0 })
    expect(await readOrders(t)).toEqual(next)
  })

  it('conditional update only takes newer source rows; a second identical merge changes nothing and commits nothing', async () => {
    const t = await createOrders(target)
    const run = () =>
      t
        .merge(ordersTable(source), { on: ['id'] })
        .whenMatchedUpdateAll({ condition: 'source.updated_at > target.updated_at' })
        .whenNotMatchedInsertAll()
        .execute()
    const first = await run()
    expect(first.metrics).toMatchObject({ numTargetRowsUpdated: 1, numTargetRowsInserted: 1, numFilesRemoved: 1 })
    const after = await readOrders(t)
    expect(after).toEqual([
      order(1, 'new', 10),
      order(2, 'paid', 20),
      order(3, 'new', 10, '2024-01-02'),
      order(4, 'new', 10, '2024-01-02'),
      order(5, 'new', 20, '2024-01-03'),
    ])
    const v = await t.version()
    const second = await run()
    expect(second.metrics).toMatchObject({
      numTargetRowsUpdated: 0,
      numTargetRowsInserted: 0,
      numFilesRemoved: 0,
      numFilesAdded: 0,
    })
    expect(second.version).toBe(v)
    expect(await t.version()).toBe(v)
    expect(await readOrders(t)).toEqual(after)
  })

  it('matched delete with a condition removes only the rows it selects; the rest of the file is copied', async () => {
    const t = await createOrders(target)
    const r = await t
      .merge(ordersTable(source), { on: ['id'] })
      .whenMatchedDelete({ condition: "source.status = 'paid'" })
      .execute()
    expect((await readOrders(t)).map((o) => o.id)).toEqual([1, 3, 4])
    expect(r.metrics).toMatchObject({
      numTargetRowsDeleted: 1,
      numTargetRowsMatchedDeleted: 1,
      numCopiedRows: 1,
      numFilesRemoved: 1,
      numFilesAdded: 1,
    })
  })

  it('clauses apply in order: the first whose condition holds takes the row', async () => {
    const t = await createOrders(target)
    await t
      .merge(ordersTable(source), { on: ['id'] })
      .whenMatchedDelete({ condition: 'source.updated_at < target.updated_at' })
      .whenMatchedUpdate({ set: { status: "'updated'", amount: 'source.amount + target.amount' } })
      .whenNotMatchedInsert({ values: { id: 'source.id', status: "'inserted'", updated_at: '0', day: 'source.day' } })
      .execute()
    expect(await readOrders(t)).toEqual([
      order(1, 'new', 10),
      order(2, 'updated', 10, '2024-01-01', 40),
      order(4, 'new', 10, '2024-01-02'),
      order(5, 'inserted', 0, '2024-01-03', null),
    ])
  })

  it('not matched by source: delete and update with conditions over the target', async () => {
    const t = await createOrders(target)
    const r = await t
      .merge(ordersTable(source), { on: ['id'] })
      .whenNotMatchedBySourceDelete({ condition: "target.day = '2024-01-01'" })
      .whenNotMatchedBySourceUpdate({ set: { status: "'orphan'", updated_at: 'updated_at + 1' } })
      .execute()
    expect(await readOrders(t)).toEqual([
      order(2, 'new', 10),
      order(3, 'new', 10, '2024-01-02'),
      order(4, 'orphan', 11, '2024-01-02'),
    ])
    expect(r.metrics).toMatchObject({
      numTargetRowsNotMatchedBySourceDeleted: 1,
      numTargetRowsNotMatchedBySourceUpdated: 1,
      numTargetRowsDeleted: 1,
      numTargetRowsUpdated: 1,
      numCopiedRows: 2,
    })
  })

  it('insert-only merge with a condition inserts only qualifying new rows', async () => {
    const t = await createOrders(target)
    await t
      .merge(ordersTable([...source, order(6, 'x', 1, '2024-01-03')]), { on: ['id'] })
      .whenNotMatchedInsertAll({ condition: 'source.updated_at > 10' })
      .execute()
    expect((await readOrders(t)).map((o) => o.id)).toEqual([1, 2, 3, 4, 5])
  })

  it('updating the partition column moves the row to the new partition', async () => {
    const t = await createOrders(target)
    await t
      .merge(ordersTable([order(1, 'moved', 30)]), { on: ['id'] })
      .whenMatchedUpdate({ set: { day: "'2024-02-01'", status: 'source.status' } })
      .execute()
    const rows = await readOrders(t)
    expect(rows[0]).toEqual(order(1, 'moved', 10, '2024-02-01'))
    const files = await (await t.snapshot()).files({ filter: "day = '2024-02-01'" })
    expect(files).toHaveLength(1)
  })

  it('a target row matched by two source rows fails with MERGE_DUPLICATE_SOURCE and commits nothing', async () => {
    const t = await createOrders(target)
    const v = await t.version()
    const dup = [order(2, 'a', 20), order(2, 'b', 30)]
    const err = await t
      .merge(ordersTable(dup), { on: ['id'] })
      .whenMatchedUpdateAll()
      .execute()
      .catch((e: unknown) => e)
    expect(isDeltaError(err, 'MERGE_DUPLICATE_SOURCE')).toBe(true)
    expect(await t.version()).toBe(v)
  })

  it('dedupeSource keeps the latest source row per key', async () => {
    const t = await createOrders(target)
    const dup = [order(2, 'b', 30), order(2, 'a', 20), order(7, 'x', 1), order(7, 'y', 2)]
    await t
      .merge(ordersTable(dup), { on: ['id'], dedupeSource: { keys: ['id'], orderBy: 'updated_at' } })
      .whenMatchedUpdateAll()
      .whenNotMatchedInsertAll()
      .execute()
    const rows = await readOrders(t)
    expect(rows.find((o) => o.id === 2)?.status).toBe('b')
    expect(rows.find((o) => o.id === 7)?.status).toBe('y')
    expect(rows).toHaveLength(5)
  })

  it('duplicate source rows are allowed for an insert-only merge and a single unconditional delete', async () => {
    const t = await createOrders(target)
    const dup = [order(2, 'a', 20), order(2, 'b', 30), order(9, 'n', 1), order(9, 'm', 1)]
    await t
      .merge(ordersTable(dup), { on: ['id'] })
      .whenNotMatchedInsertAll()
      .execute()
    expect((await readOrders(t)).filter((o) => o.id === 9)).toHaveLength(2)
    const r = await t
      .merge(ordersTable(dup), { on: ['id'] })
      .whenMatchedDelete()
      .execute()
    expect(r.metrics.numTargetRowsDeleted).toBe(3)
    expect((await readOrders(t)).map((o) => o.id)).toEqual([1, 3, 4])
  })

  it('a residual non-equality ON conjunct restricts matches; null keys never match', async () => {
    const t = await createOrders(target)
    const src = [order(1, 'x', 99), order(3, 'y', 99, '2024-01-02')]
    await t
      .merge(ordersTable(src), { on: "target.id = source.id AND target.day = '2024-01-02'" })
      .whenMatchedUpdateAll()
      .whenNotMatchedInsertAll()
      .execute()
    const rows = await readOrders(t)
    // id 1 is not in day 2024-01-02, so it does not match and is inserted as a second row with id 1.
    expect(rows.filter((o) => o.id === 1)).toEqual([order(1, 'new', 10), order(1, 'x', 99)])
    expect(rows.find((o) => o.id === 3)).toEqual(order(3, 'y', 99, '2024-01-02'))
  })

  it('only candidate files are read and rewritten: other partitions keep their add actions', async () => {
    const t = await createOrders(target)
    const before = new Set((await (await t.snapshot()).files()).map((f) => f.path))
    const r = await t
      .merge(ordersTable([order(4, 'x', 50, '2024-01-02')]), {
        on: 'target.id = source.id AND target.day = source.day',
      })
      .whenMatchedUpdateAll()
      .execute()
    expect(r.metrics.numFilesSkipped).toBe(1)
    const after = (await (await t.snapshot()).files()).map((f) => f.path)
    expect(after.filter((p) => before.has(p))).toHaveLength(1)
    expect(after.find((p) => before.has(p))).toMatch(/day=2024-01-01/)
  })

  it('records Spark operationParameters and metrics in commitInfo', async () => {
    const t = await createOrders(target)
    await t
      .merge(ordersTable(source), { on: 'target.id = source.id' })
      .whenMatchedUpdateAll({ condition: 'source.updated_at > target.updated_at' })
      .whenNotMatchedInsertAll()
      .execute()
    const [h] = await t.history({ limit: 1 })
    expect(h.operation).toBe('MERGE')
    expect(JSON.parse(h.operationParameters!.predicate as string)).toEqual(['target.id = source.id'])
    expect(JSON.parse(h.operationParameters!.matchedPredicates as string)).toEqual([
      { predicate: 'source.updated_at > target.updated_at', actionType: 'update' },
    ])
    expect(JSON.parse(h.operationParameters!.notMatchedPredicates as string)).toEqual([{ actionType: 'insert' }])
    expect(JSON.parse(h.operationParameters!.notMatchedBySourcePredicates as string)).toEqual([])
    expect(h.operationMetrics).toMatchObject({
      numSourceRows: '3',
      numTargetRowsInserted: '1',
      numTargetRowsUpdated: '1',
      numTargetRowsDeleted: '0',
      numTargetRowsCopied: '1',
      numOutputRows: '3',
      numTargetFilesAdded: '2',
      numTargetFilesRemoved: '1',
    })
  })

  it('txn makes a merge idempotent: the second run with the same appId/version is skipped', async () => {
    const t = await createOrders(target)
    const go = () =>
      t
        .merge(ordersTable(source), { on: ['id'], txn: { appId: 'etl', version: 7 } })
        .whenNotMatchedInsertAll()
        .execute()
    const a = await go()
    expect(a.skipped).toBe(false)
    const b = await go()
    expect(b).toMatchObject({ skipped: true, version: a.version })
    expect((await readOrders(t)).filter((o) => o.id === 5)).toHaveLength(1)
    await expect((await t.snapshot()).appTransactionVersion('etl')).resolves.toBe(7)
  })

  it('skipEmptyCommit with txn: a null-safe change-detecting merge of unchanged rows commits nothing; a changed row commits with the txn', async () => {
    const t = await createOrders(target)
    const before = (await t.snapshot()).version
    const unchanged =
      'NOT (target.id <=> source.id AND target.status <=> source.status AND target.amount <=> source.amount AND target.updated_at <=> source.updated_at AND target.day <=> source.day)'
    const go = (rows: typeof target, version: number) =>
      t
        .merge(ordersTable(rows), { on: ['id'], txn: { appId: 'etl', version }, skipEmptyCommit: true })
        .whenMatchedUpdateAll({ condition: unchanged })
        .whenNotMatchedInsertAll()
        .execute()
    const same = await go(target.slice(0, 2), 1)
    expect(same).toMatchObject({ skipped: false, version: before })
    expect(same.metrics).toMatchObject({ numTargetRowsUpdated: 0, numTargetRowsInserted: 0, numFilesAdded: 0 })
    expect((await t.snapshot()).version).toBe(before)
    await expect((await t.snapshot()).appTransactionVersion('etl')).resolves.toBeUndefined()
    const changed = await go([order(1, 'new', 10), order(2, 'paid', 10)], 2)
    expect(changed.version).toBe(before + 1)
    expect(changed.metrics).toMatchObject({ numTargetRowsUpdated: 1, numTargetRowsInserted: 0 })
    await expect((await t.snapshot()).appTransactionVersion('etl')).resolves.toBe(2)
  })

  it('rejects a merge without clauses and unknown columns with clear errors', async () => {
    const t = await createOrders(target)
    await expect(t.merge(ordersTable(source), { on: ['id'] }).execute()).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    })
    await expect(
      t.merge(ordersTable(source), { on: 'target.nope = source.id' }).whenMatchedDelete().execute(),
    ).rejects.toMatchObject({ code: 'INVALID_PREDICATE' })
    await expect(
      t
        .merge(ordersTable(source), { on: ['id'] })
        .whenMatchedUpdate({ set: { nope: '1' } })
        .execute(),
    ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
  })

  it('stats pruning: an unpartitioned table reads only files whose key range overlaps the source keys', async () => {
    const t = await createOrders([], { partitioned: false })
    for (let f = 0; f < 5; f++) await t.write(ordersTable([order(f * 10 + 1, 's', 1), order(f * 10 + 2, 's', 1)]))
    const r = await t
      .merge(ordersTable([order(21, 'x', 2), order(22, 'x', 2)]), { on: ['id'] })
      .whenMatchedUpdateAll()
      .execute()
    expect(r.metrics).toMatchObject({ numFilesSkipped: 4, numFilesRemoved: 1, numTargetRowsUpdated: 2 })
    expect((await readOrders(t)).filter((o) => o.status === 'x').map((o) => o.id)).toEqual([21, 22])
  })

  it('source columns of other widths and units join and cast exactly (int32 key, ms timestamp, decimal scale)', async () => {
    const tSchema = new arrow.Schema([
      new arrow.Field('id', new arrow.Int64(), false),
      new arrow.Field('ts', new arrow.TimestampMicrosecond('UTC'), true),
      new arrow.Field('price', new arrow.Decimal(2, 10, 128), true),
    ])
    const t = await DeltaTable.create(tmpDir(), { schema: tSchema })
    const batch = (schema: arrow.Schema, children: arrow.Data[], n: number) =>
      new arrow.Table(schema, [
        new arrow.RecordBatch(
          schema,
          arrow.makeData({ type: new arrow.Struct(schema.fields), length: n, nullCount: 0, children }),
        ),
      ])
    await t.write(
      batch(
        tSchema,
        [
          arrow.makeData({ type: new arrow.Int64(), data: BigInt64Array.of(1n, 2n) }),
          arrow.makeData({ type: new arrow.TimestampMicrosecond('UTC'), data: BigInt64Array.of(1n, 2n) }),
          arrow.makeData({ type: new arrow.Decimal(2, 10, 128), data: Uint32Array.of(100, 0, 0, 0, 200, 0, 0, 0) }),
        ],
        2,
      ),
    )
    const sSchema = new arrow.Schema([
      new arrow.Field('id', new arrow.Int32(), false),
      new arrow.Field('ts', new arrow.TimestampMillisecond('UTC'), true),
      new arrow.Field('price', new arrow.Decimal(1, 5, 128), true),
    ])
    await t
      .merge(
        batch(
          sSchema,
          [
            arrow.makeData({ type: new arrow.Int32(), data: Int32Array.of(2, 3) }),
            arrow.makeData({
              type: new arrow.TimestampMillisecond('UTC'),
              data: BigInt64Array.of(1_700_000_000_123n, 5n),
            }),
            arrow.makeData({ type: new arrow.Decimal(1, 5, 128), data: Uint32Array.of(15, 0, 0, 0, 7, 0, 0, 0) }),
          ],
          2,
        ),
        { on: ['id'] },
      )
      .whenMatchedUpdateAll()
      .whenNotMatchedInsertAll()
      .execute()
    const out = await (await t.snapshot()).scan().toArrow()
    const rows = out.batches.flatMap((b) =>
      [...Array(b.numRows).keys()].map((i) => ({
        id: b.getChild('id')!.get(i) as bigint,
        ts: b.getChild('ts')!.data[0].values[i],
        price: b.getChild('price')!.data[0].values[i * 4],
      })),
    )
    rows.sort((a, b) => Number(a.id - b.id))
    expect(rows).toEqual([
      { id: 1n, ts: 1n, price: 100 },
      { id: 2n, ts: 1_700_000_000_123_000n, price: 150 },
      { id: 3n, ts: 5000n, price: 70 },
    ])
  })

  it('a multi-batch source (empty batch, nulls, dictionary strings, lists, structs, booleans) merges row for row', async () => {
    const tags = new arrow.List(new arrow.Field('element', new arrow.Utf8(), true))
    const addr = new arrow.Struct([new arrow.Field('city', new arrow.Utf8(), true)])
    const schema = new arrow.Schema([
      new arrow.Field('id', new arrow.Int64(), false),
      new arrow.Field('tags', tags, true),
      new arrow.Field('addr', addr, true),
      new arrow.Field('flag', new arrow.Bool(), true),
    ])
    const dictType = new arrow.Dictionary(new arrow.Utf8(), new arrow.Int32())
    const dictSchema = new arrow.Schema([...schema.fields, new arrow.Field('note', dictType, true)])
    const mk = (
      ids: number[],
      tg: (string[] | null)[],
      cities: (string | null)[],
      flags: (boolean | null)[],
      dict = false,
    ) => {
      const src = dict ? dictSchema : schema
      const children = [
        arrow.makeData({ type: new arrow.Int64(), data: BigInt64Array.from(ids.map(BigInt)) }),
        arrow.vectorFromArray(tg, tags).data[0],
        arrow.vectorFromArray(
          cities.map((c) => (c === null ? null : { city: c })),
          addr,
        ).data[0],
        arrow.vectorFromArray(flags, new arrow.Bool()).data[0],
        ...(dict
          ? [
              arrow.vectorFromArray(
                ids.map((i) => `n${i % 2}`),
                dictType,
              ).data[0],
            ]
          : []),
      ]
      return new arrow.RecordBatch(
        src,
        arrow.makeData({ type: new arrow.Struct(src.fields), length: ids.length, nullCount: 0, children }),
      )
    }
    const t = await DeltaTable.create(tmpDir(), { schema })
    await t.write(new arrow.Table([mk([1, 2], [['a'], null], ['x', null], [true, null])]))
    const srcBatches = [
      mk([2, 3], [['b', 'c'], []], [null, 'y'], [false, true], true),
      mk([], [], [], [], true),
      mk([4], [null], ['z'], [null], true),
    ]
    const r = await t
      .merge(new arrow.Table(dictSchema, srcBatches), { on: ['id'] })
      .whenMatchedUpdateAll()
      .whenNotMatchedInsertAll()
      .execute()
    expect(r.metrics).toMatchObject({ numSourceRows: 3, numTargetRowsUpdated: 1, numTargetRowsInserted: 2 })
    const out = await (await t.snapshot()).scan().toArrow()
    const rows = out.toArray().map((row) => {
      const o = row.toJSON()
      return { id: Number(o.id), tags: o.tags ? [...o.tags] : null, city: o.addr ? o.addr.city : null, flag: o.flag }
    })
    rows.sort((a, b) => a.id - b.id)
    expect(rows).toEqual([
      { id: 1, tags: ['a'], city: 'x', flag: true },
      { id: 2, tags: ['b', 'c'], city: null, flag: false },
      { id: 3, tags: [], city: 'y', flag: true },
      { id: 4, tags: null, city: 'z', flag: null },
    ])
  })

  it('an aborted merge throws ABORTED and commits nothing', async () => {
    const t = await createOrders(target)
    const v = await t.version()
    const ac = new AbortController()
    ac.abort()
    await expect(
      t
        .merge(ordersTable(source), { on: ['id'], signal: ac.signal })
        .whenMatchedUpdateAll()
        .execute(),
    ).rejects.toMatchObject({ code: 'ABORTED' })
    expect(await t.version()).toBe(v)
  })

  it('merge commits trigger the automatic checkpoint at delta.checkpointInterval', async () => {
    const t = await DeltaTable.create(tmpDir(), {
      schema: ordersTable([]).schema,
      partitionBy: ['day'],
      properties: { 'delta.checkpointInterval': '2' },
    })
    await t.write(ordersTable(target))
    const r = await t
      .merge(ordersTable(source), { on: ['id'] })
      .whenMatchedUpdateAll()
      .whenNotMatchedInsertAll()
      .execute()
    expect(r.version).toBe(2)
    const names: string[] = []
    for await (const m of t.storage.list('_delta_log/')) names.push(m.path)
    expect(names.some((n) => n.endsWith('00000000000000000002.checkpoint.parquet'))).toBe(true)
  })

  it('merges into a copy of a Spark table with deletion vectors: deleted rows stay deleted, rewritten files drop their DVs', async () => {
    const dir = tmpDir()
    cpSync(path.join(goldenRoot(), 'kernel-rs-golden/dv-partitioned-with-checkpoint/delta'), dir, { recursive: true })
    const t = await DeltaTable.open(dir)
    type Row = { part: number | null; col1: number | null; col2: string | null }
    const read = async (): Promise<Row[]> =>
      (await (await t.snapshot()).scan().toArrow())
        .toArray()
        .map((r) => r.toJSON() as Row)
        .map((r) => ({ part: r.part, col1: r.col1, col2: r.col2 }))
        .sort((a, b) => (a.col1 ?? -1) - (b.col1 ?? -1) || String(a.col2).localeCompare(String(b.col2)))
    const before = await read()
    expect(before).toHaveLength(35)
    const dvFiles = (await (await t.snapshot()).files()).filter((f) => f.deletionVector)
    expect(dvFiles.length).toBeGreaterThan(0)
    // Update every live row of the partitions whose files carry deletion vectors.
    const dvParts = new Set(dvFiles.map((f) => Number(f.partitionValues.part)))
    const targets = before.filter((r) => r.part !== null && dvParts.has(r.part))
    const schema = new arrow.Schema([
      new arrow.Field('part', new arrow.Int32(), true),
      new arrow.Field('col1', new arrow.Int32(), true),
      new arrow.Field('col2', new arrow.Utf8(), true),
    ])
    const src = new arrow.Table(schema, [
      new arrow.RecordBatch(
        schema,
        arrow.makeData({
          type: new arrow.Struct(schema.fields),
          length: targets.length,
          nullCount: 0,
          children: [
            arrow.vectorFromArray(
              targets.map((r) => r.part),
              new arrow.Int32(),
            ).data[0],
            arrow.vectorFromArray(
              targets.map((r) => r.col1),
              new arrow.Int32(),
            ).data[0],
            arrow.vectorFromArray(
              targets.map(() => 'merged'),
              new arrow.Utf8(),
            ).data[0],
          ],
        }),
      ),
    ])
    const r = await t
      .merge(src, {
        on: 'target.part = source.part AND target.col1 = source.col1',
        dedupeSource: { keys: ['part', 'col1'], orderBy: 'col1' },
      })
      .whenMatchedUpdate({ set: { col2: 'source.col2' } })
      .execute()
    expect(r.metrics.numTargetRowsUpdated).toBeGreaterThan(0)
    const after = await read()
    expect(after).toHaveLength(35)
    const expected = before.map((row) =>
      targets.some((x) => x.part === row.part && x.col1 === row.col1 && x.col1 !== null)
        ? { ...row, col2: 'merged' }
        : row,
    )
    const key = (rows: Row[]) => rows.map((x) => JSON.stringify(x)).sort()
    expect(key(after)).toEqual(key(expected))
    const [h] = await t.history({ limit: 1 })
    expect(Number(h.operationMetrics?.numTargetDeletionVectorsRemoved)).toBeGreaterThan(0)
  })

  it('an ON condition without an equality key tests every pair (small inputs) and refuses a cross join that is too large', async () => {
    const t = await createOrders(target)
    await t
      .merge(ordersTable([order(9, 'x', 99)]), {
        on: "target.updated_at < source.updated_at AND target.day <> '2024-01-02'",
      })
      .whenMatchedUpdate({ set: { status: 'source.status' } })
      .execute()
    expect((await readOrders(t)).map((o) => o.status)).toEqual(['x', 'x', 'new', 'new'])
    const many = Array.from({ length: 6000 }, (_, i) => order(i, 's', 1))
    const big = await createOrders(many, { partitioned: false })
    const err = await big
      .merge(ordersTable(many), { on: 'target.id < source.id' })
      .whenMatchedDelete()
      .execute()
      .catch((e: unknown) => e)
    expect(err).toMatchObject({ code: 'INVALID_ARGUMENT' })
  })

  it('opens only candidate data files (counted at the storage): other files are never read', async () => {
    const uri = tmpDir()
    await createOrders(target, { uri })
    const opened = new Set<string>()
    const local = new LocalStorage(uri)
    const counting = new Proxy(local, {
      get(obj, prop, receiver) {
        const v = Reflect.get(obj, prop, receiver)
        if (typeof v !== 'function') return v
        return (...args: unknown[]) => {
          if (
            (prop === 'read' || prop === 'readRange' || prop === 'head') &&
            typeof args[0] === 'string' &&
            !args[0].startsWith('_delta_log')
          )
            opened.add(args[0])
          return (v as (...a: unknown[]) => unknown).apply(obj, args)
        }
      },
    })
    const t = await DeltaTable.open(uri, { storage: counting })
    const files = await (await t.snapshot()).files()
    await t
      .merge(ordersTable([order(3, 'x', 50, '2024-01-02')]), { on: ['id', 'day'] })
      .whenMatchedUpdateAll()
      .whenNotMatchedInsertAll()
      .execute()
    const day2 = files.filter((f) => f.partitionValues.day === '2024-01-02').map((f) => f.path)
    expect([...opened].filter((p) => files.some((f) => f.path === p))).toEqual(day2)
  })
})
