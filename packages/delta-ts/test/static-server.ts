import { createServer, type Server } from 'node:http'
import sirv from 'sirv'

/** A static HTTP server on loopback serving a directory (Range, HEAD, Last-Modified: sirv). */
export interface StaticServer {
  /** `http://127.0.0.1:PORT/` */
  url: string
  /** Requests seen, as `METHOD path`, in order (for counting what a reader costs). */
  readonly requests: string[]
  close(): Promise<void>
}

/**
 * Serves `dir` at 127.0.0.1 on a free port. Files may change while it runs (dev mode re-reads the directory),
 * so tests can add objects between requests. `headers` are added to every response (e.g. CORS).
 */
export async function startStaticServer(dir: string, headers: Record<string, string> = {}): Promise<StaticServer> {
  const serve = sirv(dir, { dev: true, etag: true, dotfiles: true })
  const requests: string[] = []
  const server: Server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`)
    for (const [k, v] of Object.entries(headers)) res.setHeader(k, v)
    serve(req, res, () => {
      res.statusCode = 404
      res.end('not found')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const addr = server.address()
  const port = typeof addr === 'object' && addr ? addr.port : 0
  return {
    url: `http://127.0.0.1:${port}/`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
