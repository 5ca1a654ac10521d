import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import * as path from 'node:path'
import { repoRoot } from './golden.js'

/** The project's Python interpreter (`.venv`, created by scripts/ensure-venv.sh in the vitest global setup). */
export function pythonPath(): string {
  const py = path.join(repoRoot, '.venv', 'bin', 'python')
  if (!existsSync(py)) throw new Error(`${py} missing: run scripts/ensure-venv.sh`)
  return py
}

// deltalake's native runtime occasionally aborts during interpreter teardown ("terminate called without an
// active exception") after the script has finished; leaving with os._exit skips that teardown.
const EPILOGUE = '\nimport os as _os, sys as _sys\n_sys.stdout.flush()\n_os._exit(0)\n'

/**
 * Runs a Python snippet with the reference libraries (pyarrow, deltalake) and returns its stdout parsed as
 * JSON: the snippet must print exactly one JSON document. `args` reach the script as `sys.argv[1:]`. A failing
 * script throws with Python's stderr in the message.
 */
export function runPythonJson<T = unknown>(script: string, args: readonly string[] = []): T {
  try {
    const out = execFileSync(pythonPath(), ['-c', script + EPILOGUE, ...args], {
      encoding: 'utf8',
      timeout: 120_000,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    return JSON.parse(out) as T
  } catch (err) {
    const e = err as { stderr?: string; message: string }
    throw new Error(`python failed: ${e.stderr || e.message}`)
  }
}
