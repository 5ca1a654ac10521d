/**
 * The `delta.*` table properties delta-ts interprets, and the value formats they take. Pure: used by `create`
 * (and later property changes) to refuse a value that would otherwise be read as its default without a word
 * (`'delta.checkpointInterval': 'ten'`).
 */
import { DeltaError } from '../errors.js'

/**
 * Parses Delta interval strings like `interval 7 days`, `168 hours` into milliseconds; undefined when the value
 * is missing or not an interval.
 */
export function parseInterval(value: string | undefined): number | undefined {
  if (!value) return undefined
  const m = /^\s*(?:interval\s+)?(\d+(?:\.\d+)?)\s*([a-z]+)\s*$/i.exec(value)
  if (!m) return undefined
  const n = Number(m[1])
  const unit = m[2].toLowerCase().replace(/s$/, '')
  const ms: Record<string, number> = {
    nanosecond: 1e-6,
    microsecond: 1e-3,
    millisecond: 1,
    second: 1000,
    minute: 60_000,
    hour: 3_600_000,
    day: 86_400_000,
    week: 604_800_000,
  }
  return ms[unit] === undefined ? undefined : n * ms[unit]
}

/** A check of one property value: undefined when it is valid, else what it must be. */
type ValueCheck = (value: string) => string | undefined

const boolean: ValueCheck = (v) => (v === 'true' || v === 'false' ? undefined : "'true' or 'false'")
const positiveInteger: ValueCheck = (v) => (/^[1-9]\d*$/.test(v) ? undefined : 'a positive integer')
const integerFromMinusOne: ValueCheck = (v) => (/^(-1|0|[1-9]\d*)$/.test(v) ? undefined : 'an integer >= -1')
const interval =
  (example: string): ValueCheck =>
  (v) =>
    parseInterval(v) === undefined ? `an interval such as '${example}'` : undefined
const oneOf =
  (...allowed: string[]): ValueCheck =>
  (v) =>
    allowed.includes(v.toLowerCase()) ? undefined : `one of ${allowed.map((a) => `'${a}'`).join(', ')}`

/** The properties whose values delta-ts reads, with their formats. Other `delta.*` keys are stored as given. */
const KNOWN_PROPERTIES: Record<string, ValueCheck> = {
  'delta.appendOnly': boolean,
  'delta.checkpointInterval': positiveInteger,
  'delta.checkpoint.writeStatsAsJson': boolean,
  'delta.checkpoint.writeStatsAsStruct': boolean,
  'delta.checkpointPolicy': oneOf('classic', 'v2'),
  'delta-ts.checkpoint.partSize': positiveInteger,
  'delta.dataSkippingNumIndexedCols': integerFromMinusOne,
  'delta.deletedFileRetentionDuration': interval('interval 7 days'),
  'delta.logRetentionDuration': interval('interval 30 days'),
  'delta.enableChangeDataFeed': boolean,
  'delta.enableDeletionVectors': boolean,
  'delta.enableInCommitTimestamps': boolean,
  'delta.enableTypeWidening': boolean,
  'delta.enableExpiredLogCleanup': boolean,
  'delta.enableRowTracking': boolean,
  'delta.columnMapping.mode': oneOf('none', 'name', 'id'),
  'delta.parquet.compression.codec': oneOf('zstd', 'snappy', 'gzip', 'uncompressed', 'none'),
}

/**
 * Checks the values of the table properties delta-ts interprets. Throws `INVALID_ARGUMENT` naming the
 * property, the value and what it must be; keys delta-ts does not interpret are accepted as given.
 */
export function validateTableProperties(properties: Readonly<Record<string, unknown>>): void {
  for (const [key, value] of Object.entries(properties)) {
    if (typeof value !== 'string') {
      throw new DeltaError(
        'INVALID_ARGUMENT',
        `table property ${key} must be a string (Delta stores every property as text), got ${typeof value}`,
      )
    }
    const check = KNOWN_PROPERTIES[key]
    const wanted = check?.(value)
    if (wanted !== undefined) {
      throw new DeltaError('INVALID_ARGUMENT', `table property ${key} = '${value}' is invalid: it must be ${wanted}`)
    }
  }
}
