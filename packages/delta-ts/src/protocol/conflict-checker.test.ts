import { describe, expect, it } from 'vitest'
import { CommitConflictError } from '../errors.js'
import type { Action, AddAction } from './actions.js'
import { checkConflicts, type IsolationLevel, type ReadSet } from './conflict-checker.js'

const add = (path: string, part = 'A'): AddAction => ({
  path,
  partitionValues: { p: part },
  size: 1,
  modificationTime: 0,
  dataChange: true,
})
const dvOf = (id: string) => ({
  storageType: 'u' as const,
  pathOrInlineDv: id.padStart(20, '0'),
  offset: 1,
  sizeInBytes: 34,
  cardinality: 1,
})
const info = (operation: string, isBlindAppend: boolean): Action => ({ commitInfo: { operation, isBlindAppend } })
const inPartition = (part: string) => (a: AddAction) => a.partitionValues.p === part

const noRead: ReadSet = {
  readVersion: 0,
  readWholeTable: false,
  readPredicates: [],
  readFiles: new Set(),
  readAppIds: new Set(),
}
const readPartA: ReadSet = { ...noRead, readPredicates: [inPartition('A')], readFiles: new Set(['a1']) }
const readAll: ReadSet = { ...noRead, readWholeTable: true, readFiles: new Set(['a1', 'b1']) }
const readApp: ReadSet = { ...noRead, readAppIds: new Set(['etl']) }

interface Case {
  name: string
  read: ReadSet
  write: Action[]
  winner: Action[]
  isolation?: IsolationLevel
  expected: string | null
}

