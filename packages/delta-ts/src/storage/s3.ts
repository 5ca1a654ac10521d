import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
  UploadPartCommand,
} from '@aws-sdk/client-s3'
import { DeltaError } from '../errors.js'
import type { ObjectMeta, PutOptions, ReadOptions, Storage } from './types.js'

/** Objects larger than this are uploaded in parts (16 MiB). */
export const DEFAULT_MULTIPART_THRESHOLD = 16 * 1024 * 1024
/** Size of each part of a multipart upload (8 MiB; S3 requires at least 5 MiB for all parts but the last). */
export const DEFAULT_PART_SIZE = 8 * 1024 * 1024
/** HTTP attempts per request, including the first, made by the SDK's retry strategy. */
export const DEFAULT_MAX_ATTEMPTS = 5
/** Idle-socket timeout: a connection silent this long fails as a timeout and is retried (60 s). */
export const DEFAULT_IDLE_TIMEOUT_MS = 60_000
/** TCP connect timeout (10 s). */
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000
/** How many times a put-if-absent is re-sent after an ambiguous failure or a 409 before giving up. */
export const DEFAULT_PUT_RETRIES = 5

/** Read-backs (HEAD + GET, each with the SDK's retries) of an ambiguous put before COMMIT_OUTCOME_UNKNOWN. */
export const RECONCILE_ROUNDS = 5

/** Options of {@link S3Storage}. Everything is optional; the SDK's defaults apply to what is left out. */
export interface S3StorageOptions {
  /** AWS region; default: the SDK's resolution (`AWS_REGION`, profile), or `us-east-1` with a custom `endpoint`. */
  region?: string
  /** Endpoint of an S3-compatible service (MinIO, R2, moto), e.g. `http://127.0.0.1:9000`. */
  endpoint?: string
  /** Path-style addressing (`endpoint/bucket/key`); most S3-compatible servers need it. */
  forcePathStyle?: boolean
  /** Static credentials or a provider; default: the SDK's default provider chain (env, profile, IMDS...). */
  credentials?: S3ClientConfig['credentials']
  /** HTTP attempts per request including the first (SDK retry with backoff on 5xx, throttling, timeouts). Default 5. */
  maxAttempts?: number
  /** SDK retry mode; `adaptive` adds client-side rate limiting under throttling. Default `standard`. */
  retryMode?: 'standard' | 'adaptive'
  /** Upper bound in ms for one whole request and response; it then fails as a timeout and is retried. Default: none. */
  requestTimeoutMs?: number
  /** Milliseconds a connection may stay silent before the request fails as a timeout (and is retried). Default 60 s. */
  idleTimeoutMs?: number
  /** Milliseconds to establish a TCP connection. Default 10 s. */
  connectTimeoutMs?: number
  /**
   * The store supports `If-None-Match: *` on PutObject and CompleteMultipartUpload (AWS S3 since August 2024,
   * MinIO, R2). Default `true`. Put-if-absent relies on it; set `false` for stores without it.
   */
  conditionalWrites?: boolean
  /**
   * With `conditionalWrites: false`, allow put-if-absent as HEAD-then-PUT. This is only safe when a single
   * process writes to the table; concurrent writers can overwrite each other's commits. Default `false`:
   * put-if-absent then fails with `UNSAFE_COMMIT`.
   */
  unsafeSingleWriter?: boolean
  /** Objects above this many bytes use multipart upload. Default {@link DEFAULT_MULTIPART_THRESHOLD}. */
  multipartThreshold?: number
  /** Part size of multipart uploads in bytes. Default {@link DEFAULT_PART_SIZE}. */
  partSize?: number
  /** Keys per ListObjectsV2 page (1..1000). Default 1000. */
  listPageSize?: number
  /** Re-sends of a put-if-absent after an ambiguous failure or a conflict (409). Default {@link DEFAULT_PUT_RETRIES}. */
  putRetries?: number
  /** Extra S3Client configuration merged under the options above (e.g. `requestChecksumCalculation`). */
  clientConfig?: S3ClientConfig
  /**
   * Use this client instead of building one; the connection, retry and timeout options above are then ignored.
   * (A `clientConfig.requestHandler` likewise replaces the timeout options.)
   */
  client?: S3Client
}

