import { describe, expect, it } from 'vitest'
import { LeafScanner, StatsScanner } from './stats-scan.js'

/** What JSON.parse plus a property walk gives for the same leaf: the reference the scanner must match. */
function reference(text: string, path: readonly string[]) {
  let stats: Record<string, unknown> | undefined
  try {
    const v = JSON.parse(text) as unknown
    stats = typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined
  } catch {
    stats = undefined
  }
  const dig = (o: unknown) => {
    let cur = o
    for (const p of path) {
      if (cur === null || typeof cur !== 'object') return undefined
      cur = (cur as Record<string, unknown>)[p]
    }
    return cur !== null && typeof cur === 'object' ? undefined : cur
  }
  const nr = stats?.numRecords
  return {
    ok: stats !== undefined,
    numRecords: nr !== null && typeof nr === 'object' ? undefined : nr,
    min: dig(stats?.minValues),
    max: dig(stats?.maxValues),
    nullCount: dig(stats?.nullCount),
  }
}

function scanned(text: string, path: readonly string[]) {
  const s = new StatsScanner([path])
  const ok = s.scan(text)
  return { ok, numRecords: s.numRecords, min: s.min[0], max: s.max[0], nullCount: s.nullCount[0] }
}

const CASES: [string, string[]][] = [
  ['{"numRecords":10,"minValues":{"id":1,"s":"a"},"maxValues":{"id":9,"s":"z"},"nullCount":{"id":0,"s":2}}', ['id']],
  ['{"numRecords":10,"minValues":{"id":1,"s":"a"},"maxValues":{"id":9,"s":"z"},"nullCount":{"id":0,"s":2}}', ['s']],
  [' { "numRecords" : 3 , "minValues" : { "n" : { "x" : -1.5e3 , "y" : [1, {"a": "}"}] } } } ', ['n', 'x']],
  ['{"minValues":{"n":{"x":1}},"maxValues":{"n":5},"nullCount":{"n":{"x":null}}}', ['n', 'x']],
  ['{"minValues":{"s":"a\\"b\\\\","t":"\\u00e9"},"maxValues":{"s":"\\u00e9\\n"}}', ['s']],
  ['{"minValues":{"t":"\\u00e9"}}', ['t']],
  ['{"minValues":{"id":1},"minValues":{"other":2},"maxValues":{"id":1,"id":7}}', ['id']],
  ['{"numRecords":{"x":1},"minValues":[1,2],"maxValues":{"id":true},"nullCount":{"id":false}}', ['id']],
  ['{"tightBounds":false,"numRecords":1e2,"minValues":{"id":12345678901234567890},"maxValues":{"id":-0}}', ['id']],
  ['{"minValues":{"a.b":1,"a":{"b":2}}}', ['a', 'b']],
  ['{"numRecords":-0,"minValues":{"id":123456789012345},"maxValues":{"id":1234567890123456789}}', ['id']],
  ['{"numRecords":7,"minValues":{"id":-12},"maxValues":{"id":1.5E+3},"nullCount":{"id":9007199254740993}}', ['id']],
  ['{"minValues":{"id":1-2}}', ['id']],
  ['{"minValues":{"id":-}}', ['id']],
  ['{}', ['id']],
  ['{"numRecords":5', ['id']],
  ['[1,2]', ['id']],
  ['{"numRecords":5}x', ['id']],
  ['{"minValues":{"id":01x}}', ['id']],
  ['{"minValues":{"id":"unterminated}}', ['id']],
  ['"text"', ['id']],
  ['', ['id']],
]

