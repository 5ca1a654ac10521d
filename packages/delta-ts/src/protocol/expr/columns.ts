import type { Expr } from './types.js'

/** The column references of an expression (top-level name first in each path), in first-seen order. */
export function referencedColumns(e: Expr): { path: string[]; qualifier?: string }[] {
  const out: { path: string[]; qualifier?: string }[] = []
  const seen = new Set<string>()
  const visit = (node: Expr): void => {
    if (node.kind === 'column') {
      const key = `${node.qualifier ?? ''}.${node.path.join('.')}`
      if (!seen.has(key)) {
        seen.add(key)
        out.push({ path: node.path, ...(node.qualifier ? { qualifier: node.qualifier } : {}) })
      }
      return
    }
    for (const v of Object.values(node)) {
      if (Array.isArray(v)) {
        for (const c of v) if (c && typeof c === 'object' && 'kind' in c) visit(c as Expr)
      } else if (v && typeof v === 'object' && 'kind' in (v as object)) {
        visit(v as Expr)
      }
    }
  }
  visit(e)
  return out
}
