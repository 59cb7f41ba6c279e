import { createHash } from 'node:crypto'
import type pg from 'pg'
import { z } from 'zod'
import { type ConnectorContext, ConnectorError, type ExportBatch, type WriteAck } from '../define.ts'
import { classify, connect, quoteName } from './postgres.client.ts'
import { type PostgresDestinationConfig, postgresDestinationConfig } from './postgres.node.ts'

/**
 * Writes profiles to a table Sluice creates and keeps in shape: a column per field, typed by the
 * first values seen and widened to text when a later value does not fit. One transaction per
 * batch; its acknowledgement follows the commit, so a retried batch is an idempotent upsert.
 */

/** Columns Sluice owns; a field of the same name is written as `field_<name>`. */
const OWN = ['id', 'sluice_updated_at', 'sluice_removed_at', 'seq', 'op', 'fields', 'sluice_delivered_at']

type ColumnType = 'boolean' | 'numeric' | 'timestamptz' | 'jsonb' | 'text'

const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/

function typeOf(value: unknown): ColumnType {
  if (typeof value === 'boolean') return 'boolean'
  if (typeof value === 'number') return 'numeric'
  if (typeof value === 'string')
    return ISO_TIME.test(value) && Number.isFinite(Date.parse(value)) ? 'timestamptz' : 'text'
  return value !== null && typeof value === 'object' ? 'jsonb' : 'text'
}

/** Whether a column of `type` takes `value` as it is. */
function fits(type: ColumnType, value: unknown): boolean {
  if (value === null || value === undefined || type === 'text' || type === 'jsonb') return true
  if (type === 'numeric') return typeof value === 'number' && Number.isFinite(value)
  return typeOf(value) === type
}

/** A field's column name: PostgreSQL cuts names at 63 bytes, so long ones end in a hash instead. */
export function columnFor(field: string): string {
  const name = OWN.includes(field) || field === '' ? `field_${field}` : field
  if (Buffer.byteLength(name) <= 63) return name
  const hash = createHash('sha256').update(name).digest('hex').slice(0, 8)
  let cut = name
  while (Buffer.byteLength(cut) > 54) cut = cut.slice(0, -1)
  return `${cut}_${hash}`
}

export function parseDestinationConfig(config: unknown): PostgresDestinationConfig {
  const parsed = postgresDestinationConfig.safeParse(config ?? {})
  if (parsed.success) return parsed.data
  throw new ConnectorError(
    'config',
    `invalid PostgreSQL destination config: ${z.prettifyError(parsed.error)}`,
  )
}

const DATA_TYPES: Record<string, ColumnType> = {
  boolean: 'boolean',
  numeric: 'numeric',
  'timestamp with time zone': 'timestamptz',
  jsonb: 'jsonb',
}

/** The table's columns and types, or null when it does not exist. */
async function columnsOf(client: pg.Client, table: string): Promise<Map<string, ColumnType> | null> {
  // pg_attribute, not information_schema: the latter hides tables the user has no privilege on.
  const result = await client.query<{ column_name: string; data_type: string }>(
    `SELECT attname AS column_name, format_type(atttypid, atttypmod) AS data_type FROM pg_attribute
      WHERE attrelid = to_regclass($1) AND attnum > 0 AND NOT attisdropped`,
    [quoteName(table)],
  )
  if (result.rows.length === 0) return null
  return new Map(result.rows.map((row) => [row.column_name, DATA_TYPES[row.data_type] ?? 'text']))
}

async function ensureTable(client: pg.Client, config: PostgresDestinationConfig) {
  const table = quoteName(config.table)
  if (config.mode === 'append')
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${table} (seq bigserial PRIMARY KEY, op text NOT NULL, id text NOT NULL,
         fields jsonb, sluice_delivered_at timestamptz NOT NULL)`,
    )
  else
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${table} (id text PRIMARY KEY, sluice_updated_at timestamptz NOT NULL,
         sluice_removed_at timestamptz)`,
    )
  const columns = await columnsOf(client, config.table)
  const needed = config.mode === 'append' ? ['op', 'id', 'fields'] : ['id', 'sluice_updated_at']
  const missing = needed.filter((column) => !columns?.has(column))
  if (!columns || missing.length > 0)
    throw new ConnectorError(
      'config',
      `table ${config.table} exists but is not one Sluice writes (${config.mode}): it has no ${missing.join(', ')} column; name a new table`,
    )
  if (config.mode === 'upsert' && config.removals === 'flag' && !columns.has('sluice_removed_at')) {
    await client.query(`ALTER TABLE ${table} ADD COLUMN IF NOT EXISTS sluice_removed_at timestamptz`)
    columns.set('sluice_removed_at', 'timestamptz')
  }
  return columns
}

/** Adds the batch's new fields as columns and widens any that a value does not fit. */
async function shape(
  client: pg.Client,
  config: PostgresDestinationConfig,
  columns: Map<string, ColumnType>,
  rows: { id: string; fields: Record<string, unknown> }[],
) {
  const table = quoteName(config.table)
  for (const { fields } of rows)
    for (const [field, value] of Object.entries(fields)) {
      if (value === undefined) continue
      const column = columnFor(field)
      const type = columns.get(column)
      if (type === undefined) {
        const chosen = value === null ? 'text' : typeOf(value)
        await client.query(`ALTER TABLE ${table} ADD COLUMN IF NOT EXISTS ${quoteName(column)} ${chosen}`)
        columns.set(column, chosen)
      } else if (!fits(type, value)) {
        await client.query(
          `ALTER TABLE ${table} ALTER COLUMN ${quoteName(column)} TYPE text USING ${quoteName(column)}::text`,
        )
        columns.set(column, 'text')
      }
    }
}

