import { promises as fs } from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { raceInProcesses, storageContractSuite } from '../../test/storage-contract.js'
import { LocalStorage } from './local.js'

async function tempDir(): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), 'delta-ts-local-'))
}

storageContractSuite('LocalStorage', async () => {
  const dir = await tempDir()
  return { storage: new LocalStorage(dir), cleanup: () => fs.rm(dir, { recursive: true, force: true }) }
})

const localTs = fileURLToPath(new URL('./local.ts', import.meta.url))

/**
 * The worker every racing process runs (through tsx, straight from the TypeScript source): it loads
 * LocalStorage, says "ready", waits for "go" on stdin so that all processes start together, then tries to
 * create each key once and reports one JSON line per key.
 */
const workerSource = `
import { LocalStorage } from ${JSON.stringify(localTs)}
const [root, id, keyCount] = process.argv.slice(2)
const storage = new LocalStorage(root)
process.stdout.write('ready\\n')
process.stdin.once('data', async () => {
  const results = []
  for (let k = 0; k < Number(keyCount); k++) {
    const key = '_delta_log/' + String(k).padStart(20, '0') + '.json'
    try {
      await storage.put(key, new TextEncoder().encode('writer ' + id + ' key ' + k))
      results.push({ key, ok: true })
    } catch (err) {
      results.push({ key, ok: false, code: err.code ?? String(err) })
    }
  }
  process.stdout.write(JSON.stringify(results) + '\\n')
  process.stdin.pause()
})
`

interface WorkerResult {
  key: string
  ok: boolean
  code?: string
}

describe('LocalStorage across OS processes', () => {
  it('20 processes racing put-if-absent on the same keys: exactly one winner per key, winner’s bytes, no temp files left', async () => {
    const root = await tempDir()
    const keyCount = 10
    const workerFile = path.join(root, 'race-worker.mts')
    await fs.writeFile(workerFile, workerSource)
    const tableRoot = path.join(root, 'table')
    try {
      const results = await raceInProcesses<WorkerResult[]>({
        count: 20,
        workerFile,
        args: (id) => [tableRoot, String(id), String(keyCount)],
        cwd: path.dirname(localTs),
      })

      const storage = new LocalStorage(tableRoot)
      for (let k = 0; k < keyCount; k++) {
        const key = `_delta_log/${String(k).padStart(20, '0')}.json`
        const winners = results.flatMap((r, id) => (r[k].ok ? [id] : []))
        expect(winners, `winners of ${key}`).toHaveLength(1)
        for (const r of results) if (!r[k].ok) expect(r[k].code).toBe('FILE_ALREADY_EXISTS')
        expect(new TextDecoder().decode(await storage.read(key))).toBe(`writer ${winners[0]} key ${k}`)
      }
      const leftovers = await fs.readdir(path.join(tableRoot, '_delta_log'))
      expect(leftovers.filter((f) => f.endsWith('.tmp'))).toEqual([])
      expect(leftovers).toHaveLength(keyCount)
    } finally {
      await fs.rm(root, { recursive: true, force: true })
    }
  })
})
