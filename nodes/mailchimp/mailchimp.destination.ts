import { z } from 'zod'
import { type ConnectorContext, type ExportBatch, parseConfig, type WriteAck } from '../define.ts'
import { call, type Session, sessionOf, subscriberHash } from './mailchimp.client.ts'
import { type AudienceConfig, audienceConfig, BATCH_LIMIT } from './mailchimp.node.ts'

/**
 * The `audience` export. Upserts (and, by default, removals as unsubscribes) go through batch
 * subscribe, POST /lists/{list_id} with `update_existing`, at most 500 members a request; Mailchimp
 * answers 200 with the members it refused in `errors`, which become the acknowledgement's
 * rejected rows. Archiving has no batch form: one DELETE per member.
 * https://mailchimp.com/developer/marketing/api/lists/batch-subscribe-or-unsubscribe/
 * https://mailchimp.com/developer/marketing/api/list-members/archive-list-member/
 */

const batchAnswer = z.looseObject({
  errors: z
    .array(
      z.looseObject({
        email_address: z.string().optional(),
        error: z.string().optional(),
        error_code: z.string().optional(),
        field: z.string().optional(),
        field_message: z.string().optional(),
      }),
    )
    .default([]),
})

type Outgoing = { id: string; action: 'upsert' | 'remove'; body: Record<string, unknown> }

/** A merge field's value as Mailchimp takes it: text and numbers as they are, an address object too. */
function mergeValue(value: unknown): unknown {
  if (value === undefined || value === null || value === '') return undefined
  if (typeof value === 'string' || typeof value === 'number') return value
  if (typeof value === 'object' && !Array.isArray(value)) return value
  return String(value)
}

/** One person as a batch subscribe member: merge fields mapped, the configured tags added. */
export function memberOf(
  row: ExportBatch['upserts'][number],
  config: Pick<AudienceConfig, 'mergeFields' | 'tags' | 'status'>,
): Record<string, unknown> {
  const mergeFields: Record<string, unknown> = {}
  for (const [tag, attribute] of Object.entries(config.mergeFields)) {
    const value = mergeValue(row.fields[attribute])
    if (value !== undefined) mergeFields[tag] = value
  }
  return {
    email_address: row.id,
    // Pending sends a confirmation email: only to people new to the audience, never again to
    // members. Subscribed (or transactional) also brings back people this job unsubscribed;
    // Mailchimp itself refuses to resubscribe someone who unsubscribed on their own.
    status_if_new: config.status,
    ...(config.status === 'pending' ? {} : { status: config.status }),
    ...(Object.keys(mergeFields).length ? { merge_fields: mergeFields } : {}),
    ...(config.tags.length ? { tags: config.tags } : {}),
  }
}

/** Why Mailchimp refused a member, in its words. */
function reasonOf(error: z.infer<typeof batchAnswer>['errors'][number]): string {
  const field = error.field ? ` (${[error.field, error.field_message].filter(Boolean).join(': ')})` : ''
  return `${error.error ?? error.error_code ?? 'refused by Mailchimp'}${field}`
}

async function subscribe(
  ctx: ConnectorContext<AudienceConfig>,
  session: Session,
  config: AudienceConfig,
  chunk: Outgoing[],
  ack: WriteAck,
) {
  const answer = await call<unknown>(ctx, session, `/lists/${encodeURIComponent(config.listId)}`, {
    method: 'POST',
    body: { members: chunk.map((item) => item.body), update_existing: true },
    notFound: notFound(config),
  })
  const refused = new Map<string, string>()
  for (const error of batchAnswer.parse(answer ?? {}).errors)
    if (error.email_address) refused.set(error.email_address.trim().toLowerCase(), reasonOf(error))
  for (const item of chunk) {
    const reason = refused.get(item.id.toLowerCase())
    if (reason !== undefined) ack.rejected.push({ id: item.id, reason })
    else if (item.action === 'upsert') ack.delivered.push(item.id)
    else ack.removed.push(item.id)
  }
}

const notFound = (config: AudienceConfig) =>
  `Mailchimp has no audience with ID "${config.listId}": check the Audience ID in the job's settings`

export async function* writeAudience(
  ctx: ConnectorContext<AudienceConfig>,
  batches: AsyncIterable<ExportBatch>,
): AsyncGenerator<WriteAck> {
  const config = parseConfig(audienceConfig, ctx.config, 'Mailchimp audience')
  const session = sessionOf(ctx.credentials)
  // Archiving answers 404 for a member already gone and for a missing audience alike: make sure
  // of the audience once, so a wrong ID is a config error and not people counted removed.
  let audienceChecked = false
  for await (const batch of batches) {
    const ack: WriteAck = { delivered: [], removed: [], rejected: [] }
    const outgoing: Outgoing[] = batch.upserts.map((row) => ({
      id: row.id,
      action: 'upsert',
      body: memberOf(row, config),
    }))
    if (config.onRemove === 'unsubscribe')
      for (const row of batch.removes)
        outgoing.push({
          id: row.id,
          action: 'remove',
          body: { email_address: row.id, status: 'unsubscribed' },
        })
    for (let start = 0; start < outgoing.length; start += BATCH_LIMIT) {
      if (ctx.signal.aborted) return
      await subscribe(ctx, session, config, outgoing.slice(start, start + BATCH_LIMIT), ack)
      audienceChecked = true
    }
    if (config.onRemove === 'archive' && batch.removes.length) {
      if (!audienceChecked) {
        await call(ctx, session, `/lists/${encodeURIComponent(config.listId)}`, {
          query: { fields: 'id,name' },
          notFound: notFound(config),
        })
        audienceChecked = true
      }
      for (const row of batch.removes) {
        if (ctx.signal.aborted) return
        const path = `/lists/${encodeURIComponent(config.listId)}/members/${subscriberHash(row.id)}`
        // Already archived or deleted: gone either way.
        await call(ctx, session, path, { method: 'DELETE', notFound: null })
        ack.removed.push(row.id)
      }
    }
    yield ack
  }
}
