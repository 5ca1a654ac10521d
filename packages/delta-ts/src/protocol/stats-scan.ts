/**
 * A targeted reader of `add.stats` JSON: it walks the text once and keeps only `numRecords` and the
 * minValues / maxValues / nullCount entries of the leaves a predicate needs, skipping everything else without
 * building objects. `JSON.parse` of every stats string (one object graph per file, a million of them for a
 * large table) was the largest cost of stats skipping; this reads the same values with no allocation per
 * file beyond the strings it keeps.
 *
 * The values are the ones `JSON.parse(text)` followed by a property walk would give (numbers as JS numbers,
 * strings unescaped, last duplicate key wins, anything that is not a scalar reads as undefined). A text that
 * is not a JSON object, or is malformed in the parts the scanner reads (keys, the sections, the requested
 * values), makes {@link StatsScanner.scan} return false, as parseStats ignores bad stats; values the scanner
 * skips are only checked for balanced brackets and strings.
 */

const QUOTE = 0x22
const BACKSLASH = 0x5c
const LBRACE = 0x7b
const RBRACE = 0x7d
const LBRACKET = 0x5b
const RBRACKET = 0x5d
const COLON = 0x3a
const COMMA = 0x2c

class Malformed extends Error {}
const MALFORMED = new Malformed('malformed stats')

/** A reusable scanner for a fixed set of leaf paths; after a successful {@link scan} the fields hold one file's values. */
export class StatsScanner {
  /** `numRecords` of the last scanned text (undefined when absent or not a scalar). */
  numRecords: unknown
  /** Per requested path: the minValues / maxValues / nullCount entry of the last scanned text. */
  readonly min: unknown[]
  readonly max: unknown[]
  readonly nullCount: unknown[]
  #s = ''
  #p = 0
  #ks = 0
  #ke = 0
  #kd: string | undefined
  readonly #all: number[]

  /** @param paths the leaf paths (physical names) to extract, e.g. `[['id'], ['s', 'x']]`. */
  constructor(readonly paths: readonly (readonly string[])[]) {
    this.min = new Array(paths.length)
    this.max = new Array(paths.length)
    this.nullCount = new Array(paths.length)
    this.#all = paths.map((_, i) => i)
  }

