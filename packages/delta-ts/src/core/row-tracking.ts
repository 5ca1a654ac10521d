import * as arrow from 'apache-arrow'
import { writerFeatures } from '../protocol/features.js'
import type { Snapshot } from './snapshot.js'

/*
 * Row tracking across rewrites (PROTOCOL.md §Row Tracking, Spark's RowId / RowCommitVersion): a data file that
 * a rewrite writes gets a fresh baseRowId, so the rows it carries over keep their identity only through the
 * materialized columns named by `delta.rowTracking.materializedRowIdColumnName` and
 * `...materializedRowCommitVersionColumnName`, which readers prefer to baseRowId + row index (core/scan.ts).
 *
 *   copied row   (DELETE / UPDATE / MERGE survivors, OPTIMIZE): row id and row commit version materialized
 *   updated row  (new version of a row):                        row id materialized, commit version null
 *                                                               (it reads as the new file's defaultRowCommitVersion)
 *   inserted row (MERGE insert):                                both null (a fresh id: baseRowId + row index)
 *
 * The rewrite scans each file with `_metadata.row_id` and `_metadata.row_commit_version` appended to the table
 * columns, hands the rewriter the table columns only, and passes the writer batches of the table columns plus
 * the two materialized columns (data-writer.ts `rowTrackingColumns`).
 */

/** The physical names of a table's materialized row-tracking columns. */
export interface RowTrackingColumns {
  rowId: string
  rowCommitVersion: string
}

const META_ROW_ID = '_metadata.row_id'
const META_COMMIT_VERSION = '_metadata.row_commit_version'
const INT64 = new arrow.Int64()

/**
 * The materialized column names of a table with the rowTracking writer feature, or undefined (no row
 * tracking, or a table whose configuration names no materialized columns: the transaction then refuses
 * rewrites, see `Transaction.assertRowIdsPreserved`).
 */
export function materializedRowTrackingColumns(snapshot: Snapshot): RowTrackingColumns | undefined {
  if (!writerFeatures(snapshot.protocol).includes('rowTracking')) return undefined
  const rowId = snapshot.properties['delta.rowTracking.materializedRowIdColumnName']
  const rowCommitVersion = snapshot.properties['delta.rowTracking.materializedRowCommitVersionColumnName']
  return rowId && rowCommitVersion ? { rowId, rowCommitVersion } : undefined
}

/**
 * How a rewrite carries row ids from the rows it reads to the rows it writes (see the module comment). The
 * pass-through version (no row tracking) reads and writes the table columns only.
 */
export interface RowIdCarrier {
  /** Scan columns for the files a rewrite reads (undefined: the table's columns). */
  readonly scanColumns: string[] | undefined
  /** The writer option (undefined: no materialized columns). */
  readonly writerColumns: RowTrackingColumns | undefined
  /** The table columns of a scanned batch (what rewriters see). */
  tableRows(scanned: arrow.RecordBatch): arrow.RecordBatch
  /** Rows copied unchanged: their row ids and row commit versions materialized. */
  copied(scanned: arrow.RecordBatch): arrow.RecordBatch
  /**
   * New versions of scanned rows: row k of `rows` keeps the row id of `scanned` row `from[k]` (a negative
   * index or no `from`: a new row); row commit versions are null (assigned by the commit).
   */
  replaced(rows: arrow.RecordBatch, scanned: arrow.RecordBatch, from: ArrayLike<number> | undefined): arrow.RecordBatch
  /** New rows: fresh row ids. */
  inserted(rows: arrow.RecordBatch): arrow.RecordBatch
}

const passThrough: RowIdCarrier = {
  scanColumns: undefined,
  writerColumns: undefined,
  tableRows: (b) => b,
  copied: (b) => b,
  replaced: (b) => b,
  inserted: (b) => b,
}

/** The {@link RowIdCarrier} of a snapshot: materializing when the table tracks rows, else pass-through. */
export function rowIdCarrier(snapshot: Snapshot): RowIdCarrier {
  const names = materializedRowTrackingColumns(snapshot)
  if (!names) return passThrough
  const tableNames = snapshot.schema.fields.map((f) => f.name)
  const n = tableNames.length
  const extend = (rows: arrow.RecordBatch, rowId: arrow.Data, version: arrow.Data) => {
    const fields = [
      ...rows.schema.fields.slice(0, n),
      new arrow.Field(names.rowId, INT64, true),
      new arrow.Field(names.rowCommitVersion, INT64, true),
    ]
    const children = [...rows.data.children.slice(0, n), rowId, version]
    return new arrow.RecordBatch(
      new arrow.Schema(fields),
      arrow.makeData({ type: new arrow.Struct(fields), length: rows.numRows, nullCount: 0, children }),
    )
  }
  const metaColumn = (scanned: arrow.RecordBatch, name: string) => {
    const i = scanned.schema.fields.findIndex((f) => f.name === name)
    return scanned.data.children[i] as arrow.Data<arrow.Int64>
  }
  return {
    scanColumns: [...tableNames, META_ROW_ID, META_COMMIT_VERSION],
    writerColumns: names,
    tableRows: (scanned) => {
      const fields = scanned.schema.fields.slice(0, n)
      return new arrow.RecordBatch(
        new arrow.Schema(fields),
        arrow.makeData({
          type: new arrow.Struct(fields),
          length: scanned.numRows,
          nullCount: 0,
          children: scanned.data.children.slice(0, n),
        }),
      )
    },
    copied: (scanned) => extend(scanned, metaColumn(scanned, META_ROW_ID), metaColumn(scanned, META_COMMIT_VERSION)),
    replaced: (rows, scanned, from) =>
      extend(rows, gatherInt64(metaColumn(scanned, META_ROW_ID), from, rows.numRows), nullInt64(rows.numRows)),
    inserted: (rows) => extend(rows, nullInt64(rows.numRows), nullInt64(rows.numRows)),
  }
}

/** Values of `source` at `from` (null at a negative index); all null without `from`. */
function gatherInt64(source: arrow.Data<arrow.Int64>, from: ArrayLike<number> | undefined, n: number): arrow.Data {
  if (!from) return nullInt64(n)
  const values = new BigInt64Array(n)
  const bitmap = new Uint8Array((n + 7) >> 3)
  const src = source.values as BigInt64Array
  let nulls = 0
  for (let k = 0; k < n; k++) {
    const i = k < from.length ? from[k] : -1
    if (i < 0 || !source.getValid(i)) {
      nulls++
      continue
    }
    values[k] = src[source.offset + i]
    bitmap[k >> 3] |= 1 << (k & 7)
  }
  return arrow.makeData({ type: INT64, length: n, nullCount: nulls, data: values, nullBitmap: bitmap })
}

function nullInt64(n: number): arrow.Data {
  return arrow.makeData({
    type: INT64,
    length: n,
    nullCount: n,
    data: new BigInt64Array(n),
    nullBitmap: new Uint8Array((n + 7) >> 3),
  })
}
