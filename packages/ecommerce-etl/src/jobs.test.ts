import { describe, expect, it } from 'vitest'
import { parseCsvRecords } from './csv.js'
import { ORDERS } from './datasets.js'
import { rejectedCsv } from './jobs.js'
import { validateBatch } from './rules.js'

const csv = `order_num,order_id,user_id,order_timestamp,total_amount,date,sheet_name,source_file,source_row
1,10,5,2025-01-02T03:04:05Z,12.50,,Jan,o.xlsx,2
2,11,5,2025-01-02T03:04:05Z,1.00,,Jan,o.xlsx,3
3,12,5,2025-01-02T03:04:05Z,2.00,,Jan,o.xlsx,4
4,,5,bad,2.00,,Jan,o.xlsx,7
`

describe('job helpers', () => {
  const records = parseCsvRecords(csv, 'o.csv')
  const { rejected } = validateBatch(ORDERS, records)

  it('rejectedCsv keeps run id, file, sheet, row number, every reason and the original fields', () => {
    const text = rejectedCsv('run-1', rejected)
    const [head, row] = text.trim().split('\n')
    expect(head.split(',').slice(0, 6)).toEqual(['run_id', 'file', 'sheet', 'row_number', 'reasons', 'details'])
    expect(row.startsWith('run-1,o.xlsx,Jan,7,INVALID_TIMESTAMP;MISSING_ORDER_ID,')).toBe(true)
    expect(head).toContain('field_order_timestamp')
    expect(row).toContain(',bad,')
  })
})