  #reset(): void {
    this.numRecords = undefined
    this.min.fill(undefined)
    this.max.fill(undefined)
    this.nullCount.fill(undefined)
  }

  /** Reads one stats text. Returns false (every value undefined) when it is not a well-formed JSON object. */
  scan(text: string): boolean {
    this.#reset()
    this.#s = text
    this.#p = 0
    try {
      this.#ws()
      if (this.#s.charCodeAt(this.#p) !== LBRACE) throw MALFORMED
      this.#p++
      this.#ws()
      if (this.#s.charCodeAt(this.#p) === RBRACE) this.#p++
      else
        for (;;) {
          this.#key()
          if (this.#keyIs('numRecords')) this.numRecords = this.#scalar()
          else if (this.#keyIs('minValues')) this.#section(this.min)
          else if (this.#keyIs('maxValues')) this.#section(this.max)
          else if (this.#keyIs('nullCount')) this.#section(this.nullCount)
          else this.#skip()
          if (this.#next()) break
        }
      this.#ws()
      if (this.#p !== this.#s.length) throw MALFORMED
      return true
    } catch (err) {
      if (!(err instanceof Malformed)) throw err
      this.#reset()
      return false
    }
  }

  /** One of minValues / maxValues / nullCount: a later duplicate replaces an earlier one entirely. */
  #section(out: unknown[]): void {
    for (const i of this.#all) out[i] = undefined
    this.#ws()
    if (this.#s.charCodeAt(this.#p) === LBRACE) this.#object(out, 0, this.#all)
    else this.#skip()
  }

  /** An object at `depth` of the paths in `candidates` (whose first `depth` names matched). */
  #object(out: unknown[], depth: number, candidates: readonly number[]): void {
    for (const i of candidates) out[i] = undefined
    this.#p++ // {
    this.#ws()
    if (this.#s.charCodeAt(this.#p) === RBRACE) {
      this.#p++
      return
    }
    for (;;) {
      this.#key()
      // Which candidates this key continues: leaves take its value, deeper paths descend into it. Most keys
      // match nothing; no array is built unless a nested path descends.
      let leaf = -1
      let moreLeaves: number[] | undefined
      let deeper: number[] | undefined
      for (const i of candidates) {
        const path = this.paths[i]
        if (!this.#keyIs(path[depth])) continue
        if (path.length === depth + 1) {
          if (leaf < 0) leaf = i
          else {
            moreLeaves ??= []
            moreLeaves.push(i)
          }
        } else {
          deeper ??= []
          deeper.push(i)
        }
      }
      this.#ws()
      let v: unknown
      if (deeper && this.#s.charCodeAt(this.#p) === LBRACE) this.#object(out, depth + 1, deeper)
      else {
        if (deeper) for (const i of deeper) out[i] = undefined
        if (leaf >= 0) v = this.#scalar()
        else this.#skip()
      }
      // A leaf whose value is an object or array reads as undefined (statistics hold scalars).
      if (leaf >= 0) {
        out[leaf] = v
        if (moreLeaves) for (const i of moreLeaves) out[i] = v
      }
      if (this.#next()) return
    }
  }

  /** After a member: true at the closing brace, false after a comma. */
  #next(): boolean {
    this.#ws()
    const c = this.#s.charCodeAt(this.#p++)
    if (c === COMMA) return false
    if (c === RBRACE) return true
    throw MALFORMED
  }

  /**
   * Reads a member's key and its colon without allocating it: the key is the text between #ks and #ke, or
   * #kd when it had escapes.
   */
  #key(): void {
    this.#ws()
    const s = this.#s
    if (s.charCodeAt(this.#p) !== QUOTE) throw MALFORMED
    const start = this.#p + 1
    const end = this.#stringEnd(start)
    this.#ks = start
    this.#ke = end
    this.#kd = undefined
    for (let i = start; i < end; i++)
      if (s.charCodeAt(i) === BACKSLASH) {
        this.#kd = this.#unescape(start, end)
        break
      }
    this.#p = end + 1
    this.#ws()
    if (s.charCodeAt(this.#p++) !== COLON) throw MALFORMED
  }

  /** Whether the last key read is `name`. */
  #keyIs(name: string): boolean {
    if (this.#kd !== undefined) return this.#kd === name
    return this.#ke - this.#ks === name.length && this.#s.startsWith(name, this.#ks)
  }

  /** The index of the closing quote of the string whose text starts at `start`. */
  #stringEnd(start: number): number {
    const s = this.#s
    let end = start
    for (;;) {
      end = s.indexOf('"', end)
      if (end < 0) throw MALFORMED
      let b = end - 1
      while (b >= start && s.charCodeAt(b) === BACKSLASH) b--
      if ((end - 1 - b) % 2 === 0) return end
      end++
    }
  }

  #unescape(start: number, end: number): string {
    try {
      return JSON.parse(this.#s.slice(start - 1, end + 1)) as string
    } catch {
      throw MALFORMED
    }
  }

  #ws(): void {
    const s = this.#s
    let p = this.#p
    for (;;) {
      const c = s.charCodeAt(p)
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) p++
      else break
    }
    this.#p = p
  }

  /** The string starting at the current quote. */
  #string(): string {
    const s = this.#s
    const start = this.#p + 1
    const end = this.#stringEnd(start)
    this.#p = end + 1
    for (let i = start; i < end; i++) if (s.charCodeAt(i) === BACKSLASH) return this.#unescape(start, end)
    return s.slice(start, end)
  }

  /** A value read as JSON.parse would, when it is a scalar; objects and arrays are skipped (undefined). */
  #scalar(): unknown {
    this.#ws()
    const s = this.#s
    const c = s.charCodeAt(this.#p)
    if (c === QUOTE) return this.#string()
    if (c === LBRACE || c === LBRACKET) {
      this.#skip()
      return undefined
    }
    if (s.startsWith('true', this.#p)) {
      this.#p += 4
      return true
    }
    if (s.startsWith('false', this.#p)) {
      this.#p += 5
      return false
    }
    if (s.startsWith('null', this.#p)) {
      this.#p += 4
      return null
    }
    return this.#number()
  }

  #number(): number {
    const s = this.#s
    const start = this.#p
    let p = start
    const negative = s.charCodeAt(p) === 0x2d // -
    if (negative) p++
    const digits = p
    // Integers of up to 15 digits (every count and most bounds) are exact when accumulated; anything else
    // (fractions, exponents, longer integers) goes through Number() of the text, as JSON.parse reads it.
    let acc = 0
    for (;;) {
      const c = s.charCodeAt(p)
      if (c >= 0x30 && c <= 0x39) {
        acc = acc * 10 + (c - 0x30)
        p++
      } else break
    }
    const c = s.charCodeAt(p)
    if (p > digits && p - digits <= 15 && c !== 0x2e && c !== 0x65 && c !== 0x45) {
      this.#p = p
      return negative ? -acc : acc
    }
    for (;;) {
      const d = s.charCodeAt(p)
      if ((d >= 0x30 && d <= 0x39) || d === 0x2e || d === 0x65 || d === 0x45 || d === 0x2b || d === 0x2d) p++
      else break
    }
    if (p === digits) throw MALFORMED
    const first = s.charCodeAt(digits)
    if (first < 0x30 || first > 0x39) throw MALFORMED
    const v = Number(s.slice(start, p))
    if (Number.isNaN(v)) throw MALFORMED
    this.#p = p
    return v
  }

  /** Skips one value of any kind. */
  #skip(): void {
    this.#ws()
    const s = this.#s
    const c = s.charCodeAt(this.#p)
    if (c === LBRACE || c === LBRACKET) {
      let depth = 0
      for (;;) {
        const d = s.charCodeAt(this.#p)
        if (Number.isNaN(d)) throw MALFORMED
        if (d === QUOTE) {
          this.#p = this.#stringEnd(this.#p + 1) + 1
          continue
        }
        this.#p++
        if (d === LBRACE || d === LBRACKET) depth++
        else if (d === RBRACE || d === RBRACKET) {
          depth--
          if (depth === 0) return
        }
      }
    }
    this.#scalar()
  }
}

/**
 * Whether the last {@link stringEnd} crossed an escape (so the text between the quotes is not the string's
 * value). Module state rather than a second return value: the scanner's hot loops stay allocation free.
 */
let lastEscaped = false

function isHex(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66)
}

/**
 * The index of the closing quote of the JSON string whose text starts at `p`, or -1 when it is not a valid
 * JSON string (unterminated, a raw control character, a bad escape), as JSON.parse would reject it.
 */
function stringEnd(s: string, p: number): number {
  lastEscaped = false
  for (;;) {
    const c = s.charCodeAt(p)
    if (c > BACKSLASH || (c >= 0x20 && c !== QUOTE && c !== BACKSLASH)) p++
    else if (c === QUOTE) return p
    else if (c === BACKSLASH) {
      lastEscaped = true
      const e = s.charCodeAt(p + 1)
      if (e === 0x75) {
        if (!isHex(s.charCodeAt(p + 2)) || !isHex(s.charCodeAt(p + 3))) return -1
        if (!isHex(s.charCodeAt(p + 4)) || !isHex(s.charCodeAt(p + 5))) return -1
        p += 6
      } else if (
        e === QUOTE ||
        e === BACKSLASH ||
        e === 0x2f ||
        e === 0x62 ||
        e === 0x66 ||
        e === 0x6e ||
        e === 0x72 ||
        e === 0x74
      )
        p += 2
      else return -1
    } else return -1 // a control character, or the end of the text (NaN)
  }
}

function ws(s: string, p: number): number {
  for (;;) {
    const c = s.charCodeAt(p)
    if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) p++
    else return p
  }
}

const isDigit = (c: number) => c >= 0x30 && c <= 0x39

/** The value of the last number {@link numberEnd} read. */
let lastNumber = 0

/**
 * The end of the JSON number at `p` (strict grammar: no leading zeros, no bare `.`), or -1; its value, as
 * JSON.parse reads it, in {@link lastNumber}.
 */
function numberEnd(s: string, p: number): number {
  const start = p
  const negative = s.charCodeAt(p) === 0x2d
  if (negative) p++
  const digits = p
  let c = s.charCodeAt(p)
  let acc = 0
  if (c === 0x30) p++
  else if (c >= 0x31 && c <= 0x39) {
    acc = c - 0x30
    for (;;) {
      c = s.charCodeAt(++p)
      if (c >= 0x30 && c <= 0x39) acc = acc * 10 + (c - 0x30)
      else break
    }
  } else return -1
  c = s.charCodeAt(p)
  // Up to 15 digits, no fraction or exponent: exact when accumulated. Anything else goes through Number().
  if (c !== 0x2e && c !== 0x65 && c !== 0x45 && p - digits <= 15) {
    lastNumber = negative ? -acc : acc
    return p
  }
  if (c === 0x2e) {
    p++
    if (!isDigit(s.charCodeAt(p))) return -1
    while (isDigit(s.charCodeAt(++p)));
    c = s.charCodeAt(p)
  }
  if (c === 0x65 || c === 0x45) {
    p++
    c = s.charCodeAt(p)
    if (c === 0x2b || c === 0x2d) p++
    if (!isDigit(s.charCodeAt(p))) return -1
    while (isDigit(s.charCodeAt(++p)));
  }
  lastNumber = Number(s.slice(start, p))
  return p
}

/** Deeper nesting than this reads as malformed (the file is kept) rather than risking the stack. */
const MAX_DEPTH = 256

/** The end of the JSON value at `p`, validated as JSON.parse would, or -1. */
function valueEnd(s: string, p: number, depth: number): number {
  const c = s.charCodeAt(p)
  if (c === QUOTE) {
    const e = stringEnd(s, p + 1)
    return e < 0 ? -1 : e + 1
  }
  if (c === LBRACE || c === LBRACKET) {
    if (depth > MAX_DEPTH) return -1
    const object = c === LBRACE
    const close = object ? RBRACE : RBRACKET
    p = p + 1
    if (s.charCodeAt(p) <= 0x20) p = ws(s, p)
    if (s.charCodeAt(p) === close) return p + 1
    for (;;) {
      if (object) {
        if (s.charCodeAt(p) !== QUOTE) return -1
        const e = stringEnd(s, p + 1)
        if (e < 0) return -1
        p = e + 1
        if (s.charCodeAt(p) <= 0x20) p = ws(s, p)
        if (s.charCodeAt(p) !== COLON) return -1
        p = p + 1
        if (s.charCodeAt(p) <= 0x20) p = ws(s, p)
      }
      p = valueEnd(s, p, depth + 1)
      if (p < 0) return -1
      if (s.charCodeAt(p) <= 0x20) p = ws(s, p)
      const d = s.charCodeAt(p)
      if (d === close) return p + 1
      if (d !== COMMA) return -1
      p = p + 1
      if (s.charCodeAt(p) <= 0x20) p = ws(s, p)
    }
  }
  if (c === 0x74) return s.startsWith('true', p) ? p + 4 : -1
  if (c === 0x66) return s.startsWith('false', p) ? p + 5 : -1
  if (c === 0x6e) return s.startsWith('null', p) ? p + 4 : -1
  return numberEnd(s, p)
}

/** The key between `ks` and `ke` (quotes excluded) is `name`; `escaped` when its text had escapes. */
function keyIs(s: string, ks: number, ke: number, escaped: boolean, name: string): boolean {
  if (escaped) return JSON.parse(s.slice(ks - 1, ke + 1)) === name
  const n = name.length
  if (ke - ks !== n) return false
  for (let i = 0; i < n; i++) if (s.charCodeAt(ks + i) !== name.charCodeAt(i)) return false
  return true
}

/** Which top-level stats key the key between `ks` and `ke` is: 0 minValues, 1 maxValues, 2 nullCount, 3 numRecords, -1 another. */
function sectionOf(s: string, ks: number, ke: number, escaped: boolean): number {
  if (!escaped) {
    const len = ke - ks
    if (len === 10) return keyIs(s, ks, ke, false, 'numRecords') ? 3 : -1
    if (len !== 9) return -1
    const c = s.charCodeAt(ks + 1)
    if (c === 0x69) return keyIs(s, ks, ke, false, 'minValues') ? 0 : -1
    if (c === 0x61) return keyIs(s, ks, ke, false, 'maxValues') ? 1 : -1
    if (c === 0x75) return keyIs(s, ks, ke, false, 'nullCount') ? 2 : -1
    return -1
  }
  const k = JSON.parse(s.slice(ks - 1, ke + 1)) as string
  return k === 'minValues' ? 0 : k === 'maxValues' ? 1 : k === 'nullCount' ? 2 : k === 'numRecords' ? 3 : -1
}

/**
 * A fast, validating reader of one leaf's statistics from `add.stats` JSON: numRecords and the leaf's
 * minValues / maxValues / nullCount entries, in one pass over the text and with no allocation for number
 * values. It reads exactly what `JSON.parse(text)` and a property walk would (numbers as JSON.parse reads them,
 * the last duplicate key winning, objects and arrays at the leaf reading as undefined), and rejects what
 * JSON.parse rejects, anywhere in the text (unterminated strings, raw control characters, bad escapes, numbers
 * outside the JSON grammar, trailing text): a rejected text gives no values, so its file is kept.
 */
export class LeafScanner {
  /** numRecords of the last scanned text, NaN when absent or not a number. */
  numRecords = Number.NaN
  /**
   * Per section (0 minValues, 1 maxValues, 2 nullCount): what the leaf holds (0 absent, null, an object or an
   * array: undefined for pruning; 1 a number in `num`; 2 a string in `str`; 3 true / false), and the value.
   */
  readonly kind = new Uint8Array(3)
  readonly num = new Float64Array(3)
  readonly str: (string | undefined)[] = [undefined, undefined, undefined]

  /** @param path the leaf's path (physical names), e.g. `['id']` or `['s', 'x']`; not empty. */
  constructor(readonly path: readonly string[]) {}

  #fail(): false {
    this.numRecords = Number.NaN
    this.kind.fill(0)
    return false
  }

  /** Reads one stats text; false (nothing found) when it is not a well-formed JSON object. */
  scan(s: string): boolean {
    this.numRecords = Number.NaN
    const kind = this.kind
    kind[0] = 0
    kind[1] = 0
    kind[2] = 0
    let p = ws(s, 0)
    if (s.charCodeAt(p) !== LBRACE) return this.#fail()
    p = p + 1
    if (s.charCodeAt(p) <= 0x20) p = ws(s, p)
    if (s.charCodeAt(p) === RBRACE) p++
    else
      for (;;) {
        if (s.charCodeAt(p) !== QUOTE) return this.#fail()
        const ks = p + 1
        const ke = stringEnd(s, ks)
        if (ke < 0) return this.#fail()
        const which = sectionOf(s, ks, ke, lastEscaped)
        p = ke + 1
        if (s.charCodeAt(p) <= 0x20) p = ws(s, p)
        if (s.charCodeAt(p) !== COLON) return this.#fail()
        p = p + 1
        if (s.charCodeAt(p) <= 0x20) p = ws(s, p)
        if (which === 3) {
          this.numRecords = Number.NaN
          const c = s.charCodeAt(p)
          if (c === 0x2d || isDigit(c)) {
            p = numberEnd(s, p)
            this.numRecords = lastNumber
          } else p = valueEnd(s, p, 1)
        } else if (which >= 0) {
          kind[which] = 0
          p = s.charCodeAt(p) === LBRACE ? this.#object(s, p, which, 0) : valueEnd(s, p, 1)
        } else p = valueEnd(s, p, 1)
        if (p < 0) return this.#fail()
        if (s.charCodeAt(p) <= 0x20) p = ws(s, p)
        const c = s.charCodeAt(p)
        if (c === RBRACE) {
          p++
          break
        }
        if (c !== COMMA) return this.#fail()
        p = p + 1
        if (s.charCodeAt(p) <= 0x20) p = ws(s, p)
      }
    if (ws(s, p) !== s.length) return this.#fail()
    return true
  }

  /** An object (at `p`) on the leaf's path, whose keys are matched against `path[d]`; returns its end or -1. */
  #object(s: string, p: number, which: number, d: number): number {
    const name = this.path[d]
    const leaf = d === this.path.length - 1
    p = p + 1
    if (s.charCodeAt(p) <= 0x20) p = ws(s, p)
    if (s.charCodeAt(p) === RBRACE) return p + 1
    for (;;) {
      if (s.charCodeAt(p) !== QUOTE) return -1
      const ks = p + 1
      const ke = stringEnd(s, ks)
      if (ke < 0) return -1
      const match = keyIs(s, ks, ke, lastEscaped, name)
      p = ke + 1
      if (s.charCodeAt(p) <= 0x20) p = ws(s, p)
      if (s.charCodeAt(p) !== COLON) return -1
      p = p + 1
      if (s.charCodeAt(p) <= 0x20) p = ws(s, p)
      if (match) {
        // A later duplicate of the key replaces the earlier value entirely.
        this.kind[which] = 0
        if (leaf) p = this.#leaf(s, p, which)
        else if (s.charCodeAt(p) === LBRACE) p = this.#object(s, p, which, d + 1)
        else p = valueEnd(s, p, d + 2)
      } else p = valueEnd(s, p, d + 2)
      if (p < 0) return -1
      if (s.charCodeAt(p) <= 0x20) p = ws(s, p)
      const c = s.charCodeAt(p)
      if (c === RBRACE) return p + 1
      if (c !== COMMA) return -1
      p = p + 1
      if (s.charCodeAt(p) <= 0x20) p = ws(s, p)
    }
  }

  /** The leaf's value at `p`; returns its end or -1. */
  #leaf(s: string, p: number, which: number): number {
    const c = s.charCodeAt(p)
    if (c === QUOTE) {
      const e = stringEnd(s, p + 1)
      if (e < 0) return -1
      this.kind[which] = 2
      this.str[which] = lastEscaped ? (JSON.parse(s.slice(p, e + 1)) as string) : s.slice(p + 1, e)
      return e + 1
    }
    if (c === 0x74 || c === 0x66) {
      const e = valueEnd(s, p, 0)
      if (e >= 0) this.kind[which] = 3
      return e
    }
    if (c === 0x2d || isDigit(c)) {
      const e = numberEnd(s, p)
      if (e < 0) return -1
      this.kind[which] = 1
      this.num[which] = lastNumber
      return e
    }
    return valueEnd(s, p, 1) // null, an object or an array: undefined
  }
}
