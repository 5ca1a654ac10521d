/**
 * Integer arithmetic of the predicate language on Arrow buffers, without BigInt: column values are read from
 * their typed arrays (int64 from its two 32-bit words) into doubles, which hold every integer below 2^53
 * exactly. When a value or an intermediate result leaves that range, or a result leaves its Spark type (which
 * must raise `ARITHMETIC_OVERFLOW`), the kernel gives up and the caller evaluates the rows exactly, value by
 * value (protocol/expr/arith.ts): same results, this is only the fast path of the common case
 * (`id % 100 = 0`, `qty * 2 > 10` on int / long columns).
 */
import { type Data, Type } from 'apache-arrow'
import type { Operand } from '../protocol/expr/types.js'

/** Integer values of every row (`nulls[i] === 1`: row i is null) or one constant for every row. */
export type IntColumn =
  | { kind: 'rows'; values: Float64Array; nulls: Uint8Array | undefined }
  | { kind: 'const'; value: number | null }

const SAFE = 2 ** 53
const RANGE: Record<string, [number, number]> = {
  byte: [-128, 127],
  short: [-32768, 32767],
  integer: [-2147483648, 2147483647],
  long: [-(SAFE - 1), SAFE - 1],
}

/**
 * The values of `o` when it is integer arithmetic (`+ - * %`, unary minus) of integer literals and signed
 * integer columns, each column one Data (`column` gives it, or undefined when it cannot: nested, chunked),
 * and every value fits the fast path; else undefined. `length` is the number of rows.
 */
export function evalIntOperand(
  o: Operand,
  column: (c: Operand & { kind: 'column' }) => Data | undefined,
  length: number,
): IntColumn | undefined {
  switch (o.kind) {
    case 'literal': {
      if (o.dataType === undefined || RANGE[o.dataType as string] === undefined) return undefined
      const v = o.value
      if (v === null || v === undefined) return { kind: 'const', value: null }
      if (typeof v === 'bigint') return v > -SAFE && v < SAFE ? { kind: 'const', value: Number(v) } : undefined
      return typeof v === 'number' && Number.isSafeInteger(v) ? { kind: 'const', value: v } : undefined
    }
    case 'column': {
      if (o.dataType === undefined || RANGE[o.dataType as string] === undefined) return undefined
      const d = column(o)
      if (!d || d.length !== length) return undefined
      const values = intValues(d)
      if (!values) return undefined
      return { kind: 'rows', values, nulls: nullFlags(d) }
    }
    case 'negate': {
      const type = o.dataType as string | undefined
      if (type === undefined || RANGE[type] === undefined) return undefined
      const v = evalIntOperand(o.operand, column, length)
      if (!v) return undefined
      if (v.kind === 'const') return v.value === null ? v : checked(-v.value + 0, type)
      const out = new Float64Array(length)
      const src = v.values
      for (let i = 0; i < length; i++) out[i] = -src[i]
      return inRange(out, v.nulls, type) ? { kind: 'rows', values: out, nulls: v.nulls } : undefined
    }
    case 'arith': {
      const type = o.dataType as string | undefined
      if (type === undefined || RANGE[type] === undefined || o.op === '/') return undefined
      const a = evalIntOperand(o.left, column, length)
      const b = a && evalIntOperand(o.right, column, length)
      if (!a || !b) return undefined
      return arith(o.op, a, b, type, length)
    }
    default:
      return undefined
  }
}

function checked(v: number, type: string): IntColumn | undefined {
  const [lo, hi] = RANGE[type]
  return v >= lo && v <= hi ? { kind: 'const', value: v } : undefined
}