describe('StatsScanner', () => {
  for (const [text, path] of CASES) {
    it(`reads ${JSON.stringify(text).slice(0, 70)} at ${path.join('.')} as JSON.parse does`, () => {
      const want = reference(text, path)
      const got = scanned(text, path)
      expect(got.ok).toBe(want.ok)
      if (want.ok) expect(got).toEqual(want)
      else
        expect(got).toEqual({ ok: false, numRecords: undefined, min: undefined, max: undefined, nullCount: undefined })
    })
  }

  it('a leaf and a nested path under the same key leave the other leaves alone', () => {
    const s = new StatsScanner([['a'], ['x'], ['a', 'x']])
    expect(s.scan('{"minValues":{"x":5,"a":{"x":7}}}')).toBe(true)
    expect(s.min).toEqual([undefined, 5, 7])
  })

  it('reads several leaves in one pass and resets them between texts', () => {
    const s = new StatsScanner([['a'], ['b', 'c'], ['d']])
    expect(s.scan('{"numRecords":2,"minValues":{"a":1,"b":{"c":"x"}},"maxValues":{"d":4}}')).toBe(true)
    expect([s.numRecords, s.min, s.max]).toEqual([2, [1, 'x', undefined], [undefined, undefined, 4]])
    expect(s.scan('{"minValues":{"a":3}}')).toBe(true)
    expect([s.numRecords, s.min, s.max]).toEqual([
      undefined,
      [3, undefined, undefined],
      [undefined, undefined, undefined],
    ])
  })

  it('matches JSON.parse on random stats texts with nesting, escapes and duplicates', () => {
    let seed = 7
    const rand = (k: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648
      return seed % k
    }
    const names = ['id', 'x', 'y', 'n']
    const scalar = (): unknown =>
      [
        () => rand(1000) - 500,
        () => (rand(1000) - 500) / 7,
        () => `s${'"\\é'.charAt(rand(3))}${rand(9)}`,
        () => null,
        () => rand(2) === 0,
      ][rand(5)]()
    const value = (depth: number): string => {
      const r = rand(6)
      if (depth < 2 && r === 0) return obj(depth + 1)
      if (r === 1) return `[${JSON.stringify(scalar())},${obj(depth + 1)}]`
      return JSON.stringify(scalar())
    }
    const obj = (depth: number): string => {
      const parts: string[] = []
      for (let i = rand(4); i > 0; i--) parts.push(`${JSON.stringify(names[rand(4)])}:${value(depth)}`)
      return `{${parts.join(',')}}`
    }
    for (let k = 0; k < 500; k++) {
      const sections = ['numRecords', 'minValues', 'maxValues', 'nullCount', 'tightBounds']
      const parts: string[] = []
      for (let i = rand(7); i > 0; i--) {
        const key = sections[rand(5)]
        parts.push(`"${key}":${key === 'numRecords' ? rand(100) : rand(4) === 0 ? value(0) : obj(0)}`)
      }
      const text = `{${parts.join(',')}}`
      for (const path of [['id'], ['x', 'y'], ['n', 'n']]) expect(scanned(text, path)).toEqual(reference(text, path))
    }
  })
})

/** What LeafScanner must report for `text` at `path`, from JSON.parse and a property walk. */
function leafReference(text: string, path: readonly string[]) {
  const r = reference(text, path)
  const kindOf = (v: unknown) =>
    typeof v === 'number' ? 1 : typeof v === 'string' ? 2 : typeof v === 'boolean' ? 3 : 0
  const scalarOf = (v: unknown) => (typeof v === 'number' || typeof v === 'string' ? v : undefined)
  return {
    ok: r.ok,
    numRecords: r.ok && typeof r.numRecords === 'number' ? r.numRecords : Number.NaN,
    kinds: r.ok ? [kindOf(r.min), kindOf(r.max), kindOf(r.nullCount)] : [0, 0, 0],
    values: r.ok ? [scalarOf(r.min), scalarOf(r.max), scalarOf(r.nullCount)] : [undefined, undefined, undefined],
  }
}