/**
 * Storage on Amazon S3 or an S3-compatible store, rooted at `s3://bucket/prefix/`.
 *
 * Put-if-absent (`overwrite: false`, the commit primitive) is a PutObject with `If-None-Match: *`: a 412 means
 * another writer owns the key (`FILE_ALREADY_EXISTS`), a 409 (a concurrent conditional write in flight) is
 * retried. A put whose outcome is unknown (timeout, dropped connection, 5xx after the SDK's retries, a 412
 * answering an SDK retry of our own request, or a NoSuchUpload on a retried CompleteMultipartUpload) is
 * resolved by reading the key back: the same bytes mean our write
 * landed (commit files carry a unique txnId, so equal bytes are ours), other bytes mean `FILE_ALREADY_EXISTS`,
 * no object means the put is sent again.
 *
 * When the read-back itself keeps failing ({@link RECONCILE_ROUNDS} rounds), the put fails with
 * `COMMIT_OUTCOME_UNKNOWN` (the object may be ours), never `STORAGE_TRANSIENT`; the commit layer settles it.
 *
 * Errors: `FILE_NOT_FOUND` (NoSuchKey/404), `FILE_ALREADY_EXISTS`, `STORAGE_TRANSIENT` (throttling, 5xx,
 * network; for a put-if-absent: it did not land), `COMMIT_OUTCOME_UNKNOWN`, `ABORTED` (the caller's signal; a put's outcome is then unknown), `UNSAFE_COMMIT`, and
 * `STORAGE_ERROR` for the rest (permissions, missing bucket, 501 NotImplemented); every error that comes from
 * the SDK keeps it as `cause`. Methods follow the {@link Storage} contract; the backend passes the shared
 * contract suite (test/storage-contract.ts).
 */
export class S3Storage implements Storage {
  readonly rootUri: string
  readonly bucket: string
  /** Key prefix of the root, empty or ending in `/`. */
  readonly prefix: string
  /** The SDK client; exposed so callers can add middleware (logging, metrics) or reuse its connections. */
  readonly client: S3Client
  private readonly conditionalWrites: boolean
  private readonly unsafeSingleWriter: boolean
  private readonly multipartThreshold: number
  private readonly partSize: number
  private readonly listPageSize: number
  private readonly putRetries: number

  /**
   * @param uri `s3://bucket` or `s3://bucket/prefix` (a trailing slash is optional).
   * @throws DeltaError `INVALID_ARGUMENT` when the URI is not an `s3://` URI with a bucket, or an option is out
   *   of range.
   */
  constructor(uri: string, options: S3StorageOptions = {}) {
    const { bucket, prefix } = parseS3Uri(uri)
    this.bucket = bucket
    this.prefix = prefix
    this.rootUri = `s3://${bucket}/${prefix}`
    this.conditionalWrites = options.conditionalWrites ?? true
    this.unsafeSingleWriter = options.unsafeSingleWriter ?? false
    this.multipartThreshold = options.multipartThreshold ?? DEFAULT_MULTIPART_THRESHOLD
    this.partSize = options.partSize ?? DEFAULT_PART_SIZE
    this.listPageSize = options.listPageSize ?? 1000
    this.putRetries = options.putRetries ?? DEFAULT_PUT_RETRIES
    if (!(this.partSize >= 1) || !(this.multipartThreshold >= this.partSize)) {
      throw new DeltaError('INVALID_ARGUMENT', 'S3Storage needs partSize >= 1 and multipartThreshold >= partSize')
    }
    if (!(this.listPageSize >= 1 && this.listPageSize <= 1000)) {
      throw new DeltaError('INVALID_ARGUMENT', 'S3Storage listPageSize must be within 1..1000')
    }
    this.client = options.client ?? new S3Client(clientConfig(options))
  }

  private key(path: string): string {
    return this.prefix + path
  }