async function upsert(
  client: pg.Client,
  config: PostgresDestinationConfig,
  columns: Map<string, ColumnType>,
  batch: ExportBatch,
  now: Date,
) {
  const table = quoteName(config.table)
  // One row per id (the last wins): ON CONFLICT cannot update a row twice in one statement.
  const byId = new Map(batch.upserts.map((row) => [row.id, row.fields]))
  if (byId.size > 0) {
    const rows = [...byId].map(([id, fields]) => ({ id, fields }))
    await shape(client, config, columns, rows)
    const written = new Set<string>()
    const json = rows.map(({ id, fields }) => {
      const row: Record<string, unknown> = { id }
      for (const [field, value] of Object.entries(fields)) {
        if (value === undefined) continue
        const column = columnFor(field)
        written.add(column)
        row[column] = value
      }
      return row
    })
    const names = [...written]
    const definition = ['id text', ...names.map((name) => `${quoteName(name)} ${columns.get(name)}`)]
    const targets = ['id', ...names.map(quoteName), 'sluice_updated_at']
    const sets = [...names.map(quoteName), 'sluice_updated_at']
      .map((name) => `${name} = EXCLUDED.${name}`)
      .concat(columns.has('sluice_removed_at') ? ['sluice_removed_at = NULL'] : [])
    await client.query(
      `INSERT INTO ${table} (${targets.join(', ')})
       SELECT r.id, ${names.map((name) => `r.${quoteName(name)}`).join(', ')}${names.length ? ', ' : ''}$2::timestamptz
         FROM jsonb_to_recordset($1::jsonb) AS r(${definition.join(', ')})
       ON CONFLICT (id) DO UPDATE SET ${sets.join(', ')}`,
      [JSON.stringify(json), now.toISOString()],
    )
  }
  const removed = batch.removes.map((row) => row.id)
  if (removed.length === 0) return
  if (config.removals === 'flag')
    await client.query(`UPDATE ${table} SET sluice_removed_at = $2 WHERE id = ANY($1::text[])`, [
      removed,
      now.toISOString(),
    ])
  else await client.query(`DELETE FROM ${table} WHERE id = ANY($1::text[])`, [removed])
}

async function append(client: pg.Client, config: PostgresDestinationConfig, batch: ExportBatch, now: Date) {
  const rows = [
    ...batch.upserts.map((row) => ({ op: 'upsert', id: row.id, fields: row.fields })),
    ...batch.removes.map((row) => ({ op: 'remove', id: row.id, fields: null })),
  ]
  if (rows.length === 0) return
  await client.query(
    `INSERT INTO ${quoteName(config.table)} (op, id, fields, sluice_delivered_at)
     SELECT r.op, r.id, r.fields, $2::timestamptz FROM jsonb_to_recordset($1::jsonb) AS r(op text, id text, fields jsonb)`,
    [JSON.stringify(rows), now.toISOString()],
  )
}

export async function* writeTable(
  ctx: ConnectorContext<PostgresDestinationConfig>,
  batches: AsyncIterable<ExportBatch>,
): AsyncGenerator<WriteAck> {
  const config = parseDestinationConfig(ctx.config)
  if (ctx.signal.aborted) return
  const { client, where } = await connect(ctx)
  const subject = `table ${config.table}`
  const inTransaction = async <T>(work: () => Promise<T>): Promise<T> => {
    try {
      await client.query('BEGIN')
      // Jobs writing one table take turns, so two never add the same column at once.
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`sluice:${config.table}`])
      const result = await work()
      await client.query('COMMIT')
      return result
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {})
      throw ctx.signal.aborted ? new ConnectorError('transient', 'stopped') : classify(error, where, subject)
    }
  }
  try {
    const columns = await inTransaction(() => ensureTable(client, config))
    for await (const batch of batches) {
      if (ctx.signal.aborted) return
      await inTransaction(() =>
        config.mode === 'append'
          ? append(client, config, batch, ctx.now())
          : upsert(client, config, columns, batch, ctx.now()),
      )
      yield {
        delivered: batch.upserts.map((row) => row.id),
        removed: batch.removes.map((row) => row.id),
        rejected: [],
      }
    }
  } finally {
    await client.end()
  }
}

/** Whether the user may create (or write) the destination table. */
export async function destinationProblem(client: pg.Client, config: PostgresDestinationConfig) {
  const columns = await columnsOf(client, config.table)
  const [schema] = config.table.includes('.') ? config.table.split('.') : [null]
  const privilege = columns
    ? await client.query<{ ok: boolean }>(`SELECT has_table_privilege($1, 'INSERT, UPDATE, DELETE') AS ok`, [
        quoteName(config.table),
      ])
    : await client.query<{ ok: boolean | null }>(
        `SELECT has_schema_privilege(COALESCE($1, current_schema()), 'CREATE') AS ok`,
        [schema],
      )
  if (privilege.rows[0]?.ok === true) return null
  return columns
    ? `the user may not insert, update and delete in table ${config.table}`
    : `the user may not create tables in schema ${schema ?? 'public (the current schema)'}`
}
