#!/usr/bin/env node
/**
 * The `delta-ts` command (package bin). All logic is in ./cli/main.ts so that it runs in-process in tests; this
 * file only binds it to the real process.
 */
import { runCli } from './cli/main.js'

process.exitCode = await runCli(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
})
