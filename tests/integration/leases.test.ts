import pg from 'pg'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { newId } from '../../server/db/ids.ts'
import type { NewJob } from '../../server/db/schema.ts'
import {
  claimDue,
  earliestDue,
  releaseLease,
  renewLease,
  sweepExpiredLeases,
} from '../../server/executor/leases.ts'
import { describeEachDialect, openTestDatabase } from '../support/dialects.ts'

describeEachDialect('claims, leases and fencing', (dialect) => {
  let database: Awaited<ReturnType<typeof openTestDatabase>>
  beforeAll(async () => {
    database = await openTestDatabase(dialect)
  })
  afterAll(async () => {
    await database.close()
  })

  const at = (iso: string) => new Date(iso)
  const TTL = 60_000
  async function job(fields: { status?: NewJob['status']; next_run_at?: string }): Promise<string> {
    const id = newId()
    const row: NewJob = {
      id,
      name: `job ${id}`,
      description: '',
      consecutive_errors: 0,
      provider: 'sample',
      job_type: 'events',
      type: 'import',
      config: '{}',
      cadence: '{"every":"15m"}',
      status: 'sleeping',
      status_changed_at: '2026-01-01T00:00:00.000Z',
      sleep_reason: 'schedule',
      next_run_at: '2026-01-01T00:00:00.000Z',
      created_by: 'u',
      updated_by: 'u',
      created_at: '2026-01-01T00:00:00.000Z',
      updated_at: '2026-01-01T00:00:00.000Z',
      ...fields,
    }
    await database.db.insertInto('jobs').values(row).execute()
    return id
  }
  /** Each case starts with no claimable job left over from the one before. */
  const settle = () => database.db.updateTable('jobs').set({ status: 'paused' }).execute()
  const status = (id: string) =>
    database.db.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirstOrThrow()

  it('claims due sleeping jobs only, once, and marks them running with a lease', async () => {
    await settle()
    const due = await job({ next_run_at: '2026-02-01T00:00:00.000Z' })
    const later = await job({ next_run_at: '2026-02-01T00:00:01.000Z' })
    const paused = await job({ status: 'paused', next_run_at: '2026-01-01T00:00:00.000Z' })
    const now = at('2026-02-01T00:00:00.000Z')
    const claimed = await claimDue(database.db, { owner: 'w1', ttlMs: TTL, now, limit: 10 })
    const ids = claimed.map((row) => row.id)
    expect(ids).toContain(due)
    expect(ids).not.toContain(later)
    expect(ids).not.toContain(paused)
    const row = await status(due)
    expect(row).toMatchObject({ status: 'running', lease_owner: 'w1', sleep_reason: null })
    expect(row.lease_token).toEqual(expect.any(String))
    expect(row.status_changed_at).toBe(now.toISOString())
    expect(await claimDue(database.db, { owner: 'w2', ttlMs: TTL, now, limit: 10 })).toEqual([])
    for (const claim of claimed)
      await releaseLease(database.db, claim.id, claim.lease_token!, { status: 'paused' })
  })

  it('fences: only the lease holder renews or releases; a lost lease commits nothing', async () => {
    await settle()
    const id = await job({ next_run_at: '2026-01-01T00:00:00.000Z' })
    const now = at('2026-03-01T00:00:00.000Z')
    const [claim] = await claimDue(database.db, { owner: 'w1', ttlMs: TTL, now, limit: 1 })
    expect(claim!.id).toBe(id)
    expect(await renewLease(database.db, id, claim!.lease_token!, { ttlMs: TTL, now })).toBe(true)
    expect(await renewLease(database.db, id, 'stolen', { ttlMs: TTL, now })).toBe(false)
    // A batch transaction that begins with a failed renewal rolls back whatever it wrote.
    const write = database.db.transaction().execute(async (trx) => {
      await trx.updateTable('jobs').set({ state: '{"offset":99}' }).where('id', '=', id).execute()
      if (!(await renewLease(trx, id, 'stolen', { ttlMs: TTL, now }))) throw new Error('lease lost')
    })
    await expect(write).rejects.toThrow('lease lost')
    expect((await status(id)).state).toBeNull()
    expect(await releaseLease(database.db, id, 'stolen', { status: 'sleeping' })).toBe(false)
    expect(await releaseLease(database.db, id, claim!.lease_token!, { status: 'paused' })).toBe(true)
    expect(await status(id)).toMatchObject({ status: 'paused', lease_token: null, lease_owner: null })
  })

  it('recovers a dead worker’s job once its lease has expired', async () => {
    await settle()
    const id = await job({ next_run_at: '2026-01-01T00:00:00.000Z' })
    // Expired on every clock: a lease that ended long before the test (PostgreSQL uses its own clock).
    await database.db
      .updateTable('jobs')
      .set({
        status: 'running',
        lease_owner: 'dead',
        lease_token: 'old',
        lease_expires_at: '2000-01-01T00:00:00.000Z',
      })
      .where('id', '=', id)
      .execute()
    const alive = await job({ next_run_at: '2026-01-01T00:00:00.000Z' })
    await database.db
      .updateTable('jobs')
      .set({
        status: 'running',
        lease_owner: 'busy',
        lease_token: 'live',
        lease_expires_at: '2999-01-01T00:00:00.000Z',
      })
      .where('id', '=', alive)
      .execute()
    const now = at('2026-04-01T00:00:00.000Z')
    const claimed = await claimDue(database.db, { owner: 'w3', ttlMs: TTL, now, limit: 10 })
    expect(claimed.map((row) => row.id)).toEqual([id])
    expect(await renewLease(database.db, id, 'old', { ttlMs: TTL, now })).toBe(false)
    expect((await status(alive)).lease_owner).toBe('busy')
    await releaseLease(database.db, id, claimed[0]!.lease_token!, { status: 'paused' })
    await database.db.updateTable('jobs').set({ status: 'paused' }).where('id', '=', alive).execute()
  })

  it('refuses to renew an expired lease even when nobody took the job over', async () => {
    await settle()
    const id = await job({})
    await database.db
      .updateTable('jobs')
      .set({
        status: 'running',
        lease_owner: 'frozen',
        lease_token: 'tok',
        lease_expires_at: '2000-01-01T00:00:00.000Z',
      })
      .where('id', '=', id)
      .execute()
    // The holder wakes after its lease ran out (a SIGSTOP, a long pause): its batch must not commit.
    expect(
      await renewLease(database.db, id, 'tok', { ttlMs: TTL, now: at('2026-04-01T00:00:00.000Z') }),
    ).toBe(false)
    expect((await status(id)).lease_expires_at).toBe('2000-01-01T00:00:00.000Z')
  })

  it('sweeps dead workers’ jobs back to sleeping at their slot, leaving live leases and realtime jobs', async () => {
    await settle()
    const dead = await job({ next_run_at: '2026-02-01T00:00:00.000Z' })
    const live = await job({})
    const realtime = await job({ next_run_at: null as unknown as string })
    await database.db
      .updateTable('jobs')
      .set({
        status: 'running',
        lease_owner: 'dead',
        lease_token: 'a',
        lease_expires_at: '2000-01-01T00:00:00.000Z',
      })
      .where('id', '=', dead)
      .execute()
    await database.db
      .updateTable('jobs')
      .set({
        status: 'running',
        lease_owner: 'busy',
        lease_token: 'b',
        lease_expires_at: '2999-01-01T00:00:00.000Z',
      })
      .where('id', '=', live)
      .execute()
    await database.db.updateTable('jobs').set({ status: 'running' }).where('id', '=', realtime).execute()
    expect(await sweepExpiredLeases(database.db, at('2026-04-01T00:00:00.000Z'))).toBe(1)
    expect(await status(dead)).toMatchObject({
      status: 'sleeping',
      next_run_at: '2026-02-01T00:00:00.000Z',
      lease_token: null,
      lease_owner: null,
    })
    expect(await status(live)).toMatchObject({ status: 'running', lease_token: 'b' })
    expect((await status(realtime)).status).toBe('running')
    expect(await earliestDue(database.db, ['import'])).toBe('2026-02-01T00:00:00.000Z')
    expect(await earliestDue(database.db, ['export'])).toBeNull()
    await database.db
      .updateTable('jobs')
      .set({ status: 'paused' })
      .where('id', 'in', [live, realtime])
      .execute()
  })

  it('gives concurrent claimers disjoint jobs', async () => {
    await settle()
    const ids = await Promise.all(
      Array.from({ length: 20 }, () => job({ next_run_at: '2026-01-01T00:00:00.000Z' })),
    )
    const now = at('2026-05-01T00:00:00.000Z')
    const claims = await Promise.all(
      ['a', 'b', 'c', 'd'].map((owner) => claimDue(database.db, { owner, ttlMs: TTL, now, limit: 8 })),
    )
    const claimed = claims.flat().map((row) => row.id)
    expect(new Set(claimed).size).toBe(claimed.length)
    expect(claimed.sort()).toEqual([...ids].sort())
    if (dialect === 'postgres') {
      // Two separate connections at once: SKIP LOCKED keeps them apart, never waiting on each other.
      const more = await Promise.all(
        Array.from({ length: 10 }, () => job({ next_run_at: '2026-01-01T00:00:00.000Z' })),
      )
      const clients = [new pg.Client(database.url), new pg.Client(database.url)]
      await Promise.all(clients.map((client) => client.connect()))
      try {
        await clients[0]!.query('begin')
        const first = await clients[0]!.query(
          "select id from jobs where status = 'sleeping' and next_run_at <= $1 order by next_run_at limit 5 for update skip locked",
          [now.toISOString()],
        )
        const second = await claimDue(database.db, { owner: 'e', ttlMs: TTL, now, limit: 10 })
        expect(second.map((row) => row.id).filter((id) => first.rows.some((r) => r.id === id))).toEqual([])
        expect(second.length + first.rows.length).toBe(more.length)
        await clients[0]!.query('rollback')
      } finally {
        await Promise.all(clients.map((client) => client.end()))
      }
    }
  })
})
