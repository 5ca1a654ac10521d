import { writeSyntheticLog } from '/work/wt-replay/bench/src/data.ts'
import { DeltaTable } from 'delta-ts'
import { existsSync } from 'node:fs'
const [dir, n, ckpt] = process.argv.slice(2)
if (!existsSync(dir + '/_delta_log')) await writeSyntheticLog(dir, { from: 0, to: Number(n) / 10000, addsPerCommit: 10000, days: 1000 })
if (ckpt === 'ckpt') { const t0 = performance.now(); await (await DeltaTable.open(dir)).checkpoint(); console.log('checkpoint ms', performance.now() - t0) }
