import type * as arrow from 'apache-arrow'
import { vectorValues } from '../src/core/row-filter.js'
import type { Snapshot } from '../src/core/snapshot.js'
import { and, col, type Expr, type LiteralValue, not, or } from '../src/protocol/expr/types.js'
import { compareScalars, formatDate, type ScalarValue } from '../src/protocol/partition-values.js'
import { isArray, isMap, isStruct, type StructField } from '../src/protocol/schema.js'

/*
 * Predicates derived from a table's own values (its smallest and middle value per column), so that filters on
 * real tables select something, nothing and everything in turn. Shared by the golden filter tests.
 */

function filterable(f: StructField): boolean {
  return !isStruct(f.type) && !isArray(f.type) && !isMap(f.type) && f.type !== 'variant'
}

function literal(v: ScalarValue, f: StructField): LiteralValue {
  return f.type === 'date' ? formatDate(v as number) : (v as LiteralValue)
}

const keyOf = (v: ScalarValue) => JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? `${x}n` : x))

/** Predicates on one column from its values: =, >, <=, IS NULL, NOT =, IN, and LIKE on a prefix for strings. */
export function predicatesFor(f: StructField, values: ScalarValue[], path: string[] = [f.name]): Expr[] {
  const distinct = [...new Map(values.filter((v) => v !== null).map((v) => [keyOf(v), v])).values()].sort(
    compareScalars,
  )
  const c = () => col(path)
  if (distinct.length === 0) return [c().isNull(), c().isNotNull()]
  const lo = literal(distinct[0], f)
  const mid = literal(distinct[Math.floor(distinct.length / 2)], f)
  const preds: Expr[] = [c().eq(mid), c().gt(lo), c().lte(mid), c().isNull(), not(c().eq(lo)), c().in([lo, mid])]
  if (f.type === 'string')
    preds.push(
      c().like(
        `${String(distinct[0])
          .slice(0, 1)
          .replace(/[%_\\]/g, '\\$&')}%`,
      ),
    )
  return preds
}

/**
 * Predicates for a table: every partition column and up to `dataColumns` other primitive columns, plus an AND
 * and an OR across the first two columns.
 */
export function tablePredicates(snap: Snapshot, full: arrow.Table, dataColumns = 4): Expr[] {
  const fields = snap.schema.fields.filter(filterable)
  const parts = fields.filter((f) => snap.partitionColumns.includes(f.name))
  const chosen = [...parts, ...fields.filter((f) => !parts.includes(f)).slice(0, dataColumns)]
  const perColumn = chosen.map((f) => predicatesFor(f, vectorValues(full.getChild(f.name)!)))
  // One nested leaf: the first primitive field of the first struct column (stats nest by struct).
  for (const f of snap.schema.fields) {
    if (!isStruct(f.type)) continue
    const leafIndex = f.type.fields.findIndex(filterable)
    if (leafIndex < 0) continue
    const leaf = f.type.fields[leafIndex]
    const vec = full.getChild(f.name)?.getChildAt(leafIndex)
    if (vec) perColumn.push(predicatesFor(leaf, vectorValues(vec), [f.name, leaf.name]))
    break
  }
  const preds = perColumn.flat()
  if (perColumn.length >= 2) preds.push(and(perColumn[0][0], perColumn[1][1]), or(perColumn[0][0], perColumn[1][0]))
  return preds
}
