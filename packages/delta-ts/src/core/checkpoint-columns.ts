/**
 * Column-wise construction of a checkpoint's `add` rows (issue 18: "checkpoint writing reads from the same
 * columns, no JS object per action on the way out"). The adds replayed from JSON commits are read field by
 * field straight into Arrow buffers; `stats_parsed` is written from each add's stats JSON by one pass over the
 * text that stores the values of the table's stats columns into typed arrays, with no object graph per add
 * (building `typedStats(parseJsonExact(stats))` objects was 40% of a million-add checkpoint, and most of its GC).
 *
 * The values are exactly the ones the object path gives (checkpoint-writer.ts `typedStats`): longs beyond 2^53
 * and decimals are read from the number's text, a struct is null where the JSON has no object, and a text the
 * pass cannot read exactly (escaped keys, duplicate keys, NaN literals, malformed JSON) is handed to the object
 * path for that one add, which keeps its errors.
 */
import type { Data } from 'apache-arrow'
import * as arrow from 'apache-arrow'
import { nullData } from '../arrow/conform.js'
import type { AddAction } from '../protocol/actions.js'
import { deltaToArrowType } from '../protocol/arrow-schema.js'
import { type DecimalValue, parseDecimalString, parsePartitionValue } from '../protocol/partition-values.js'
import { type DataType, decimalParams, isStruct, type StructType } from '../protocol/schema.js'

const UTF8 = new TextEncoder()

// ---------------------------------------------------------------------------------------------------------
// Validity bitmaps

function bitmap(n: number): Uint8Array {
  return new Uint8Array(((n + 63) & ~63) >> 3)
}

const setBit = (bits: Uint8Array, i: number) => {
  bits[i >> 3] |= 1 << (i & 7)
}
const clearBit = (bits: Uint8Array, i: number) => {
  bits[i >> 3] &= ~(1 << (i & 7))
}

function countNulls(bits: Uint8Array, n: number): number {
  let valid = 0
  const whole = n >> 3
  for (let b = 0; b < whole; b++) {
    let x = bits[b]
    x = x - ((x >> 1) & 0x55)
    x = (x & 0x33) + ((x >> 2) & 0x33)
    valid += (x + (x >> 4)) & 0x0f
  }
  for (let i = whole << 3; i < n; i++) valid += (bits[i >> 3] >> (i & 7)) & 1
  return n - valid
}

/** Validity props of makeData: no bitmap when every row is valid. */
function validity(bits: Uint8Array, n: number): { nullBitmap: Uint8Array | undefined; nullCount: number } {
  const nullCount = countNulls(bits, n)
  return { nullBitmap: nullCount > 0 ? bits : undefined, nullCount }
}

// ---------------------------------------------------------------------------------------------------------
// Column builders

/**
 * Builds one primitive column of `n` rows, row by row in any order; a row never set is null. `setTyped` takes
 * the JS value of the Delta type (protocol/partition-values.ts `ScalarValue`: bigint longs and timestamps,
 * number ints / floats / dates, {@link DecimalValue}, string, boolean, Uint8Array); the typed-array builders
 * also take a long or timestamp as a safe-integer number, without a BigInt.
 */
export interface ColumnBuilder {
  readonly type: DataType
  readonly valid: Uint8Array
  setTyped(i: number, v: unknown): void
  clear(i: number): void
  finish(arrowType: arrow.DataType): Data
}

class Int64Builder implements ColumnBuilder {
  readonly valid: Uint8Array
  readonly words: Int32Array
  constructor(
    readonly type: DataType,
    readonly n: number,
  ) {
    this.valid = bitmap(n)
    this.words = new Int32Array(n * 2)
  }
  /** A safe integer, two 32-bit words without a BigInt. */
  setNumber(i: number, v: number): void {
    const hi = Math.floor(v / 4294967296)
    this.words[2 * i] = v - hi * 4294967296
    this.words[2 * i + 1] = hi
    setBit(this.valid, i)
  }
  setTyped(i: number, v: unknown): void {
    if (typeof v === 'number') {
      if (Number.isSafeInteger(v)) {
        this.setNumber(i, v)
        return
      }
      v = BigInt(Math.trunc(v))
    }
    if (typeof v !== 'bigint') return
    const u = BigInt.asUintN(64, v)
    this.words[2 * i] = Number(u & 0xffffffffn)
    this.words[2 * i + 1] = Number(u >> 32n)
    setBit(this.valid, i)
  }
  clear(i: number): void {
    clearBit(this.valid, i)
  }
  finish(arrowType: arrow.DataType): Data {
    const data = new BigInt64Array(this.words.buffer, 0, this.n)
    return arrow.makeData({ type: arrowType as never, length: this.n, ...validity(this.valid, this.n), data } as never)
  }
}