  async *list(prefix: string, options: { startAfter?: string; signal?: AbortSignal } = {}): AsyncIterable<ObjectMeta> {
    let token: string | undefined
    const startAfter = options.startAfter === undefined ? undefined : this.key(options.startAfter)
    do {
      const page = await this.guard('list', prefix, options.signal, () =>
        this.client.send(
          new ListObjectsV2Command({
            Bucket: this.bucket,
            Prefix: this.key(prefix),
            // S3 ignores StartAfter once a continuation token is given, so only the first page carries it.
            StartAfter: token === undefined ? startAfter : undefined,
            ContinuationToken: token,
            MaxKeys: this.listPageSize,
          }),
          { abortSignal: options.signal },
        ),
      )
      for (const obj of page.Contents ?? []) {
        if (obj.Key === undefined) continue
        yield {
          path: obj.Key.slice(this.prefix.length),
          size: obj.Size ?? 0,
          lastModified: obj.LastModified?.getTime() ?? 0,
        }
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined
    } while (token !== undefined)
  }

  async read(path: string, options: ReadOptions = {}): Promise<Uint8Array> {
    const res = await this.guard('read', path, options.signal, () =>
      this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.key(path) }), {
        abortSignal: options.signal,
      }),
    )
    return this.body(res.Body, path)
  }

  async readRange(path: string, start: number, end: number, options: ReadOptions = {}): Promise<Uint8Array> {
    if (!Number.isInteger(start) || start < 0 || !(Number.isInteger(end) || end === Number.POSITIVE_INFINITY)) {
      throw new DeltaError(
        'INVALID_ARGUMENT',
        `readRange(${path}, ${start}, ${end}): start must be an integer >= 0 and end an integer or Infinity`,
      )
    }
    // `bytes=5-4` is not a valid range and S3 would answer with the whole object; an empty range still has to
    // report a missing object, hence the HEAD.
    if (end <= start) {
      await this.head(path, options)
      return new Uint8Array(0)
    }
    try {
      const res = await this.client.send(
        new GetObjectCommand({
          Bucket: this.bucket,
          Key: this.key(path),
          Range: end === Number.POSITIVE_INFINITY ? `bytes=${start}-` : `bytes=${start}-${end - 1}`,
        }),
        { abortSignal: options.signal },
      )
      return await this.body(res.Body, path)
    } catch (err) {
      // 416: the object exists but starts before `start`; the contract clamps, so that is an empty read.
      if (httpStatus(err) === 416 || errorName(err) === 'InvalidRange') return new Uint8Array(0)
      throw translateS3Error(err, 'readRange', this.rootUri + path, options.signal)
    }
  }

  async head(path: string, options: ReadOptions = {}): Promise<ObjectMeta> {
    const res = await this.guard('head', path, options.signal, () =>
      this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.key(path) }), {
        abortSignal: options.signal,
      }),
    )
    return { path, size: res.ContentLength ?? 0, lastModified: res.LastModified?.getTime() ?? 0 }
  }

  async put(path: string, data: Uint8Array, options: PutOptions = {}): Promise<void> {
    if (options.signal?.aborted) {
      throw new DeltaError('ABORTED', `put ${this.rootUri}${path} was aborted`, { cause: options.signal.reason })
    }
    if (options.overwrite) {
      await this.upload(path, data, false, options.signal)
      return
    }
    if (!this.conditionalWrites) {
      if (!this.unsafeSingleWriter) {
        throw new DeltaError(
          'UNSAFE_COMMIT',
          `put-if-absent of ${this.rootUri}${path} refused: the store has no conditional writes ` +
            '(conditionalWrites: false). Enable them, or set unsafeSingleWriter: true if only one process writes.',
        )
      }
      // Single-writer mode: a plain existence check; the caller promised that nobody races us.
      if (await this.exists(path, options.signal)) throw alreadyExists(this.rootUri + path)
      await this.upload(path, data, false, options.signal)
      return
    }
    await this.putIfAbsent(path, data, options.signal)
  }

  /**
   * The conditional-write loop. Each round sends the object with `If-None-Match: *`; the outcome is success,
   * `FILE_ALREADY_EXISTS`, a retry (409 conflict, or an ambiguous failure after which the key is still free),
   * or an error.
   */
  private async putIfAbsent(path: string, data: Uint8Array, signal?: AbortSignal): Promise<void> {
    let lastError: unknown
    let mayHaveLanded = false
    // True while an earlier round may have landed and no read-back has since shown the key free.
    let unsettled = false
    for (let round = 0; round <= this.putRetries; round++) {
      if (round > 0) await backoff(round, signal)
      try {
        await this.upload(path, data, true, signal)
        return
      } catch (err) {
        if (signal?.aborted || errorName(err) === 'AbortError') {
          throw translateS3Error(err, 'put', this.rootUri + path, signal)
        }
        const status = httpStatus(err)
        if (status === 412) {
          // A 412 on an SDK retry (or after an earlier ambiguous round) may be answering our own first attempt.
          const attempts = (err as { $metadata?: { attempts?: number } }).$metadata?.attempts ?? 1
          if (!mayHaveLanded && attempts <= 1) throw alreadyExists(this.rootUri + path, err)
          const verdict = await this.settle(path, data, err, signal)
          if (verdict === 'ours') return
          if (verdict === 'theirs') throw alreadyExists(this.rootUri + path, err)
          unsettled = false
          lastError = err
          continue
        }
        if (errorName(err) === 'NoSuchUpload') {
          // A retried CompleteMultipartUpload whose first attempt completed the upload: the upload id is gone.
          mayHaveLanded = true
          lastError = err
          const verdict = await this.settle(path, data, err, signal)
          if (verdict === 'ours') return
          if (verdict === 'theirs') throw alreadyExists(this.rootUri + path, err)
          unsettled = false
          continue
        }
        if (status === 409) {
          // ConditionalRequestConflict: another conditional write to the key was in flight; S3 asks to retry.
          lastError = err
          continue
        }
        if (!isTransient(err)) {
          if (unsettled) throw this.outcomeUnknown(path, err)
          throw translateS3Error(err, 'put', this.rootUri + path, signal)
        }
        // Timeout, dropped connection or 5xx: the server may or may not have applied the write.
        mayHaveLanded = true
        lastError = err
        let verdict: 'ours' | 'theirs' | 'absent'
        try {
          verdict = await this.reconcile(path, data, signal)
        } catch (checkErr) {
          if (checkErr instanceof DeltaError && checkErr.code === 'STORAGE_TRANSIENT') {
            // Unknown for now; the next round's conditional put settles it (success, or a 412 read back).
            unsettled = true
            continue
          }
          throw checkErr
        }
        if (verdict === 'ours') return
        if (verdict === 'theirs') throw alreadyExists(this.rootUri + path, err)
        unsettled = false
      }
    }
    if (unsettled) throw this.outcomeUnknown(path, lastError)
    throw new DeltaError(
      'STORAGE_TRANSIENT',
      `put-if-absent of ${this.rootUri}${path} did not settle after ${this.putRetries + 1} rounds: ${describe(lastError)}`,
      { cause: lastError },
    )
  }

  /**
   * {@link S3Storage.reconcile} retried up to {@link RECONCILE_ROUNDS} times with backoff while the read-back
   * fails transiently; `COMMIT_OUTCOME_UNKNOWN` when it never answers (the object may be ours).
   */
  private async settle(
    path: string,
    data: Uint8Array,
    putError: unknown,
    signal?: AbortSignal,
  ): Promise<'ours' | 'theirs' | 'absent'> {
    let last: unknown = putError
    for (let i = 0; i < RECONCILE_ROUNDS; i++) {
      if (i > 0) await backoff(i, signal)
      try {
        return await this.reconcile(path, data, signal)
      } catch (err) {
        if (!(err instanceof DeltaError && err.code === 'STORAGE_TRANSIENT')) throw err
        last = err
      }
    }
    throw this.outcomeUnknown(path, last)
  }

  private outcomeUnknown(path: string, cause: unknown): DeltaError {
    return new DeltaError(
      'COMMIT_OUTCOME_UNKNOWN',
      `put-if-absent of ${this.rootUri}${path} may have landed, and reading it back did not answer: ${describe(cause)}`,
      { cause },
    )
  }

  /** After an ambiguous put: is the object at `path` ours (same bytes), someone else's, or absent? */
  private async reconcile(path: string, data: Uint8Array, signal?: AbortSignal): Promise<'ours' | 'theirs' | 'absent'> {
    let meta: ObjectMeta
    try {
      meta = await this.head(path, { signal })
    } catch (err) {
      if (err instanceof DeltaError && err.code === 'FILE_NOT_FOUND') return 'absent'
      throw err
    }
    if (meta.size !== data.byteLength) return 'theirs'
    let stored: Uint8Array
    try {
      stored = await this.read(path, { signal })
    } catch (err) {
      // Deleted between HEAD and GET: nobody holds the key any more.
      if (err instanceof DeltaError && err.code === 'FILE_NOT_FOUND') return 'absent'
      throw err
    }
    return bytesEqual(stored, data) ? 'ours' : 'theirs'
  }

  /** One PutObject, or a multipart upload above the threshold; `ifAbsent` adds `If-None-Match: *`. Raw SDK errors escape. */
  private async upload(path: string, data: Uint8Array, ifAbsent: boolean, signal?: AbortSignal): Promise<void> {
    if (data.byteLength > this.multipartThreshold) {
      await this.multipartUpload(path, data, ifAbsent, signal)
      return
    }
    const cmd = new PutObjectCommand({
      Bucket: this.bucket,
      Key: this.key(path),
      Body: data,
      ContentLength: data.byteLength,
      IfNoneMatch: ifAbsent ? '*' : undefined,
    })
    if (ifAbsent) {
      await this.client.send(cmd, { abortSignal: signal })
    } else {
      await this.guard('put', path, signal, () => this.client.send(cmd, { abortSignal: signal }))
    }
  }

  private async multipartUpload(
    path: string,
    data: Uint8Array,
    ifAbsent: boolean,
    signal?: AbortSignal,
  ): Promise<void> {
    const Key = this.key(path)
    const created = await this.guard('put', path, signal, () =>
      this.client.send(new CreateMultipartUploadCommand({ Bucket: this.bucket, Key }), { abortSignal: signal }),
    )
    const UploadId = created.UploadId
    if (!UploadId)
      throw new DeltaError('STORAGE_ERROR', `CreateMultipartUpload for ${this.rootUri}${path} returned no UploadId`)
    try {
      const partCount = Math.ceil(data.byteLength / this.partSize)
      const parts: { ETag?: string; PartNumber: number }[] = new Array(partCount)
      // Up to 4 parts in flight: enough to fill a link without holding many part buffers at once.
      let next = 0
      const worker = async () => {
        while (next < partCount) {
          const i = next++
          const body = data.subarray(i * this.partSize, Math.min(data.byteLength, (i + 1) * this.partSize))
          const res = await this.guard('put', path, signal, () =>
            this.client.send(
              new UploadPartCommand({
                Bucket: this.bucket,
                Key,
                UploadId,
                PartNumber: i + 1,
                Body: body,
                ContentLength: body.byteLength,
              }),
              { abortSignal: signal },
            ),
          )
          parts[i] = { ETag: res.ETag, PartNumber: i + 1 }
        }
      }
      await Promise.all(Array.from({ length: Math.min(4, partCount) }, worker))
      const complete = new CompleteMultipartUploadCommand({
        Bucket: this.bucket,
        Key,
        UploadId,
        MultipartUpload: { Parts: parts },
        IfNoneMatch: ifAbsent ? '*' : undefined,
      })
      // Raw errors escape so putIfAbsent can tell 412/409/ambiguous apart.
      await this.client.send(complete, { abortSignal: signal })
    } catch (err) {
      // Free the parts; best effort, the upload may already be completed or gone.
      await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key, UploadId })).catch(() => {})
      throw err
    }
  }

  async delete(path: string, options: ReadOptions = {}): Promise<void> {
    // S3 DeleteObject succeeds for missing keys, which is the contract.
    await this.guard('delete', path, options.signal, () =>
      this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.key(path) }), {
        abortSignal: options.signal,
      }),
    )
  }

  private async exists(path: string, signal?: AbortSignal): Promise<boolean> {
    try {
      await this.head(path, { signal })
      return true
    } catch (err) {
      if (err instanceof DeltaError && err.code === 'FILE_NOT_FOUND') return false
      throw err
    }
  }

  /** Runs one SDK call and translates any failure into a DeltaError. */
  private async guard<T>(
    op: string,
    path: string,
    signal: AbortSignal | undefined,
    call: () => Promise<T>,
  ): Promise<T> {
    try {
      return await call()
    } catch (err) {
      throw translateS3Error(err, op, this.rootUri + path, signal)
    }
  }

  private async body(
    body: { transformToByteArray(): Promise<Uint8Array> } | undefined,
    path: string,
  ): Promise<Uint8Array> {
    if (!body) return new Uint8Array(0)
    try {
      return await body.transformToByteArray()
    } catch (err) {
      throw translateS3Error(err, 'read', this.rootUri + path)
    }
  }
}

