import { DeltaError } from '../errors.js'
import type { ObjectMeta, PutOptions, ReadOptions, Storage } from './types.js'

/** HTTP attempts per request, including the first, for network errors, 5xx, 408 and 429 (default 3). */
export const DEFAULT_HTTP_ATTEMPTS = 3
/** How many commit files the log listing probes at once (HEAD requests in flight). */
export const DEFAULT_PROBE_CONCURRENCY = 8

/** Options of {@link HttpStorage}. */
export interface HttpStorageOptions {
  /** Headers sent with every request (e.g. `Authorization`). */
  headers?: Record<string, string>
  /**
   * Maps a key under the table root to the URL to request, for tables behind presigned URLs (one URL per
   * object). Default: the root URL joined with the key, each path segment percent-encoded.
   */
  resolveUrl?: (key: string) => string | Promise<string>
  /** The fetch to use (default `globalThis.fetch`). */
  fetch?: typeof globalThis.fetch
  /** Attempts per request including the first (default {@link DEFAULT_HTTP_ATTEMPTS}). */
  maxAttempts?: number
  /** Commit files probed at once while finding the latest version (default {@link DEFAULT_PROBE_CONCURRENCY}). */
  probeConcurrency?: number
}

const LOG_DIR = '_delta_log/'
const pad = (v: number) => String(v).padStart(20, '0')

/**
 * Read-only storage over plain HTTP(S): a table published on a static host, a CDN or behind presigned URLs.
 * Reads are GETs, ranged reads are `Range: bytes=` GETs (a server that ignores Range still works, at the cost
 * of the whole object), `head` is a HEAD (`Content-Length`, `Last-Modified`).
 *
 * HTTP has no listing, so `list` answers only for `_delta_log/`, and only as far as the log can be found by
 * asking for names: it reads `_last_checkpoint`, then probes commit files `N.json` upward from the checkpoint
 * (or from version 0 without one) until one is missing. That costs one HEAD per commit after the checkpoint
 * (in parallel batches), and it can be wrong: a cache that serves a stale 404 or an old `_last_checkpoint`
 * shows an older version; a table without `_last_checkpoint` whose early commits were cleaned up is not found;
 * checkpoints newer than `_last_checkpoint` are not used. `Last-Modified` has whole seconds. See
 * docs/runtimes.md.
 *
 * `put` and `delete` fail: the storage is read-only.
 */
export class HttpStorage implements Storage {
  readonly rootUri: string
  readonly #options: HttpStorageOptions
  readonly #fetch: typeof globalThis.fetch
  /** Whether requests say `cache: 'no-store'` (workerd rejects the option; it has no HTTP cache to bypass). */
  #noStore = true

