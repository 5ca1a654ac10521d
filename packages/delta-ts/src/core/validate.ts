/**
 * Runtime checks of the public API's arguments, for callers without TypeScript's: an options object with a
 * misspelt key (`{ configuration }` for `{ properties }`) or a value outside its union (`mode: 'overwrit'`)
 * would otherwise be ignored, or fail later with a raw TypeError. Each check throws `INVALID_ARGUMENT` naming
 * the method, the option and what it accepts.
 */
import { DeltaError } from '../errors.js'

/** A check of one option value (never called with `undefined`): undefined when valid, else what it must be. */
export type OptionCheck = (value: unknown) => string | undefined

/** The checks of one method's options, by key. A key missing here is refused as unknown. */
export type OptionSpec = Readonly<Record<string, OptionCheck>>

const describeValue = (v: unknown): string => {
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'an array'
  if (typeof v === 'string') return `'${v.length > 40 ? `${v.slice(0, 40)}…` : v}'`
  if (typeof v === 'object') return `an object`
  return `${typeof v} ${String(v)}`
}

/** Option checks shared by the methods. */
export const check = {
  oneOf:
    (...allowed: readonly string[]): OptionCheck =>
    (v) =>
      typeof v === 'string' && allowed.includes(v) ? undefined : `one of ${allowed.map((a) => `'${a}'`).join(', ')}`,
  boolean: ((v) => (typeof v === 'boolean' ? undefined : 'true or false')) as OptionCheck,
  string: ((v) => (typeof v === 'string' ? undefined : 'a string')) as OptionCheck,
  nonNegativeInteger: ((v) =>
    typeof v === 'number' && Number.isInteger(v) && v >= 0 ? undefined : 'an integer >= 0') as OptionCheck,
  positiveInteger: ((v) =>
    typeof v === 'number' && Number.isInteger(v) && v > 0 ? undefined : 'an integer > 0') as OptionCheck,
  positiveNumber: ((v) =>
    typeof v === 'number' && Number.isFinite(v) && v > 0 ? undefined : 'a finite number > 0') as OptionCheck,
  nonNegativeNumber: ((v) =>
    typeof v === 'number' && Number.isFinite(v) && v >= 0 ? undefined : 'a finite number >= 0') as OptionCheck,
  object: ((v) =>
    typeof v === 'object' && v !== null && !Array.isArray(v) ? undefined : 'a plain object') as OptionCheck,
  stringArray: ((v) =>
    Array.isArray(v) && v.every((x) => typeof x === 'string') ? undefined : 'an array of strings') as OptionCheck,
  stringRecord: ((v) =>
    typeof v === 'object' && v !== null && !Array.isArray(v) && Object.values(v).every((x) => typeof x === 'string')
      ? undefined
      : 'an object of string values') as OptionCheck,
  /** SQL text or an expression object. */
  predicate: ((v) =>
    typeof v === 'string' || (typeof v === 'object' && v !== null && !Array.isArray(v))
      ? undefined
      : 'SQL text or an expression') as OptionCheck,
  signal: ((v) =>
    typeof v === 'object' && v !== null && typeof (v as AbortSignal).throwIfAborted === 'function'
      ? undefined
      : 'an AbortSignal') as OptionCheck,
  /** Accepted as given: checked where it is used (e.g. a storage object, a schema). */
  any: (() => undefined) as OptionCheck,
  txn: ((v) => {
    const t = v as { appId?: unknown; version?: unknown } | null
    return typeof t === 'object' &&
      t !== null &&
      typeof t.appId === 'string' &&
      t.appId !== '' &&
      typeof t.version === 'number' &&
      Number.isInteger(t.version) &&
      t.version >= 0 &&
      Object.keys(t).every((k) => k === 'appId' || k === 'version')
      ? undefined
      : '{ appId: non-empty string, version: integer >= 0 }'
  }) as OptionCheck,
} as const

/** The options of every commit (CommitOptions). */
export const COMMIT_OPTIONS: OptionSpec = {
  isolationLevel: check.oneOf('Serializable', 'WriteSerializable'),
  maxRetries: check.nonNegativeInteger,
  initialBackoffMs: check.nonNegativeNumber,
  maxBackoffMs: check.nonNegativeNumber,
  commitInfo: check.object,
  signal: check.signal,
}

/**
 * Checks `options` of `method` against `spec`: an options argument that is not an object, an unknown key, or a
 * value its check refuses throws `INVALID_ARGUMENT`. `undefined` values count as absent. Returns the options
 * (an empty object for `undefined`).
 */
export function checkOptions<T extends object>(method: string, options: T | undefined, spec: OptionSpec): T {
  if (options === undefined) return {} as T
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new DeltaError('INVALID_ARGUMENT', `${method}: options must be an object, got ${describeValue(options)}`)
  }
  for (const [key, value] of Object.entries(options)) {
    const c = spec[key]
    if (!c) {
      throw new DeltaError(
        'INVALID_ARGUMENT',
        `${method}: unknown option '${key}'; known options: ${Object.keys(spec).sort().join(', ')}`,
      )
    }
    if (value === undefined) continue
    const wanted = c(value)
    if (wanted !== undefined) {
      throw new DeltaError(
        'INVALID_ARGUMENT',
        `${method}: option '${key}' must be ${wanted}, got ${describeValue(value)}`,
      )
    }
  }
  return options
}

/** Throws `INVALID_ARGUMENT` for a required argument that is missing or of the wrong kind. */
export function checkArgument(method: string, name: string, value: unknown, c: OptionCheck): void {
  const wanted = value === undefined || value === null ? 'given' : c(value)
  if (wanted !== undefined) {
    throw new DeltaError(
      'INVALID_ARGUMENT',
      `${method}: ${name} must be ${wanted === 'given' ? 'given' : wanted}, got ${describeValue(value)}`,
    )
  }
}
