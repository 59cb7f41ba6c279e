import { z } from 'zod'
import {
  type ConnectorContext,
  ConnectorError,
  parseConfig,
  type ReadBatch,
  type ReadOptions,
  type SourceRecord,
} from '../define.ts'
import { type HubSpotClient, hubspotClient } from './hubspot.client.ts'
import { type ContactsConfig, contactsConfig } from './hubspot.node.ts'

/**
 * Reading contacts. The first sync lists every contact (`GET /crm/v3/objects/contacts`, paged by
 * its `after` cursor, which follows object ids and so survives a stop between runs); later syncs
 * search for the contacts changed since (`POST /crm/v3/objects/contacts/search`).
 * https://developers.hubspot.com/docs/guides/api/crm/objects/contacts
 * https://developers.hubspot.com/docs/api/crm/search
 *
 * A search answers at most 10,000 results however it is paged, takes one sort, and pages by
 * offset, which skips a contact whenever one read before it changes meanwhile (it moves to the
 * end). So no search here pages: each page is a new search from the last modification time read
 * (GTE, sorted ascending), and the checkpoint after each page is that time. Contacts sharing
 * that instant are read again and dropped as replays (their record key is id and modification
 * time). A full page of one instant (a bulk import) cannot move the bound; those contacts are
 * then walked by id (EQ that instant, hs_object_id GT the last id, sorted by id) before going on
 * after it.
 *
 * Search results lag changes by up to a minute, so a contact changed just before a sync may
 * surface after it read past that instant. A new sync therefore starts a few minutes before the
 * newest change read, unless that change is older than the previous sync's start by more than
 * that: then everything up to it was searchable before that sync, which read it all, and the new
 * one starts just after it (an idle account reads nothing twice).
 */

/** Contacts per list page and per search: each endpoint's documented maximum. */
export const LIST_LIMIT = 100
export const SEARCH_LIMIT = 200
/** Search results can lag a change by up to a minute: how far back of the newest change read a sync may start. */
export const LOOKBACK_MS = 5 * 60_000
/** Always read, for the incremental bound and the record key. */
const MODIFIED = 'lastmodifieddate'

const checkpointSchema = z.strictObject({
  /** A full listing under way: the next page's cursor, and when the listing began. */
  full: z.strictObject({ after: z.string(), startedAt: z.string() }).nullable(),
  /** Every change before this instant (ms) has been read. */
  since: z.number().nullable(),
  /** Walking the contacts of one instant by id. */
  tie: z.strictObject({ at: z.number(), afterId: z.string() }).nullable(),
  /** When the search sync under way began (ms, Sluice's clock); null between syncs. */
  started: z.number().nullable().default(null),
  /** When the last complete sync began. */
  synced: z.number().nullable().default(null),
})
type Checkpoint = z.infer<typeof checkpointSchema>

const contact = z.looseObject({
  id: z.string(),
  properties: z.record(z.string(), z.unknown()).default({}),
  updatedAt: z.string().optional(),
})
const page = z.looseObject({
  results: z.array(contact),
  paging: z.looseObject({ next: z.looseObject({ after: z.string() }).optional() }).optional(),
})
type Contact = z.infer<typeof contact>

function pageOf(body: unknown, what: string) {
  const parsed = page.safeParse(body)
  if (parsed.success) return parsed.data
  throw new ConnectorError('transient', `HubSpot's ${what} answer has no list of results`)
}

/** When a contact last changed (ms), from the property the search filters on. */
function modifiedOf(item: Contact): number {
  const value = item.properties[MODIFIED] ?? item.updatedAt
  const ms =
    typeof value === 'string' ? (/^\d+$/.test(value) ? Number(value) : Date.parse(value)) : Number.NaN
  if (Number.isNaN(ms))
    throw new ConnectorError('transient', `HubSpot sent contact ${item.id} without its ${MODIFIED}`)
  return ms
}

function recordOf(item: Contact): SourceRecord {
  const modified = modifiedOf(item)
  return {
    key: `${item.id}:${modified}`,
    eventTime: new Date(modified).toISOString(),
    data: { id: item.id, ...item.properties },
  }
}

const propertiesOf = (config: ContactsConfig) => [...new Set([...config.properties, MODIFIED])]

const search = (client: HubSpotClient, config: ContactsConfig, request: Record<string, unknown>) =>
  client
    .call('POST', '/crm/v3/objects/contacts/search', {
      ...request,
      properties: propertiesOf(config),
      limit: SEARCH_LIMIT,
    })
    .then((answer) => pageOf(answer.body, 'search'))

/** Changed since `lower` (ms), oldest first. */
const changedSince = (client: HubSpotClient, config: ContactsConfig, lower: number) =>
  search(client, config, {
    filterGroups: [{ filters: [{ propertyName: MODIFIED, operator: 'GTE', value: String(lower) }] }],
    sorts: [{ propertyName: MODIFIED, direction: 'ASCENDING' }],
  })

