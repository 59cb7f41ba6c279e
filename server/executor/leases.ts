import { randomUUID } from 'node:crypto'
import { type RawBuilder, sql } from 'kysely'
import { isPostgres, serialize } from '../db/locks.ts'
import type { Executor, Job, NewJob } from '../db/schema.ts'
import { claimAndOpenPg } from './run-statements.pg.ts'

/**
 * Claims and leases (DESIGN.md §4). A worker claims due jobs in one statement, which also
 * recovers a dead worker's job once its lease has expired; every batch transaction then begins by
 * renewing the lease under its token (fencing), so a worker that lost its lease commits nothing.
 * On PostgreSQL leases run on the database's clock, the one clock every process shares; on
 * SQLite (one process) on the caller's.
 */
export interface LeaseOptions {
  owner: string
  ttlMs: number
  /** The caller's clock: decides which jobs are due, and leases on SQLite. */
  now: Date
}

/** Lease time as ISO-8601 UTC text, the way the jobs table stores times. */
function leaseTime(db: Executor, now: Date, offsetMs: number): RawBuilder<string> | string {
  if (!isPostgres(db)) return new Date(now.getTime() + offsetMs).toISOString()
  return sql<string>`to_char((now() at time zone 'utc') + make_interval(secs => ${offsetMs / 1000}), 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`
}

/**
 * Claims up to `limit` due jobs: sleeping with `next_run_at <= now`, or running with an expired
 * lease (its worker died). Each comes back running, with a fresh token and expiry. SQLite runs it
 * as one UPDATE ... RETURNING (a write statement holds the database's one write lock for its
 * whole run); PostgreSQL skips rows another worker is claiming at this moment.
 */
export async function claimDue(
  db: Executor,
  options: LeaseOptions & {
    limit: number
    types?: readonly Job['type'][]
    /** Per-authorization concurrency by provider (rate budgets): provider id → cap. */
    caps?: ReadonlyMap<string, number>
  },
): Promise<Job[]> {
  if (options.limit <= 0) return []
  const caps = options.caps
  if (!caps?.size) return claimRows(db, options, undefined)
  // Jobs no budget applies to (no authorization, or a provider without one) need no care: claimed
  // freely, in parallel with other claimers. Measured with 4 worker processes, serializing every
  // claim capped claim-and-complete throughput well below graphile-worker's (claim.bench.ts).
  const free = await claimRows(db, options, undefined, caps)
  if (free.length >= options.limit || !(await capsDue(db, options, caps))) return free
  // Counting an authorization's running units and claiming must not interleave between two
  // claimers, or both could take its last slot: one capped claim at a time.
  const capped = await db.transaction().execute(async (trx) => {
    await serialize(trx, 'sluice.claim')
    const rows = await claimRows(trx, { ...options, limit: options.limit - free.length }, caps)
    return keepWithinCaps(trx, rows, caps)
  })
  return [...free, ...capped]
}

type ClaimOptions = LeaseOptions & { limit: number; types?: readonly Job['type'][] }

/**
 * The claim: jobs whose worker died (running, lease expired) first, then due sleeping ones, each
 * clause walking its own index in order and stopping at `limit` — one statement with the OR of
 * both read and sorted every due row per claim (measured: several milliseconds of PostgreSQL per
 * no-op unit with 4,000 jobs due, claim.bench.ts). PostgreSQL takes both clauses in one statement
 * (run-statements.pg.ts); elsewhere they are two.
 */
async function claimRows(
  db: Executor,
  options: ClaimOptions,
  caps: ReadonlyMap<string, number> | undefined,
  uncapped?: ReadonlyMap<string, number>,
): Promise<Job[]> {
  if (isPostgres(db) && caps === undefined) {
    const claim = {
      now: options.now.toISOString(),
      owner: options.owner,
      token: randomUUID(),
      ttlMs: options.ttlMs,
    }
    return claimAndOpenPg(
      db,
      { ...claim, limit: options.limit, ...(options.types ? { types: options.types } : {}) },
      [...(uncapped?.keys() ?? [])],
    )
  }
  const recovered = await claimWhere(db, options, 'expired', caps, uncapped)
  if (recovered.length >= options.limit) return recovered
  const due = await claimWhere(
    db,
    { ...options, limit: options.limit - recovered.length },
    'due',
    caps,
    uncapped,
  )
  return [...recovered, ...due]
}

