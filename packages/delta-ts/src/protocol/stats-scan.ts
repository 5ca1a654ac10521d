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
