import { readdirSync, readFileSync } from 'node:fs'
import * as path from 'node:path'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { goldenRoot } from '../../test/golden.js'
import {
  assembleDeletionVectorFile,
  decodeDeletionVector,
  decodeDeletionVectorChunk,
  deletionVectorPath,
  encodeDeletionVector,
  inlineDeletionVector,
  relativeDeletionVectorId,
  unionRows,
  z85Decode,
} from './deletion-vector.js'

/** Sorted unique row indexes drawn to hit every container kind: sparse, dense runs, full bitmaps, high buckets. */
const rowSets = fc
  .array(
    fc.oneof(
      fc.integer({ min: 0, max: 200_000 }).map((v) => [v]),
      fc
        .tuple(fc.integer({ min: 0, max: 300_000 }), fc.integer({ min: 1, max: 9000 }))
        .map(([s, n]) => Array.from({ length: n }, (_, i) => s + i)),
      fc
        .tuple(fc.integer({ min: 0, max: 100_000 }), fc.integer({ min: 1, max: 6000 }))
        .map(([s, n]) => Array.from({ length: n }, (_, i) => s + 2 * i)),
      fc.integer({ min: 0, max: 5 }).map((h) => [h * 2 ** 32 + 7]),
    ),
    { maxLength: 8 },
  )
  .map((parts) => [...new Set(parts.flat())].sort((a, b) => a - b))

describe('encodeDeletionVector', () => {
  it('round-trips random row sets (array, bitmap and run containers, several buckets) through the decoder', () => {
    fc.assert(
      fc.property(rowSets, (rows) => {
        expect([...decodeDeletionVector(encodeDeletionVector(rows))]).toEqual(rows)
      }),
      { numRuns: 150 },
    )
  })

  it('refuses unsorted, duplicate or negative row indexes with INVALID_DELETION_VECTOR', () => {
    for (const bad of [[3, 1], [1, 1], [-1], [1.5]])
      expect(() => encodeDeletionVector(bad)).toThrow(expect.objectContaining({ code: 'INVALID_DELETION_VECTOR' }))
  })

  it('picks the container Spark picks: {0,1,2} stays an array, 0..4 plus 6 becomes a run, 5000 scattered rows a bitmap', () => {
    const cookie = (rows: number[]) => new DataView(encodeDeletionVector(rows).buffer).getUint32(16, true) & 0xffff
    expect(cookie([0, 1, 2])).toBe(12346)
    expect(cookie([0, 1, 2, 3, 4, 6])).toBe(12347)
    const scattered = Array.from({ length: 5000 }, (_, i) => i * 13)
    const bytes = encodeDeletionVector(scattered)
    expect(bytes.length).toBeGreaterThan(8192)
    expect([...decodeDeletionVector(bytes)]).toEqual(scattered)
  })
})

/** Every DV chunk of every Spark-written DV file in the golden tables. */
function goldenChunks(): { file: string; offset: number; size: number; bytes: Uint8Array }[] {
  const out: { file: string; offset: number; size: number; bytes: Uint8Array }[] = []
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name)
      if (e.isDirectory()) walk(p)
      else if (/^deletion_vector_.*\.bin$/.test(e.name)) {
        const b = new Uint8Array(readFileSync(p))
        for (let o = 1; o + 4 <= b.length; ) {
          const size = new DataView(b.buffer, b.byteOffset).getInt32(o, false)
          out.push({ file: p, offset: o, size, bytes: b })
          o += size + 8
        }
      }
    }
  }
  walk(goldenRoot())
  return out
}

describe('deletion vectors written by Spark (golden tables)', () => {
  it('re-encodes every decoded golden vector to the same bytes, and their files to the same file', () => {
    const chunks = goldenChunks()
    expect(chunks.length).toBeGreaterThan(40)
    const byFile = new Map<string, Uint8Array[]>()
    for (const c of chunks) {
      const rows = decodeDeletionVectorChunk(c.bytes.subarray(c.offset), c.size)
      const serialized = c.bytes.subarray(c.offset + 4, c.offset + 4 + c.size)
      expect(encodeDeletionVector(rows)).toEqual(serialized)
      byFile.set(c.file, [...(byFile.get(c.file) ?? []), encodeDeletionVector(rows)])
    }
    for (const [file, vectors] of byFile) {
      const { bytes, offsets } = assembleDeletionVectorFile(vectors)
      expect(bytes).toEqual(new Uint8Array(readFileSync(file)))
      expect(offsets[0]).toBe(1)
    }
  })
})

describe('inlineDeletionVector', () => {
  it('gives an i descriptor whose Z85 text decodes back to the rows', () => {
    fc.assert(
      fc.property(rowSets, (rows) => {
        const dv = inlineDeletionVector(rows)
        expect(dv.cardinality).toBe(rows.length)
        expect([...decodeDeletionVector(z85Decode(dv.pathOrInlineDv).subarray(0, dv.sizeInBytes))]).toEqual(rows)
      }),
      { numRuns: 30 },
    )
  })
})

describe('relativeDeletionVectorId', () => {
  it('encodes a UUID (and prefix) into the pathOrInlineDv that deletionVectorPath maps back to its file', () => {
    const uuid = '61d16c75-6994-46b7-a15b-8b538852e50e'
    expect(relativeDeletionVectorId(uuid)).toBe('vBn[lx{q8@P<9BNH/isA')
    const dv = {
      storageType: 'u' as const,
      pathOrInlineDv: relativeDeletionVectorId(uuid, 'x7'),
      sizeInBytes: 1,
      cardinality: 1,
    }
    expect(deletionVectorPath(dv)).toBe(`x7/deletion_vector_${uuid}.bin`)
    expect(() => relativeDeletionVectorId('nope')).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }))
  })
})

describe('unionRows', () => {
  it('merges two ascending sets without duplicates', () => {
    fc.assert(
      fc.property(rowSets, rowSets, (a, b) => {
        expect([...unionRows(a, b)]).toEqual([...new Set([...a, ...b])].sort((x, y) => x - y))
      }),
      { numRuns: 50 },
    )
  })
})
