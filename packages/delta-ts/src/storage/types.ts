/**
 * The storage contract. Every backend (memory, local disk, S3) implements it and runs the same contract test
 * suite (`storage/contract.test-suite.ts`). All paths are relative keys under the backend's root, with `/`
 * separators and no leading slash.
 */
export interface ObjectMeta {
  /** Key relative to the backend root. */
  path: string
  /** Size in bytes. */
  size: number
  /**
   * Last modification, whole epoch milliseconds (backends floor finer clocks), so that a commit timestamp shown
   * to a user selects the same version when given back to time travel.
   */
  lastModified: number
}

export interface PutOptions {
  /**
   * `false` (the default) makes the put a put-if-absent: it fails atomically with `DeltaError`
   * `FILE_ALREADY_EXISTS` when the key exists, and concurrent callers on the same key see exactly one winner.
   * Readers never observe a partially written object. A put-if-absent whose outcome the backend cannot
   * know (the request may have been applied, and reading the key back failed) fails with
   * `COMMIT_OUTCOME_UNKNOWN`, never with an error that claims nothing was written; other errors mean the
   * object was not written by this call.
   */
  overwrite?: boolean
  signal?: AbortSignal
}

export interface ReadOptions {
  signal?: AbortSignal
}

export interface Storage {
  /** A URI for this backend's root, for messages and for absolute paths in the log. */
  readonly rootUri: string
  /**
   * Lists objects whose key starts with `prefix`, sorted by key (byte order), returning only keys strictly
   * greater than `startAfter` when given. Lists recursively (no delimiter). Never fails for a missing prefix:
   * yields nothing.
   */
  list(prefix: string, options?: { startAfter?: string; signal?: AbortSignal }): AsyncIterable<ObjectMeta>
  /** Reads a whole object. `FILE_NOT_FOUND` when it does not exist. */
  read(path: string, options?: ReadOptions): Promise<Uint8Array>
  /**
   * Reads bytes `[start, end)`. `end` is clamped to the object size. `FILE_NOT_FOUND` when it does not exist.
   */
  readRange(path: string, start: number, end: number, options?: ReadOptions): Promise<Uint8Array>
  /** Size and modification time. `FILE_NOT_FOUND` when it does not exist. */
  head(path: string, options?: ReadOptions): Promise<ObjectMeta>
  /** Writes a whole object; see {@link PutOptions.overwrite} for the put-if-absent contract. */
  put(path: string, data: Uint8Array, options?: PutOptions): Promise<void>
  /** Deletes an object. Deleting a missing object is not an error. */
  delete(path: string, options?: ReadOptions): Promise<void>
}
