import { DeltaError } from '../../errors.js'
import type { ScalarValue } from '../partition-values.js'
import type { DataType } from '../schema.js'

/**
 * The expression model of delta-ts predicates: one tree shared by the SQL parser ({@link parsePredicate}), the
 * builder ({@link col}, {@link lit}, {@link and}, {@link or}, {@link not}), the binder ({@link bindExpr}),
 * partition pruning / data skipping (`pruning.ts`) and row filtering (`core/row-filter.ts`).
 *
 * Nodes are plain data (JSON-like objects); the builder's column and literal nodes additionally carry fluent
 * methods on their prototype, which no consumer relies on.
 */
export type Expr =
  | ColumnExpr
  | LiteralExpr
  | ArithExpr
  | NegateExpr
  | FuncExpr
  | CompareExpr
  | NullSafeEqualExpr
  | InExpr
  | IsNullExpr
  | LikeExpr
  | AndExpr
  | OrExpr
  | NotExpr

/** The comparison operators. `<>` parses to `!=`. */
export type CompareOp = '=' | '!=' | '<' | '<=' | '>' | '>='

/** The binary arithmetic operators. */
export type ArithOp = '+' | '-' | '*' | '/' | '%'

/** A value expression: a column, a literal, arithmetic or a function call over value expressions. */
export type ValueNode = ColumnExpr | LiteralExpr | ArithExpr | NegateExpr | FuncExpr

/**
 * The SQL functions delta-ts evaluates (the subset Spark's generation expressions and CHECK constraints
 * commonly use; see docs/predicates.md). `cast` is `CAST(x AS type)`; `day` is also spelled `dayofmonth`,
 * `substring` also `substr`.
 */
export type FuncName =
  | 'cast'
  | 'year'
  | 'month'
  | 'day'
  | 'hour'
  | 'to_date'
  | 'date_format'
  | 'substring'
  | 'concat'
  | 'upper'
  | 'lower'
  | 'length'
  | 'abs'
  | 'coalesce'

/**
 * A function call `name(args)` (or `CAST(arg AS castTo)`) with Spark's semantics: NULL in, NULL out (except
 * `coalesce` and `concat`'s all-null rule, which follow Spark too). After binding `dataType` is the result type.
 */
export interface FuncExpr {
  kind: 'func'
  name: FuncName
  args: Operand[]
  /** The target type of `cast`. */
  castTo?: DataType
  dataType?: DataType
}

/** An operand of a comparison, IN, IS NULL or LIKE: any value expression. */
export type Operand = ValueNode

/**
 * `left op right` on numbers, with Spark's typing (see `bind.ts`): integers of the wider operand type,
 * decimals with Spark's result precision and scale, float / double; `/` on integers gives double. NULL when
 * either side is NULL or the divisor of `/` or `%` is zero; an integer or decimal result that overflows its
 * type is an error (`ARITHMETIC_OVERFLOW`). After binding `dataType` is the result type.
 */
export interface ArithExpr {
  kind: 'arith'
  op: ArithOp
  left: Operand
  right: Operand
  dataType?: DataType
}

/** `-operand` (unary minus), typed like its operand. */
export interface NegateExpr {
  kind: 'negate'
  operand: Operand
  dataType?: DataType
}

/**
 * A column reference. `path` is the field path through structs (`['address', 'city']`); `qualifier` names the
 * relation when there is more than one (`target` / `source` in MERGE conditions). After binding, `path` holds the
 * schema's exact field names and `dataType` the field's Delta type.
 */
export interface ColumnExpr {
  kind: 'column'
  path: string[]
  qualifier?: string
  dataType?: DataType
}

/**
 * An untyped literal is any JS value the caller wrote (`string`, `number`, `bigint`, `boolean`, `null`, `Date`,
 * `Uint8Array`, or a decimal `{ unscaled, scale }`); `text` keeps the exact source text of a SQL numeral so that
 * binding can make exact decimals and bigints. A bound literal has `dataType` set and `value` in the
 * {@link ScalarValue} representation of that type (null stays null).
 */
export interface LiteralExpr {
  kind: 'literal'
  value: LiteralValue
  dataType?: DataType
  text?: string
  /** A typed SQL literal (`DATE '...'`, `TIMESTAMP '...'`, `TIMESTAMP_NTZ '...'`) fixes the type before binding. */
  typeHint?: 'date' | 'timestamp' | 'timestamp_ntz'
}

/** The JS values a literal may hold before binding. */
export type LiteralValue = ScalarValue | Date | undefined

/** `left op right` with SQL semantics: NULL when either side is NULL. */
export interface CompareExpr {
  kind: 'compare'
  op: CompareOp
  left: Operand
  right: Operand
}

/**
 * Null-safe equality: `left <=> right` (= `left IS NOT DISTINCT FROM right`), and with `negated`
 * `left IS DISTINCT FROM right`. Never NULL: two NULLs are equal, a NULL and a value are not; otherwise it is
 * `=` (NaN equals NaN, as in Spark). `NOT (t.a <=> s.a)` selects exactly the rows where the value changed.
 */
