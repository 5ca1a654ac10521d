import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { connect, createServer, type Socket } from 'node:net'
import * as path from 'node:path'
import { repoRoot } from './golden.js'

// What test/global-setup.ts hands to tests through `inject()`.
declare module 'vitest' {
  export interface ProvidedContext {
    /** Endpoint of the S3-compatible test server, or '' when it could not start (see `s3Error`). */
    s3Endpoint: string
    /** Why the S3 server is missing; '' when it runs. S3 tests fail with this message instead of skipping. */
    s3Error: string
  }
}

/** A running S3-compatible server for tests. */
export interface S3Server {
  /** `http://127.0.0.1:PORT`, for `S3Storage({ endpoint, forcePathStyle: true })`. */
  endpoint: string
  /** Stops the server process and waits for it to exit. */
  stop(): Promise<void>
}

/** The dummy credentials every test uses against the local server (moto accepts any). */
export const testCredentials = { accessKeyId: 'test', secretAccessKey: 'test' } as const

/** Asks the OS for a free loopback TCP port (bind to port 0, read it, close). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer()
    srv.unref()
    srv.on('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address()
      const port = typeof addr === 'object' && addr ? addr.port : 0
      srv.close(() => resolve(port))
    })
  })
}

/**
 * Starts moto's S3 server (from `.venv`, installed by scripts/ensure-venv.sh) on 127.0.0.1 at a free port and
 * resolves once it answers HTTP.
 *
 * moto's stock `moto_server` runs werkzeug with `threaded=True`, and its `If-None-Match: *` check is a
 * check-then-act without a lock, so two racing conditional PUTs can both succeed (the race test in
 * src/storage/s3.test.ts measures this). Real S3 is atomic. We therefore run the same moto WSGI app behind a
 * lock that lets one request at a time into moto (connections stay threaded and keep-alive), which makes
 * put-if-absent atomic, as on S3; it also answers CORS preflights on existing keys as S3 does (see the script).
 * `stock: true` starts the stock, unserialized server instead.
 */
export async function startMoto(options: { stock?: boolean } = {}): Promise<S3Server> {
  const python = path.join(repoRoot, '.venv', 'bin', 'python')
  if (!existsSync(python)) throw new Error(`${python} missing: run scripts/ensure-venv.sh`)
  const port = await freePort()
  const script = [
    'import os, sys, threading, time',
    // Exit when the parent (the test runner) dies, even by SIGKILL, instead of lingering as an orphan.
    'parent = os.getppid()',
    'def watch_parent():',
    '    while os.getppid() == parent:',
    '        time.sleep(1)',
    '    os._exit(0)',
    'threading.Thread(target=watch_parent, daemon=True).start()',
    'from werkzeug.serving import run_simple',
    'from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app',
    'moto_app = DomainDispatcherApplication(create_backend_app)',
    'lock = threading.Lock()',
    'def serialized(environ, start_response):',
    // A CORS preflight on a key carries no credentials; moto 5 then checks an existing key's ACL as for an
    // anonymous GET and answers 403, where S3 answers every preflight from the bucket's CORS rules alone. moto's
    // own answer for a key ignores the key, so asking it about the bucket instead gives S3's answer.
    '    if environ.get("REQUEST_METHOD") == "OPTIONS":',
    '        environ["PATH_INFO"] = "/" + environ.get("PATH_INFO", "").lstrip("/").split("/", 1)[0] + "/"',
    '        environ["QUERY_STRING"] = ""',
    '    with lock:',
    '        return list(moto_app(environ, start_response))',
    `app = ${options.stock ? 'moto_app' : 'serialized'}`,
    'run_simple("127.0.0.1", int(sys.argv[1]), app, threaded=True, request_handler=MotoRequestHandler)',
  ].join('\n')
  const child = spawn(python, ['-c', script, String(port)], { stdio: ['ignore', 'ignore', 'pipe'] })
  // If the test runner dies without calling stop(), do not leave the server behind.
  const killOnExit = () => child.kill('SIGKILL')
  process.once('exit', killOnExit)
  child.once('exit', () => process.removeListener('exit', killOnExit))
  let stderr = ''
  child.stderr?.on('data', (d: Buffer) => {
    // Keep only the tail: werkzeug logs every request to stderr.
    stderr = (stderr + d.toString()).slice(-4000)
  })
  const endpoint = `http://127.0.0.1:${port}`
  const deadline = Date.now() + 60_000
  for (;;) {
    if (child.exitCode !== null) throw new Error(`moto exited with ${child.exitCode}: ${stderr}`)
    try {
      const res = await fetch(`${endpoint}/`, { signal: AbortSignal.timeout(2000) })
      await res.arrayBuffer()
      break
    } catch (err) {
      if (Date.now() > deadline) {
        await stopChild(child)
        throw new Error(`moto did not answer at ${endpoint} within 60 s: ${stderr}`, { cause: err })
      }
      await new Promise((r) => setTimeout(r, 200))
    }
  }
  return { endpoint, stop: () => stopChild(child) }
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
  await exited
  clearTimeout(timer)
}