type NumberArray = Int8Array | Int16Array | Int32Array | Float32Array | Float64Array

class NumberBuilder implements ColumnBuilder {
  readonly valid: Uint8Array
  readonly values: NumberArray
  constructor(
    readonly type: DataType,
    readonly n: number,
  ) {
    this.valid = bitmap(n)
    this.values =
      type === 'byte'
        ? new Int8Array(n)
        : type === 'short'
          ? new Int16Array(n)
          : type === 'float'
            ? new Float32Array(n)
            : type === 'double'
              ? new Float64Array(n)
              : new Int32Array(n)
  }
  setNumber(i: number, v: number): void {
    this.values[i] = v
    setBit(this.valid, i)
  }
  setTyped(i: number, v: unknown): void {
    if (v === null || v === undefined) return
    this.setNumber(i, Number(v))
  }
  clear(i: number): void {
    clearBit(this.valid, i)
  }
  finish(arrowType: arrow.DataType): Data {
    const { n } = this
    return arrow.makeData({
      type: arrowType as never,
      length: n,
      ...validity(this.valid, n),
      data: this.values,
    } as never)
  }
}

class DecimalBuilder implements ColumnBuilder {
  readonly valid: Uint8Array
  readonly words: Uint32Array
  constructor(
    readonly type: DataType,
    readonly n: number,
  ) {
    this.valid = bitmap(n)
    this.words = new Uint32Array(n * 4)
  }
  setTyped(i: number, v: unknown): void {
    if (v === null || v === undefined) return
    let u = BigInt.asUintN(128, (v as DecimalValue).unscaled)
    for (let w = 0; w < 4; w++) {
      this.words[i * 4 + w] = Number(u & 0xffffffffn)
      u >>= 32n
    }
    setBit(this.valid, i)
  }
  clear(i: number): void {
    clearBit(this.valid, i)
  }
  finish(arrowType: arrow.DataType): Data {
    const { n } = this
    return arrow.makeData({
      type: arrowType as never,
      length: n,
      ...validity(this.valid, n),
      data: this.words,
    } as never)
  }
}

class BoolBuilder implements ColumnBuilder {
  readonly valid: Uint8Array
  readonly bits: Uint8Array
  constructor(
    readonly type: DataType,
    readonly n: number,
  ) {
    this.valid = bitmap(n)
    this.bits = bitmap(n)
  }
  setTyped(i: number, v: unknown): void {
    if (typeof v !== 'boolean') return
    if (v) setBit(this.bits, i)
    else clearBit(this.bits, i)
    setBit(this.valid, i)
  }
  clear(i: number): void {
    clearBit(this.valid, i)
  }
  finish(arrowType: arrow.DataType): Data {
    const { n } = this
    return arrow.makeData({ type: arrowType as never, length: n, ...validity(this.valid, n), data: this.bits } as never)
  }
}

/** Strings (or binary values) kept by reference, encoded at the end in one TextEncoder call. */
class StringBuilder implements ColumnBuilder {
  readonly valid: Uint8Array
  readonly values: (string | Uint8Array | undefined)[]
  constructor(
    readonly type: DataType,
    readonly n: number,
  ) {
    this.valid = bitmap(n)
    this.values = new Array(n)
  }
  setTyped(i: number, v: unknown): void {
    if (typeof v === 'string' || v instanceof Uint8Array) {
      this.values[i] = v
      setBit(this.valid, i)
    }
  }
  clear(i: number): void {
    this.values[i] = undefined
    clearBit(this.valid, i)
  }
  finish(arrowType: arrow.DataType): Data {
    return stringData(arrowType, this.n, (i) => this.values[i], this.valid)
  }
}