/**
 * One claim statement over one clause. With `caps`, only jobs a budget applies to, within their
 * cap; with `uncapped`, only jobs no budget applies to; with neither, any job.
 */
async function claimWhere(
  db: Executor,
  options: ClaimOptions,
  clause: 'due' | 'expired',
  caps: ReadonlyMap<string, number> | undefined,
  uncapped?: ReadonlyMap<string, number>,
): Promise<Job[]> {
  const due = options.now.toISOString()
  const token = randomUUID()
  const expired = leaseTime(db, options.now, 0)
  const candidates = db
    .selectFrom('jobs as candidate')
    .select('candidate.id')
    .$if(clause === 'due', (select) =>
      select
        .where('candidate.status', '=', 'sleeping')
        .where('candidate.next_run_at', '<=', due)
        .orderBy('candidate.next_run_at'),
    )
    .$if(clause === 'expired', (select) =>
      select
        .where('candidate.status', '=', 'running')
        .where('candidate.lease_expires_at', '<', expired)
        .orderBy('candidate.lease_expires_at'),
    )
    .$if(options.types !== undefined, (select) => select.where('candidate.type', 'in', options.types!))
    .$if(caps !== undefined, (select) => select.where(withinCap(caps!)))
    .$if(uncapped !== undefined, (select) =>
      select.where((eb) =>
        eb.or([
          eb('candidate.authorization_id', 'is', null),
          eb('candidate.provider', 'not in', [...uncapped!.keys()]),
        ]),
      ),
    )
    .limit(options.limit)
  const claim = db
    .updateTable('jobs')
    .set({
      status: 'running',
      // A recovered job was running already: its status did not change.
      status_changed_at: sql<string>`case when status = 'sleeping' then ${due} else status_changed_at end`,
      sleep_reason: null,
      lease_owner: options.owner,
      // One token per claim and job: the job id keeps two jobs of one claim apart.
      lease_token: sql<string>`${token} || ':' || id`,
      lease_expires_at: leaseTime(db, options.now, options.ttlMs),
    })
    .where('id', 'in', isPostgres(db) ? candidates.forUpdate().skipLocked() : candidates)
    .returningAll()
  return claim.execute()
}

/** Whether any job a budget applies to is due: else the serialized claim is skipped. */
async function capsDue(db: Executor, options: LeaseOptions, caps: ReadonlyMap<string, number>) {
  const due = options.now.toISOString()
  const expired = leaseTime(db, options.now, 0)
  const row = await db
    .selectFrom('jobs')
    .select('id')
    .where('authorization_id', 'is not', null)
    .where('provider', 'in', [...caps.keys()])
    .where((eb) =>
      eb.or([
        eb.and([eb('status', '=', 'sleeping'), eb('next_run_at', '<=', due)]),
        eb.and([eb('status', '=', 'running'), eb('lease_expires_at', '<', expired)]),
      ]),
    )
    .limit(1)
    .executeTakeFirst()
  return row !== undefined
}

/** A candidate a budget applies to whose authorization still has a free slot under its provider's cap. */
function withinCap(caps: ReadonlyMap<string, number>) {
  const cap = sql.join(
    [...caps].map(([provider, limit]) => sql`when ${provider} then cast(${limit} as integer)`),
    sql` `,
  )
  return sql<boolean>`(candidate.authorization_id is not null and candidate.provider in (${sql.join([...caps.keys()])}) and (select count(*) from jobs busy where busy.authorization_id = candidate.authorization_id and busy.status = 'running' and busy.lease_token is not null) < case candidate.provider ${cap} end)`
}

/**
 * One claim can take several jobs of one authorization (each saw the same count): hand back the
 * ones past its cap, still due, so the next claim takes them when a slot frees.
 */
