import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { LayeredMap } from './layered-map.js'

describe('LayeredMap', () => {
  it('a fork sees its parent, records its own changes, and leaves the parent unchanged', () => {
    const base = LayeredMap.empty<string, number>()
    base.set('a', 1).set('b', 2)
    const child = base.fork()
    child.delete('a')
    child.set('c', 3)
    child.set('b', 20)
    expect([...child.entries()].sort()).toEqual([
      ['b', 20],
      ['c', 3],
    ])
    expect(child.size).toBe(2)
    expect(child.get('a')).toBeUndefined()
    expect([...base.entries()].sort()).toEqual([
      ['a', 1],
      ['b', 2],
    ])
    expect(base.size).toBe(2)
  })

  it('behaves like a Map through any sequence of sets, deletes and forks (property)', () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('set' as const), key: fc.integer({ min: 0, max: 20 }), value: fc.integer() }),
      fc.record({ kind: fc.constant('delete' as const), key: fc.integer({ min: 0, max: 20 }) }),
      fc.record({ kind: fc.constant('fork' as const) }),
    )
    fc.assert(
      fc.property(fc.array(op, { maxLength: 200 }), (ops) => {
        let layered = LayeredMap.empty<number, number>()
        const model = new Map<number, number>()
        const snapshots: [LayeredMap<number, number>, Map<number, number>][] = []
        for (const o of ops) {
          if (o.kind === 'set') {
            layered.set(o.key, o.value)
            model.set(o.key, o.value)
          } else if (o.kind === 'delete') {
            expect(layered.delete(o.key)).toBe(model.delete(o.key))
          } else {
            snapshots.push([layered, new Map(model)])
            layered = layered.fork()
          }
          expect(layered.size).toBe(model.size)
        }
        const sorted = (m: Iterable<[number, number]>) => [...m].sort((x, y) => x[0] - y[0])
        expect(sorted(layered.entries())).toEqual(sorted(model.entries()))
        for (const [l, m] of snapshots) expect(sorted(l.entries())).toEqual(sorted(m.entries()))
      }),
    )
  })
})
