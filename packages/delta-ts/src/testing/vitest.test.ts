// Uses the public entry exactly as a user's test does: importing it registers toHaveRows with vitest.
import 'delta-ts/testing/vitest'
import { createTestTable } from 'delta-ts/testing'
import { describe, expect, it } from 'vitest'
import { dropMemoryStorage } from '../index.js'

describe('delta-ts/testing/vitest', () => {
  it('registers toHaveRows: passes on equal rows, fails with the row diff, supports .not', async () => {
    dropMemoryStorage('testing-vitest')
    const table = await createTestTable('memory://testing-vitest', [
      { id: 1n, name: 'ada' },
      { id: 2n, name: 'grace' },
    ])
    await expect(table).toHaveRows([
      { id: 2n, name: 'grace' },
      { id: 1n, name: 'ada' },
    ])
    await expect(table).not.toHaveRows([{ id: 1n, name: 'ada' }])
    await expect(expect(table).toHaveRows([{ id: 1n, name: 'ada' }])).rejects.toThrow(
      /1 unexpected row:\n {2}\+ \{"id":"2","name":"grace"\}/,
    )
  })
})