/** Changed at exactly `at`, by id after `afterId`. */
const changedAt = (client: HubSpotClient, config: ContactsConfig, at: number, afterId: string) =>
  search(client, config, {
    filterGroups: [
      {
        filters: [
          { propertyName: MODIFIED, operator: 'EQ', value: String(at) },
          { propertyName: 'hs_object_id', operator: 'GT', value: afterId },
        ],
      },
    ],
    sorts: [{ propertyName: 'hs_object_id', direction: 'ASCENDING' }],
  })

async function* listAll(
  ctx: ConnectorContext<ContactsConfig>,
  client: HubSpotClient,
  config: ContactsConfig,
  full: NonNullable<Checkpoint['full']> | null,
  preview: boolean,
): AsyncGenerator<ReadBatch<Checkpoint>> {
  // Contacts changed while the listing runs may be on pages already read: the searches after it
  // start from when it began.
  const startedAt = full?.startedAt ?? ctx.now().toISOString()
  let after = full?.after ?? null
  for (;;) {
    if (ctx.signal.aborted) return
    const query = new URLSearchParams({
      limit: String(LIST_LIMIT),
      properties: propertiesOf(config).join(','),
      archived: 'false',
      ...(after ? { after } : {}),
    })
    const { body } = await client.call('GET', `/crm/v3/objects/contacts?${query}`)
    const listed = pageOf(body, 'contacts list')
    after = listed.paging?.next?.after ?? null
    const began = Date.parse(startedAt)
    yield {
      records: listed.results.map(recordOf),
      checkpoint: after
        ? { full: { after, startedAt }, since: null, tie: null, started: null, synced: null }
        : { full: null, since: began, tie: null, started: null, synced: began },
    }
    if (!after || preview) return
  }
}

async function* changes(
  ctx: ConnectorContext<ContactsConfig>,
  client: HubSpotClient,
  config: ContactsConfig,
  checkpoint: Checkpoint & { since: number },
): AsyncGenerator<ReadBatch<Checkpoint>> {
  let { since, tie } = checkpoint
  const { synced } = checkpoint
  // A sync cut off goes on from the last change it read; a new one starts as the comment above says.
  const started = checkpoint.started ?? ctx.now().getTime()
  let lower =
    checkpoint.started !== null
      ? since
      : synced !== null && since <= synced - LOOKBACK_MS
        ? since + 1
        : since - LOOKBACK_MS
  const at = (next: Checkpoint['tie']): Checkpoint => ({ full: null, since, tie: next, started, synced })
  for (;;) {
    if (ctx.signal.aborted) return
    if (tie) {
      const found = await changedAt(client, config, tie.at, tie.afterId)
      const last = found.results.at(-1)
      since = Math.max(since, tie.at)
      lower = tie.at + 1
      tie = found.results.length >= SEARCH_LIMIT && last ? { at: tie.at, afterId: last.id } : null
      yield { records: found.results.map(recordOf), checkpoint: at(tie) }
      continue
    }
    const found = await changedSince(client, config, lower)
    const [first, last] = [found.results[0], found.results.at(-1)]
    if (last) since = Math.max(since, modifiedOf(last))
    const full = found.results.length >= SEARCH_LIMIT && first && last
    if (!full) {
      yield {
        records: found.results.map(recordOf),
        checkpoint: { ...at(null), started: null, synced: started },
      }
      return
    }
    const newest = modifiedOf(last)
    // A page all of one instant cannot move the bound: walk that instant by id from the start.
    if (modifiedOf(first) === newest) tie = { at: newest, afterId: '0' }
    else if (newest > lower) lower = newest
    // Only a search that ignored its filter could get here; going on would ask the same forever.
    else throw new ConnectorError('transient', `HubSpot's search answered contacts changed before ${lower}`)
    yield { records: found.results.map(recordOf), checkpoint: at(tie) }
  }
}

export async function* readContacts(
  ctx: ConnectorContext<ContactsConfig>,
  options: ReadOptions<Checkpoint>,
): AsyncGenerator<ReadBatch<Checkpoint>> {
  const config = parseConfig(contactsConfig, ctx.config, 'HubSpot contacts')
  const client = hubspotClient(ctx)
  const stored = checkpointSchema.safeParse(options.checkpoint)
  const checkpoint: Checkpoint = stored.success
    ? stored.data
    : { full: null, since: null, tie: null, started: null, synced: null }
  if (options.preview || checkpoint.since === null) {
    for await (const batch of listAll(ctx, client, config, checkpoint.full, Boolean(options.preview))) {
      yield options.preview ? { ...batch, records: batch.records.slice(0, options.preview.limit) } : batch
    }
    return
  }
  yield* changes(ctx, client, config, { ...checkpoint, since: checkpoint.since })
}
