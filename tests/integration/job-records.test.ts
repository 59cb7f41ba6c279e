import { expect, it } from 'vitest'
import { identityHash, identityKey } from '../../server/data/identity.ts'
import { ingestRealtime } from '../../server/data/ingest.ts'
import { counter } from '../../server/db/counters.repo.ts'
import type { NewRawMessage } from '../../server/db/schema.ts'
import { storeAndUnify } from '../../server/executor/run-lifecycle.ts'
import { useTestApp } from '../support/app.ts'
import { describeEachDialect } from '../support/dialects.ts'

/**
 * A job's records are written once, already applied (storeAndUnify): deduplicated by record key,
 * numbered in order, never left pending for the unifier, and counted in their stream as stored.
 */
describeEachDialect('job records stored with their unification', (dialect) => {
  const t = useTestApp(dialect)
  const at = '2026-03-01T00:00:00.000Z'
  const record = (key: string | null, data: Record<string, unknown>): NewRawMessage => ({
    stream: 'crm.contacts',
    event_time: at,
    received_at: at,
    lane: 'job',
    job_id: 'job-1',
    upload_id: null,
    record_key: key,
    message_id: null,
    payload: JSON.stringify(data),
    unified_at: null,
    profile_id: null,
  })
  const store = (messages: NewRawMessage[]) =>
    t()
      .database.db.transaction()
      .execute((trx) => storeAndUnify(trx, t().deps, 'job-1', messages, at))
  const rows = () =>
    t()
      .database.db.selectFrom('raw_messages')
      .select(['seq', 'record_key', 'unified_at', 'profile_id', 'unified_seq', 'payload'])
      .orderBy('seq')
      .execute()
  const streamCount = async () =>
    Number(
      (
        await t()
          .database.db.selectFrom('streams')
          .select('message_count')
          .where('name', '=', 'crm.contacts')
          .executeTakeFirst()
      )?.message_count ?? 0,
    )

  it('stores the first of each record key, in order, each row already applied', async () => {
    const result = await store([
      record('a', { email: 'a@example.com', plan: 'pro' }),
      record('b', { email: 'b@example.com' }),
      record('a', { email: 'a@example.com', plan: 'team' }),
      record(null, { plan: 'free' }),
    ])
    expect(result.created).toBe(2)
    expect(result.omitted).toBe(1)
    const stored = await rows()
    expect(stored.map((row) => row.record_key)).toEqual(['a', 'b', null])
    expect(JSON.parse(stored[0]!.payload)).toEqual({ email: 'a@example.com', plan: 'pro' })
    const changeSeq = await counter(t().database.db, 'profile_change')
    for (const row of stored) expect(row).toMatchObject({ unified_at: at, unified_seq: changeSeq })
    expect(stored[0]!.profile_id).not.toBe(stored[1]!.profile_id)
    expect(stored[0]!.profile_id).toEqual(expect.any(String))
    // Identity-less: applied to no one, and not pending.
    expect(stored[2]!.profile_id).toBeNull()
    expect(await streamCount()).toBe(3)
    const profile = await t()
      .database.db.selectFrom('profiles')
      .select('attributes')
      .where('id', '=', stored[0]!.profile_id!)
      .executeTakeFirstOrThrow()
    expect(JSON.parse(profile.attributes).plan[0]).toBe('pro')
  })

  it('skips records the job stored before and leaves the unifier nothing to do', async () => {
    const before = await rows()
    const result = await store([
      record('b', { email: 'b@example.com', plan: 'x' }),
      record('c', { email: 'c@example.com' }),
    ])
    expect(result.created).toBe(1)
    const after = await rows()
    expect(after.map((row) => row.record_key)).toEqual(['a', 'b', null, 'c'])
    expect(after.at(-1)!.seq).toBeGreaterThan(before.at(-1)!.seq)
    const pending = await t()
      .database.db.selectFrom('raw_messages')
      .select('seq')
      .where('unified_at', 'is', null)
      .execute()
    expect(pending).toEqual([])
    expect(await streamCount()).toBe(4)
  })

  it('never stores a record about a suppressed person, nor counts it', async () => {
    await t()
      .database.db.insertInto('suppressions')
      .values({
        hash: identityHash(identityKey('email', 'gone@example.com')),
        field: 'email',
        created_at: at,
        created_by: null,
      })
      .execute()
    const result = await store([
      record('d', { email: 'gone@example.com' }),
      record('e', { email: 'e@example.com' }),
    ])
    expect(result.suppressed).toBe(1)
    expect((await rows()).map((row) => row.record_key)).toEqual(['a', 'b', null, 'c', 'e'])
    expect(await streamCount()).toBe(5)
  })

  it('keeps quotes, backslashes, control characters and any Unicode exactly, in the row and the profile', async () => {
    const note = 'a "quoted" \\ back\\slash, a\ttab\nnewline, \u0000 nul, é, 中文, 🎉, \u2028'
    await store([record('h', { email: 'h@example.com', note, nested: { deep: [note] } })])
    const row = (await rows()).at(-1)!
    expect(JSON.parse(row.payload)).toEqual({ email: 'h@example.com', note, nested: { deep: [note] } })
    const profile = await t()
      .database.db.selectFrom('profiles')
      .select('attributes')
      .where('id', '=', row.profile_id!)
      .executeTakeFirstOrThrow()
    expect(JSON.parse(profile.attributes).note[0]).toBe(note)
  })

  it('numbers past a deleted last row, and other lanes number after the job', async () => {
    const last = (await rows()).at(-1)!
    await t().database.db.deleteFrom('raw_messages').where('seq', '=', last.seq).execute()
    await store([record('f', { email: 'f@example.com' })])
    const afterJob = (await rows()).at(-1)!
    expect(afterJob.record_key).toBe('f')
    expect(afterJob.seq).toBeGreaterThan(last.seq)
    await ingestRealtime(t().deps, [
      { ...record(null, { email: 'g@example.com' }), lane: 'realtime', job_id: null, stream: 'web' },
    ])
    expect((await rows()).at(-1)!.seq).toBeGreaterThan(afterJob.seq)
  })
})
