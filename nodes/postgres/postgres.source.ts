import { createHash } from 'node:crypto'
import type pg from 'pg'
import { z } from 'zod'
import {
  type ConnectorContext,
  ConnectorError,
  type ReadBatch,
  type ReadOptions,
  type SourceRecord,
} from '../define.ts'
import { parseDuration } from '../duration.ts'
import { classify, connect, quoteName } from './postgres.client.ts'
import { type PostgresSourceConfig, postgresSourceConfig } from './postgres.node.ts'

/**
 * Where a sync stands. `high` is the cursor a finished sync reached (as PostgreSQL prints it);
 * `at` is the last row committed by the sync in progress, as `(cursor, primary key)`, so a sync
 * cut off — by a crash, a pause, a lost lease — resumes right after it. `kind` says how to step
 * back from `high` by the look-back window.
 */
const checkpointSchema = z.strictObject({
  high: z.string().nullable(),
  kind: z.enum(['time', 'date', 'number', 'text']).nullable(),
  at: z.strictObject({ cursor: z.string().nullable(), key: z.array(z.string()) }).nullable(),
})
type Checkpoint = z.infer<typeof checkpointSchema>
type CursorKind = NonNullable<Checkpoint['kind']>

const CURSOR = '__sluice_cursor'
const KEY = (n: number) => `__sluice_key${n}`
const HIDDEN = /^__sluice_(cursor|key\d+)$/

const TIME_TYPES = new Set([1114, 1184])
const NUMBER_TYPES = new Set([20, 21, 23, 700, 701, 1700])

function kindOf(oid: number | undefined): CursorKind {
  if (oid !== undefined && TIME_TYPES.has(oid)) return 'time'
  if (oid === 1082) return 'date'
  if (oid !== undefined && NUMBER_TYPES.has(oid)) return 'number'
  return 'text'
}

/** PostgreSQL's text of a time (session in UTC) as epoch milliseconds. */
function timeOf(text: string): number {
  let iso = text.replace(' ', 'T')
  if (/^\d{4}-\d{2}-\d{2}$/.test(iso)) iso += 'T00:00:00'
  if (iso.endsWith('+00')) iso = iso.slice(0, -3)
  return Date.parse(`${iso}Z`)
}

/**
 * Where a new sync starts: the last one's high mark stepped back by the look-back window, so rows
 * committed late with an older cursor are read; rows read before are dropped as replays.
 */
export function lowerBound(high: string, kind: CursorKind, lookBack: string): string {
  const duration = parseDuration(lookBack)
  if ((kind === 'time' || kind === 'date') && duration !== null) {
    const at = timeOf(high)
    if (!Number.isFinite(at)) return high
    const iso = new Date(at - duration).toISOString()
    return kind === 'date' ? iso.slice(0, 10) : iso
  }
  if (kind === 'number' && duration === null && /^\d+(\.\d+)?$/.test(lookBack)) {
    const value = Number(high) - Number(lookBack)
    return Number.isFinite(value) ? String(value) : high
  }
  return high
}

export function parseSourceConfig(config: unknown): PostgresSourceConfig {
  const parsed = postgresSourceConfig.safeParse(config ?? {})
  if (parsed.success) return parsed.data
  throw new ConnectorError('config', `invalid PostgreSQL source config: ${z.prettifyError(parsed.error)}`)
}

/** The SELECT one sync runs, from the checkpoint, ordered by (cursor, primary key). */
export function selectFor(
  config: PostgresSourceConfig,
  checkpoint: Checkpoint,
): { text: string; values: string[] } {
  const from = config.table ? quoteName(config.table) : `(${config.query!.replace(/;\s*$/, '')})`
  const cursor = config.sync === 'incremental' ? `q.${quoteName(config.cursorColumn!)}` : null
  const keys = config.primaryKey.map((column) => `q.${quoteName(column)}`)
  const order = cursor ? [cursor, ...keys] : keys
  const extra = [
    ...(cursor ? [`${cursor}::text AS "${CURSOR}"`] : []),
    ...keys.map((key, n) => `${key}::text AS "${KEY(n)}"`),
  ]
  const where: string[] = cursor ? [`${cursor} IS NOT NULL`] : []
  const values: string[] = []
  const param = (value: string) => {
    values.push(value)
    return `$${values.length}`
  }
  const at = checkpoint.at
  if (at && (!cursor || at.cursor !== null)) {
    const position = [...(cursor ? [at.cursor!] : []), ...at.key].map(param)
    where.push(`(${order.join(', ')}) > (${position.join(', ')})`)
  } else if (cursor && checkpoint.high !== null && checkpoint.kind) {
    where.push(`${cursor} >= ${param(lowerBound(checkpoint.high, checkpoint.kind, config.lookBack))}`)
  }
  const text = `SELECT q.*, ${extra.join(', ')} FROM ${from} AS q${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY ${order.join(', ')}`
  return { text, values }
}

