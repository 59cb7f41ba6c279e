import { z } from 'zod'
import {
  type ConnectorContext,
  ConnectorError,
  parseConfig,
  type ReadBatch,
  type ReadOptions,
  type SourceRecord,
} from '../define.ts'
import { call, type Session, sessionOf } from './mailchimp.client.ts'
import { type MembersConfig, membersConfig } from './mailchimp.node.ts'

/**
 * The `members` import: GET /lists/{list_id}/members, paged with `offset` and `count`, only members
 * changed since the last sync (`since_last_changed`).
 * https://mailchimp.com/developer/marketing/api/list-members/list-members-info/
 *
 * Why newest first, and why pages overlap: offset paging over a list that changes while we read
 * it shifts what each offset points at. Sorted by `last_changed` ascending, a member changed
 * mid-sync jumps to the end and every member after its old place moves one offset earlier, so
 * the member at the next page's edge is skipped — and, unchanged, no later sync asks for it
 * again. Sorted descending, a changed or new member jumps to the front instead: later members
 * move one offset *later*, so the shift only re-reads (replays are dropped by record key), and the
 * changed member itself is newer than this sync's newest (`top`, read on its first page), which
 * is where the next sync starts. The same holds for a sync cut off and resumed hours later from
 * its checkpoint. What still shifts members earlier is one leaving the list (archived or
 * deleted): each page overlaps the previous one by OVERLAP members, so up to that many
 * departures between two pages lose no one, for 2% more reading.
 */

/** The largest `count` Mailchimp takes. */
export const PAGE_SIZE = 1000
export const OVERLAP = 20

const checkpointSchema = z.strictObject({
  /** Newest `last_changed` of the last finished sync; null before the first. */
  since: z.string().nullable(),
  /** The sync under way: the next offset and the newest `last_changed` it saw. */
  next: z.strictObject({ offset: z.int().min(0), top: z.string().nullable() }).nullable(),
})
export type MembersCheckpoint = z.infer<typeof checkpointSchema>

const memberSchema = z.looseObject({
  id: z.string().min(1),
  email_address: z.string().min(1),
  last_changed: z.string().min(1),
  status: z.string().optional(),
  merge_fields: z.record(z.string(), z.unknown()).optional(),
  tags: z.array(z.looseObject({ name: z.string() })).optional(),
})
type Member = z.infer<typeof memberSchema>

const pageSchema = z.looseObject({
  members: z.array(z.unknown()),
  total_items: z.number().optional(),
})

/** Members' fields kept as they are, besides the identity, merge fields and tags. */
const KEPT = [
  'contact_id',
  'full_name',
  'email_type',
  'language',
  'vip',
  'member_rating',
  'source',
  'timestamp_signup',
  'timestamp_opt',
  'last_changed',
] as const

/** A member as a record: `email` so identity rules find the person, tags by name. */
export function recordOf(member: Member, listId: string): SourceRecord {
  const data: Record<string, unknown> = {
    email: member.email_address,
    mailchimp_id: member.id,
    list_id: listId,
  }
  if (member.status) data.status = member.status
  if (member.merge_fields) data.merge_fields = member.merge_fields
  if (member.tags) data.tags = member.tags.map((tag) => tag.name)
  for (const field of KEPT) {
    const value = member[field]
    if (value !== undefined && value !== null && value !== '') data[field] = value
  }
  // The same member unchanged is a replay; changed, it is news.
  return { key: `${member.id}:${member.last_changed}`, eventTime: member.last_changed, data }
}

/** Mailchimp's ISO 8601 form, a second earlier: members changed in `since`'s own second are re-read. */
export function lookBack(since: string): string {
  const time = Date.parse(since)
  if (Number.isNaN(time)) return since
  return new Date(time - 1000).toISOString().replace(/\.\d{3}Z$/, '+00:00')
}

async function page(
  ctx: ConnectorContext<MembersConfig>,
  session: Session,
  config: MembersConfig,
  query: { offset: number; count: number; since: string | null },
) {
  const body = await call<unknown>(ctx, session, `/lists/${encodeURIComponent(config.listId)}/members`, {
    query: {
      count: query.count,
      offset: query.offset,
      sort_field: 'last_changed',
      sort_dir: 'DESC',
      since_last_changed: query.since === null ? undefined : lookBack(query.since),
    },
    notFound: `Mailchimp has no audience with ID "${config.listId}": check the Audience ID in the job's settings`,
  })
  // An answer without its list is no empty page: taken for the end, it would close the sync and
  // move `since` past every member not read yet, whom no later sync would ask for again.
  const parsed = pageSchema.safeParse(body)
  if (!parsed.success)
    throw new ConnectorError('transient', "Mailchimp's answer for the audience's members has no members list")
  const items = parsed.data.members
  const members: Member[] = []
  let omitted = 0
  for (const item of items) {
    const member = memberSchema.safeParse(item)
    if (member.success) members.push(member.data)
    else omitted++
  }
  return {
    members,
    received: items.length,
    omitted,
    total: parsed.data.total_items,
  }
}

export async function* readMembers(
  ctx: ConnectorContext<MembersConfig>,
  options: ReadOptions<MembersCheckpoint>,
): AsyncGenerator<ReadBatch<MembersCheckpoint>> {
  const config = parseConfig(membersConfig, ctx.config, 'Mailchimp members')
  const session = sessionOf(ctx.credentials)
  if (options.preview) {
    const count = Math.min(options.preview.limit, PAGE_SIZE)
    const first = await page(ctx, session, config, { offset: 0, count, since: null })
    yield {
      records: first.members.map((member) => recordOf(member, config.listId)),
      checkpoint: { since: null, next: null },
    }
    return
  }
  const stored = checkpointSchema.safeParse(options.checkpoint)
  const checkpoint: MembersCheckpoint = stored.success ? stored.data : { since: null, next: null }
  const since = checkpoint.since
  let offset = checkpoint.next?.offset ?? 0
  let top = checkpoint.next?.top ?? null
  while (!ctx.signal.aborted) {
    const { members, received, omitted, total } = await page(ctx, session, config, {
      offset,
      count: PAGE_SIZE,
      since,
    })
    // Newest first: the first member of a sync's first page is the newest it will see.
    if (top === null && members[0]) top = members[0].last_changed
    const last = received < PAGE_SIZE || (total !== undefined && offset + received >= total)
    const nextOffset = offset + received - OVERLAP
    yield {
      records: members.map((member) => recordOf(member, config.listId)),
      checkpoint: last ? { since: top ?? since, next: null } : { since, next: { offset: nextOffset, top } },
      ...(omitted ? { omitted } : {}),
    }
    if (last) return
    offset = nextOffset
  }
}
