import { z } from 'zod'
import {
  type ConnectorContext,
  ConnectorError,
  parseConfig,
  type ReadBatch,
  type ReadOptions,
  type SourceRecord,
} from '../define.ts'
import { errorOf, salesforceClient } from './salesforce.client.ts'
import { API_VERSION, type SalesforceSourceConfig } from './salesforce.node.ts'

/**
 * Reading an object through SOQL (`GET /services/data/vXX.X/query?q=...`), oldest change first,
 * page after page through `nextRecordsUrl`.
 * https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_query.htm
 * https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/headers_queryoptions.htm
 *
 * The boundary. SystemModstamp is stamped when a save starts and seen when it commits, so a save
 * can surface after a sync read past its stamp, even sharing the stamp of the last record read
 * (stamps are whole seconds). A new sync therefore asks `WHERE SystemModstamp >= <newest read,
 * less a few minutes>`: what it reads again has the same record key (id and stamp) and is dropped
 * as a replay. Only when the newest stamp read is older than the previous sync's start by more
 * than those minutes can no save be pending at it, and the sync asks `> <newest read>` (an idle
 * org reads nothing twice). The checkpoint after each page holds the newest stamp read and the
 * next page's locator: a sync cut off resumes at that page or, when the locator has expired,
 * queries again `>= <newest read>` — sorted by stamp, everything older was read.
 */

/** How long a save may take between its stamp and its commit: how far back of the newest stamp read a sync may start. */
export const LOOKBACK_MS = 5 * 60_000

const checkpointSchema = z.strictObject({
  /** The newest SystemModstamp read (ISO). */
  since: z.string().nullable(),
  /** The query under way: its next page. */
  next: z.string().nullable(),
  /** When the sync under way began (ISO, Sluice's clock); null between syncs. */
  started: z.string().nullable().default(null),
  /** When the last complete sync began. */
  synced: z.string().nullable().default(null),
})
type Checkpoint = z.infer<typeof checkpointSchema>

const queryAnswer = z.looseObject({
  done: z.boolean(),
  nextRecordsUrl: z.string().optional(),
  records: z.array(z.record(z.string(), z.unknown())),
})

/** Salesforce writes times as `2026-03-01T12:00:00.000+0000`; ISO-8601 wants the colon. */
const isoOf = (stamp: unknown): string | null => {
  if (typeof stamp !== 'string') return null
  const ms = Date.parse(stamp.replace(/([+-]\d\d)(\d\d)$/, '$1:$2'))
  return Number.isNaN(ms) ? null : new Date(ms).toISOString()
}

/** A SOQL dateTime literal, rounded down to the second. */
const literalOf = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z')

/** A record without Salesforce's `attributes` (type and URL), nested relationships included. */
function plain(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(plain)
  if (value === null || typeof value !== 'object') return value
  return Object.fromEntries(
    Object.entries(value)
      .filter(([key]) => key !== 'attributes')
      .map(([key, inner]) => [key, plain(inner)]),
  )
}

/** The field list of the SELECT: Id and SystemModstamp first, each field once (SOQL names are case-insensitive). */
export function selectOf(fields: readonly string[]): string {
  const seen = new Set<string>()
  const names: string[] = []
  for (const name of ['Id', 'SystemModstamp', ...fields]) {
    if (seen.has(name.toLowerCase())) continue
    seen.add(name.toLowerCase())
    names.push(name)
  }
  return names.join(', ')
}

/** What a 400 means for the person who configured the job. */
function explained(error: unknown, object: string): unknown {
  if (!(error instanceof ConnectorError) || error.kind !== 'config') return error
  const problem = errorOf(error.cause)
  const message = problem.message ?? ''
  if (problem.errorCode === 'INVALID_FIELD') {
    const field = /No such column '([^']+)'/.exec(message)?.[1] ?? /'([^']+)'/.exec(message)?.[1]
    return new ConnectorError(
      'config',
      `Salesforce's ${object} has no field ${field ? `"${field}"` : 'of those chosen'} the connected user can read: check its API name in Setup → Object Manager (custom fields end in __c) and the user's field access`,
      { code: 'INVALID_FIELD' },
    )
  }
  if (problem.errorCode === 'MALFORMED_QUERY' || problem.errorCode === 'INVALID_TYPE')
    return new ConnectorError(
      'config',
      `Salesforce could not run the query on ${object} (${problem.errorCode}: ${message.replace(/\s+/g, ' ').trim().slice(0, 200)}): check the fields`,
      { code: problem.errorCode },
    )
  return error
}

