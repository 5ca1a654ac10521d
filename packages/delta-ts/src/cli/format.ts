import type { DataType } from '../index.js'

/**
 * Renders a Delta data type the way Spark's DDL prints it (`array<int>`, `struct<a: long>`), for the text
 * output of `delta-ts describe`. Primitive names pass through unchanged.
 */
export function typeToString(t: DataType): string {
  if (typeof t === 'string') return t
  switch (t.type) {
    case 'array':
      return `array<${typeToString(t.elementType)}>`
    case 'map':
      return `map<${typeToString(t.keyType)}, ${typeToString(t.valueType)}>`
    case 'struct':
      return `struct<${t.fields.map((f) => `${f.name}: ${typeToString(f.type)}`).join(', ')}>`
  }
}

/** `1536` → `1.5 KiB`: binary units with one decimal, exact bytes below 1 KiB. */
export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB']
  let v = n
  let i = 0
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024
    i++
  }
  return i === 0 ? `${n} B` : `${v.toFixed(1)} ${units[i]}`
}

/** Epoch milliseconds as ISO-8601 UTC; `-` for a missing or non-finite time. */
export function formatTime(ms: number | null | undefined): string {
  return typeof ms === 'number' && Number.isFinite(ms) ? new Date(ms).toISOString() : '-'
}

/**
 * Lays out rows as a left-aligned text table with a header line. Cells are stringified; the last column is not
 * padded so long values (paths, JSON) do not produce trailing blanks.
 */
export function textTable(header: readonly string[], rows: readonly (readonly unknown[])[]): string {
  const cells = [
    header.map(String),
    ...rows.map((r) => r.map((c) => (c === undefined || c === null ? '-' : String(c)))),
  ]
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)))
  return `${cells
    .map((r) =>
      r
        .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i])))
        .join('  ')
        .trimEnd(),
    )
    .join('\n')}\n`
}

/**
 * JSON for `--json`: two-space indented, bigints as decimal strings (stats of long columns may arrive as
 * bigint from checkpoints) so that serialization never throws.
 */
export function toJson(value: unknown): string {
  return `${JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? v.toString() : v), 2)}\n`
}
