import { afterAll, beforeAll, expect, it } from 'vitest'
import { newId } from '../../server/db/ids.ts'
import type { JobStatus, NewJob } from '../../server/db/schema.ts'
import { purgeJobs } from '../../server/executor/purge.ts'
import { describeEachDialect, openTestDatabase } from '../support/dialects.ts'

describeEachDialect('purge', (dialect) => {
  let database: Awaited<ReturnType<typeof openTestDatabase>>
  beforeAll(async () => {
    database = await openTestDatabase(dialect)
  })
  afterAll(async () => {
    await database.close()
  })

  const DAY = 86_400_000
  const now = new Date('2026-09-01T00:00:00.000Z')
  const ago = (days: number) => new Date(now.getTime() - days * DAY).toISOString()
  async function job(status: JobStatus, changedDaysAgo: number): Promise<string> {
    const id = newId()
    const row: NewJob = {
      id,
      name: `${status} ${changedDaysAgo}d`,
      description: '',
      provider: 'sample',
      job_type: 'events',
      type: 'import',
      config: '{}',
      cadence: '{"every":"15m"}',
      status,
      status_changed_at: ago(changedDaysAgo),
      consecutive_errors: 0,
      created_by: 'u',
      updated_by: 'u',
      created_at: ago(200),
      updated_at: ago(changedDaysAgo),
    }
    await database.db.insertInto('jobs').values(row).execute()
    await database.db
      .insertInto('job_runs')
      .values({
        id: newId(),
        job_id: id,
        due_at: ago(100),
        worker: 'w',
        started_at: ago(100),
        ended_at: null,
        outcome: null,
        added: 0,
        removed: 0,
        omitted: 0,
        error: null,
      })
      .execute()
    await database.db
      .insertInto('job_logs')
      .values({ job_id: id, at: ago(100), event: 'Synced', message: 'm', details: null, actor: null })
      .execute()
    await database.db
      .insertInto('job_metrics')
      .values({ job_id: id, bucket: ago(100), added: 1 })
      .execute()
    await database.db
      .insertInto('export_deliveries')
      .values({
        job_id: id,
        identifier: 'ann@example.com',
        profile_id: 'p1',
        fingerprint: 'f',
        delivered_at: ago(100),
      })
      .execute()
    return id
  }

  it('deletes exactly the failed, paused, completed and removed jobs older than 90 days, with their history and export state', async () => {
    const old = await Promise.all(
      (['failed', 'paused', 'completed', 'removed'] as const).map((status) => job(status, 91)),
    )
    const young = await Promise.all(
      (['failed', 'paused', 'completed', 'removed'] as const).map((status) => job(status, 89)),
    )
    const live = await Promise.all((['running', 'sleeping'] as const).map((status) => job(status, 400)))
    const purged = await purgeJobs(database.db, { owner: 'me', now, purgeAfterMs: 90 * DAY })
    expect(purged).toBe(4)
    const left = (await database.db.selectFrom('jobs').select('id').execute()).map((row) => row.id).sort()
    expect(left).toEqual([...young, ...live].sort())
    for (const table of ['job_runs', 'job_logs', 'job_metrics', 'export_deliveries'] as const) {
      const orphans = await database.db
        .selectFrom(table)
        .select('job_id')
        .where('job_id', 'in', old)
        .execute()
      expect(orphans, table).toEqual([])
    }
  })

  it('lets one purger at a time hold the lease', async () => {
    await job('failed', 120)
    await database.db
      .insertInto('settings')
      .values({
        key: 'lease:purge',
        value: 'other',
        updated_by: null,
        updated_at: new Date(now.getTime() + 60_000).toISOString(),
      })
      .execute()
    expect(await purgeJobs(database.db, { owner: 'me', now, purgeAfterMs: 90 * DAY })).toBe(0)
    // Once the other purger's lease has expired, this one takes over.
    const later = new Date(now.getTime() + 120_000)
    expect(await purgeJobs(database.db, { owner: 'me', now: later, purgeAfterMs: 90 * DAY })).toBe(1)
    expect(
      await database.db.selectFrom('settings').selectAll().where('key', '=', 'lease:purge').execute(),
    ).toEqual([])
  })
})