function leafScanned(text: string, path: readonly string[]) {
  const s = new LeafScanner(path)
  const ok = s.scan(text)
  const kinds = Array.from(s.kind)
  return {
    ok,
    numRecords: s.numRecords,
    kinds,
    values: kinds.map((k, i) => (k === 1 ? s.num[i] : k === 2 ? s.str[i] : undefined)),
  }
}

/** Random stats texts: sections, nesting, escapes, duplicates, numbers of every JSON form, whitespace. */
function randomTexts(count: number, seed0: number): string[] {
  let seed = seed0
  const rand = (k: number) => {
    seed = (seed * 1103515245 + 12345) % 2147483648
    return seed % k
  }
  const names = ['id', 'x', 'y', 'n', 'i\\u0064']
  const numbers = ['0', '-0', '12', '-7', '1.5', '-2.5e3', '1E+2', '123456789012345', '1234567890123456789', '0.1']
  const scalar = (): string =>
    [
      () => numbers[rand(numbers.length)],
      () => JSON.stringify(`s${'"\\é\n'.charAt(rand(4))}${rand(9)}`),
      () => 'null',
      () => (rand(2) === 0 ? 'true' : 'false'),
    ][rand(4)]()
  const sp = () => (rand(5) === 0 ? ' ' : '')
  const value = (depth: number): string => {
    const r = rand(6)
    if (depth < 2 && r === 0) return obj(depth + 1)
    if (r === 1) return `[${scalar()},${sp()}${obj(depth + 1)}]`
    return scalar()
  }
  const obj = (depth: number): string => {
    const parts: string[] = []
    for (let i = rand(4); i > 0; i--) parts.push(`${sp()}"${names[rand(names.length)]}"${sp()}:${sp()}${value(depth)}`)
    return `{${parts.join(',')}${sp()}}`
  }
  const out: string[] = []
  for (let k = 0; k < count; k++) {
    const sections = ['numRecords', 'minValues', 'maxValues', 'nullCount', 'tightBounds']
    const parts: string[] = []
    for (let i = rand(7); i > 0; i--) {
      const key = sections[rand(5)]
      const v =
        key === 'numRecords' ? (rand(4) === 0 ? scalar() : String(rand(100))) : rand(4) === 0 ? value(0) : obj(0)
      parts.push(`${sp()}"${key}":${sp()}${v}`)
    }
    out.push(`${sp()}{${parts.join(',')}}${sp()}`)
  }
  return out
}

describe('LeafScanner', () => {
  for (const [text, path] of CASES) {
    it(`reads ${JSON.stringify(text).slice(0, 70)} at ${path.join('.')} as JSON.parse does`, () => {
      expect(leafScanned(text, path)).toEqual(leafReference(text, path))
    })
  }

  it('matches JSON.parse on random stats texts with nesting, escapes, duplicates and whitespace', () => {
    for (const text of randomTexts(1500, 11))
      for (const path of [['id'], ['x', 'y'], ['n', 'n'], ['n', 'id']])
        expect(leafScanned(text, path), text).toEqual(leafReference(text, path))
  })

  it('rejects every text JSON.parse rejects: truncated, corrupted or with raw control characters', () => {
    let seed = 5
    const rand = (k: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648
      return seed % k
    }
    const junk = ['"', '\\', '{', '}', ',', ':', '0', '-', '.', 'e', '\n', '\u0001', 'x', ' ', ']', '[']
    let rejected = 0
    for (const text of randomTexts(800, 23)) {
      const cut = text.slice(0, rand(text.length + 1))
      const p = rand(text.length + 1)
      const spliced = text.slice(0, p) + junk[rand(junk.length)] + text.slice(p + rand(2))
      for (const t of [cut, spliced]) {
        const want = leafReference(t, ['id'])
        if (!want.ok) rejected++
        expect(leafScanned(t, ['id']), t).toEqual(want)
      }
    }
    // Most mutations break the text: the comparison covers the rejecting side, not only valid texts.
    expect(rejected).toBeGreaterThan(500)
  })
})
