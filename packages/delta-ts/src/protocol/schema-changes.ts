/**
 * Pure schema and protocol changes behind the table-owner operations (rename, drop and widen a column, column
 * mapping upgrade, property changes): schema in, schema out, no IO. The commits are made in core/schema-ops.ts.
 */
import { DeltaError } from '../errors.js'
import type { ProtocolAction } from './actions.js'
import { readerFeatures, writerFeatures } from './features.js'
import { type DataType, decimalParams, isArray, isMap, isStruct, type StructField, type StructType } from './schema.js'

/**
 * Splits a column path `a.b.c` into its names; a name holding a dot is quoted with backticks (`` `a.b`.c ``),
 * a backtick inside a quoted name is doubled, as in Spark SQL. INVALID_ARGUMENT for an empty or unbalanced path.
 */
export function parseColumnPath(path: string): string[] {
  const out: string[] = []
  let cur = ''
  let quoted = false
  let wasQuoted = false
  for (let i = 0; i < path.length; i++) {
    const c = path[i]
    if (quoted) {
      if (c === '`') {
        if (path[i + 1] === '`') {
          cur += '`'
          i++
        } else quoted = false
      } else cur += c
    } else if (c === '`') {
      quoted = true
      wasQuoted = true
    } else if (c === '.') {
      if (cur === '' && !wasQuoted) throw new DeltaError('INVALID_ARGUMENT', `column path '${path}' has an empty name`)
      out.push(cur)
      cur = ''
      wasQuoted = false
    } else cur += c
  }
  if (quoted) throw new DeltaError('INVALID_ARGUMENT', `column path '${path}' has an unclosed backtick`)
  if (cur === '' && !wasQuoted) throw new DeltaError('INVALID_ARGUMENT', `column path '${path}' has an empty name`)
  out.push(cur)
  return out
}

function fieldIndex(s: StructType, name: string): number {
  const exact = s.fields.findIndex((f) => f.name === name)
  return exact >= 0 ? exact : s.fields.findIndex((f) => f.name.toLowerCase() === name.toLowerCase())
}

/**
 * Resolves a path through nested structs and returns the logical names as the schema spells them.
 * INVALID_ARGUMENT naming the first missing name (or a non-struct parent).
 */
export function resolveColumnPath(schema: StructType, path: readonly string[]): string[] {
  const names: string[] = []
  let cur: DataType = schema
  for (const n of path) {
    if (!isStruct(cur)) {
      throw new DeltaError(
        'INVALID_ARGUMENT',
        `column ${names.join('.')} is not a struct, so it has no field '${n}' (fields inside arrays and maps cannot be addressed)`,
      )
    }
    const i = fieldIndex(cur, n)
    if (i < 0) {
      const where = names.length ? `struct ${names.join('.')}` : 'the table schema'
      throw new DeltaError(
        'INVALID_ARGUMENT',
        `column '${[...names, n].join('.')}' is not in ${where} (columns: ${cur.fields.map((f) => f.name).join(', ')})`,
      )
    }
    names.push(cur.fields[i].name)
    cur = cur.fields[i].type
  }
  return names
}

/** Rebuilds `schema` with the field at `path` (resolved names) replaced by `fn`'s result (or removed if null). */
function mapAt(s: StructType, path: readonly string[], fn: (f: StructField, parent: StructType) => StructField | null) {
  const i = s.fields.findIndex((f) => f.name === path[0])
  const f = s.fields[i]
  let replacement: StructField | null
  if (path.length === 1) replacement = fn(f, s)
  else replacement = { ...f, type: mapAt(f.type as StructType, path.slice(1), fn) }
  const fields = [...s.fields]
  if (replacement) fields[i] = replacement
  else fields.splice(i, 1)
  return { type: 'struct' as const, fields }
}

/** The field at a resolved path. */
export function fieldAt(schema: StructType, path: readonly string[]): StructField {
  let s: StructType = schema
  let f: StructField | undefined
  for (const n of path) {
    f = s.fields.find((x) => x.name === n)!
    s = f.type as StructType
  }
  return f!
}

/**
 * Renames the field at `path` to `newName` (same parent). INVALID_ARGUMENT when the parent already has a field
 * of that name (case-insensitively, as Delta compares names) or the name is empty.
 */