  /**
   * @param rootUrl the table's root, `http://` or `https://`.
   * @throws DeltaError `INVALID_ARGUMENT` when `rootUrl` is not an http(s) URL.
   */
  constructor(rootUrl: string, options: HttpStorageOptions = {}) {
    let url: URL
    try {
      url = new URL(rootUrl)
    } catch (err) {
      throw new DeltaError('INVALID_ARGUMENT', `not a valid URL: ${rootUrl}`, { cause: err })
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      throw new DeltaError('INVALID_ARGUMENT', `HttpStorage needs an http:// or https:// URL, got ${rootUrl}`)
    url.search = ''
    url.hash = ''
    this.rootUri = url.href.replace(/\/?$/, '/')
    this.#options = options
    const f = options.fetch ?? globalThis.fetch
    if (typeof f !== 'function')
      throw new DeltaError('MISSING_DEPENDENCY', 'HttpStorage needs fetch (Node 18+, browsers)')
    // Called unbound: browsers throw "Illegal invocation" for fetch called on another receiver.
    this.#fetch = (input, init) => f(input, init)
  }

  async #url(key: string): Promise<string> {
    if (this.#options.resolveUrl) return this.#options.resolveUrl(key)
    return this.rootUri + key.split('/').map(encodeSegment).join('/')
  }

  /** One request with retries; resolves with the response (404 included), throws typed errors otherwise. */
  async #request(key: string, method: 'GET' | 'HEAD', range?: string, signal?: AbortSignal): Promise<Response> {
    const url = await this.#url(key)
    const attempts = Math.max(1, this.#options.maxAttempts ?? DEFAULT_HTTP_ATTEMPTS)
    const headers: Record<string, string> = { ...this.#options.headers }
    if (range) headers.Range = range
    let last: unknown
    for (let attempt = 1; ; attempt++) {
      signal?.throwIfAborted()
      let res: Response
      try {
        // no-store: a browser's heuristic cache would otherwise serve an old _last_checkpoint or a stale 404.
        res = await this.#fetch(url, { method, headers, signal, ...(this.#noStore ? { cache: 'no-store' } : {}) })
      } catch (err) {
        if (this.#noStore && err instanceof Error && /cache/i.test(err.message) && !signal?.aborted) {
          this.#noStore = false
          attempt--
          continue
        }
        if (signal?.aborted) throw new DeltaError('ABORTED', `${method} ${key} aborted`, { cause: err })
        last = err
        if (attempt < attempts) {
          await backoff(attempt)
          continue
        }
        throw new DeltaError('STORAGE_TRANSIENT', `${method} ${this.rootUri}${key} failed: ${String(err)}`, {
          cause: last,
        })
      }
      const retryable = res.status >= 500 || res.status === 408 || res.status === 429
      if (retryable && attempt < attempts) {
        await res.body?.cancel()
        await backoff(attempt)
        continue
      }
      if (res.status === 404 || res.status === 410) {
        await res.body?.cancel()
        throw new DeltaError('FILE_NOT_FOUND', `${this.rootUri}${key} not found (HTTP ${res.status})`)
      }
      if (res.ok || res.status === 416) return res
      await res.body?.cancel()
      const code = retryable
        ? 'STORAGE_TRANSIENT'
        : res.status === 401 || res.status === 403
          ? 'STORAGE_CONFIG'
          : 'STORAGE_ERROR'
      throw new DeltaError(code, `${method} ${this.rootUri}${key}: HTTP ${res.status} ${res.statusText}`)
    }
  }

  /**
   * Lists `_delta_log/` by probing (see the class comment); any other prefix fails, HTTP cannot list.
   *
   * @throws DeltaError `UNSUPPORTED_FEATURE` for a prefix outside `_delta_log/` (vacuum, for one, needs a listing).
   */
  async *list(prefix: string, options: { startAfter?: string; signal?: AbortSignal } = {}): AsyncIterable<ObjectMeta> {
    if (!(prefix.startsWith(LOG_DIR) || LOG_DIR.startsWith(prefix)) || prefix === '')
      throw new DeltaError(
        'UNSUPPORTED_FEATURE',
        `HttpStorage cannot list "${prefix}" at ${this.rootUri}: HTTP has no listing; only _delta_log/ is found, by probing`,
      )
    const { signal, startAfter } = options
    const out: ObjectMeta[] = []
    const keep = (m: ObjectMeta) => {
      if (m.path.startsWith(prefix) && (startAfter === undefined || m.path > startAfter)) out.push(m)
    }
    let from = 0
    const hint = await this.#lastCheckpoint(signal)
    if (hint) {
      from = hint.version
      for (const path of hint.paths) {
        const meta = await this.#headOrUndefined(path, signal)
        if (meta) keep(meta)
      }
    }
    // Versions below startAfter's are never listed, so do not probe them.
    const after = startAfter?.startsWith(LOG_DIR) ? /^_delta_log\/(\d{1,20})/.exec(startAfter)?.[1] : undefined
    if (after !== undefined) from = Math.max(from, Number(after))
    const batch = Math.max(1, this.#options.probeConcurrency ?? DEFAULT_PROBE_CONCURRENCY)
    let stop = false
    for (let v = from; !stop; v += batch) {
      const metas = await Promise.all(
        Array.from({ length: batch }, (_, i) => this.#headOrUndefined(`${LOG_DIR}${pad(v + i)}.json`, signal)),
      )
      for (const [i, m] of metas.entries()) {
        // The commit of the checkpoint's own version may have been cleaned up; the ones after it may not.
        if (!m && hint && v + i === hint.version) continue
        if (!m) {
          stop = true
          break
        }
        keep(m)
      }
    }
    out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
    const seen = new Set<string>()
    for (const m of out) {
      if (seen.has(m.path)) continue
      seen.add(m.path)
      yield m
    }
  }

  /** The checkpoint `_last_checkpoint` names: its version and file names; undefined without a usable one. */
  async #lastCheckpoint(signal?: AbortSignal): Promise<{ version: number; paths: string[] } | undefined> {
    let json: { version?: unknown; parts?: unknown; v2Checkpoint?: { path?: unknown } }
    try {
      json = JSON.parse(new TextDecoder().decode(await this.read(`${LOG_DIR}_last_checkpoint`, { signal })))
    } catch (err) {
      if (err instanceof DeltaError && err.code !== 'FILE_NOT_FOUND') throw err
      return undefined // missing or not JSON: only a hint
    }
    const version = json?.version
    if (typeof version !== 'number' || !Number.isInteger(version) || version < 0) return undefined
    const v = pad(version)
    if (typeof json.v2Checkpoint?.path === 'string') return { version, paths: [`${LOG_DIR}${json.v2Checkpoint.path}`] }
    if (typeof json.parts === 'number' && json.parts > 1) {
      const n = json.parts
      const paths = Array.from(
        { length: n },
        (_, i) => `${LOG_DIR}${v}.checkpoint.${String(i + 1).padStart(10, '0')}.${String(n).padStart(10, '0')}.parquet`,
      )
      return { version, paths }
    }
    return { version, paths: [`${LOG_DIR}${v}.checkpoint.parquet`] }
  }

  async #headOrUndefined(path: string, signal?: AbortSignal): Promise<ObjectMeta | undefined> {
    try {
      return await this.head(path, { signal })
    } catch (err) {
      if (err instanceof DeltaError && err.code === 'FILE_NOT_FOUND') return undefined
      throw err
    }
  }

  /** GETs a whole object. @throws DeltaError `FILE_NOT_FOUND` on 404/410, `STORAGE_TRANSIENT` / `STORAGE_ERROR`. */
  async read(path: string, options: ReadOptions = {}): Promise<Uint8Array> {
    const res = await this.#request(path, 'GET', undefined, options.signal)
    return new Uint8Array(await res.arrayBuffer())
  }

  /** A ranged GET of `[start, end)`, `end` clamped to the size. Errors as {@link HttpStorage.read}. */
  async readRange(path: string, start: number, end: number, options: ReadOptions = {}): Promise<Uint8Array> {
    if (end <= start) {
      await this.head(path, options) // still FILE_NOT_FOUND for a missing object
      return new Uint8Array(0)
    }
    const last = Number.isFinite(end) ? String(end - 1) : ''
    const res = await this.#request(path, 'GET', `bytes=${start}-${last}`, options.signal)
    if (res.status === 416) {
      await res.body?.cancel()
      return new Uint8Array(0) // start at or past the end
    }
    const bytes = new Uint8Array(await res.arrayBuffer())
    // 200: the server ignored Range and sent the whole object.
    if (res.status === 200) return bytes.slice(start, Math.min(end, bytes.byteLength))
    return bytes
  }

  /** A HEAD: size from `Content-Length`, time from `Last-Modified` (whole seconds; 0 when absent). */
  async head(path: string, options: ReadOptions = {}): Promise<ObjectMeta> {
    const res = await this.#request(path, 'HEAD', undefined, options.signal)
    await res.body?.cancel()
    const size = Number(res.headers.get('content-length'))
    if (!Number.isFinite(size) || res.headers.get('content-length') === null)
      throw new DeltaError('STORAGE_ERROR', `HEAD ${this.rootUri}${path}: no Content-Length`)
    const lm = Date.parse(res.headers.get('last-modified') ?? '')
    return { path, size, lastModified: Number.isFinite(lm) ? Math.floor(lm) : 0 }
  }

  /** @throws DeltaError `UNSUPPORTED_FEATURE` always: HTTP(S) tables are read-only. */
  async put(path: string, _data: Uint8Array, _options?: PutOptions): Promise<void> {
    throw readOnly(this.rootUri, path)
  }

  /** @throws DeltaError `UNSUPPORTED_FEATURE` always: HTTP(S) tables are read-only. */
  async delete(path: string, _options?: ReadOptions): Promise<void> {
    throw readOnly(this.rootUri, path)
  }
}

function readOnly(root: string, path: string): DeltaError {
  return new DeltaError(
    'UNSUPPORTED_FEATURE',
    `${root}${path}: HTTP(S) tables are read-only (write through s3:// instead)`,
  )
}

/**
 * Percent-encodes one path segment, leaving the sub-delimiters a path may hold as they are (`=` of partition
 * folders, `+`, `:`...): some static servers decode only what `decodeURI` decodes and miss `%3D`.
 */
function encodeSegment(segment: string): string {
  return encodeURIComponent(segment).replace(/%(3D|2B|40|3A|2C|3B|21|24|26|27|28|29|2A)/g, (m) => decodeURIComponent(m))
}

function backoff(attempt: number): Promise<void> {
  return new Promise((r) => setTimeout(r, 100 * 2 ** (attempt - 1)))
}
