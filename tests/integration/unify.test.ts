import { afterAll, beforeAll, expect, it } from 'vitest'
import { DEFAULT_RULES } from '../../server/data/identity.ts'
import { type PendingMessage, type UnifyContext, unifyMessages } from '../../server/data/unify.ts'
import { getProfile } from '../../server/db/profiles.repo.ts'
import { insertRawMessages } from '../../server/db/raw-messages.repo.ts'
import type { NewRawMessage } from '../../server/db/schema.ts'
import { describeEachDialect, openTestDatabase } from '../support/dialects.ts'

/**
 * unifyMessages applied to stored messages in chosen orders: what the lanes cannot force from
 * outside (a newer message applied before an older one), pinned down case by case.
 */
describeEachDialect('unification order and edge cases', (dialect) => {
  let database: Awaited<ReturnType<typeof openTestDatabase>>
  beforeAll(async () => {
    database = await openTestDatabase(dialect)
  })
  afterAll(async () => {
    await database.close()
  })

  const context: UnifyContext = {
    rules: DEFAULT_RULES,
    mappingFor: () => null,
    mergeCap: 20,
    now: '2026-03-01T00:00:00.000Z',
  }

  /** Stores messages (seq in the given order) and returns them as the unifier reads them. */
  async function store(rows: { payload: Record<string, unknown>; at: string; uploadId?: string }[]) {
    const messages: NewRawMessage[] = rows.map(({ payload, at, uploadId }) => ({
      stream: 'u',
      event_time: at,
      received_at: at,
      lane: uploadId ? 'bulk' : 'realtime',
      job_id: null,
      upload_id: uploadId ?? null,
      record_key: null,
      message_id: null,
      payload: JSON.stringify(payload),
      unified_at: null,
      profile_id: null,
    }))
    return (await database.db
      .transaction()
      .execute((trx) => insertRawMessages(trx, messages))) as PendingMessage[]
  }
  const apply = (messages: PendingMessage[]) =>
    database.db.transaction().execute((trx) => unifyMessages(trx, messages, context))
  const profileOf = async (q: string) => {
    const row = await database.db
      .selectFrom('profile_identities')
      .select('profile_id')
      .where('value', '=', q)
      .executeTakeFirstOrThrow()
    return (await getProfile(database.db, row.profile_id))!
  }

  it('keeps the later-ingested value on equal event times even when it is applied first', async () => {
    const at = '2026-01-01T00:00:00.000Z'
    const [older, newer] = await store([
      { payload: { user_id: 'tie', color: 'red' }, at },
      { payload: { user_id: 'tie', color: 'blue' }, at },
    ])
    await apply([newer!])
    await apply([older!])
    expect((await profileOf('tie')).attributes.color!.value).toBe('blue')
  })

  it('keeps each attribute’s newest value when two profiles merge, whichever survives', async () => {
    const [a, b, link] = await store([
      { payload: { anonymous_id: 'm-a', plan: 'old', city: 'Berlin' }, at: '2026-01-01T00:00:00.000Z' },
      { payload: { email: 'm@example.com', plan: 'new' }, at: '2026-02-01T00:00:00.000Z' },
      { payload: { anonymous_id: 'm-a', email: 'm@example.com' }, at: '2026-01-15T00:00:00.000Z' },
    ])
    await apply([a!])
    await apply([b!])
    await apply([link!])
    const merged = await profileOf('m@example.com')
    expect(merged.mergedFrom).toHaveLength(1)
    expect(merged.attributes.plan).toMatchObject({ value: 'new', at: '2026-02-01T00:00:00.000Z' })
    expect(merged.attributes.city!.value).toBe('Berlin')
  })

  it('stores attributes named like Object.prototype members', async () => {
    const [message] = await store([
      {
        payload: JSON.parse(
          '{"user_id":"proto","constructor":"Ferrari","toString":"x","__proto__":"y","plain":"ok"}',
        ),
        at: '2026-01-01T00:00:00.000Z',
      },
    ])
    await apply([message!])
    const values = Object.fromEntries(
      Object.entries((await profileOf('proto')).attributes).map(([k, v]) => [k, v.value]),
    )
    expect(values).toEqual({
      user_id: 'proto',
      constructor: 'Ferrari',
      toString: 'x',
      ['__proto__']: 'y',
      plain: 'ok',
    })
  })

  it('drops staged rows whose messageId is already visible, and claims it for the first', async () => {
    const at = '2026-01-01T00:00:00.000Z'
    const [live] = await store([{ payload: { user_id: 'dup', messageId: 'mid-1', n: 1 }, at }])
    await database.db
      .updateTable('raw_messages')
      .set({ message_id: 'mid-1' })
      .where('seq', '=', live!.seq)
      .execute()
    await database.db
      .insertInto('uploads')
      .values({
        id: 'up-1',
        stream: 'u',
        status: 'published',
        format: 'csv',
        filename: null,
        timestamp_field: null,
        data_key_id: null,
        stored: 3,
        created_at: at,
        updated_at: at,
      })
      .execute()
    const staged = await store([
      { payload: { user_id: 'dup', messageId: 'mid-1', n: 2 }, at, uploadId: 'up-1' },
      { payload: { user_id: 'dup', messageId: 'mid-2', n: 3 }, at, uploadId: 'up-1' },
      { payload: { user_id: 'dup', messageId: 'mid-2', n: 4 }, at, uploadId: 'up-1' },
    ])
    const result = await apply(staged)
    expect(result.duplicatesByUpload.get('up-1')).toBe(2)
    expect(result.unifiedByUpload.get('up-1')).toBe(1)
    const rows = await database.db
      .selectFrom('raw_messages')
      .select(['message_id', 'payload'])
      .where('stream', '=', 'u')
      .where('payload', 'like', '%"dup"%')
      .orderBy('seq')
      .execute()
    expect(rows.map((row) => [row.message_id, JSON.parse(row.payload).n])).toEqual([
      ['mid-1', 1],
      ['mid-2', 3],
    ])
  })
})