export function renameField(schema: StructType, path: readonly string[], newName: string): StructType {
  if (newName === '') throw new DeltaError('INVALID_ARGUMENT', 'the new column name is empty')
  return mapAt(schema, path, (f, parent) => {
    const clash = parent.fields.find(
      (o) => o !== f && o.name.toLowerCase() === newName.toLowerCase() && o.name !== f.name,
    )
    if (clash) {
      throw new DeltaError(
        'INVALID_ARGUMENT',
        `cannot rename ${path.join('.')} to '${newName}': the ${path.length > 1 ? 'struct' : 'table'} already has a column '${clash.name}'`,
      )
    }
    return { ...f, name: newName }
  })
}

/** Removes the field at `path`. INVALID_ARGUMENT when it is the last field of the table or of its struct. */
export function dropField(schema: StructType, path: readonly string[]): StructType {
  return mapAt(schema, path, (_f, parent) => {
    if (parent.fields.length === 1) {
      throw new DeltaError(
        'INVALID_ARGUMENT',
        path.length === 1
          ? `cannot drop ${path[0]}: it is the table's only column`
          : `cannot drop ${path.join('.')}: it is the only field of struct ${path.slice(0, -1).join('.')}`,
      )
    }
    return null
  })
}

const INTEGER_RANK: Record<string, number> = { byte: 1, short: 2, integer: 3, long: 4 }

/**
 * True when `from` → `to` is a type change the `typeWidening` feature allows (PROTOCOL.md §Type Widening):
 * byte → short → integer → long, float → double, byte/short/integer → double, date → timestamp_ntz,
 * decimal(p,s) → decimal(p+k1, s+k2) with k1 >= k2 >= 0, and byte/short/integer/long → decimal with at least
 * 3/5/10/20 integer digits.
 */
export function isTypeWidening(from: DataType, to: DataType): boolean {
  if (typeof from !== 'string' || typeof to !== 'string' || from === to) return false
  const fi = INTEGER_RANK[from]
  const ti = INTEGER_RANK[to]
  if (fi !== undefined && ti !== undefined) return ti > fi
  if (from === 'float' && to === 'double') return true
  if (fi !== undefined && fi <= 3 && to === 'double') return true
  if (from === 'date' && to === 'timestamp_ntz') return true
  const td = decimalParams(to)
  if (!td) return false
  const fd = decimalParams(from)
  if (fd) {
    const k1 = td.precision - fd.precision
    const k2 = td.scale - fd.scale
    return k1 >= k2 && k2 >= 0 && (k1 > 0 || k2 > 0)
  }
  if (fi !== undefined) return td.precision - td.scale >= [0, 3, 5, 10, 20][fi]
  return false
}

/** One entry of a field's `delta.typeChanges` metadata (PROTOCOL.md §Type Change Metadata). */
export interface TypeChange {
  fromType: DataType
  toType: DataType
  /** Set for changes of an array element or map key/value (`element`, `key`, `value`). */
  fieldPath?: string
}

/**
 * Changes the type of the primitive field at `path` to `to`, appending `{fromType, toType}` to its
 * `delta.typeChanges` metadata. Returns the schema and the old type. INVALID_ARGUMENT when the field is not
 * primitive or the change is not a widening {@link isTypeWidening} allows.
 */
export function widenField(
  schema: StructType,
  path: readonly string[],
  to: DataType,
): { schema: StructType; from: DataType } {
  const field = fieldAt(schema, path)
  const from = field.type
  if (typeof from !== 'string') {
    throw new DeltaError(
      'INVALID_ARGUMENT',
      `${path.join('.')} is a ${from.type}; only primitive columns can be widened`,
    )
  }
  if (from === to) return { schema, from }
  if (!isTypeWidening(from, to)) {
    throw new DeltaError(
      'INVALID_ARGUMENT',
      `cannot change ${path.join('.')} from ${from} to ${JSON.stringify(to)}: type widening allows byte → short → integer → long, float → double, byte/short/integer → double, date → timestamp_ntz and decimal precision/scale increases (precision at least as much as scale)`,
    )
  }
  return { schema: mapAt(schema, path, (f) => withTypeChange(f, from, to)), from }
}

/** The field with type `to` and the change recorded in `delta.typeChanges`. */
export function withTypeChange(f: StructField, from: DataType, to: DataType): StructField {
  const prior = Array.isArray(f.metadata?.['delta.typeChanges']) ? (f.metadata!['delta.typeChanges'] as unknown[]) : []
  return {
    ...f,
    type: to,
    metadata: { ...(f.metadata ?? {}), 'delta.typeChanges': [...prior, { fromType: from, toType: to }] },
  }
}

/**
 * Gives every field (nested ones too, inside structs, arrays and maps) a column mapping id, in schema order
 * from 1, and the physical name `physicalName(field)` returns. Returns the schema and the highest id used.
 */
