import { storageContractSuite } from '../../test/storage-contract.js'
import { MemoryStorage } from './memory.js'

storageContractSuite('MemoryStorage', async () => ({ storage: new MemoryStorage(), cleanup: async () => {} }))