/** A builder for one primitive Delta type (the leaves of `stats_parsed` and `partitionValues_parsed`). */
export function columnBuilder(type: DataType, n: number): ColumnBuilder {
  switch (type) {
    case 'long':
    case 'timestamp':
    case 'timestamp_ntz':
      return new Int64Builder(type, n)
    case 'integer':
    case 'short':
    case 'byte':
    case 'float':
    case 'double':
    case 'date':
      return new NumberBuilder(type, n)
    case 'boolean':
      return new BoolBuilder(type, n)
    case 'string':
    case 'binary':
      return new StringBuilder(type, n)
    default:
      if (decimalParams(type)) return new DecimalBuilder(type, n)
      // A type with no builder (void, nested): the column stays null.
      return new NullBuilder(type, n)
  }
}

class NullBuilder implements ColumnBuilder {
  readonly valid: Uint8Array
  constructor(
    readonly type: DataType,
    readonly n: number,
  ) {
    this.valid = bitmap(0)
  }
  setTyped(): void {}
  clear(): void {}
  finish(arrowType: arrow.DataType): Data {
    return nullData(arrowType, this.n)
  }
}

/** UTF-8 byte length of a string (lone surrogates count as U+FFFD, 3 bytes, as TextEncoder writes them). */
function utf8Length(str: string): number {
  let n = 0
  for (let i = 0; i < str.length; i++) {
    const c = str.charCodeAt(i)
    if (c < 0x80) n += 1
    else if (c < 0x800) n += 2
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < str.length && (str.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 4
      i++
    } else n += 3
  }
  return n
}

/**
 * A Utf8 / Binary column of `n` rows from `get(i)` (undefined or null = null; `valid`, when given, is the
 * validity to use instead). Strings are encoded in one TextEncoder call over the joined text; when that
 * changed the bytes (a lone surrogate pairing up across two values) each value is encoded alone.
 */
export function stringData(
  arrowType: arrow.DataType,
  n: number,
  get: (i: number) => string | Uint8Array | null | undefined,
  valid?: Uint8Array,
): Data {
  const offsets = new Int32Array(n + 1)
  const bits = valid ?? bitmap(n)
  const texts: string[] = []
  let binary = false
  // Offsets in UTF-16 units first: they are the byte offsets when every string is ASCII (the common case,
  // checked on the encoded length), which spares a pass over every character.
  let total = 0
  for (let i = 0; i < n; i++) {
    const v = get(i)
    if (v !== null && v !== undefined) {
      if (typeof v === 'string') texts.push(v)
      else binary = true
      total += v.length
      if (!valid) setBit(bits, i)
    }
    offsets[i + 1] = total
  }
  let bytes: Uint8Array | undefined
  if (!binary) {
    const joined = UTF8.encode(texts.join(''))
    if (joined.length === total) bytes = joined
    else {
      total = 0
      for (let i = 0; i < n; i++) {
        const v = get(i)
        if (v !== null && v !== undefined) total += utf8Length(v as string)
        offsets[i + 1] = total
      }
      if (joined.length === total) bytes = joined
    }
  } else {
    total = 0
    for (let i = 0; i < n; i++) {
      const v = get(i)
      if (v !== null && v !== undefined) total += typeof v === 'string' ? utf8Length(v) : v.length
      offsets[i + 1] = total
    }
  }
  if (!bytes) {
    // utf8Length counts what TextEncoder writes for each value alone, so the offsets above stand.
    const out = new Uint8Array(total)
    for (let i = 0; i < n; i++) {
      const v = get(i)
      if (v !== null && v !== undefined) out.set(typeof v === 'string' ? UTF8.encode(v) : v, offsets[i])
    }
    bytes = out
  }
  return arrow.makeData({
    type: arrowType as never,
    length: n,
    ...validity(bits, n),
    valueOffsets: offsets,
    data: bytes,
  } as never)
}

/** An Int64 column from numbers or bigints (`get(i)` null or undefined = null). */
function longData(arrowType: arrow.DataType, n: number, get: (i: number) => unknown): Data {
  const b = new Int64Builder('long', n)
  for (let i = 0; i < n; i++) {
    const v = get(i)
    if (typeof v === 'number' && Number.isSafeInteger(v)) b.setNumber(i, v)
    else if (v !== null && v !== undefined) b.setTyped(i, typeof v === 'bigint' ? v : Number(v))
  }
  return b.finish(arrowType)
}

function boolData(arrowType: arrow.DataType, n: number, get: (i: number) => unknown): Data {
  const b = new BoolBuilder('boolean', n)
  for (let i = 0; i < n; i++) b.setTyped(i, get(i))
  return b.finish(arrowType)
}

/**
 * A `map<string,string>` column from records (`get(i)` null or undefined = null), entries in the records' key
 * order, with no object per entry.
 */
