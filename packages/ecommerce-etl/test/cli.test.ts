/** The CLI as a user runs it: a child process per command (tsx from the sources). */
import { execFile } from 'node:child_process'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const run = promisify(execFile)
const cli = resolve(__dirname, '../src/cli.ts')

async function etl(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--conditions=source', '--import', 'tsx', cli, ...args], {
      cwd: resolve(__dirname, '..'),
    })
    return { code: 0, stdout, stderr }
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string }
    return { code: e.code, stdout: e.stdout, stderr: e.stderr }
  }
}

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'etl-cli-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe('ecommerce-etl CLI', () => {
  it('generate, run and status: exit 0, a summary table with the counts, the run listed', async () => {
    const g = await etl(
      'generate',
      '-o',
      join(dir, 'in'),
      '--orders',
      '40',
      '--products',
      '10',
      '--months',
      '1',
      '--dirty',
      '0',
    )
    expect(g.code).toBe(0)
    expect(g.stdout).toMatch(/orders\s+40\s+40\s+0\s+0/)
    const r = await etl('run', '-w', join(dir, 'wh'), '-r', join(dir, 'in'))
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/orders_job\s+40\s+40\s+0\s+0\s+40\s+0\s+1/)
    expect(r.stdout).toMatch(/run run-000001-\S+ succeeded/)
    const s = await etl('status', '-w', join(dir, 'wh'))
    expect(s.code).toBe(0)
    expect(s.stdout).toMatch(/lakehouse_dwh\.orders\s+1\s+\d+\s+date/)
    expect(s.stdout).toMatch(/run-000001-\S+\s+succeeded/)
    // SQL over the warehouse: a table, then JSON with the pinned versions.
    const q = await etl('query', '-w', join(dir, 'wh'), 'SELECT count(*) AS n FROM lakehouse_dwh.orders')
    expect(q.code).toBe(0)
    expect(q.stdout).toMatch(/^n\n-+\n40\n1 row\(s\); lakehouse_dwh\.orders@v1\n$/)
    const j = await etl(
      'query',
      '-w',
      join(dir, 'wh'),
      '--json',
      '--at',
      'orders=0',
      'SELECT count(*) AS n FROM lakehouse_dwh.orders',
    )
    expect(j.code).toBe(0)
    expect(JSON.parse(j.stdout)).toMatchObject({ columns: ['n'], rows: [{ n: '0' }], versions: { orders: 0 } })
    const bad = await etl('query', '-w', join(dir, 'wh'), '--at', 'nope=1', 'SELECT 1')
    expect(bad.code).toBe(2)
    expect(bad.stderr).toMatch(/bad --at nope=1/)
  })

  it('run --expectations adds user expectations: the summary counts them, dropped rows are in quarantine.<dataset>', async () => {
    const input = join(dir, 'in-exp')
    await mkdir(input, { recursive: true })
    await writeFile(
      join(input, 'products.csv'),
      'product_id,department_id,department,product_name\n1,1,produce,Apple\n2,1,produce,Test item\n,1,produce,NoId\n',
    )
    const file = join(dir, 'expectations.json')
    await writeFile(
      file,
      JSON.stringify({ products: [{ name: 'NO_TEST', predicate: "product_name NOT LIKE 'Test%'", action: 'drop' }] }),
    )
    const r = await etl('run', '-w', join(dir, 'wh-exp'), '-r', input, '--expectations', file)
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/products\s+NO_TEST\s+drop\s+2\s+1/)
    expect(r.stdout).toMatch(/products\s+MISSING_PRODUCT_ID\s+drop\s+2\s+1/)
    expect(r.stdout).toMatch(
      /products_job rejected by reason: MISSING_PRODUCT_ID=1, NO_TEST=1 \(quarantine\.products, 2 new\)/,
    )
    const q = await etl(
      'query',
      '-w',
      join(dir, 'wh-exp'),
      '--json',
      'SELECT row_number, reasons FROM quarantine.products ORDER BY row_number',
    )
    expect(q.code).toBe(0)
    expect(JSON.parse(q.stdout)).toMatchObject({
      rows: [
        { row_number: 3, reasons: 'NO_TEST' },
        { row_number: 4, reasons: 'MISSING_PRODUCT_ID' },
      ],
      versions: { 'quarantine.products': 1 },
    })
    const bad = await etl('run', '-w', join(dir, 'wh-exp'), '--expectations', join(dir, 'missing.json'))
    expect(bad.code).toBe(2)
    expect(bad.stderr).toMatch(/--expectations .*missing\.json/)
  })

  it('export-state-machine writes an ASL definition whose tasks run this CLI step by step', async () => {
    const file = join(dir, 'state_machine.json')
    const r = await etl(
      'export-state-machine',
      '-w',
      's3://lake/wh',
      '--cluster',
      'etl',
      '--task-definition',
      'ecommerce-etl:1',
      '--topic-arn',
      'arn:aws:sns:us-east-1:123456789012:etl',
      '--subnet',
      'subnet-1',
      '--catalog',
      'glue',
      '-o',
      file,
    )
    expect(r.code).toBe(0)
    const def = JSON.parse(await readFile(file, 'utf8'))
    expect(def.StartAt).toBe('Run_preprocess')
    expect(Object.keys(def.States)).toEqual([
      'Run_preprocess',
      'Parallel_products_orders',
      'Run_order_items',
      'Run_catalog',
      'Run_preview',
      'Notify_success',
      'Notify_failure',
      'Pipeline_succeeded',
      'Pipeline_failed',
    ])
    expect(def.States.Run_catalog.Parameters.Overrides.ContainerOverrides[0]['Command.$']).toContain(
      "'--catalog', 'glue'",
    )
    const usage = await etl('export-state-machine', '-w', 's3://x', '--cluster', 'c', '--task-definition', 't')
    expect(usage.code).toBe(2)
  })

  it('a failed run exits with code 1; a usage error exits with code 2', async () => {
    const wh = join(dir, 'wh-bad')
    await mkdir(join(wh, 'warehouse/lakehouse-dwh/orders/_delta_log'), { recursive: true })
    await writeFile(join(wh, 'warehouse/lakehouse-dwh/orders/_delta_log/00000000000000000000.json'), 'not json\n')
    const r = await etl('run', '-w', wh, '-r', join(dir, 'in'))
    expect(r.code).toBe(1)
    expect(r.stdout).toMatch(/order_items\s+skipped/)
    const u = await etl('generate', '-o', join(dir, 'x'), '--dirty-kind', 'nonsense=1')
    expect(u.code).toBe(2)
    expect(u.stderr).toMatch(/bad --dirty-kind nonsense=1/)
  })

  it('--version prints the package version and exits 0', async () => {
    const { version } = JSON.parse(await readFile(resolve(__dirname, '../package.json'), 'utf8'))
    const v = await etl('--version')
    expect(v).toMatchObject({ code: 0, stdout: `${version}\n` })
  })

  it("commander's usage errors exit 2, not commander's 1: unknown command, unknown option, missing option", async () => {
    const unknown = await etl('stat')
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toMatch(/unknown command 'stat'/)
    const badOption = await etl('status', '-w', dir, '--nope')
    expect(badOption.code).toBe(2)
    expect(badOption.stderr).toMatch(/unknown option '--nope'/)
    const missing = await etl('status')
    expect(missing.code).toBe(2)
    expect(missing.stderr).toMatch(/required option '-w, --warehouse/)
    const badNumber = await etl('status', '-w', dir, '--runs', 'many')
    expect(badNumber.code).toBe(2)
    expect(badNumber.stderr).toMatch(/expected a non-negative number/)
  })

  it('status on a folder that does not exist says so and exits 2 (no empty warehouse shown)', async () => {
    const s = await etl('status', '-w', join(dir, 'typo'))
    expect(s.code).toBe(2)
    expect(s.stderr).toMatch(/warehouse folder .*typo does not exist/)
    expect(s.stdout).toBe('')
  })

  it('run on an empty raw zone says there was no input instead of "succeeded"', async () => {
    const r = await etl('run', '-w', join(dir, 'wh-empty'), '--no-progress')
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/run run-000001-\S+: no input \(raw\/ was empty, nothing loaded/)
    expect(r.stdout).not.toMatch(/run run-000001-\S+ succeeded/)
  })

  it('runs from the repository root as `pnpm etl ...` (the root script the README documents)', async () => {
    const root = resolve(__dirname, '../../..')
    const { stdout } = await run('pnpm', ['etl', 'status', '-w', join(dir, 'wh')], { cwd: root })
    expect(stdout).toMatch(/lakehouse_dwh\.orders\s+1\s+\d+\s+date/)
  })
})