const cases: Case[] = [
  {
    name: 'blind append vs blind append',
    read: noRead,
    write: [{ add: add('x') }],
    winner: [info('WRITE', true), { add: add('y') }],
    expected: null,
  },
  {
    name: 'winner upgrades protocol beyond delta-ts',
    read: noRead,
    write: [{ add: add('x') }],
    winner: [
      {
        protocol: {
          minReaderVersion: 3,
          minWriterVersion: 7,
          readerFeatures: ['catalogManaged'],
          writerFeatures: ['catalogManaged'],
        },
      },
    ],
    expected: 'ProtocolChanged',
  },
  {
    name: 'both change the protocol',
    read: noRead,
    write: [{ protocol: { minReaderVersion: 1, minWriterVersion: 3 } }],
    winner: [{ protocol: { minReaderVersion: 1, minWriterVersion: 3 } }],
    expected: 'ProtocolChanged',
  },
  {
    name: 'winner raises protocol to one delta-ts writes, we only append',
    read: noRead,
    write: [{ add: add('x') }],
    winner: [{ protocol: { minReaderVersion: 1, minWriterVersion: 3 } }],
    expected: null,
  },
  {
    name: 'winner changes metadata',
    read: noRead,
    write: [{ add: add('x') }],
    winner: [{ metaData: { id: '1', format: { provider: 'parquet' }, schemaString: '{}', partitionColumns: [] } }],
    expected: 'MetadataChanged',
  },
  {
    name: 'delete in A vs append in A (Serializable)',
    read: readPartA,
    write: [{ remove: { path: 'a1', dataChange: true } }],
    winner: [info('WRITE', true), { add: add('a2', 'A') }],
    expected: 'ConcurrentAppend',
  },
  {
    name: 'delete in A vs blind append in A (WriteSerializable)',
    read: readPartA,
    write: [{ remove: { path: 'a1', dataChange: true } }],
    winner: [info('WRITE', true), { add: add('a2', 'A') }],
    isolation: 'WriteSerializable',
    expected: null,
  },
  {
    name: 'delete in A vs non-blind write in A (WriteSerializable)',
    read: readPartA,
    write: [{ remove: { path: 'a1', dataChange: true } }],
    winner: [info('MERGE', false), { add: add('a2', 'A') }],
    isolation: 'WriteSerializable',
    expected: 'ConcurrentAppend',
  },
  {
    name: 'delete in A vs append in B (Serializable)',
    read: readPartA,
    write: [{ remove: { path: 'a1', dataChange: true } }],
    winner: [info('WRITE', true), { add: add('b2', 'B') }],
    expected: null,
  },
  {
    name: 'delete in A vs append in B (WriteSerializable)',
    read: readPartA,
    write: [{ remove: { path: 'a1', dataChange: true } }],
    winner: [info('WRITE', true), { add: add('b2', 'B') }],
    isolation: 'WriteSerializable',
    expected: null,
  },
  {
    name: 'whole-table read vs any append',
    read: readAll,
    write: [{ remove: { path: 'a1', dataChange: true } }],
    winner: [info('WRITE', true), { add: add('c', 'C') }],
    expected: 'ConcurrentAppend',
  },
  {
    name: 'winner removed a file we read',
    read: readPartA,
    write: [{ add: add('a3') }],
    winner: [info('DELETE', false), { remove: { path: 'a1', dataChange: true } }],
    expected: 'ConcurrentDeleteRead',
  },
  {
    name: 'winner removed a file we did not read',
    read: readPartA,
    write: [{ add: add('a3') }],
    winner: [info('DELETE', false), { remove: { path: 'b1', dataChange: true } }],
    expected: null,
  },
  {
    name: 'whole-table read vs any remove',
    read: { ...readAll, readFiles: new Set() },
    write: [{ add: add('z') }],
    winner: [info('DELETE', false), { remove: { path: 'q', dataChange: true } }],
    expected: 'ConcurrentDeleteRead',
  },
  {
    name: 'both removed the same file',
    read: noRead,
    write: [{ remove: { path: 'a1', dataChange: true } }],
    winner: [info('DELETE', false), { remove: { path: 'a1', dataChange: true } }],
    expected: 'ConcurrentDeleteDelete',
  },
  {
    name: 'compaction (dataChange=false) rewrote a file we read',
    read: readPartA,
    write: [{ add: add('a3') }],
    winner: [
      info('OPTIMIZE', false),
      { remove: { path: 'a1', dataChange: false } },
      { add: { ...add('a9'), dataChange: false } },
    ],
    expected: 'ConcurrentDeleteRead',
  },
  {
    name: 'two compactions of the same file',
    read: noRead,
    write: [{ remove: { path: 'a1', dataChange: false } }, { add: { ...add('a8'), dataChange: false } }],
    winner: [
      info('OPTIMIZE', false),
      { remove: { path: 'a1', dataChange: false } },
      { add: { ...add('a9'), dataChange: false } },
    ],
    expected: 'ConcurrentDeleteDelete',
  },
  {
    name: 'compaction (dataChange=false adds) vs a reader of the partition: compacted files are not new data',
    read: { ...readPartA, readFiles: new Set(['a7']) },
    write: [{ add: add('a3') }],
    winner: [
      info('OPTIMIZE', false),
      { remove: { path: 'b1', dataChange: false } },
      { add: { ...add('a9'), dataChange: false } },
    ],
    expected: null,
  },
  {
    name: 'two DELETEs change the deletion vector of the same file (remove old DV + add same path with a new DV)',
    read: { ...noRead, readFiles: new Set(['a1']) },
    write: [
      { remove: { path: 'a1', dataChange: true, deletionVector: dvOf('x') } },
      { add: { ...add('a1'), deletionVector: dvOf('y') } },
    ],
    winner: [
      info('DELETE', false),
      { remove: { path: 'a1', dataChange: true, deletionVector: dvOf('x') } },
      { add: { ...add('a1'), deletionVector: dvOf('z') } },
    ],
    expected: 'ConcurrentDeleteRead',
  },
  {
    name: 'a DV change on a file this transaction also removes, without having read it first',
    read: noRead,
    write: [{ remove: { path: 'a1', dataChange: true, deletionVector: dvOf('x') } }],
    winner: [
      info('DELETE', false),
      { remove: { path: 'a1', dataChange: true, deletionVector: dvOf('x') } },
      { add: { ...add('a1'), deletionVector: dvOf('z') } },
    ],
    expected: 'ConcurrentDeleteDelete',
  },
  {
    name: 'DV changes on different files do not conflict',
    read: { ...noRead, readFiles: new Set(['a1']) },
    write: [{ remove: { path: 'a1', dataChange: true } }, { add: { ...add('a1'), deletionVector: dvOf('y') } }],
    winner: [
      info('DELETE', false),
      { remove: { path: 'b1', dataChange: true } },
      { add: { ...add('b1', 'B'), deletionVector: dvOf('z') } },
    ],
    expected: null,
  },
  {
    name: 'same appId committed concurrently',
    read: readApp,
    write: [{ txn: { appId: 'etl', version: 2 } }],
    winner: [info('WRITE', true), { txn: { appId: 'etl', version: 2 } }],
    expected: 'ConcurrentTransaction',
  },
  {
    name: 'different appIds',
    read: readApp,
    write: [{ txn: { appId: 'etl', version: 2 } }],
    winner: [info('WRITE', true), { txn: { appId: 'other', version: 7 } }],
    expected: null,
  },
]

describe('conflict matrix (Spark ConflictChecker semantics)', () => {
  for (const c of cases) {
    it(`${c.name} → ${c.expected ?? 'commits'}`, () => {
      const run = () =>
        checkConflicts(
          c.read,
          { actions: c.write, isolationLevel: c.isolation ?? 'Serializable' },
          { version: 5, actions: c.winner },
          {
            canReadAndWrite: (p) => !(p.writerFeatures ?? []).includes('catalogManaged'),
          },
        )
      if (c.expected === null) {
        expect(run).not.toThrow()
      } else {
        let err: unknown
        try {
          run()
        } catch (e) {
          err = e
        }
        expect(err).toBeInstanceOf(CommitConflictError)
        expect((err as CommitConflictError).kind).toBe(c.expected)
        expect((err as CommitConflictError).winningVersion).toBe(5)
        expect((err as CommitConflictError).code).toBe('COMMIT_CONFLICT')
        expect((err as CommitConflictError).hint.length).toBeGreaterThan(10)
      }
    })
  }
})
