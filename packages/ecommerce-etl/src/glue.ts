/**
 * The AWS Glue Data Catalog as the catalog (what the seed's Glue crawlers maintained): the three tables are
 * registered, or updated, in database `lakehouse_dwh` as native Delta tables, the way the Glue crawler's
 * native Delta support writes them (no manifest: Athena, Redshift Spectrum and Trino read the Delta log at
 * `Location`). The local `catalog.json` stays the default; this runs with `--catalog glue`.
 */
import type { GlueClient, Column as GlueColumn, TableInput } from '@aws-sdk/client-glue'
import type { DeltaTable } from 'delta-ts'
import { DATASETS, type DatasetName } from './datasets.js'
import type { Warehouse } from './warehouse.js'

/** Where the Glue Data Catalog is (the AWS environment fills what is left out). */
export interface GlueSettings {
  region?: string
  /** An endpoint for Glue-compatible servers (moto in tests). */
  endpoint?: string
  credentials?: { accessKeyId: string; secretAccessKey: string }
  /** Database name (default `lakehouse_dwh`). */
  database?: string
  /** Database of the quarantine tables (default `quarantine`, so they are `quarantine.<dataset>` as in SQL). */
  quarantineDatabase?: string
}

/** What {@link registerInGlue} did for one table. */
export interface GlueRegistration {
  table: DatasetName
  /** A warehouse table, or a dataset's quarantine table (`rejected/<dataset>`). */
  kind: 'table' | 'quarantine'
  database: string
  action: 'created' | 'updated'
  location: string
  version: number
}

/** A Delta schema field (the parts the type mapping reads). */
interface DeltaField {
  name: string
  type: string | { type: string; [k: string]: unknown }
  nullable?: boolean
}

/** The Hive / Glue type string of a Delta type (what Athena's DDL and the crawler use). */
export function glueType(type: DeltaField['type']): string {
  if (typeof type === 'string') {
    const primitive: Record<string, string> = {
      long: 'bigint',
      integer: 'int',
      short: 'smallint',
      byte: 'tinyint',
      float: 'float',
      double: 'double',
      boolean: 'boolean',
      string: 'string',
      binary: 'binary',
      date: 'date',
      timestamp: 'timestamp',
      timestamp_ntz: 'timestamp',
    }
    if (primitive[type]) return primitive[type]
    const decimal = /^decimal\((\d+),\s*(\d+)\)$/.exec(type)
    if (decimal) return `decimal(${decimal[1]},${decimal[2]})`
    throw new Error(`Delta type ${type} has no Glue equivalent`)
  }
  const t = type as {
    type: string
    fields?: DeltaField[]
    elementType?: DeltaField['type']
    keyType?: DeltaField['type']
    valueType?: DeltaField['type']
  }
  if (t.type === 'struct') return `struct<${(t.fields ?? []).map((f) => `${f.name}:${glueType(f.type)}`).join(',')}>`
  if (t.type === 'array') return `array<${glueType(t.elementType as DeltaField['type'])}>`
  if (t.type === 'map')
    return `map<${glueType(t.keyType as DeltaField['type'])},${glueType(t.valueType as DeltaField['type'])}>`
  throw new Error(`Delta type ${JSON.stringify(type)} has no Glue equivalent`)
}

/** The Glue TableInput of a Delta table: columns, partition keys, location and the native-Delta parameters. */
export function glueTableInput(
  name: string,
  location: string,
  schema: { fields: readonly DeltaField[] },
  partitionColumns: readonly string[],
  version: number,
): TableInput {
  const column = (f: DeltaField): GlueColumn => ({ Name: f.name, Type: glueType(f.type) })
  const partitions = new Set(partitionColumns)
  return {
    Name: name,
    TableType: 'EXTERNAL_TABLE',
    Parameters: {
      EXTERNAL: 'TRUE',
      classification: 'delta',
      table_type: 'DELTA',
      'spark.sql.sources.provider': 'delta',
      // Which version this registration saw (the catalog does not pin readers to it: they read the log).
      'delta_ts.version': String(version),
    },
    PartitionKeys: partitionColumns.map((p) => column(schema.fields.find((f) => f.name === p) as DeltaField)),
    StorageDescriptor: {
      Columns: schema.fields.filter((f) => !partitions.has(f.name)).map(column),
      Location: location,
      InputFormat: 'org.apache.hadoop.mapred.SequenceFileInputFormat',
      OutputFormat: 'org.apache.hadoop.hive.ql.io.HiveSequenceFileOutputFormat',
      SerdeInfo: {
        SerializationLibrary: 'org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe',
        Parameters: { 'serialization.format': '1', path: location },
      },
    },
  }
}

