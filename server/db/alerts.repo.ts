import { randomUUID } from 'node:crypto'
import { sql } from 'kysely'
import { isPostgres } from './locks.ts'
import type { AlertDeliveryTable, Executor } from './schema.ts'

/** Rules, newest first; `q` matches the name, `jobId` the rules that watch that job (or every job). */
export function listAlertRules(db: Executor, filters: { q?: string; jobId?: string; limit: number }) {
  let query = db.selectFrom('alert_rules').selectAll()
  if (filters.q) query = query.where(sql`lower(name)`, 'like', `%${filters.q.toLowerCase()}%`)
  if (filters.jobId)
    query = query.where((eb) => eb.or([eb('job_id', '=', filters.jobId!), eb('job_id', 'is', null)]))
  return query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(filters.limit).execute()
}

export function findAlertRule(db: Executor, id: string) {
  return db.selectFrom('alert_rules').selectAll().where('id', '=', id).executeTakeFirst()
}

/** Open episodes per rule (a rule firing for several jobs has several). */
export async function openEpisodeCounts(db: Executor, ruleIds: string[]): Promise<Map<string, number>> {
  if (ruleIds.length === 0) return new Map()
  const rows = await db
    .selectFrom('alert_episodes')
    .select((eb) => ['rule_id', eb.fn.countAll<number>().as('n')])
    .where('rule_id', 'in', ruleIds)
    .where('closed_at', 'is', null)
    .groupBy('rule_id')
    .execute()
  return new Map(rows.map((row) => [row.rule_id, Number(row.n)]))
}

/**
 * Opens an episode unless one is open for the rule and job (the partial unique index decides,
 * whichever process gets there first), with one pending delivery per target. True if it opened.
 */
export async function openEpisode(
  db: Executor,
  episode: { ruleId: string; jobId: string; summary: string; at: string },
  targets: { kind: 'webhook' | 'email' }[],
): Promise<boolean> {
  const id = randomUUID()
  const inserted = await db
    .insertInto('alert_episodes')
    .values({
      id,
      rule_id: episode.ruleId,
      job_id: episode.jobId,
      opened_at: episode.at,
      closed_at: null,
      summary: episode.summary,
    })
    .onConflict((conflict) =>
      conflict.columns(['rule_id', 'job_id']).where('closed_at', 'is', null).doNothing(),
    )
    .returning('id')
    .executeTakeFirst()
  if (!inserted) return false
  await db
    .insertInto('alert_deliveries')
    .values(
      targets.map((target, index) => ({
        id: randomUUID(),
        episode_id: id,
        rule_id: episode.ruleId,
        target: index,
        kind: target.kind,
        status: 'pending' as const,
        next_attempt_at: episode.at,
        claimed_until: null,
        claim_token: null,
        last_error: null,
        sent_at: null,
        created_at: episode.at,
      })),
    )
    .execute()
  return true
}

/** Closes a rule's open episodes for jobs whose condition no longer holds; returns how many. */
export async function closeEpisodes(db: Executor, ruleId: string, jobIds: string[], at: string) {
  if (jobIds.length === 0) return 0
  const result = await db
    .updateTable('alert_episodes')
    .set({ closed_at: at })
    .where('rule_id', '=', ruleId)
    .where('job_id', 'in', jobIds)
    .where('closed_at', 'is', null)
    .executeTakeFirst()
  return Number(result.numUpdatedRows)
}

export async function openEpisodeJobs(db: Executor, ruleId: string): Promise<string[]> {
  const rows = await db
    .selectFrom('alert_episodes')
    .select('job_id')
    .where('rule_id', '=', ruleId)
    .where('closed_at', 'is', null)
    .execute()
  return rows.map((row) => row.job_id)
}

/**
 * Claims due deliveries for `claimMs` (a claimer that dies lets them fall due again); on
 * PostgreSQL rows another process is claiming are skipped. Each comes back with the token that
 * must end it.
 */
export async function claimDeliveries(db: Executor, now: string, claimMs: number, limit: number) {
  const token = randomUUID()
  const until = new Date(Date.parse(now) + claimMs).toISOString()
  const due = db
    .selectFrom('alert_deliveries')
    .select('id')
    .where('status', '=', 'pending')
    .where('next_attempt_at', '<=', now)
    .where((eb) => eb.or([eb('claimed_until', 'is', null), eb('claimed_until', '<', now)]))
    .orderBy('next_attempt_at')
    .limit(limit)
  return db
    .updateTable('alert_deliveries')
    .set({ claimed_until: until, claim_token: token })
    .where('id', 'in', isPostgres(db) ? due.forUpdate().skipLocked() : due)
    .returningAll()
    .execute()
}

/** Ends an attempt, if the claim still holds. */
export async function settleDelivery(
  db: Executor,
  delivery: { id: string; claim_token: string | null },
  changes: Partial<Pick<AlertDeliveryTable, 'status' | 'next_attempt_at' | 'last_error' | 'sent_at'>> & {
    attempts: number
  },
) {
  await db
    .updateTable('alert_deliveries')
    .set({ ...changes, claimed_until: null, claim_token: null })
    .where('id', '=', delivery.id)
    .where('claim_token', '=', delivery.claim_token)
    .execute()
}

/** A rule's delivery log, newest first, with each episode's job and summary. */
export function listDeliveries(db: Executor, ruleId: string, options: { status?: string; limit: number }) {
  let query = db
    .selectFrom('alert_deliveries as d')
    .innerJoin('alert_episodes as e', 'e.id', 'd.episode_id')
    .select([
      'd.id',
      'd.episode_id',
      'd.target',
      'd.kind',
      'd.status',
      'd.attempts',
      'd.next_attempt_at',
      'd.last_error',
      'd.sent_at',
      'd.created_at',
      'e.job_id',
      'e.summary',
      'e.opened_at',
      'e.closed_at',
    ])
    .where('d.rule_id', '=', ruleId)
  if (options.status) query = query.where('d.status', '=', options.status as AlertDeliveryTable['status'])
  return query.orderBy('d.created_at', 'desc').orderBy('d.id', 'desc').limit(options.limit).execute()
}
