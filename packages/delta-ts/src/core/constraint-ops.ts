import { DeltaError } from '../errors.js'
import type { MetadataAction, ProtocolAction } from '../protocol/actions.js'
import { checkConstraints, readWriteRules } from '../protocol/constraints.js'
import { bindExpr } from '../protocol/expr/bind.js'
import { referencedColumns } from '../protocol/expr/columns.js'
import { parsePredicate } from '../protocol/expr/parse.js'
import { exprToSql } from '../protocol/expr/sql.js'
import type { Expr } from '../protocol/expr/types.js'
import { writerFeatures } from '../protocol/features.js'
import { evaluateOperand, evaluatePredicate } from './row-filter.js'
import type { Snapshot } from './snapshot.js'
import { type CommitOptions, type CommitResult, Transaction } from './transaction.js'

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/

/** The protocol with the checkConstraints writer feature (writer 3 on a legacy protocol, else the feature). */
export function withCheckConstraints(p: ProtocolAction): ProtocolAction | undefined {
  if (writerFeatures(p).includes('checkConstraints')) return undefined
  if (p.minWriterVersion < 7) return { ...p, minWriterVersion: Math.max(3, p.minWriterVersion) }
  return { ...p, writerFeatures: [...(p.writerFeatures ?? []), 'checkConstraints'] }
}

/**
 * ALTER TABLE ADD CONSTRAINT: checks every live row of the snapshot first (a row where `sql` is FALSE or NULL
 * refuses it), then commits `delta.constraints.<name>` (lower-cased, as Spark stores it) and, when needed, the
 * protocol upgrade to checkConstraints. The commit reads the whole table, so a concurrent write conflicts
 * rather than slipping a violating row past the check.
 *
 * @throws DeltaError `INVALID_ARGUMENT` for a bad or existing name, `INVALID_PREDICATE` for an expression that
 *   does not parse or bind (or lies outside the supported SQL subset), `CONSTRAINT_VIOLATION` naming a row that
 *   violates it, and commit errors.
 */
export async function addConstraint(
  snapshot: Snapshot,
  name: string,
  sql: string,
  options: CommitOptions = {},
): Promise<CommitResult> {
  if (typeof name !== 'string' || !NAME.test(name))
    throw new DeltaError('INVALID_ARGUMENT', `constraint name must be an identifier, got ${JSON.stringify(name)}`)
  if (typeof sql !== 'string' || sql.trim() === '')
    throw new DeltaError('INVALID_ARGUMENT', 'addConstraint needs the constraint as SQL text')
  const key = `delta.constraints.${name.toLowerCase()}`
  if (checkConstraints(snapshot.properties).some((c) => c.name.toLowerCase() === name.toLowerCase())) {
    throw new DeltaError('INVALID_ARGUMENT', `constraint '${name}' already exists (${snapshot.properties[key]})`)
  }
  const expr: Expr = bindExpr(parsePredicate(sql), snapshot.schema)
  const txn = new Transaction(snapshot, 'ADD CONSTRAINT', { name, expr: sql })
  const files = await snapshot.files()
  txn.readWholeTable().readFilePaths(files.map((f) => f.path))
  const columns = [...new Set(referencedColumns(expr).map((c) => c.path[0]))]
  const scan = snapshot.scan(columns.length > 0 ? { columns, signal: options.signal } : { signal: options.signal })
  for await (const batch of scan.batches()) {
    const ok = evaluatePredicate(expr, batch)
    const bad = ok.indexOf(0)
    if (bad >= 0) {
      const values = referencedColumns(expr)
        .map((c) => {
          const bound = bindExpr(
            { kind: 'isNull', operand: { kind: 'column', path: c.path }, negated: false },
            snapshot.schema,
          )
          const col = (bound as { operand: Expr & { kind: 'column' } }).operand
          const v = evaluateOperand(col, batch.slice(bad, bad + 1))[0]
          return `${c.path.join('.')} = ${v === null || v === undefined ? 'NULL' : typeof v === 'bigint' ? v.toString() : JSON.stringify(v)}`
        })
        .join(', ')
      throw new DeltaError(
        'CONSTRAINT_VIOLATION',
        `cannot add CHECK constraint ${name} (${exprToSql(expr)}): existing row with ${values} violates it`,
      )
    }
  }
  const metadata: MetadataAction = {
    ...snapshot.metadata,
    configuration: { ...snapshot.metadata.configuration, [key]: sql },
  }
  // The new metadata must itself be writable (the expression inside the subset, which binding just showed).
  readWriteRules(snapshot.schema, metadata.configuration)
  txn.updateMetadata(metadata)
  const upgraded = withCheckConstraints(snapshot.protocol)
  if (upgraded) txn.updateProtocol(upgraded)
  return txn.commit(options)
}

/**
 * ALTER TABLE DROP CONSTRAINT: removes `delta.constraints.<name>` (case-insensitive). The protocol keeps the
 * checkConstraints feature, as in Spark.
 *
 * @throws DeltaError `INVALID_ARGUMENT` when the constraint does not exist (unless `ifExists`), commit errors.
 */
export async function dropConstraint(
  snapshot: Snapshot,
  name: string,
  options: CommitOptions & { ifExists?: boolean } = {},
): Promise<CommitResult | undefined> {
  if (typeof name !== 'string') throw new DeltaError('INVALID_ARGUMENT', 'dropConstraint needs a constraint name')
  const found = checkConstraints(snapshot.properties).find((c) => c.name.toLowerCase() === name.toLowerCase())
  if (!found) {
    if (options.ifExists) return undefined
    throw new DeltaError('INVALID_ARGUMENT', `constraint '${name}' does not exist`)
  }
  const configuration = { ...snapshot.metadata.configuration }
  delete configuration[`delta.constraints.${found.name}`]
  const { ifExists: _ifExists, ...commitOptions } = options
  const txn = new Transaction(snapshot, 'DROP CONSTRAINT', { constraintName: name, expr: found.sql })
  txn.updateMetadata({ ...snapshot.metadata, configuration })
  return txn.commit(commitOptions)
}
