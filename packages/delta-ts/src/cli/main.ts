import { parseArgs } from 'node:util'
import { DeltaError, DeltaTable } from '../index.js'
import type { S3StorageOptions } from '../s3.js'
import { DELTA_TS_VERSION } from '../version.js'
import {
  type CommandOutput,
  checkpointCommand,
  describeCommand,
  filesCommand,
  historyCommand,
  optimizeCommand,
  type SnapshotSelector,
  vacuumCommand,
} from './commands.js'
import { toJson } from './format.js'

/** Where the CLI writes. The bin passes process.stdout/stderr; tests pass collectors. */
export interface CliIO {
  stdout(text: string): void
  stderr(text: string): void
}

/** Exit codes: 0 success, 1 the operation failed (a DeltaError or other error), 2 bad usage. */
export const EXIT_OK = 0
export const EXIT_FAILURE = 1
export const EXIT_USAGE = 2

export const USAGE = `Usage: delta-ts <command> <table-uri> [options]

Commands:
  describe <uri>     version, protocol and features, metadata, schema, file totals
  history <uri>      commits, newest first
  files <uri>        active data files with partition values, sizes and row counts
  checkpoint <uri>   write a checkpoint of the latest version (or --version n)
  vacuum <uri>       delete data files unreferenced for longer than the retention
  optimize <uri>     compact small files per partition (bin-packing, no data change)

Options:
  --json                 machine-readable JSON on stdout
  --version <n>          (describe, files, checkpoint) use version n (time travel)
  --timestamp <iso>      (describe, files) read the newest version committed at or before this time
  --limit <n>            (history) newest n commits only
  --retention-hours <h>  (vacuum) keep files removed less than h hours ago (default 168)
  --dry-run              (vacuum) list the files without deleting them
  --no-retention-check   (vacuum) allow a retention below delta.deletedFileRetentionDuration
  --target-size <bytes>  (optimize) size of the compacted files (default 128 MiB)
  --min-file-size <b>    (optimize) leave files at least this large alone (default: the target size)
  --filter <sql>         (files) only files that may hold matching rows; (optimize) only partitions
                         matching this predicate over partition columns
  --endpoint <url>       S3-compatible endpoint for s3:// URIs (MinIO, R2, moto)
  --region <region>      AWS region for s3:// URIs
  --path-style           path-style S3 addressing (most S3-compatible servers need it)
  -h, --help             this help
  -v, --version          (without a command) print the delta-ts version

Table URIs: a local path, file:// URL, or s3://bucket/prefix (credentials from the AWS default chain).
Exit codes: 0 success, 1 operation failed (message on stderr, JSON {"error":{code,message}} with --json),
2 usage error.
`

/** A usage problem: printed with the usage text, exit code 2. */
class UsageError extends Error {}

