import { AssertionError } from 'node:assert'
import { describe, expect, it } from 'vitest'
import { dropMemoryStorage, type StructType } from '../index.js'
import { assertRows, compareRows, createTestTable, deltaMatchers } from '../testing.js'

let n = 0
function memUri(): string {
  const name = `testing-assert-${n++}`
  dropMemoryStorage(name)
  return `memory://${name}`
}

const schema: StructType = {
  type: 'struct',
  fields: [
    { name: 'id', type: 'long', nullable: false, metadata: {} },
    { name: 'amount', type: 'decimal(10,2)', nullable: true, metadata: {} },
    { name: 'at', type: 'timestamp', nullable: true, metadata: {} },
  ],
}

async function ordersTable() {
  return createTestTable(
    memUri(),
    [
      { id: 1n, amount: '12.5', at: '2024-05-01T10:00:00Z' },
      { id: 2n, amount: '3', at: null },
      { id: 2n, amount: '3', at: null },
    ],
    { schema },
  )
}

async function assertionError(p: Promise<unknown>): Promise<AssertionError> {
  try {
    await p
  } catch (err) {
    if (err instanceof AssertionError) return err
    throw err
  }
  throw new Error('expected an AssertionError')
}

describe('assertRows', () => {
  it('passes in any order with expected values in their natural forms (bigint, number, Date, short decimals)', async () => {
    const table = await ordersTable()
    await assertRows(table, [
      { id: 2, amount: 3, at: null },
      { id: '1', amount: '12.50', at: new Date('2024-05-01T10:00:00Z') },
      { id: 2n, amount: '3.0', at: null },
    ])
    await assertRows(table, [{ id: 1n }, { id: 2n }, { id: 2n }], { columns: ['id'] })
  })

  it('fails with an AssertionError listing the missing and unexpected rows, counting duplicates', async () => {
    const table = await ordersTable()
    const err = await assertionError(
      assertRows(
        table,
        [
          { id: 1n, amount: '12.51', at: '2024-05-01T10:00:00Z' },
          { id: 2n, amount: '3', at: null },
        ],
        { message: 'orders after load' },
      ),
    )
    expect(err.message).toBe(
      [
        'orders after load: rows differ (order-insensitive): expected 2 rows, got 3',
        '1 expected row missing:',
        '  - {"amount":"12.51","at":"2024-05-01T10:00:00.000000Z","id":"1"}',
        '2 unexpected rows:',
        '  + {"amount":"12.50","at":"2024-05-01T10:00:00.000000Z","id":"1"}',
        '  + {"amount":"3.00","at":null,"id":"2"}',
      ].join('\n'),
    )
    // actual/expected carry the sorted plain rows, for a test runner's own diff.
    expect(err.actual).toHaveLength(3)
    expect(err.expected).toHaveLength(2)
  })

  it('compares in order with `ordered`, after `orderBy`', async () => {
    const table = await ordersTable()
    const expected = [{ id: 2n }, { id: 2n }, { id: 1n }]
    await expect(assertRows(table, expected, { columns: ['id'], ordered: true })).rejects.toThrow(
      /rows differ \(in order\)[\s\S]*row 0: - \{"id":"2"\}\n {2}row 0: \+ \{"id":"1"\}/,
    )
    // The same rows as a multiset pass.
    await assertRows(table, expected, { columns: ['id'] })
  })

  it('compares arrays of plain rows, normalizing bigint and Date without a schema', async () => {
    await assertRows([{ id: '5', at: '2024-01-01T00:00:00.000000Z' }], [{ id: 5n, at: new Date('2024-01-01') }])
    const r = await compareRows([{ a: 1 }], [{ a: 2 }])
    expect(r.pass).toBe(false)
    expect(r.missing).toEqual([{ a: 2 }])
    expect(r.unexpected).toEqual([{ a: 1 }])
  })

  it('a value that does not fit its column shows up in the diff instead of throwing', async () => {
    const table = await ordersTable()
    const err = await assertionError(assertRows(table, [{ id: 'one' }], { columns: ['id'] }))
    expect(err.message).toMatch(/- \{"id":"one"\}/)
  })
})

describe('deltaMatchers.toHaveRows (as expect.extend calls it)', () => {
  it('reports pass, the diff as message, and a negated message under .not', async () => {
    const table = await ordersTable()
    const ok = await deltaMatchers.toHaveRows.call({ isNot: false }, table, [{ id: 1n }, { id: 2n }, { id: 2n }], {
      columns: ['id'],
    })
    expect(ok.pass).toBe(true)
    const negated = await deltaMatchers.toHaveRows.call({ isNot: true }, table, [{ id: 1n }, { id: 2n }, { id: 2n }], {
      columns: ['id'],
    })
    expect(negated.message()).toMatch(/not to hold these 3 rows/)
    const bad = await deltaMatchers.toHaveRows.call({ isNot: false }, table, [{ id: 1n }], { columns: ['id'] })
    expect(bad.pass).toBe(false)
    expect(bad.message()).toMatch(/2 unexpected rows:\n {2}\+ \{"id":"2"\}\n {2}\+ \{"id":"2"\}/)
    const wrong = await deltaMatchers.toHaveRows.call({}, 42, [])
    expect(wrong.pass).toBe(false)
    expect(wrong.message()).toMatch(/expected a DeltaTable/)
  })
})