export function stringMapData(
  arrowType: arrow.DataType,
  n: number,
  get: (i: number) => Readonly<Record<string, string | null>> | null | undefined,
): Data {
  const offsets = new Int32Array(n + 1)
  const bits = bitmap(n)
  const keys: string[] = []
  const values: (string | null)[] = []
  for (let i = 0; i < n; i++) {
    const m = get(i)
    if (m !== null && m !== undefined) {
      setBit(bits, i)
      for (const k in m) {
        if (!Object.hasOwn(m, k)) continue
        keys.push(k)
        const v = m[k]
        values.push(v === undefined || v === null ? null : String(v))
      }
    }
    offsets[i + 1] = keys.length
  }
  const entriesType = (arrowType as arrow.Map_).children[0].type as arrow.Struct
  const m = keys.length
  const entries = arrow.makeData({
    type: entriesType,
    length: m,
    nullCount: 0,
    children: [
      stringData(entriesType.children[0].type, m, (k) => keys[k]),
      stringData(entriesType.children[1].type, m, (k) => values[k]),
    ],
  })
  return arrow.makeData({
    type: arrowType as arrow.Map_,
    length: n,
    ...validity(bits, n),
    valueOffsets: offsets,
    child: entries,
  } as never)
}

// ---------------------------------------------------------------------------------------------------------
// stats_parsed

/** A struct of the stats type: its fields in order, each a nested struct or a leaf builder. */
interface StatsNode {
  valid: Uint8Array
  fields: { name: string; node?: StatsNode; leaf?: ColumnBuilder; seen: number }[]
}

function statsNode(type: StructType, n: number, leaves: ColumnBuilder[], nodes: StatsNode[]): StatsNode {
  const node: StatsNode = { valid: bitmap(n), fields: [] }
  nodes.push(node)
  for (const f of type.fields) {
    if (isStruct(f.type)) node.fields.push({ name: f.name, node: statsNode(f.type, n, leaves, nodes), seen: -1 })
    else {
      const leaf = columnBuilder(f.type, n)
      leaves.push(leaf)
      node.fields.push({ name: f.name, leaf, seen: -1 })
    }
  }
  return node
}

function finishNode(node: StatsNode, arrowType: arrow.Struct, n: number): Data {
  const children = node.fields.map((f, j) => {
    const t = arrowType.children[j].type
    return f.node ? finishNode(f.node, t as arrow.Struct, n) : (f.leaf as ColumnBuilder).finish(t)
  })
  return arrow.makeData({ type: arrowType, length: n, ...validity(node.valid, n), children })
}

/** Thrown inside a pass over one text: the row goes to the object path. */
class Unreadable extends Error {}
const UNREADABLE = new Unreadable('stats text needs the exact parser')

const QUOTE = 0x22
const BACKSLASH = 0x5c
const LBRACE = 0x7b
const RBRACE = 0x7d
const LBRACKET = 0x5b
const RBRACKET = 0x5d
const COLON = 0x3a
const COMMA = 0x2c
const MINUS = 0x2d
const DOT = 0x2e

const isDigit = (c: number) => c >= 0x30 && c <= 0x39

/**
 * Builds the `stats_parsed` column of `type` (checkpoint-writer.ts `statsParsedType`) over `n` rows, from
 * each row's stats JSON: `text(i)` (undefined, null or empty = no stats, a null struct). `exact(text)` is the
 * object path (`typedStats(parseJsonExact(text), type)`) for the rows this pass does not read itself.
 *
 * @throws what `exact` throws for a malformed text (DeltaError `INVALID_LOG`).
 */
export function statsParsedData(
  type: StructType,
  n: number,
  text: (i: number) => string | null | undefined,
  exact: (text: string) => unknown,
): Data {
  const leaves: ColumnBuilder[] = []
  const nodes: StatsNode[] = []
  const root = statsNode(type, n, leaves, nodes)
  const reader = new StatsTextReader()
  for (let i = 0; i < n; i++) {
    const t = text(i)
    if (t === null || t === undefined || t.length === 0) continue
    if (reader.read(t, root, i)) continue
    // Undo what the pass wrote for this row, then take the object path's values.
    for (const leaf of leaves) leaf.clear(i)
    for (const node of nodes) clearBit(node.valid, i)
    writeObject(root, exact(t), i)
  }
  return finishNode(root, deltaToArrowType(type) as arrow.Struct, n)
}