function eventTimeOf(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined
  const zoned = /[zZ]|[+-]\d{2}(:?\d{2})?$/.test(value) || !value.includes('T') ? value : `${value}Z`
  const ms = Date.parse(zoned)
  return Number.isFinite(ms) ? new Date(ms).toISOString() : undefined
}

function recordOf(config: PostgresSourceConfig, row: Record<string, unknown>): SourceRecord {
  const data: Record<string, unknown> = {}
  for (const [column, value] of Object.entries(row)) if (!HIDDEN.test(column)) data[column] = value
  const key = config.primaryKey.map((_, n) => String(row[KEY(n)])).join('/')
  // The same row unchanged is a replay (a look-back, a resumed sync); changed, it is news.
  const digest = createHash('sha256').update(JSON.stringify(data)).digest('base64url').slice(0, 16)
  const eventTime = config.eventTimeColumn ? eventTimeOf(data[config.eventTimeColumn]) : undefined
  return { key: `${key}:${digest}`, data, ...(eventTime ? { eventTime } : {}) }
}

/**
 * Reads through one server-side cursor in a read-only transaction, `batchSize` rows per batch, so
 * a table of any size streams. Each batch carries the checkpoint of its last row.
 */
export async function* readRows(
  ctx: ConnectorContext<PostgresSourceConfig>,
  options: ReadOptions<Checkpoint>,
): AsyncGenerator<ReadBatch<Checkpoint>> {
  const config = parseSourceConfig(ctx.config)
  const stored = checkpointSchema.safeParse(options.checkpoint)
  const checkpoint: Checkpoint = stored.success ? stored.data : { high: null, kind: null, at: null }
  const subject = config.table ? `table ${config.table}` : 'the query'
  const { client, where } = await connect(ctx)
  const run = async (text: string, values: unknown[] = []): Promise<pg.QueryResult> => {
    try {
      return await client.query(text, values)
    } catch (error) {
      throw ctx.signal.aborted ? new ConnectorError('transient', 'stopped') : classify(error, where, subject)
    }
  }
  try {
    const select = selectFor(config, checkpoint)
    await run('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY')
    await run(`DECLARE sluice_rows NO SCROLL CURSOR FOR ${select.text}`, select.values)
    const size = options.preview ? options.preview.limit : config.batchSize
    let kind = checkpoint.kind
    let last: Checkpoint['at'] = checkpoint.at
    for (;;) {
      if (ctx.signal.aborted) return
      const result = await run(`FETCH ${size} FROM sluice_rows`)
      if (config.sync === 'incremental' && result.rows.length > 0 && kind === null)
        kind = kindOf(result.fields.find((field) => field.name === config.cursorColumn)?.dataTypeID)
      const records = result.rows.map((row) => recordOf(config, row))
      const tail = result.rows.at(-1)
      if (tail)
        last = {
          cursor: config.sync === 'incremental' ? String(tail[CURSOR]) : null,
          key: config.primaryKey.map((_, n) => String(tail[KEY(n)])),
        }
      const finished = result.rows.length < size
      if (options.preview) {
        yield { records, checkpoint }
        return
      }
      const high = config.sync === 'incremental' ? (last?.cursor ?? checkpoint.high) : null
      yield {
        records,
        checkpoint: finished ? { high, kind, at: null } : { high: checkpoint.high, kind, at: last },
      }
      if (finished) return
    }
  } finally {
    await client.end()
  }
}