export interface NullSafeEqualExpr {
  kind: 'nullSafeEq'
  left: Operand
  right: Operand
  negated: boolean
}

/** `value [NOT] IN (list)`. With `negated`, SQL semantics: a NULL in the list makes a non-match NULL. */
export interface InExpr {
  kind: 'in'
  value: Operand
  list: LiteralExpr[]
  negated: boolean
}

/** `operand IS [NOT] NULL`. Never NULL itself. */
export interface IsNullExpr {
  kind: 'isNull'
  operand: Operand
  negated: boolean
}

/**
 * `operand [NOT] LIKE 'pattern' [ESCAPE 'c']`: `%` matches any run of characters, `_` exactly one, the escape
 * character (default backslash) makes the next character literal. Case-sensitive, like Spark.
 */
export interface LikeExpr {
  kind: 'like'
  operand: Operand
  pattern: string
  escape: string
  negated: boolean
}

/** Conjunction (Kleene): FALSE if any child is FALSE, else NULL if any is NULL, else TRUE. */
export interface AndExpr {
  kind: 'and'
  children: Expr[]
}

/** Disjunction (Kleene): TRUE if any child is TRUE, else NULL if any is NULL, else FALSE. */
export interface OrExpr {
  kind: 'or'
  children: Expr[]
}

/** Negation: NOT NULL is NULL. */
export interface NotExpr {
  kind: 'not'
  child: Expr
}

/** The predicate forms accepted where a filter is expected. */
export type PredicateInput = string | Expr

type Lit = LiteralValue | LiteralExpr

function toLiteral(v: Lit): LiteralExpr {
  if (v !== null && typeof v === 'object' && (v as { kind?: unknown }).kind === 'literal') return v as LiteralExpr
  return { kind: 'literal', value: v as LiteralValue }
}

function toOperand(v: Lit | ColumnExpr): Operand {
  if (v !== null && typeof v === 'object' && (v as { kind?: unknown }).kind === 'column') return v as ColumnExpr
  return toLiteral(v as Lit)
}

/**
 * A column reference with fluent comparison methods, made by {@link col}. Structurally a {@link ColumnExpr}.
 * Each method returns a new predicate node; none mutates the column.
 */
export class ColumnRef implements ColumnExpr {
  readonly kind = 'column' as const
  path: string[]
  qualifier?: string
  constructor(path: string[], qualifier?: string) {
    this.path = path
    if (qualifier !== undefined) this.qualifier = qualifier
  }
  private cmp(op: CompareOp, v: Lit | ColumnExpr): CompareExpr {
    return { kind: 'compare', op, left: this, right: toOperand(v) }
  }
  /** `col = v`. */
  eq(v: Lit | ColumnExpr): CompareExpr {
    return this.cmp('=', v)
  }
  /** `col != v`. */
  ne(v: Lit | ColumnExpr): CompareExpr {
    return this.cmp('!=', v)
  }
  /** `col < v`. */
  lt(v: Lit | ColumnExpr): CompareExpr {
    return this.cmp('<', v)
  }
  /** `col <= v`. */
  lte(v: Lit | ColumnExpr): CompareExpr {
    return this.cmp('<=', v)
  }
  /** `col > v`. */
  gt(v: Lit | ColumnExpr): CompareExpr {
    return this.cmp('>', v)
  }
  /** `col >= v`. */
  gte(v: Lit | ColumnExpr): CompareExpr {
    return this.cmp('>=', v)
  }
  /** `col <=> v` (null-safe equality: NULL <=> NULL is TRUE, never NULL). */
  eqNullSafe(v: Lit | ColumnExpr): NullSafeEqualExpr {
    return { kind: 'nullSafeEq', left: this, right: toOperand(v), negated: false }
  }
  /** `col IS DISTINCT FROM v` (NOT of {@link ColumnRef.eqNullSafe}). */
  isDistinctFrom(v: Lit | ColumnExpr): NullSafeEqualExpr {
    return { kind: 'nullSafeEq', left: this, right: toOperand(v), negated: true }
  }
  /** `col IN (values)`. */
  in(values: readonly Lit[]): InExpr {
    return { kind: 'in', value: this, list: values.map(toLiteral), negated: false }
  }
  /** `col NOT IN (values)`. */
  notIn(values: readonly Lit[]): InExpr {
    return { kind: 'in', value: this, list: values.map(toLiteral), negated: true }
  }
  /** `col IS NULL`. */
  isNull(): IsNullExpr {
    return { kind: 'isNull', operand: this, negated: false }
  }
  /** `col IS NOT NULL`. */
  isNotNull(): IsNullExpr {
    return { kind: 'isNull', operand: this, negated: true }
  }
  /** `col LIKE pattern` (`%`, `_`, escape character default `\`). */
  like(pattern: string, escapeChar = '\\'): LikeExpr {
    return { kind: 'like', operand: this, pattern, escape: escapeChar, negated: false }
  }
  /** `col NOT LIKE pattern`. */
  notLike(pattern: string, escapeChar = '\\'): LikeExpr {
    return { kind: 'like', operand: this, pattern, escape: escapeChar, negated: true }
  }
  /** `col BETWEEN lo AND hi`, which is `col >= lo AND col <= hi` (inclusive). */
  between(lo: Lit | ColumnExpr, hi: Lit | ColumnExpr): AndExpr {
    return { kind: 'and', children: [this.gte(lo), this.lte(hi)] }
  }
}

