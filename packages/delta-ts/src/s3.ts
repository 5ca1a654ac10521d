/**
 * `delta-ts/s3`: the S3 storage backend. It lives in its own entry point so that programs that never touch S3
 * never load @aws-sdk/client-s3; `resolveStorage('s3://...')` imports it on demand.
 */
export {
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_IDLE_TIMEOUT_MS,
  DEFAULT_MAX_ATTEMPTS,
  DEFAULT_MULTIPART_THRESHOLD,
  DEFAULT_PART_SIZE,
  DEFAULT_PUT_RETRIES,
  parseS3Uri,
  S3Storage,
  type S3StorageOptions,
  translateS3Error,
} from './storage/s3.js'
