import { promises as fs } from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import * as arrow from 'apache-arrow'
import { DeltaTable, isDeltaError } from 'delta-ts'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

/*
 * Plain-JavaScript callers get INVALID_ARGUMENT naming the option and what it accepts, before anything is
 * written: a misspelt option or value used to be ignored (an 'overwrit' write appended), wrong arguments threw
 * raw TypeErrors, and a property such as 'delta.checkpointInterval': 'ten' was stored and read as the default.
 */

// Loosely typed handles, as a JavaScript caller has them.
type Loose = any

let dir = ''
beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'delta-ts-args-'))
})
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true })
})

const schema = new arrow.Schema([new arrow.Field('id', new arrow.Int32(), true)])
const rows = () => arrow.tableFromArrays({ id: Int32Array.of(1, 2) })
let n = 0
const fresh = async () => {
  const root = path.join(dir, `t${n++}`)
  return Object.assign(await DeltaTable.create(root, { schema }), { root })
}

async function invalid(p: Promise<unknown> | (() => unknown), ...fragments: RegExp[]): Promise<void> {
  let err: unknown
  try {
    await (typeof p === 'function' ? p() : p)
  } catch (e) {
    err = e
  }
  expect(isDeltaError(err), `expected a DeltaError, got ${String(err)}`).toBe(true)
  expect((err as { code: string }).code).toBe('INVALID_ARGUMENT')
  for (const f of fragments) expect((err as Error).message).toMatch(f)
}

async function dataFiles(root: string): Promise<string[]> {
  return (await fs.readdir(root)).filter((f) => f.endsWith('.parquet'))
}

describe('write refuses what untyped callers pass by mistake', () => {
  it("a misspelt mode ('overwrit') names the allowed values and writes nothing", async () => {
    const t = await fresh()
    await t.write(rows())
    await invalid((t as Loose).write(rows(), { mode: 'overwrit' }), /mode/, /'append', 'overwrite'/)
    expect(await t.version()).toBe(1)
    expect(await dataFiles(t.root)).toHaveLength(1)
  })

  it('undefined, plain row objects and a string are refused as data', async () => {
    const t = await fresh()
    await invalid((t as Loose).write(undefined), /data must be an Arrow Table/)
    await invalid((t as Loose).write([{ id: 1 }]), /data\[0\] is not an Arrow RecordBatch/)
    await invalid((t as Loose).write('id\n1'), /data must be/)
    expect(await t.version()).toBe(0)
    expect(await dataFiles(t.root)).toHaveLength(0)
  })

  it('a stream that yields plain objects fails before any file is written', async () => {
    const t = await fresh()
    async function* stream() {
      yield { id: 1 }
    }
    await invalid((t as Loose).write(stream()), /item 0 of the data stream/)
    expect(await dataFiles(t.root)).toHaveLength(0)
  })

  it('an unknown option key, a bad txn and a negative maxRetries are refused', async () => {
    const t = await fresh()
    await invalid(
      (t as Loose).write(rows(), { overwrite: true }),
      /unknown option 'overwrite'/,
      /known options: .*mode/,
    )
    await invalid((t as Loose).write(rows(), { txn: { appId: 'a' } }), /txn/)
    await invalid(t.write(rows(), { maxRetries: -1 }), /maxRetries/)
    await invalid((t as Loose).write(rows(), { isolationLevel: 'serializable' }), /'Serializable', 'WriteSerializable'/)
    expect(await t.version()).toBe(0)
  })
})

describe('other operations check their arguments', () => {
  it('delete() without a predicate says how to delete every row', async () => {
    const t = await fresh()
    await invalid((t as Loose).delete(), /predicate/, /"true" deletes every row/)
  })

  it('update without set, merge without options and a scan with an unknown option are refused', async () => {
    const t = await fresh()
    await invalid((t as Loose).update({ predicate: 'id = 1' }), /options.set/)
    await invalid(
      (t as Loose).update({ set: { id: 1 } }),
      /the value of 'id' must be a SQL value expression or an expression node/,
    )
    await invalid(() => (t as Loose).merge(rows()), /merge: options must be given/)
    await invalid(() => (t as Loose).merge(rows(), { on: ['id'], dedupe: true }), /unknown option 'dedupe'/)
    const snap = await t.snapshot()
    await invalid(() => (snap as Loose).scan({ column: ['id'] }), /scan: unknown option 'column'/)
    await invalid((snap as Loose).files({ filters: 'id = 1' }), /files: unknown option 'filters'/)
    await invalid((t as Loose).vacuum({ dryrun: true }), /unknown option 'dryrun'/, /dryRun/)
    await invalid((t as Loose).optimize({ targetSize: 10 }), /unknown option 'targetSize'/)
    await invalid((t as Loose).snapshot({ version: '1' }), /version/)
    await invalid((t as Loose).history({ limit: 1.5 }), /limit/)
  })
})

describe('create checks its options and table properties before version 0 is written', () => {
  it('the misspelt { configuration } is refused (the option is properties) and no table is left behind', async () => {
    const uri = path.join(dir, 'cfg')
    await invalid(
      DeltaTable.create(uri, { schema, configuration: { 'delta.appendOnly': 'true' } } as Loose),
      /unknown option 'configuration'/,
      /properties/,
    )
    await expect(fs.stat(path.join(uri, '_delta_log'))).rejects.toThrow()
  })

  it("'delta.checkpointInterval': 'ten', a non-boolean flag and a bad interval are refused", async () => {
    const uri = path.join(dir, 'props')
    await invalid(
      DeltaTable.create(uri, { schema, properties: { 'delta.checkpointInterval': 'ten' } }),
      /delta.checkpointInterval = 'ten'/,
      /positive integer/,
    )
    await invalid(DeltaTable.create(uri, { schema, properties: { 'delta.appendOnly': 'yes' } }), /'true' or 'false'/)
    await invalid(
      DeltaTable.create(uri, { schema, properties: { 'delta.logRetentionDuration': 'a month' } }),
      /interval/,
    )
    await invalid(DeltaTable.create(uri, { schema, properties: { 'delta.checkpointInterval': 10 } as Loose }), /string/)
    await expect(fs.stat(path.join(uri, '_delta_log'))).rejects.toThrow()
    const ok = await DeltaTable.create(uri, {
      schema,
      properties: { 'delta.checkpointInterval': '10', 'delta.logRetentionDuration': 'interval 30 days', 'my.key': 'x' },
    })
    expect((await ok.snapshot()).properties['delta.checkpointInterval']).toBe('10')
  })

  it('a missing schema and a non-string uri are refused', async () => {
    await invalid(DeltaTable.create(path.join(dir, 'noschema'), {} as Loose), /options.schema/)
    await invalid((DeltaTable as Loose).open(42), /uri must be a string/)
  })
})
