/**
 * Partition directories and `add.path` encoding (PROTOCOL.md §Add File and Remove File, §Partition Value
 * Serialization). Pure: no IO.
 *
 * Two encodings are stacked, exactly as Spark writes them (and as Spark, delta-rs and delta-kernel read them):
 * 1. The directory name on the file system is Hive-escaped once ({@link escapePartitionPathName}, Spark's
 *    `ExternalCatalogUtils.escapePathName`): `a:b` → directory `a%3Ab`.
 * 2. The log stores that relative file-system path as a URI ({@link encodeLogPath}, Java `URI` quoting as
 *    Hadoop's `Path.toUri.toString` does): directory `a%3Ab` → log path `a%253Ab`.
 * Readers percent-decode the log path once and get the file-system path back. Encoding the value only once
 * in the log, or twice on disk, is the double/under-encoding bug class of delta-rs#3577 / #1896.
 */

import { DeltaError } from '../errors.js'

/** The directory name Hive and Spark use for a null (or empty) partition value. */
export const HIVE_DEFAULT_PARTITION = '__HIVE_DEFAULT_PARTITION__'

// Spark ExternalCatalogUtils.charToEscape (non-Windows set): controls 0x01-0x1F, 0x7F and these specials.
const HIVE_ESCAPE = new Set<number>()
for (let c = 0x01; c <= 0x1f; c++) HIVE_ESCAPE.add(c)
for (const ch of '"#%\'*/:=?\\{[]^') HIVE_ESCAPE.add(ch.charCodeAt(0))
HIVE_ESCAPE.add(0x7f)

function hex2(n: number): string {
  return n.toString(16).toUpperCase().padStart(2, '0')
}

/**
 * Hive-escapes one path segment (a partition column name or value) the way Spark does: each character of the
 * escape set becomes `%XX` (uppercase hex); everything else, unicode included, is kept. Never throws.
 */
export function escapePartitionPathName(s: string): string {
  let out = ''
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    out += HIVE_ESCAPE.has(c) ? `%${hex2(c)}` : s[i]
  }
  return out
}

/**
 * Reverses {@link escapePartitionPathName}: every `%XX` with two hex digits becomes that character (Spark's
 * `unescapePathName`); a `%` not followed by two hex digits is kept. Never throws.
 */
export function unescapePartitionPathName(s: string): string {
  return s.replace(/%([0-9A-Fa-f]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)))
}

/**
 * The Hive-style partition directory (`col=value/col2=value2`, no leading or trailing slash) for the given
 * columns, in the given order. `values[col]` is the serialized partition value (PROTOCOL.md §Partition Value
 * Serialization); `null`, `undefined` and `''` map to `__HIVE_DEFAULT_PARTITION__`, as in Spark. Returns `''`
 * for an unpartitioned table. This is the file-system path; store it in the log via {@link encodeLogPath}.
 */
export function partitionPath(
  columns: readonly string[],
  values: Readonly<Record<string, string | null | undefined>>,
): string {
  return columns
    .map((col) => {
      const v = values[col]
      const escaped = v === null || v === undefined || v === '' ? HIVE_DEFAULT_PARTITION : escapePartitionPathName(v)
      return `${escapePartitionPathName(col)}=${escaped}`
    })
    .join('/')
}

/**
 * The longest directory name, in UTF-8 bytes, that common file systems accept (ext4, XFS, APFS, NTFS: 255).
 * A `col=value` segment longer than this cannot be a directory on local disk, and a table written with one on
 * S3 could not be copied to one, so it is refused on every backend.
 */
export const MAX_PARTITION_SEGMENT_BYTES = 255

/**
 * Checks that the partition directory of `columns`/`values` (as {@link partitionPath} builds it) can exist on
 * every backend: no NUL character in a column name or value (no file system or Hive escape allows one), and
 * no `col=value` segment over {@link MAX_PARTITION_SEGMENT_BYTES} UTF-8 bytes after escaping.
 *
 * @throws DeltaError `INVALID_ARGUMENT` naming the column and the problem.
 */
