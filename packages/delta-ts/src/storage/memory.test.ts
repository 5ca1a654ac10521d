import { describe, expect, it } from 'vitest'
import { storageContractSuite } from '../../test/storage-contract.js'
import { compareKeys, MemoryStorage } from './memory.js'

storageContractSuite('MemoryStorage', async () => ({ storage: new MemoryStorage(), cleanup: async () => {} }))

describe('compareKeys', () => {
  it('orders keys by UTF-8 bytes (code points), as S3 lists them, not by UTF-16 units', () => {
    const keys = ['a\u{1F600}', 'a\uE000', 'a', 'ab', 'a\u00E9']
    expect([...keys].sort(compareKeys)).toEqual(['a', 'ab', 'a\u00E9', 'a\uE000', 'a\u{1F600}'])
    const bytes = (s: string) => Buffer.from(s, 'utf8')
    expect([...keys].sort(compareKeys)).toEqual([...keys].sort((x, y) => Buffer.compare(bytes(x), bytes(y))))
  })
})