/**
 * Splits `s3://bucket/some/prefix` into bucket and key prefix (`some/prefix/`, or `''` at the bucket root).
 * @throws DeltaError `INVALID_ARGUMENT` for anything that is not `s3://` plus a bucket name.
 */
export function parseS3Uri(uri: string): { bucket: string; prefix: string } {
  const m = /^s3a?:\/\/([^/]+)\/?(.*)$/.exec(uri)
  if (!m?.[1]) throw new DeltaError('INVALID_ARGUMENT', `not an s3:// URI with a bucket: ${uri}`)
  const rest = m[2].replace(/^\/+/, '')
  return { bucket: m[1], prefix: rest === '' || rest.endsWith('/') ? rest : `${rest}/` }
}

function clientConfig(options: S3StorageOptions): S3ClientConfig {
  const config: S3ClientConfig = { ...options.clientConfig }
  if (options.region !== undefined) config.region = options.region
  // S3-compatible servers ignore the region but the SDK insists on one for signing; AWS users get the SDK's
  // own resolution (AWS_REGION, profile) when they name neither.
  else if (config.region === undefined && options.endpoint !== undefined) config.region = 'us-east-1'
  if (options.endpoint !== undefined) config.endpoint = options.endpoint
  if (options.forcePathStyle !== undefined) config.forcePathStyle = options.forcePathStyle
  if (options.credentials !== undefined) config.credentials = options.credentials
  config.maxAttempts = options.maxAttempts ?? config.maxAttempts ?? DEFAULT_MAX_ATTEMPTS
  if (options.retryMode !== undefined) config.retryMode = options.retryMode
  if (config.requestHandler === undefined) {
    config.requestHandler = {
      // The SDK has no timeouts by default: a silent connection would hang a commit forever.
      connectionTimeout: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
      socketTimeout: options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS,
      requestTimeout: options.requestTimeoutMs,
      // Without this the SDK only logs a warning when requestTimeout passes and keeps waiting.
      throwOnRequestTimeout: options.requestTimeoutMs !== undefined,
    }
  }
  return config
}