export function checkPartitionPath(
  columns: readonly string[],
  values: Readonly<Record<string, string | null | undefined>>,
): void {
  for (const col of columns) {
    const v = values[col]
    if (col.includes('\0') || (typeof v === 'string' && v.includes('\0'))) {
      throw new DeltaError(
        'INVALID_ARGUMENT',
        `partition column '${col.replace(/\0/g, '\\0')}' has a value with a NUL character (\\0), which no partition directory can hold: remove it or do not partition by this column`,
      )
    }
    const segment = partitionPath([col], values)
    const bytes = utf8Length(segment)
    if (bytes > MAX_PARTITION_SEGMENT_BYTES) {
      throw new DeltaError(
        'INVALID_ARGUMENT',
        `partition column '${col}' has a value whose directory name '${segment.slice(0, 40)}…' is ${bytes} UTF-8 bytes, over the ${MAX_PARTITION_SEGMENT_BYTES}-byte limit of file systems: shorten the value or do not partition by this column`,
      )
    }
  }
}

/** UTF-8 byte length of a string, without encoding it. */
function utf8Length(s: string): number {
  let n = 0
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c < 0x80) n += 1
    else if (c < 0x800) n += 2
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1)
      if (d >= 0xdc00 && d <= 0xdfff) {
        n += 4
        i++
      } else n += 3
    } else n += 3
  }
  return n
}

/**
 * Parses a Hive-style relative directory (`a=1/b=x%3Ay`) back into raw values; `__HIVE_DEFAULT_PARTITION__`
 * becomes `null`. Segments without `=` (e.g. the file name) are skipped. Never throws.
 */
export function parsePartitionPath(dir: string): Record<string, string | null> {
  const out: Record<string, string | null> = {}
  for (const seg of dir.split('/')) {
    const eq = seg.indexOf('=')
    if (eq <= 0) continue
    const value = seg.slice(eq + 1)
    out[unescapePartitionPathName(seg.slice(0, eq))] =
      value === HIVE_DEFAULT_PARTITION ? null : unescapePartitionPathName(value)
  }
  return out
}

// ASCII characters java.net.URI leaves unquoted in a path: unreserved (alphanum, -_.!~*'()), punct
// (;:@&=+$,) and '/'. Everything else in ASCII, '%' included, is percent-encoded.
const URI_PATH_SAFE = /[A-Za-z0-9\-_.!~*'();:@&=+$,/]/

// java.net.URI also quotes non-ASCII characters that are ISO controls or Unicode space separators.
const NON_ASCII_QUOTED = /[\u0080-\u009f\p{Zs}\p{Zl}\p{Zp}]/u

/**
 * Encodes a relative file-system path for `add.path` / `remove.path` exactly as Spark writes it (Hadoop
 * `Path.toUri.toString`): ASCII characters outside the URI path set are percent-encoded as UTF-8 (`%` → `%25`,
 * space → `%20`), non-ASCII letters and symbols are kept verbatim (Spark writes `data=😈`), non-ASCII controls
 * and space separators are percent-encoded. `decodeURIComponent` (and {@link decodeActionPath}) inverts it.
 * Never throws (lone surrogates are encoded as U+FFFD).
 */
export function encodeLogPath(fsPath: string): string {
  let out = ''
  for (const ch of fsPath) {
    if (ch.length === 1 && ch.charCodeAt(0) < 0x80) {
      out += URI_PATH_SAFE.test(ch) ? ch : `%${hex2(ch.charCodeAt(0))}`
    } else if (NON_ASCII_QUOTED.test(ch) || isLoneSurrogate(ch)) {
      for (const b of new TextEncoder().encode(ch)) out += `%${hex2(b)}`
    } else {
      out += ch
    }
  }
  return out
}

function isLoneSurrogate(ch: string): boolean {
  const c = ch.charCodeAt(0)
  return ch.length === 1 && c >= 0xd800 && c <= 0xdfff
}
