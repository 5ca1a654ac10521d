import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import * as path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { goldenRoot } from '../../test/golden.js'
import { type StaticServer, startStaticServer } from '../../test/static-server.js'
import { readOnlyStorageContractSuite } from '../../test/storage-contract.js'
import { DeltaTable } from '../core/table.js'
import { DeltaError } from '../errors.js'
import { readRows } from '../testing/tables.js'
import { HttpStorage } from './http.js'
import { resolveStorage } from './uri.js'

// One static server for the contract suite: each fixture is a fresh folder under its root.
let contractRoot: string
let contractServer: StaticServer
let fixtureId = 0
beforeAll(async () => {
  contractRoot = await mkdtemp(path.join(tmpdir(), 'delta-ts-http-contract-'))
  contractServer = await startStaticServer(contractRoot)
})
afterAll(async () => {
  await contractServer.close()
  await rm(contractRoot, { recursive: true, force: true })
})

readOnlyStorageContractSuite('HttpStorage (static server)', async (files) => {
  const dir = path.join(contractRoot, `t${fixtureId++}`)
  await mkdir(dir, { recursive: true })
  for (const [key, bytes] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, key)), { recursive: true })
    await writeFile(path.join(dir, key), bytes)
  }
  return {
    storage: new HttpStorage(`${contractServer.url}${path.basename(dir)}/`),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  }
})

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p
  } catch (err) {
    expect(err).toBeInstanceOf(DeltaError)
    return (err as DeltaError).code
  }
  throw new Error('expected a DeltaError')
}

describe('HttpStorage over the golden tables', () => {
  let server: StaticServer
  beforeAll(async () => {
    server = await startStaticServer(goldenRoot())
  })
  afterAll(async () => {
    await server.close()
  })

  it('an http:// table URI opens through resolveStorage and reads the same rows as the local copy', async () => {
    for (const name of ['dat/basic_partitioned/delta', 'dat/with_checkpoint/delta', 'dat/with_schema_change/delta']) {
      const local = await DeltaTable.open(path.join(goldenRoot(), name))
      const remote = await DeltaTable.open(`${server.url}${name}`)
      expect(remote.storage).toBeInstanceOf(HttpStorage)
      expect((await remote.snapshot()).version).toBe((await local.snapshot()).version)
      const rows = await readRows(remote)
      expect(rows.length).toBeGreaterThan(0)
      expect(rows).toEqual(await readRows(local))
    }
  })

  it('with _last_checkpoint the log is found from the checkpoint on: no request for the commits before it', async () => {
    server.requests.length = 0
    const t = await DeltaTable.open(`${server.url}dat/with_checkpoint/delta/`)
    expect((await t.snapshot()).version).toBe(3)
    const log = server.requests.filter((r) => r.includes('/dat/with_checkpoint/delta/_delta_log/'))
    // The checkpoint is at version 2: versions 0 and 1 are never asked for.
    expect(log.some((r) => r.includes('00000000000000000000.json'))).toBe(false)
    expect(log.some((r) => r.includes('00000000000000000001.json'))).toBe(false)
    expect(log).toContain('GET /dat/with_checkpoint/delta/_delta_log/_last_checkpoint')
    expect(log.some((r) => r.startsWith('HEAD') && r.endsWith('00000000000000000003.json'))).toBe(true)
  })

  it('resolveUrl maps every key to its own URL (presigned URLs): the table reads through them alone', async () => {
    server.requests.length = 0
    const root = `${server.url}dat/basic_partitioned/delta/`
    const t = await DeltaTable.open('https://presigned.invalid/table/', {
      storageOptions: {
        http: { resolveUrl: (key) => `${root}${encodeURI(key)}?sig=k` },
      },
    })
    expect(await readRows(t)).toEqual(
      await readRows(await DeltaTable.open(path.join(goldenRoot(), 'dat/basic_partitioned/delta'))),
    )
    expect(server.requests.length).toBeGreaterThan(0)
    expect(server.requests.every((r) => r.endsWith('?sig=k'))).toBe(true)
  })

  it('writes, deletes and listings outside _delta_log fail with UNSUPPORTED_FEATURE', async () => {
    const s = await resolveStorage(`${server.url}dat/basic_partitioned/delta`)
    expect(await code(s.put('x.json', new Uint8Array([1])))).toBe('UNSUPPORTED_FEATURE')
    expect(await code(s.delete('x.json'))).toBe('UNSUPPORTED_FEATURE')
    const listAll = async () => {
      for await (const _ of s.list('')) return
    }
    expect(await code(listAll())).toBe('UNSUPPORTED_FEATURE')
    const t = await DeltaTable.open(`${server.url}dat/basic_partitioned/delta`)
    expect(await code(t.vacuum({ dryRun: true }))).toBe('UNSUPPORTED_FEATURE')
  })

  it('a URL that is not http(s), and a server that is gone, fail with typed errors', async () => {
    expect(() => new HttpStorage('ftp://example/table')).toThrow(DeltaError)
    const gone = await startStaticServer(goldenRoot())
    const url = gone.url
    await gone.close()
    const s = new HttpStorage(`${url}dat/basic_partitioned/delta`, { maxAttempts: 2 })
    expect(await code(s.read('_delta_log/00000000000000000000.json'))).toBe('STORAGE_TRANSIENT')
  })
})