export function assignColumnMappingIds(
  schema: StructType,
  physicalName: (field: StructField) => string,
): { schema: StructType; maxColumnId: number } {
  let next = 0
  const mapType = (t: DataType): DataType => {
    if (isStruct(t)) return mapStruct(t)
    if (isArray(t)) return { ...t, elementType: mapType(t.elementType) }
    if (isMap(t)) return { ...t, keyType: mapType(t.keyType), valueType: mapType(t.valueType) }
    return t
  }
  const mapStruct = (s: StructType): StructType => ({
    type: 'struct',
    fields: s.fields.map((f) => {
      next++
      const metadata = {
        ...(f.metadata ?? {}),
        'delta.columnMapping.id': next,
        'delta.columnMapping.physicalName': physicalName(f),
      }
      return { ...f, metadata, type: mapType(f.type) }
    }),
  })
  const mapped = mapStruct(schema)
  return { schema: mapped, maxColumnId: next }
}

/**
 * Column mapping for an existing table (Spark's `delta.columnMapping.mode = 'name'` upgrade): every field,
 * nested ones too, gets the next id and its current name as physical name, because the files already written
 * name their columns so. Returns the schema and the highest id.
 */
export function assignIdentityColumnMapping(schema: StructType): { schema: StructType; maxColumnId: number } {
  return assignColumnMappingIds(schema, (f) => f.name)
}

/** A feature a protocol upgrade adds: its name, whether readers need it, and its legacy protocol if it has one. */
export interface FeatureRequirement {
  name: string
  reader: boolean
  /** The legacy (reader, writer) versions that imply the feature, when it predates table features. */
  legacy?: [number, number]
}

/** Features delta-ts adds on request, with what they need (PROTOCOL.md §Table Features). */
export const FEATURE_REQUIREMENTS: Record<string, FeatureRequirement> = {
  appendOnly: { name: 'appendOnly', reader: false, legacy: [1, 2] },
  invariants: { name: 'invariants', reader: false, legacy: [1, 2] },
  changeDataFeed: { name: 'changeDataFeed', reader: false, legacy: [1, 4] },
  columnMapping: { name: 'columnMapping', reader: true, legacy: [2, 5] },
  deletionVectors: { name: 'deletionVectors', reader: true },
  typeWidening: { name: 'typeWidening', reader: true },
  timestampNtz: { name: 'timestampNtz', reader: true },
  inCommitTimestamp: { name: 'inCommitTimestamp', reader: false },
  domainMetadata: { name: 'domainMetadata', reader: false },
  clustering: { name: 'clustering', reader: false },
  vacuumProtocolCheck: { name: 'vacuumProtocolCheck', reader: true },
  v2Checkpoint: { name: 'v2Checkpoint', reader: true },
}

/**
 * The protocol `p` upgraded to support `features`, or undefined when it already does. A legacy protocol stays
 * legacy when every new feature has a legacy version (column mapping → 2/5); otherwise it moves to table
 * features (writer 7, and reader 3 when a reader feature is involved) listing every feature the old versions
 * implied, so nothing the table had is lost.
 */
export function upgradeProtocol(
  p: ProtocolAction,
  features: readonly FeatureRequirement[],
): ProtocolAction | undefined {
  const haveR = new Set(readerFeatures(p))
  const haveW = new Set(writerFeatures(p))
  const missing = features.filter((f) => !haveW.has(f.name) || (f.reader && !haveR.has(f.name)))
  if (missing.length === 0) return undefined
  if (p.minWriterVersion < 7 && missing.every((f) => f.legacy)) {
    return {
      minReaderVersion: Math.max(p.minReaderVersion, ...missing.map((f) => f.legacy![0])),
      minWriterVersion: Math.max(p.minWriterVersion, ...missing.map((f) => f.legacy![1])),
    }
  }
  for (const f of missing) {
    haveW.add(f.name)
    if (f.reader) haveR.add(f.name)
  }
  // Reader features are the reader-writer ones; a legacy reader 2 meant column mapping.
  const needsReader3 = haveR.size > 0 || p.minReaderVersion >= 3
  const out: ProtocolAction = needsReader3
    ? { minReaderVersion: 3, minWriterVersion: 7, readerFeatures: [...haveR].sort(), writerFeatures: [...haveW].sort() }
    : { minReaderVersion: p.minReaderVersion, minWriterVersion: 7, writerFeatures: [...haveW].sort() }
  return out
}
