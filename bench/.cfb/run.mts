import { cp, rm, readdir } from 'node:fs/promises'
import { existsSync } from 'node:fs'
import { generateInput } from './data.mts'
const [variant, op, repsS] = process.argv.slice(2)
const { DeltaTable } = await import(`/tmp/cf-${variant}/index.js`)
const ROWS = 500_000
const tpl = '/tmp/cfb/template'
if (!existsSync(tpl + '/_delta_log')) {
  const input = generateInput({ rows: ROWS, seed: 2 })
  const t = await DeltaTable.create(tpl, { schema: input.schema, partitionBy: ['date'] })
  await t.write(input)
}
const source = generateInput({ rows: ROWS / 20, seed: 3, mergeTargetRows: ROWS })
const runs: number[] = []
let files = 0
for (let i = 0; i < Number(repsS); i++) {
  const dir = `/tmp/cfb/run-${variant}`
  await rm(dir, { recursive: true, force: true })
  await cp(tpl, dir, { recursive: true })
  const t = await DeltaTable.open(dir)
  const t0 = performance.now()
  const r =
    op === 'delete'
      ? await t.delete('id % 100 = 0')
      : await t
          .merge(source, { on: 'target.id = source.id', targetAlias: 'target', sourceAlias: 'source' })
          .whenMatchedUpdateAll()
          .whenNotMatchedInsertAll()
          .execute()
  runs.push(performance.now() - t0)
  files = (r.metrics ?? r).numFilesAdded
}
runs.sort((a, b) => a - b)
console.log(JSON.stringify({ variant, op, median: Math.round(runs[runs.length >> 1]), runs: runs.map(Math.round), files }))