/** A column name for {@link col}: a dotted string or an explicit field path. */
export type ColumnName = string | readonly string[]

/**
 * A column reference for the builder: `col('date').gte('2024-01-01')`. A string is split on dots (backticks
 * quote a part containing dots); an array is taken as the path as is. `options.qualifier` names the relation
 * (`col('id', { qualifier: 'target' })`); a dotted name's first part may also act as the qualifier at bind time
 * when it names a scope given to {@link bindExpr}.
 *
 * @throws DeltaError `INVALID_PREDICATE` when the name is empty or badly quoted.
 */
export function col(name: ColumnName, options?: { qualifier?: string }): ColumnRef {
  const path = typeof name === 'string' ? splitColumnName(name) : [...name]
  if (path.length === 0 || path.some((p) => p === '')) {
    throw new DeltaError('INVALID_PREDICATE', `invalid column name ${JSON.stringify(name)}`)
  }
  return new ColumnRef(path, options?.qualifier)
}

/** A literal node: `lit('2024-01-01')`, `lit(5n)`, `lit({ unscaled: 1234n, scale: 2 })`, `lit(null)`. */
export function lit(value: LiteralValue): LiteralExpr {
  return { kind: 'literal', value }
}

/** Arithmetic `left op right` (`arith('%', col('id'), lit(3))`); plain values become literals. */
export function arith(op: ArithOp, left: Lit | Operand, right: Lit | Operand): ArithExpr {
  return { kind: 'arith', op, left: toValue(left), right: toValue(right) }
}

/** Unary minus `-operand`. */
export function neg(operand: Lit | Operand): NegateExpr {
  return { kind: 'negate', operand: toValue(operand) }
}

function toValue(v: Lit | Operand): Operand {
  const k = v !== null && typeof v === 'object' ? (v as { kind?: unknown }).kind : undefined
  if (k === 'column' || k === 'arith' || k === 'negate') return v as Operand
  return toLiteral(v as Lit)
}

/** Conjunction of the given predicates (flattens nested ANDs). `and()` with no argument is TRUE. */
export function and(...children: Expr[]): Expr {
  const flat = children.flatMap((c) => (c.kind === 'and' ? c.children : [c]))
  if (flat.length === 0) return lit(true)
  return flat.length === 1 ? flat[0] : { kind: 'and', children: flat }
}

/** Disjunction of the given predicates (flattens nested ORs). `or()` with no argument is FALSE. */
export function or(...children: Expr[]): Expr {
  const flat = children.flatMap((c) => (c.kind === 'or' ? c.children : [c]))
  if (flat.length === 0) return lit(false)
  return flat.length === 1 ? flat[0] : { kind: 'or', children: flat }
}

/** Negation (`NOT child`), SQL three-valued: NOT NULL is NULL. */
export function not(child: Expr): NotExpr {
  return { kind: 'not', child }
}

/**
 * Splits a column name into its field path: `a.b` → `['a','b']`; a backtick-quoted part keeps its dots
 * (`` `a.b`.c `` → `['a.b','c']`; a doubled backtick is a literal backtick).
 *
 * @throws DeltaError `INVALID_PREDICATE` when a backtick is unbalanced.
 */
export function splitColumnName(name: string): string[] {
  const parts: string[] = []
  let i = 0
  let cur = ''
  let quotedPart = false
  while (i < name.length) {
    const ch = name[i]
    if (ch === '`') {
      const end = findClosingBacktick(name, i + 1)
      if (end < 0)
        throw new DeltaError('INVALID_PREDICATE', `unbalanced backtick in column name ${JSON.stringify(name)}`)
      cur += name.slice(i + 1, end).replaceAll('``', '`')
      quotedPart = true
      i = end + 1
    } else if (ch === '.') {
      parts.push(cur)
      cur = ''
      quotedPart = false
      i++
    } else {
      cur += ch
      i++
    }
  }
  if (cur !== '' || quotedPart || parts.length > 0) parts.push(cur)
  return parts
}

function findClosingBacktick(s: string, from: number): number {
  for (let i = from; i < s.length; i++) {
    if (s[i] === '`') {
      if (s[i + 1] === '`') {
        i++
        continue
      }
      return i
    }
  }
  return -1
}