const errorName = (err: unknown) => (err as { name?: string }).name

/**
 * Creates the database when missing and registers every existing dataset table in it (creating the Glue
 * table, or updating it when it exists), then the quarantine tables that exist in `quarantineDatabase`
 * (default `quarantine`), so Athena finds them as `quarantine.<dataset>` like the SQL of `ecommerce-etl
 * query`. Concurrent registrations are safe: an AlreadyExists race turns into an update. Errors from Glue
 * (access, endpoint) propagate with the AWS SDK's message.
 */
export async function registerInGlue(warehouse: Warehouse, settings: GlueSettings = {}): Promise<GlueRegistration[]> {
  const glue = await import('@aws-sdk/client-glue')
  const client: GlueClient = new glue.GlueClient({
    region: settings.region ?? process.env.AWS_REGION ?? 'us-east-1',
    ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
    ...(settings.credentials ? { credentials: settings.credentials } : {}),
  })
  const ensureDatabase = async (name: string, description: string) => {
    try {
      await client.send(new glue.GetDatabaseCommand({ Name: name }))
    } catch (err) {
      if (errorName(err) !== 'EntityNotFoundException') throw err
      try {
        await client.send(new glue.CreateDatabaseCommand({ DatabaseInput: { Name: name, Description: description } }))
      } catch (e) {
        if (errorName(e) !== 'AlreadyExistsException') throw e
      }
    }
  }
  const register = async (
    database: string,
    name: DatasetName,
    kind: GlueRegistration['kind'],
    table: DeltaTable,
    location: string,
  ): Promise<GlueRegistration> => {
    const snap = await table.snapshot()
    const input = glueTableInput(
      name,
      warehouse.isS3 ? location : `file://${location}`,
      snap.schema as unknown as { fields: DeltaField[] },
      snap.partitionColumns,
      snap.version,
    )
    let action: GlueRegistration['action'] = 'created'
    try {
      await client.send(new glue.CreateTableCommand({ DatabaseName: database, TableInput: input }))
    } catch (err) {
      if (errorName(err) !== 'AlreadyExistsException') throw err
      await client.send(new glue.UpdateTableCommand({ DatabaseName: database, TableInput: input }))
      action = 'updated'
    }
    return {
      table: name,
      kind,
      database,
      action,
      location: input.StorageDescriptor?.Location ?? location,
      version: snap.version,
    }
  }
  const database = settings.database ?? 'lakehouse_dwh'
  const quarantineDb = settings.quarantineDatabase ?? 'quarantine'
  try {
    await ensureDatabase(database, 'ecommerce-etl lakehouse (Delta tables written by delta-ts)')
    const out: GlueRegistration[] = []
    for (const name of DATASETS) {
      const table = await warehouse.openTable(name)
      if (table) out.push(await register(database, name, 'table', table, warehouse.tableUri(name)))
    }
    for (const name of DATASETS) {
      const table = await warehouse.openQuarantine(name)
      if (!table) continue // nothing was ever dropped from this dataset
      await ensureDatabase(quarantineDb, 'ecommerce-etl quarantine: rows dropped by expectations (Delta tables)')
      out.push(await register(quarantineDb, name, 'quarantine', table, warehouse.quarantineUri(name)))
    }
    return out
  } finally {
    client.destroy()
  }
}