const OPTIONS = {
  json: { type: 'boolean' },
  version: { type: 'string', short: 'v' },
  timestamp: { type: 'string' },
  limit: { type: 'string' },
  'retention-hours': { type: 'string' },
  'dry-run': { type: 'boolean' },
  'no-retention-check': { type: 'boolean' },
  'target-size': { type: 'string' },
  'min-file-size': { type: 'string' },
  filter: { type: 'string' },
  endpoint: { type: 'string' },
  region: { type: 'string' },
  'path-style': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const

/** Which options each command accepts; anything else is a usage error rather than silently ignored. */
const COMMAND_OPTIONS: Record<string, readonly string[]> = {
  describe: ['version', 'timestamp'],
  files: ['version', 'timestamp', 'filter'],
  history: ['limit'],
  checkpoint: ['version'],
  vacuum: ['retention-hours', 'dry-run', 'no-retention-check'],
  optimize: ['target-size', 'min-file-size', 'filter'],
}
const COMMON = ['json', 'endpoint', 'region', 'path-style', 'help']

function nonNegativeInt(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined
  if (!/^\d+$/.test(value)) throw new UsageError(`--${name} expects a non-negative integer, got "${value}"`)
  return Number(value)
}

function nonNegativeNumber(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined
  const n = Number(value)
  if (value.trim() === '' || !Number.isFinite(n) || n < 0) {
    throw new UsageError(`--${name} expects a non-negative number, got "${value}"`)
  }
  return n
}

/**
 * Runs one `delta-ts` invocation: parses `argv` (without the node and script paths), runs the command and
 * writes its output to `io`. Resolves to the exit code; never throws and never calls process.exit, so it can
 * be tested in-process. Failures print `error [CODE]: message` on stderr (or a JSON error document on stdout
 * with `--json`).
 */
export async function runCli(argv: readonly string[], io: CliIO): Promise<number> {
  const [command, ...rest] = argv
  if (command === undefined || command === '-h' || command === '--help' || command === 'help') {
    io.stdout(USAGE)
    return command === undefined ? EXIT_USAGE : EXIT_OK
  }
  if (command === '-v' || command === '--version') {
    io.stdout(`${DELTA_TS_VERSION}\n`)
    return EXIT_OK
  }
  let json = rest.includes('--json')
  try {
    if (!(command in COMMAND_OPTIONS)) throw new UsageError(`unknown command "${command}"`)
    let parsed: ReturnType<typeof parseArgs<{ args: string[]; options: typeof OPTIONS; allowPositionals: true }>>
    try {
      parsed = parseArgs({ args: [...rest], options: OPTIONS, allowPositionals: true, strict: true })
    } catch (err) {
      throw new UsageError((err as Error).message)
    }
    const { values, positionals } = parsed
    json = values.json === true
    if (values.help) {
      io.stdout(USAGE)
      return EXIT_OK
    }
    const allowed = new Set([...COMMON, ...COMMAND_OPTIONS[command]])
    for (const key of Object.keys(values)) {
      if (!allowed.has(key)) throw new UsageError(`option --${key} does not apply to "${command}"`)
    }
    if (positionals.length !== 1) {
      throw new UsageError(
        positionals.length === 0 ? `"${command}" needs a table URI` : `unexpected argument "${positionals[1]}"`,
      )
    }
    const sel: SnapshotSelector = { version: nonNegativeInt('version', values.version), timestamp: values.timestamp }
    if (sel.version !== undefined && sel.timestamp !== undefined) {
      throw new UsageError('pass either --version or --timestamp, not both')
    }
    // Every argument is validated before the table is opened, so a typo is a usage error, not a failed read.
    const limit = nonNegativeInt('limit', values.limit)
    const retentionHours = nonNegativeNumber('retention-hours', values['retention-hours'])
    const targetSizeBytes = nonNegativeInt('target-size', values['target-size'])
    const minFileSize = nonNegativeInt('min-file-size', values['min-file-size'])
    const s3: S3StorageOptions = {}
    if (values.endpoint) s3.endpoint = values.endpoint
    if (values.region) s3.region = values.region
    if (values['path-style']) s3.forcePathStyle = true
    const table = await DeltaTable.open(positionals[0], { storageOptions: { s3 } })
    let out: CommandOutput
    switch (command) {
      case 'describe':
        out = await describeCommand(table, sel)
        break
      case 'history':
        out = await historyCommand(table, limit)
        break
      case 'checkpoint':
        out = await checkpointCommand(table, sel.version)
        break
      case 'vacuum':
        out = await vacuumCommand(table, {
          retentionHours,
          dryRun: values['dry-run'] === true,
          skipRetentionCheck: values['no-retention-check'] === true,
        })
        break
      case 'optimize':
        out = await optimizeCommand(table, { targetSizeBytes, minFileSize, filter: values.filter })
        break
      default:
        out = await filesCommand(table, sel, values.filter)
        break
    }
    io.stdout(json ? toJson(out.json) : out.text)
    return EXIT_OK
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr(`error: ${err.message}\n\n${USAGE}`)
      return EXIT_USAGE
    }
    const code = err instanceof DeltaError ? err.code : 'INTERNAL'
    const message = err instanceof Error ? err.message : String(err)
    if (json) io.stdout(toJson({ error: { code, message } }))
    io.stderr(`error [${code}]: ${message}\n`)
    return EXIT_FAILURE
  }
}
