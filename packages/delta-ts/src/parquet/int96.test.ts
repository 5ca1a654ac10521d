import { readdirSync } from 'node:fs'
import * as path from 'node:path'
import { fileURLToPath } from 'node:url'
import * as arrow from 'apache-arrow'
import { describe, expect, it } from 'vitest'
import { LocalStorage } from '../storage/local.js'
import { openParquet } from './read.js'

// A data file Spark 4.0.1 wrote with spark.sql.parquet.outputTimestampType=INT96 (test/fixtures/spark-int96).
const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../test/fixtures/spark-int96')
const file = readdirSync(dir).find((f) => f.endsWith('.parquet'))!

describe('INT96 columns through the footer schema hint', () => {
  it('every INT96 leaf, top-level and nested, reads as microseconds; the file’s own metadata and field layout stay', async () => {
    const reader = await openParquet(new LocalStorage(dir), file)
    try {
      const ts = (f: arrow.Field | undefined) => f?.type as arrow.Timestamp
      const [, top, st, arr, m] = reader.schema.fields
      expect(ts(top).unit).toBe(arrow.TimeUnit.MICROSECOND)
      expect(ts(st.type.children[0]).unit).toBe(arrow.TimeUnit.MICROSECOND)
      expect(ts(arr.type.children[0]).unit).toBe(arrow.TimeUnit.MICROSECOND)
      expect(ts(m.type.children[0].type.children[1]).unit).toBe(arrow.TimeUnit.MICROSECOND)
      expect(st.type.children[1].type.typeId).toBe(arrow.Type.Int)
      expect([...reader.schema.metadata.keys()].some((k) => k.startsWith('org.apache.spark'))).toBe(true)
      let rows = 0
      for await (const b of reader.readRowGroup(0, ['id', 'ts'])) {
        rows += b.numRows
        const values = b.getChild('ts')!.data[0].values as BigInt64Array
        // 0001-01-01T00:00:00Z in µs: outside the 64-bit nanosecond range, exact here.
        expect(values).toContain(-62135596800000000n)
      }
      expect(rows).toBe(reader.numRows)
      expect(reader.cacheMisses).toBe(0)
    } finally {
      reader.close()
    }
  })
})