/** Writes a value of the object path (a typed stats object, or null) into row `i` of `node`. */
function writeObject(node: StatsNode, v: unknown, i: number): void {
  if (v === null || v === undefined || typeof v !== 'object') return
  setBit(node.valid, i)
  const o = v as Record<string, unknown>
  for (const f of node.fields) {
    const x = o[f.name]
    if (f.node) writeObject(f.node, x, i)
    else (f.leaf as ColumnBuilder).setTyped(i, x)
  }
}

/**
 * One pass over a stats JSON text, storing the values of the stats type's leaves into their builders. Mirrors
 * `typedStats(parseJsonExact(text))`: a leaf takes a scalar (a number by its text, or a string), a struct
 * takes an object (anything else leaves it null), other members are skipped.
 */
class StatsTextReader {
  #s = ''
  #p = 0
  #row = 0

  /** Reads `text` into row `row`; false when the text needs the exact parser (nothing meaningful written). */
  read(text: string, root: StatsNode, row: number): boolean {
    this.#s = text
    this.#p = 0
    this.#row = row
    try {
      this.#ws()
      if (this.#s.charCodeAt(this.#p) !== LBRACE) return false
      this.#object(root)
      this.#ws()
      return this.#p === this.#s.length
    } catch (err) {
      if (err instanceof Unreadable) return false
      throw err
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

  /** The object at the current `{`, into `node`. */
  #object(node: StatsNode): void {
    const s = this.#s
    const row = this.#row
    setBit(node.valid, row)
    this.#p++
    this.#ws()
    if (s.charCodeAt(this.#p) === RBRACE) {
      this.#p++
      return
    }
    for (;;) {
      this.#ws()
      if (s.charCodeAt(this.#p) !== QUOTE) throw UNREADABLE
      const ks = this.#p + 1
      const ke = s.indexOf('"', ks)
      if (ke < 0) throw UNREADABLE
      // An escaped key (or a quote inside one) is for the exact parser.
      for (let q = ks; q < ke; q++) if (s.charCodeAt(q) === BACKSLASH) throw UNREADABLE
      this.#p = ke + 1
      this.#ws()
      if (s.charCodeAt(this.#p++) !== COLON) throw UNREADABLE
      this.#ws()
      const len = ke - ks
      let field: StatsNode['fields'][number] | undefined
      for (const f of node.fields) {
        if (f.name.length === len && s.startsWith(f.name, ks)) {
          field = f
          break
        }
      }
      if (field === undefined) this.#skip()
      else {
        // A duplicate key replaces the earlier value entirely: the exact parser does that.
        if (field.seen === row) throw UNREADABLE
        field.seen = row
        const c = s.charCodeAt(this.#p)
        if (field.node) {
          if (c === LBRACE) this.#object(field.node)
          else this.#skip()
        } else this.#leaf(field.leaf as ColumnBuilder, c)
      }
      this.#ws()
      const d = s.charCodeAt(this.#p++)
      if (d === COMMA) continue
      if (d === RBRACE) return
      throw UNREADABLE
    }
  }

  /** The value at the current position into a leaf: a number or a string; anything else leaves it null. */
  #leaf(leaf: ColumnBuilder, c: number): void {
    if (c === QUOTE) {
      const v = this.#string()
      setFromString(leaf, this.#row, v)
      return
    }
    if (c === MINUS || isDigit(c)) {
      this.#number(leaf)
      return
    }
    this.#skip()
  }

  /** The string at the current quote, unescaped. */
  #string(): string {
    const s = this.#s
    const start = this.#p + 1
    let end = start
    let escaped = false
    for (;;) {
      end = s.indexOf('"', end)
      if (end < 0) throw UNREADABLE
      let b = end - 1
      while (b >= start && s.charCodeAt(b) === BACKSLASH) b--
      if ((end - 1 - b) % 2 === 0) break
      escaped = true
      end++
    }
    if (!escaped) for (let q = start; q < end && !escaped; q++) escaped = s.charCodeAt(q) === BACKSLASH
    this.#p = end + 1
    if (!escaped) return s.slice(start, end)
    try {
      return JSON.parse(s.slice(start - 1, end + 1)) as string
    } catch {
      throw UNREADABLE
    }
  }

  /**
   * A number as parseJsonExact reads it (`-?\d+(\.\d+)?([eE][+-]?\d+)?`), stored from its text: integers of
   * up to 15 digits without a BigInt or a slice, anything else through the text.
   */
  #number(leaf: ColumnBuilder): void {
    const s = this.#s
    const start = this.#p
    let p = start
    const negative = s.charCodeAt(p) === MINUS
    if (negative) p++
    const digits = p
    let acc = 0
    while (isDigit(s.charCodeAt(p))) acc = acc * 10 + (s.charCodeAt(p++) - 0x30)
    if (p === digits) throw UNREADABLE
    let integer = p - digits <= 15
    if (s.charCodeAt(p) === DOT) {
      integer = false
      const f = ++p
      while (isDigit(s.charCodeAt(p))) p++
      if (p === f) throw UNREADABLE
    }
    const e = s.charCodeAt(p)
    if (e === 0x65 || e === 0x45) {
      integer = false
      p++
      const sign = s.charCodeAt(p)
      if (sign === 0x2b || sign === MINUS) p++
      const x = p
      while (isDigit(s.charCodeAt(p))) p++
      if (p === x) throw UNREADABLE
    }
    this.#p = p
    if (leaf === SKIP) return
    if (integer) setFromInteger(leaf, this.#row, negative ? -acc : acc)
    else setFromNumberText(leaf, this.#row, s.slice(start, p))
  }

  /** Skips one value of any kind (structure only, as the exact parser's output for it is dropped). */
  #skip(): void {
    const s = this.#s
    const c = s.charCodeAt(this.#p)
    if (c === QUOTE) {
      this.#string()
      return
    }
    if (c === LBRACE || c === LBRACKET) {
      let depth = 0
      for (;;) {
        const d = s.charCodeAt(this.#p)
        if (Number.isNaN(d)) throw UNREADABLE
        if (d === QUOTE) {
          this.#string()
          continue
        }
        this.#p++
        if (d === LBRACE || d === LBRACKET) depth++
        else if (d === RBRACE || d === RBRACKET) {
          if (--depth === 0) return
        }
      }
    }
    if (c === MINUS || isDigit(c)) {
      this.#number(SKIP)
      return
    }
    for (const lit of ['true', 'false', 'null']) {
      if (s.startsWith(lit, this.#p)) {
        this.#p += lit.length
        return
      }
    }
    // NaN, Infinity, or not JSON: the exact parser decides.
    throw UNREADABLE
  }
}

const SKIP: ColumnBuilder = new NullBuilder('void' as DataType, 0)

/** A JSON integer of up to 15 digits (exact as a number) into a leaf, as `typedStats` converts it. */
function setFromInteger(leaf: ColumnBuilder, i: number, v: number): void {
  if (leaf === SKIP) return
  if (leaf instanceof Int64Builder) {
    // timestamp stats are strings; a number there is null.
    if (leaf.type === 'long') leaf.setNumber(i, v)
    return
  }
  if (leaf instanceof NumberBuilder) {
    if (leaf.type !== 'date') leaf.setNumber(i, v)
    return
  }
  setFromNumberText(leaf, i, String(v))
}

/** Any other JSON number (by its text) into a leaf, as `typedStats` converts it. */
function setFromNumberText(leaf: ColumnBuilder, i: number, text: string): void {
  if (leaf === SKIP) return
  convertText(leaf, i, text, false)
}

/** A JSON string into a leaf, as `typedStats` converts it. */
function setFromString(leaf: ColumnBuilder, i: number, v: string): void {
  convertText(leaf, i, v, true)
}

/** checkpoint-writer.ts `typedStats` for one scalar: `text` is a number's source text or a string's value. */
function convertText(leaf: ColumnBuilder, i: number, text: string, isString: boolean): void {
  const type = leaf.type
  try {
    switch (type) {
      case 'long':
        leaf.setTyped(i, BigInt(/^-?\d+$/.test(text) ? text : String(Math.trunc(Number(text)))))
        return
      case 'integer':
      case 'short':
      case 'byte':
      case 'float':
      case 'double': {
        const n = Number(text)
        if (!Number.isNaN(n) || text === 'NaN') leaf.setTyped(i, n)
        return
      }
      case 'string':
        if (isString) leaf.setTyped(i, text)
        return
      case 'date':
      case 'timestamp':
      case 'timestamp_ntz':
        if (isString) leaf.setTyped(i, parsePartitionValue(text, type))
        return
      default: {
        const dp = decimalParams(type)
        if (dp) leaf.setTyped(i, parseDecimalString(text, dp.precision, dp.scale))
      }
    }
  } catch {
    // An unconvertible value is null, as in typedStats.
  }
}

// ---------------------------------------------------------------------------------------------------------
// partitionValues_parsed

/**
 * The `partitionValues_parsed` column of `type` (one field per partition column, physical names) from each
 * row's partitionValues map. `raw(i, k)` is the text of field k in row i (its physical name, else its logical
 * one); a value that does not parse is null. Values are parsed once per distinct text.
 */
export function partitionParsedData(
  type: StructType,
  n: number,
  raw: (i: number, field: number) => string | null | undefined,
): Data {
  const arrowType = deltaToArrowType(type) as arrow.Struct
  const children = type.fields.map((f, k) => {
    const b = columnBuilder(f.type, n)
    const cache = new Map<string, unknown>()
    for (let i = 0; i < n; i++) {
      const r = raw(i, k)
      if (r === null || r === undefined) continue
      let v = cache.get(r)
      if (v === undefined) {
        try {
          v = parsePartitionValue(r, f.type)
        } catch {
          v = null
        }
        cache.set(r, v)
      }
      if (v !== null) b.setTyped(i, v)
    }
    return b.finish(arrowType.children[k].type)
  })
  return arrow.makeData({ type: arrowType, length: n, nullCount: 0, children })
}

// ---------------------------------------------------------------------------------------------------------
// add rows

/** What {@link addsData} needs of the writer's context. */
export interface AddColumnsContext {
  asJson: boolean
  statsType?: StructType
  partitionType?: StructType
  /** For each field of `partitionType`: the partitionValues keys to look up, physical name first. */
  partitionKeys?: string[][]
  /** The object path of one stats text (`typedStats(parseJsonExact(text), statsType)`). */
  exactStats: (text: string) => unknown
  /** The object path of one add's deletion vector, for the rows that have one. */
  dvRow: (add: AddAction) => unknown
  /** Builds a column of Delta type `type` from JS values (checkpoint-writer.ts `buildData`). */
  buildData: (type: DataType, values: readonly unknown[]) => Data
}

/**
 * The `add` struct column (Delta type `type`, Arrow type `arrowType`) of `adds`, field by field, with no
 * object per add: every field of the checkpoint's add schema, the typed stats from the stats JSON.
 */
export function addsData(
  adds: readonly AddAction[],
  type: StructType,
  arrowType: arrow.Struct,
  ctx: AddColumnsContext,
): Data {
  const n = adds.length
  const children = type.fields.map((f, j): Data => {
    const t = arrowType.children[j].type
    const field = f.name as keyof AddAction
    switch (f.name) {
      case 'path':
      case 'clusteringProvider':
        return stringData(t, n, (i) => adds[i][field] as string | null | undefined)
      case 'stats':
        return ctx.asJson ? stringData(t, n, (i) => adds[i].stats) : nullData(t, n)
      case 'partitionValues':
        return stringMapData(t, n, (i) => adds[i].partitionValues ?? {})
      case 'tags':
        return stringMapData(t, n, (i) => adds[i].tags)
      case 'size':
      case 'modificationTime':
      case 'baseRowId':
      case 'defaultRowCommitVersion':
        return longData(t, n, (i) => adds[i][field])
      case 'dataChange':
        return boolData(t, n, (i) => adds[i].dataChange)
      case 'deletionVector': {
        if (!adds.some((a) => a.deletionVector)) return nullData(t, n)
        return ctx.buildData(
          f.type,
          adds.map((a) => ctx.dvRow(a)),
        )
      }
      case 'stats_parsed':
        if (!ctx.statsType) return nullData(t, n)
        return statsParsedData(ctx.statsType, n, (i) => adds[i].stats, ctx.exactStats)
      case 'partitionValues_parsed': {
        const keys = ctx.partitionKeys
        if (!ctx.partitionType || !keys) return nullData(t, n)
        return partitionParsedData(ctx.partitionType, n, (i, k) => {
          const pv = adds[i].partitionValues
          if (!pv) return null
          for (const key of keys[k]) {
            const v = pv[key]
            if (v !== undefined && v !== null) return v
          }
          return null
        })
      }
      default:
        return ctx.buildData(
          f.type,
          adds.map((a) => (a as unknown as Record<string, unknown>)[f.name] ?? null),
        )
    }
  })
  return arrow.makeData({ type: arrowType, length: n, nullCount: 0, children })
}
