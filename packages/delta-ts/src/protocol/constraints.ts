import { DeltaError } from '../errors.js'
import { bindExpr, bindValueExpr } from './expr/bind.js'
import { parsePredicate } from './expr/parse.js'
import type { Expr, Operand } from './expr/types.js'
import type { DataType, StructField, StructType } from './schema.js'

/*
 * The write-time rules a table's metadata declares (PROTOCOL.md §Column Invariants, §CHECK Constraints,
 * §Generated Columns, §Identity Columns), parsed and bound once per schema. The Arrow side that applies them to
 * every written batch is core/write-rules.ts.
 */

/** A CHECK constraint (`delta.constraints.<name>`) or a column invariant (`delta.invariants`). */
export interface CheckRule {
  kind: 'check' | 'invariant'
  /** The constraint name (lower case, as Spark stores it), or the column path of an invariant. */
  name: string
  /** The SQL text as stored in the table. */
  sql: string
  /** Bound against the table schema. */
  expr: Expr
}

/** A generated column (`delta.generationExpression`). */
export interface GeneratedRule {
  field: StructField
  sql: string
  /** The bound value expression. */
  expr: Operand
}

/** An identity column (`delta.identity.*`). */
export interface IdentityRule {
  field: StructField
  start: bigint
  step: bigint
  /** The highest (lowest for a negative step) value handed out so far; absent before the first. */
  highWaterMark?: bigint
  /** BY DEFAULT (true): a written value is kept; ALWAYS (false): writing a value is refused. */
  allowExplicitInsert: boolean
}

/** Every write rule of a table. */
export interface WriteRules {
  checks: CheckRule[]
  generated: GeneratedRule[]
  identity: IdentityRule[]
  /** True when there is nothing to apply (the writer skips the pass). */
  readonly empty: boolean
}

/** The `delta.constraints.*` properties of a configuration, by constraint name. */
export function checkConstraints(configuration: Readonly<Record<string, string | null | undefined>> | undefined) {
  const out: { name: string; sql: string }[] = []
  for (const [k, v] of Object.entries(configuration ?? {})) {
    if (k.startsWith('delta.constraints.') && typeof v === 'string') {
      out.push({ name: k.slice('delta.constraints.'.length), sql: v })
    }
  }
  return out
}

function unsupported(what: string, sql: string, err: unknown): DeltaError {
  const why = err instanceof Error ? err.message.split('\n')[0] : String(err)
  return new DeltaError(
    'UNSUPPORTED_FEATURE',
    `delta-ts cannot write this table: ${what} uses an expression outside the supported SQL subset: ${sql} (${why}); see docs/predicates.md`,
    { cause: err },
  )
}

/** Parses and binds a CHECK / invariant predicate; UNSUPPORTED_FEATURE naming it when it is outside the subset. */
export function bindCheck(sql: string, schema: StructType, what: string): Expr {
  try {
    return bindExpr(parsePredicate(sql), schema)
  } catch (err) {
    throw unsupported(what, sql, err)
  }
}

/** The invariant SQL of a field: `delta.invariants` holds `{"expression": {"expression": "<sql>"}}`. */
function invariantSql(raw: unknown): string | undefined {
  if (raw === undefined || raw === null) return undefined
  try {
    const v = typeof raw === 'string' ? JSON.parse(raw) : raw
    const sql = v?.expression?.expression
    if (typeof sql === 'string') return sql
  } catch {
    // fall through
  }
  throw new DeltaError('INVALID_LOG', `delta.invariants is not {"expression": {"expression": "..."}}: ${String(raw)}`)
}

function bigintMeta(field: StructField, key: string): bigint | undefined {
  const v = field.metadata?.[key]
  if (v === undefined || v === null) return undefined
  try {
    return BigInt(v as number | string)
  } catch {
    throw new DeltaError('INVALID_LOG', `field '${field.name}': ${key} is not an integer: ${String(v)}`)
  }
}

/** The identity settings of a field, or undefined when it is not an identity column. */
export function identityOf(field: StructField): IdentityRule | undefined {
  const start = bigintMeta(field, 'delta.identity.start')
  const step = bigintMeta(field, 'delta.identity.step')
  if (start === undefined && step === undefined) return undefined
  if (step === 0n) throw new DeltaError('INVALID_LOG', `identity column '${field.name}' has step 0`)
  const hwm = bigintMeta(field, 'delta.identity.highWaterMark')
  return {
    field,
    start: start ?? 1n,
    step: step ?? 1n,
    ...(hwm !== undefined ? { highWaterMark: hwm } : {}),
    allowExplicitInsert:
      field.metadata?.['delta.identity.allowExplicitInsert'] === true ||
      field.metadata?.['delta.identity.allowExplicitInsert'] === 'true',
  }
}

const INTEGRAL: readonly DataType[] = ['byte', 'short', 'integer', 'long']

/**
 * Reads the write rules of a table from its schema and configuration: CHECK constraints, invariants (top-level
 * and nested fields), generation expressions and identity columns, every expression parsed and bound.
 *
 * @throws DeltaError `UNSUPPORTED_FEATURE` naming the constraint or column and its expression when an
 *   expression is outside the SQL subset delta-ts evaluates (the table is then read-only for delta-ts);
 *   `INVALID_LOG` for malformed invariant or identity metadata.
 */
export function readWriteRules(
  schema: StructType,
  configuration: Readonly<Record<string, string | null | undefined>> | undefined,
): WriteRules {
  const checks: CheckRule[] = []
  const generated: GeneratedRule[] = []
  const identity: IdentityRule[] = []
  for (const c of checkConstraints(configuration)) {
    checks.push({
      kind: 'check',
      name: c.name,
      sql: c.sql,
      expr: bindCheck(c.sql, schema, `CHECK constraint ${c.name}`),
    })
  }
  const visit = (fields: readonly StructField[], prefix: string[]) => {
    for (const f of fields) {
      const path = [...prefix, f.name]
      const inv = invariantSql(f.metadata?.['delta.invariants'])
      if (inv !== undefined) {
        const name = path.join('.')
        checks.push({
          kind: 'invariant',
          name,
          sql: inv,
          expr: bindCheck(inv, schema, `the invariant of column ${name}`),
        })
      }
      if (prefix.length === 0) {
        const gen = f.metadata?.['delta.generationExpression']
        if (typeof gen === 'string') {
          let expr: Operand
          try {
            const parsed = parsePredicate(gen)
            if (
              parsed.kind !== 'column' &&
              parsed.kind !== 'literal' &&
              parsed.kind !== 'arith' &&
              parsed.kind !== 'negate' &&
              parsed.kind !== 'func'
            ) {
              throw new DeltaError('INVALID_PREDICATE', 'boolean-valued generation expressions are not supported')
            }
            expr = bindValueExpr(parsed, schema)
          } catch (err) {
            throw unsupported(`generated column ${f.name}`, gen, err)
          }
          generated.push({ field: f, sql: gen, expr })
        }
        const id = identityOf(f)
        if (id) {
          if (!INTEGRAL.includes(f.type)) {
            throw new DeltaError(
              'UNSUPPORTED_FEATURE',
              `identity column '${f.name}' has type ${String(f.type)}, not an integer`,
            )
          }
          identity.push(id)
        }
      }
      if (typeof f.type === 'object' && f.type.type === 'struct') visit(f.type.fields, path)
    }
  }
  visit(schema.fields, [])
  return { checks, generated, identity, empty: checks.length === 0 && generated.length === 0 && identity.length === 0 }
}