async function keepWithinCaps(
  db: Executor,
  claimed: Job[],
  caps: ReadonlyMap<string, number>,
): Promise<Job[]> {
  const kept: Job[] = []
  const running = new Map<string, number>()
  for (const job of claimed) {
    const cap = job.authorization_id ? caps.get(job.provider) : undefined
    if (cap === undefined || !job.authorization_id) {
      kept.push(job)
      continue
    }
    let busy = running.get(job.authorization_id)
    if (busy === undefined) {
      const row = await db
        .selectFrom('jobs')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('authorization_id', '=', job.authorization_id)
        .where('status', '=', 'running')
        .where('lease_token', 'is not', null)
        .where(
          'id',
          'not in',
          claimed.map((other) => other.id),
        )
        .executeTakeFirstOrThrow()
      busy = Number(row.n)
    }
    if (busy < cap) {
      kept.push(job)
      running.set(job.authorization_id, busy + 1)
    } else {
      running.set(job.authorization_id, busy)
      await releaseLease(db, job.id, job.lease_token!, { status: 'sleeping', sleep_reason: 'schedule' })
    }
  }
  return kept
}

/**
 * The fencing statement: extends the lease if `token` still holds it and it has not expired. Call
 * it first in every batch transaction and abort the batch when it returns false. Refusing an
 * expired lease even when nobody took the job over means a worker frozen past its lease (a
 * SIGSTOP, a long GC pause) commits nothing when it wakes: another worker may be claiming it.
 */
export async function renewLease(
  db: Executor,
  jobId: string,
  token: string,
  options: Omit<LeaseOptions, 'owner'>,
) {
  const result = await db
    .updateTable('jobs')
    .set({ lease_expires_at: leaseTime(db, options.now, options.ttlMs) })
    .where('id', '=', jobId)
    .where('lease_token', '=', token)
    .where('status', '=', 'running')
    .where('lease_expires_at', '>=', leaseTime(db, options.now, 0))
    .executeTakeFirst()
  return Number(result.numUpdatedRows) === 1
}

/**
 * Ends a claim: the job leaves `running` with `changes`, if `token` still holds it. One statement,
 * so the job's status event (the outbox trigger) carries the whole outcome.
 */
export async function releaseLease(
  db: Executor,
  jobId: string,
  token: string,
  changes: Partial<Omit<NewJob, 'id' | 'lease_owner' | 'lease_token' | 'lease_expires_at'>>,
): Promise<boolean> {
  const result = await db
    .updateTable('jobs')
    .set({ ...changes, lease_owner: null, lease_token: null, lease_expires_at: null })
    .where('id', '=', jobId)
    .where('lease_token', '=', token)
    .executeTakeFirst()
  return Number(result.numUpdatedRows) === 1
}

/** When the next sleeping job of `types` falls due (ISO text), or null when none is scheduled. */
export async function earliestDue(db: Executor, types: readonly Job['type'][]): Promise<string | null> {
  const row = await db
    .selectFrom('jobs')
    .select('next_run_at')
    .where('status', '=', 'sleeping')
    .where('next_run_at', 'is not', null)
    .where('type', 'in', types)
    .orderBy('next_run_at')
    .limit(1)
    .executeTakeFirst()
  return row?.next_run_at ?? null
}

/**
 * The lease sweep: jobs whose worker died (lease expired) go back to sleeping, due at the slot they
 * were serving, so none shows `running` long after its worker is gone, whoever can claim it.
 * Realtime jobs run without a lease and are left alone.
 */
export async function sweepExpiredLeases(db: Executor, now: Date): Promise<number> {
  const result = await db
    .updateTable('jobs')
    .set({
      status: 'sleeping',
      sleep_reason: 'schedule',
      status_changed_at: now.toISOString(),
      next_run_at: sql<string>`coalesce(next_run_at, ${now.toISOString()})`,
      lease_owner: null,
      lease_token: null,
      lease_expires_at: null,
    })
    .where('status', '=', 'running')
    .where('lease_token', 'is not', null)
    .where('lease_expires_at', '<', leaseTime(db, now, 0))
    .executeTakeFirst()
  return Number(result.numUpdatedRows)
}
