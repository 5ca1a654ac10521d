/**
 * One place that turns a warehouse URI (a local folder or `s3://bucket/prefix`) into the file store and the
 * Delta table locations under it: `warehouse/lakehouse-dwh/<dataset>/`.
 */
import { resolve } from 'node:path'
import type { Schema } from 'apache-arrow'
import { DeltaTable, isDeltaError, type Storage } from 'delta-ts'
import { arrowSchema, type DatasetDef, type DatasetName } from './datasets.js'
import { type FileStore, joinKey, LocalFileStore } from './store.js'

/** S3 connection settings (endpoint for S3-compatible servers, path-style addressing, credentials). */
export interface S3Settings {
  region?: string
  endpoint?: string
  forcePathStyle?: boolean
  credentials?: { accessKeyId: string; secretAccessKey: string }
}

/** Folder of the Delta tables under the warehouse root. */
export const TABLES_DIR = 'warehouse/lakehouse-dwh'

/** Folder of the quarantine Delta tables (rows dropped by expectations) under the warehouse root. */
export const QUARANTINE_DIR = 'rejected'

/** A warehouse: its file store and its Delta tables. */
export class Warehouse {
  private constructor(
    /** The warehouse URI as given (absolute path for local folders). */
    readonly uri: string,
    /** Store rooted at the warehouse root. */
    readonly store: FileStore,
    private readonly makeStorage: ((key: string) => Promise<Storage>) | undefined,
  ) {}

  /**
   * Opens a warehouse. Local folders need not exist yet. For `s3://` URIs the S3 backend of delta-ts is
   * loaded on demand (`delta-ts/s3`); `s3` settings (or the AWS environment) say where and how to connect.
   * `wrapStore` decorates the file store (instrumentation, fault injection); Delta tables are not affected.
   */
  static async open(
    uri: string,
    options: { s3?: S3Settings; wrapStore?: (store: FileStore) => FileStore } = {},
  ): Promise<Warehouse> {
    const wrap = options.wrapStore ?? ((s: FileStore) => s)
    if (uri.startsWith('s3://')) {
      const { S3Storage } = await import('delta-ts/s3')
      const base = uri.replace(/\/+$/, '')
      const s3 = { forcePathStyle: options.s3?.endpoint ? true : undefined, ...options.s3 }
      const make = async (key: string) => new S3Storage(key ? `${base}/${key}` : base, s3) as unknown as Storage
      return new Warehouse(base, wrap((await make('')) as unknown as FileStore), make)
    }
    const root = resolve(uri.startsWith('file://') ? new URL(uri).pathname : uri)
    return new Warehouse(root, wrap(new LocalFileStore(root)), undefined)
  }

  /** True for S3 warehouses. */
  get isS3(): boolean {
    return this.makeStorage !== undefined
  }

  /** Location of a dataset's Delta table. */
  tableUri(name: DatasetName): string {
    return this.isS3 ? `${this.uri}/${TABLES_DIR}/${name}` : resolve(this.uri, TABLES_DIR, name)
  }

  /** Location of a dataset's quarantine table (`rejected/<dataset>`). */
  quarantineUri(name: DatasetName): string {
    return this.isS3 ? `${this.uri}/${QUARANTINE_DIR}/${name}` : resolve(this.uri, QUARANTINE_DIR, name)
  }

  private async tableOptions(name: DatasetName, dir = TABLES_DIR): Promise<{ storage?: Storage }> {
    return this.makeStorage ? { storage: await this.makeStorage(joinKey(dir, name)) } : {}
  }

  /** Opens a dataset's table, or `undefined` when it does not exist yet (`TABLE_NOT_FOUND`). */
  async openTable(name: DatasetName): Promise<DeltaTable | undefined> {
    return this.openAt(this.tableUri(name), name, TABLES_DIR)
  }

  /** Opens a dataset's quarantine table, or `undefined` when no row of it was ever dropped. */
  async openQuarantine(name: DatasetName): Promise<DeltaTable | undefined> {
    return this.openAt(this.quarantineUri(name), name, QUARANTINE_DIR)
  }

  private async openAt(uri: string, name: DatasetName, dir: string): Promise<DeltaTable | undefined> {
    try {
      return await DeltaTable.open(uri, await this.tableOptions(name, dir))
    } catch (err) {
      if (isDeltaError(err, 'TABLE_NOT_FOUND')) return undefined
      throw err
    }
  }

  /** Opens a dataset's quarantine table, creating it with `schema` when missing (safe when concurrent). */
  async ensureQuarantine(name: DatasetName, schema: Schema): Promise<DeltaTable> {
    const existing = await this.openQuarantine(name)
    if (existing) return existing
    return DeltaTable.create(this.quarantineUri(name), {
      ...(await this.tableOptions(name, QUARANTINE_DIR)),
      schema,
      name: `${name}_rejected`,
      description: `quarantine.${name}: rows of lakehouse_dwh.${name} dropped by expectations (ecommerce-etl)`,
      ifExists: 'ignore',
    })
  }

  /**
   * Opens a dataset's table, creating it with the dataset schema and partitioning when missing. Two
   * concurrent creators are safe: delta-ts commits version 0 by put-if-absent and `ifExists: 'ignore'`
   * opens the winner's table.
   */
  async ensureTable(def: DatasetDef): Promise<DeltaTable> {
    const existing = await this.openTable(def.name)
    if (existing) return existing
    return DeltaTable.create(this.tableUri(def.name), {
      ...(await this.tableOptions(def.name)),
      schema: arrowSchema(def),
      partitionBy: [...def.partitionBy],
      name: def.name,
      description: `lakehouse_dwh.${def.name} (ecommerce-etl)`,
      ifExists: 'ignore',
    })
  }
}