/** What the fault proxy does with the response to one PUT request. */
export type ProxyFault = 'pass' | 'drop' | 'hang'

/** A loopback TCP proxy in front of an S3 server that can lose PUT responses. */
export interface FaultProxy {
  /** `http://127.0.0.1:PORT` of the proxy. */
  endpoint: string
  /** One entry per PUT request seen, in order: what was done to its response. */
  readonly puts: ProxyFault[]
  close(): Promise<void>
}

/**
 * Starts a TCP proxy to `target` (an `http://host:port` endpoint). Every connection is forwarded byte for byte,
 * except that for the n-th PUT request (0-based, counted across connections) `plan(n)` may say:
 * - `drop`: forward the request, wait for the server's response (so the server has applied the write), then
 *   discard the response and reset the client connection;
 * - `hang`: forward the request, discard the response and keep the client connection open and silent, so only
 *   the client's request timeout ends the wait.
 * This is the failure a client sees when the network fails after the server committed a write.
 * `options.methods` extends the plan to other requests (e.g. `['PUT', 'GET', 'HEAD']`: reads lose their
 * responses too, as when the read-back of an ambiguous commit fails).
 */
export async function startFaultProxy(
  target: string,
  plan: (n: number) => ProxyFault,
  options: { methods?: readonly string[] } = {},
): Promise<FaultProxy> {
  // Which requests `plan` decides for (PUT only by default); `puts` records every decided request in order.
  const methods = (options.methods ?? ['PUT']).map((m) => `${m} `)
  const { hostname, port } = new URL(target)
  const puts: ProxyFault[] = []
  const sockets = new Set<Socket>()
  const server = createServer((client) => {
    const upstream = connect(Number(port), hostname)
    sockets.add(client)
    sockets.add(upstream)
    let fault: ProxyFault = 'pass'
    client.on('data', (chunk: Buffer) => {
      // The SDK writes each request's head in one chunk, so a request starts a chunk.
      const head = chunk.subarray(0, 8).toString('latin1')
      if (methods.some((m) => head.startsWith(m))) {
        fault = plan(puts.length)
        puts.push(fault)
      }
      upstream.write(chunk)
    })
    upstream.on('data', (chunk: Buffer) => {
      if (fault === 'pass') client.write(chunk)
      else if (fault === 'drop') client.resetAndDestroy()
      // 'hang': swallow the response and leave the client waiting.
    })
    const closeBoth = () => {
      client.destroy()
      upstream.destroy()
      sockets.delete(client)
      sockets.delete(upstream)
    }
    // A hung response must stay hung even when the server closes its side after answering.
    const upstreamGone = () => {
      if (fault !== 'hang') closeBoth()
    }
    client.on('close', closeBoth)
    client.on('error', closeBoth)
    upstream.on('close', upstreamGone)
    upstream.on('error', upstreamGone)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const addr = server.address()
  const proxyPort = typeof addr === 'object' && addr ? addr.port : 0
  return {
    endpoint: `http://127.0.0.1:${proxyPort}`,
    puts,
    close: async () => {
      for (const s of sockets) s.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