/** HTTP status of an SDK error, if the request got that far. */
function httpStatus(err: unknown): number | undefined {
  return (err as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode
}

function errorName(err: unknown): string | undefined {
  return (err as { name?: string } | undefined)?.name
}

const TRANSIENT_NAMES = new Set([
  'SlowDown',
  'Throttling',
  'ThrottlingException',
  'RequestTimeout',
  'RequestTimeoutException',
  'TimeoutError',
  'InternalError',
  'ServiceUnavailable',
  'RequestLimitExceeded',
  'TooManyRequestsException',
])

/** Error names of a client without usable credentials, or whose credentials the store rejects. */
const CONFIG_NAMES = new Set([
  'CredentialsProviderError',
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'AuthorizationHeaderMalformed',
  'InvalidToken',
])

/**
 * Misconfiguration the SDK reports without an HTTP status (which would otherwise look like a network failure,
 * i.e. transient): no region, no credentials; and the store's own rejections of the credentials.
 */
function isConfigurationError(err: unknown): boolean {
  const name = errorName(err)
  if (name !== undefined && CONFIG_NAMES.has(name)) return true
  const message = (err as { message?: unknown } | undefined)?.message
  return httpStatus(err) === undefined && typeof message === 'string' && /^Region is missing/.test(message)
}

/** Throttling, 5xx, timeouts and network failures (no HTTP status at all) may succeed when retried. */
function isTransient(err: unknown): boolean {
  if (err instanceof DeltaError) return err.code === 'STORAGE_TRANSIENT'
  if (isConfigurationError(err)) return false
  const status = httpStatus(err)
  const name = errorName(err)
  if (name !== undefined && TRANSIENT_NAMES.has(name)) return true
  if (status === undefined) return true
  // 501 NotImplemented is permanent: typically a store without conditional writes rejecting If-None-Match.
  return (status >= 500 && status !== 501) || status === 429
}

/**
 * Maps an SDK error to a DeltaError (`cause` is the original). Exported for the tests and for adapters that
 * issue their own S3 calls.
 */
export function translateS3Error(err: unknown, op: string, uri: string, signal?: AbortSignal): DeltaError {
  if (err instanceof DeltaError) return err
  const name = errorName(err)
  const status = httpStatus(err)
  const detail = describe(err)
  if (signal?.aborted || name === 'AbortError') {
    return new DeltaError('ABORTED', `${op} ${uri} was aborted`, { cause: err })
  }
  if (isConfigurationError(err)) {
    return new DeltaError(
      'STORAGE_CONFIG',
      `${op} ${uri}: the S3 client is misconfigured (${detail}); set a region (option region or AWS_REGION) and ` +
        'credentials (option credentials, AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, or a profile); retrying will not help',
      { cause: err },
    )
  }
  if (name === 'NoSuchBucket') {
    return new DeltaError('STORAGE_ERROR', `${op} ${uri}: bucket does not exist (${detail})`, { cause: err })
  }
  if (name === 'NoSuchKey' || name === 'NotFound' || status === 404) {
    return new DeltaError('FILE_NOT_FOUND', `${uri} does not exist`, { cause: err })
  }
  if (status === 412) return alreadyExists(uri, err)
  if (status === 501 || name === 'NotImplemented') {
    return new DeltaError(
      'STORAGE_ERROR',
      `${op} ${uri}: the store does not implement this request (${detail}); a store without conditional ` +
        'writes needs conditionalWrites: false (and unsafeSingleWriter: true for a single writer)',
      { cause: err },
    )
  }
  if (isTransient(err)) {
    return new DeltaError('STORAGE_TRANSIENT', `${op} ${uri} failed transiently: ${detail}`, { cause: err })
  }
  return new DeltaError('STORAGE_ERROR', `${op} ${uri} failed: ${detail}`, { cause: err })
}

function alreadyExists(uri: string, cause?: unknown): DeltaError {
  return new DeltaError('FILE_ALREADY_EXISTS', `${uri} already exists`, { cause })
}

function describe(err: unknown): string {
  if (err === undefined) return 'unknown error'
  const name = errorName(err) ?? 'Error'
  const status = httpStatus(err)
  const message = (err as { message?: string }).message ?? String(err)
  return `${name}${status ? ` (HTTP ${status})` : ''}: ${message}`
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false
  return true
}

/** Full-jitter exponential backoff: 50 ms, 100 ms, 200 ms ... capped at 2 s. */
async function backoff(round: number, signal?: AbortSignal): Promise<void> {
  const ms = Math.random() * Math.min(2000, 50 * 2 ** (round - 1))
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    const onAbort = () => {
      clearTimeout(timer)
      reject(new DeltaError('ABORTED', 'put was aborted', { cause: signal?.reason }))
    }
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}