function arith(op: '+' | '-' | '*' | '%', a: IntColumn, b: IntColumn, type: string, n: number): IntColumn | undefined {
  if (a.kind === 'const' && b.kind === 'const') {
    if (a.value === null || b.value === null) return { kind: 'const', value: null }
    if (op === '%' && b.value === 0) return { kind: 'const', value: null }
    return checked(apply(op, a.value, b.value), type)
  }
  if ((a.kind === 'const' && a.value === null) || (b.kind === 'const' && b.value === null))
    return { kind: 'const', value: null }
  const out = new Float64Array(n)
  let nulls = mergeNulls(a, b, n)
  if (a.kind === 'rows' && b.kind === 'const') {
    const x = a.values
    const y = b.value as number
    if (op === '%' && y === 0) return { kind: 'const', value: null }
    if (op === '+') for (let i = 0; i < n; i++) out[i] = x[i] + y
    else if (op === '-') for (let i = 0; i < n; i++) out[i] = x[i] - y
    else if (op === '*') for (let i = 0; i < n; i++) out[i] = x[i] * y
    else if (y === (y | 0)) {
      // An int32 divisor: int32 dividends take the integer remainder (a machine instruction, not fmod);
      // `| 0` also turns the -0 of `-100 % 100` into 0.
      for (let i = 0; i < n; i++) {
        const v = x[i]
        out[i] = v === (v | 0) ? ((v | 0) % y) | 0 : (v % y) + 0
      }
    } else for (let i = 0; i < n; i++) out[i] = (x[i] % y) + 0
  } else {
    // Column on the right: a zero divisor of % makes that row null.
    const x = a.kind === 'rows' ? a.values : undefined
    const cx = a.kind === 'const' ? (a.value as number) : 0
    const y = (b as { values: Float64Array }).values
    for (let i = 0; i < n; i++) {
      const l = x ? x[i] : cx
      if (op === '%' && y[i] === 0) {
        nulls ??= new Uint8Array(n)
        nulls[i] = 1
        continue
      }
      out[i] = apply(op, l, y[i])
    }
  }
  // A remainder is smaller than its divisor in magnitude and has the dividend's sign: it stays within the
  // operands' type, so it needs no range pass.
  return op === '%' || inRange(out, nulls, type) ? { kind: 'rows', values: out, nulls } : undefined
}

function apply(op: '+' | '-' | '*' | '%', x: number, y: number): number {
  // `+ 0` turns -0 (from `-100 % 100`, `-0 * 3`) into 0: integers have no negative zero.
  return (op === '+' ? x + y : op === '-' ? x - y : op === '*' ? x * y : x % y) + 0
}

/** Every non-null value within the result type and below 2^53 (so that it was computed exactly). */
function inRange(values: Float64Array, nulls: Uint8Array | undefined, type: string): boolean {
  const [lo, hi] = RANGE[type]
  for (let i = 0; i < values.length; i++) {
    const v = values[i]
    if ((v < lo || v > hi) && !nulls?.[i]) return false
  }
  return true
}

function mergeNulls(a: IntColumn, b: IntColumn, n: number): Uint8Array | undefined {
  const x = a.kind === 'rows' ? a.nulls : undefined
  const y = b.kind === 'rows' ? b.nulls : undefined
  if (!x) return y?.slice()
  if (!y) return x.slice()
  const out = new Uint8Array(n)
  for (let i = 0; i < n; i++) out[i] = x[i] | y[i]
  return out
}

/** One flag per row, 1 for null; undefined when no row is null. */
function nullFlags(d: Data): Uint8Array | undefined {
  if (d.nullCount === 0) return undefined
  const out = new Uint8Array(d.length)
  const bits = d.nullBitmap as Uint8Array
  for (let i = 0; i < d.length; i++) {
    const p = d.offset + i
    out[i] = (bits[p >> 3] >> (p & 7)) & 1 ? 0 : 1
  }
  return out
}

/** The values of a signed integer Data as doubles; undefined for other types or an int64 beyond 2^53. */
function intValues(d: Data): Float64Array | undefined {
  const t = d.type as unknown as { typeId: Type; isSigned?: boolean; bitWidth?: number }
  if (t.typeId !== Type.Int || !t.isSigned) return undefined
  const n = d.length
  const v = d.values as ArrayBufferView
  if (t.bitWidth !== 64) return Float64Array.from(v as unknown as ArrayLike<number>)
  const words = new Int32Array(v.buffer, v.byteOffset, n * 2)
  const out = new Float64Array(n)
  // Little-endian words: low, high. |high| < 2^21 keeps the value below 2^53. Null slots may hold anything.
  const nulls = d.nullCount === 0 ? undefined : nullFlags(d)
  for (let i = 0; i < n; i++) {
    const hi = words[2 * i + 1]
    if (hi >= 2097152 || hi < -2097152) {
      if (nulls?.[i]) continue
      return undefined
    }
    out[i] = hi * 4294967296 + (words[2 * i] >>> 0)
  }
  return out
}