/** An import of one object's records, changed since the checkpoint. */
export function readObject(object: 'Contact' | 'Lead', schema: z.ZodType<SalesforceSourceConfig>) {
  return async function* read(
    ctx: ConnectorContext<SalesforceSourceConfig>,
    options: ReadOptions<Checkpoint>,
  ): AsyncGenerator<ReadBatch<Checkpoint>> {
    const config = parseConfig(schema, ctx.config, `Salesforce ${object}`)
    const client = salesforceClient(ctx)
    const stored = checkpointSchema.safeParse(options.checkpoint)
    const checkpoint: Checkpoint =
      stored.success && !options.preview
        ? stored.data
        : { since: null, next: null, started: null, synced: null }
    const pageHeaders = { 'Sforce-Query-Options': `batchSize=${config.batchSize}` }
    const started = checkpoint.started ?? ctx.now().toISOString()
    const query = () => {
      const newest = checkpoint.since ? Date.parse(checkpoint.since) : null
      const settled =
        newest !== null && checkpoint.synced !== null && newest <= Date.parse(checkpoint.synced) - LOOKBACK_MS
      const where =
        newest === null
          ? ''
          : checkpoint.started !== null
            ? `WHERE SystemModstamp >= ${literalOf(newest)}`
            : settled
              ? `WHERE SystemModstamp > ${literalOf(newest)}`
              : `WHERE SystemModstamp >= ${literalOf(newest - LOOKBACK_MS)}`
      const soql = [
        `SELECT ${selectOf(config.fields)} FROM ${object}`,
        where,
        'ORDER BY SystemModstamp ASC, Id ASC',
        options.preview ? `LIMIT ${options.preview.limit}` : '',
      ]
        .filter(Boolean)
        .join(' ')
      return `/services/data/${API_VERSION}/query?${new URLSearchParams({ q: soql })}`
    }
    const fetchPage = async (path: string) => {
      const parsed = queryAnswer.safeParse(await client.get(path, pageHeaders))
      if (!parsed.success)
        throw new ConnectorError('transient', "Salesforce's query answer has no records list")
      return parsed.data
    }
    let since = checkpoint.since
    let page: z.infer<typeof queryAnswer>
    try {
      // Only a locator Salesforce gave is followed, never any other URL a checkpoint might hold.
      const resumable = checkpoint.next?.startsWith(`/services/data/${API_VERSION}/query/`)
      page = await fetchPage(resumable ? checkpoint.next! : query()).catch(async (error: unknown) => {
        // Locators expire (15 minutes unused): query again from the newest stamp read.
        if (
          resumable &&
          error instanceof ConnectorError &&
          errorOf(error.cause).errorCode === 'INVALID_QUERY_LOCATOR'
        )
          return fetchPage(query())
        throw error
      })
    } catch (error) {
      throw explained(error, object)
    }
    for (;;) {
      const records: SourceRecord[] = []
      for (const record of page.records) {
        const id = record.Id
        const stamp = isoOf(record.SystemModstamp)
        if (typeof id !== 'string' || !stamp)
          throw new ConnectorError(
            'transient',
            `Salesforce sent a ${object} without its Id or SystemModstamp`,
          )
        if (!since || stamp > since) since = stamp
        records.push({
          key: `${id}:${stamp}`,
          eventTime: stamp,
          data: plain(record) as Record<string, unknown>,
        })
      }
      const next = page.done ? null : (page.nextRecordsUrl ?? null)
      yield {
        records,
        checkpoint: next
          ? { since, next, started, synced: checkpoint.synced }
          : { since, next: null, started: null, synced: started },
      }
      if (!next || options.preview || ctx.signal.aborted) return
      try {
        page = await fetchPage(next)
      } catch (error) {
        throw explained(error, object)
      }
    }
  }
}
