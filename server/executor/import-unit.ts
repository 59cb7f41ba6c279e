import type { Cadence } from '../../nodes/cadence.ts'
import { jobConnector } from '../../nodes/connectors.ts'
import { ConnectorError } from '../../nodes/define.ts'
import { findJobType } from '../../nodes/index.ts'
import { toUtc } from '../data/event-time.ts'
import { loadSourceSettings } from '../data/sources.ts'
import { unifyMessages } from '../data/unify.ts'
import { newId } from '../db/ids.ts'
import { appendLog } from '../db/jobs.repo.ts'
import { addUnifyMetrics } from '../db/metrics.repo.ts'
import { insertRawMessages } from '../db/raw-messages.repo.ts'
import type { Job, NewRawMessage } from '../db/schema.ts'
import { getIdentityRules } from '../db/settings.repo.ts'
import type { Deps } from '../http/context.ts'
import { throttleFor } from './budgets.ts'
import { releaseLease, renewLease } from './leases.ts'
import { afterFailure, afterSuccess, type Outcome } from './outcome.ts'
import { wakeDownstream } from './upstream.ts'

type UnitDeps = Pick<Deps, 'db' | 'clock' | 'config'>

/** The lease moved on (expired and claimed elsewhere, or the job was paused): stop, commit nothing. */
class LeaseLost extends Error {}
/** Shutdown ran out of patience with a batch: the connector is aborted and the job handed back. */
class Interrupted extends Error {}

/** Shutdown signals: `stop` ends the unit at the next batch boundary; `interrupt` aborts the connector. */
export interface UnitStop {
  stop?: AbortSignal
  interrupt?: AbortSignal
}

/** The stream an import job's records land in: its provider and job type, e.g. `sample.events`. */
export const importStream = (job: Pick<Job, 'provider' | 'job_type'>) => `${job.provider}.${job.job_type}`

/**
 * One unit of work of a claimed import job (DESIGN.md §4): the source's batches, each in one
 * transaction that begins with the fencing renewal and holds the records (deduplicated by job and
 * record key), their unification into profiles, the metrics and the new checkpoint. The run is a
 * `job_runs` row for the slot it serves; the job then sleeps, retries, fails or completes.
 */
export async function runImportUnit(
  deps: UnitDeps,
  job: Job,
  owner: string,
  /** Shutdown: stop at the next batch boundary and hand the job back, due at the same slot. */
  { stop, interrupt }: UnitStop = {},
): Promise<Outcome['event'] | 'Paused' | 'LeaseLost' | 'Interrupted'> {
  const { db, clock, config } = deps
  const token = job.lease_token!
  const lease = () => ({ ttlMs: config.leaseTtlMs, now: clock.now() })
  const startedAt = clock.now()
  const scheduled = job.next_run_at ? new Date(job.next_run_at) : startedAt
  const runId = await openRun(deps, job, scheduled, owner)
  const totals = { added: 0, removed: 0, omitted: 0 }
  const abort = new AbortController()
  // Renewed between batches too, so a long batch from a slow source keeps its lease.
  const renewal = setInterval(
    () => {
      renewLease(db, job.id, token, lease()).then(
        (held) => held || abort.abort(new LeaseLost('lease lost')),
        () => undefined,
      )
    },
    Math.max(1000, config.leaseTtlMs / 3),
  )
  renewal.unref()
  const onInterrupt = () => abort.abort(new Interrupted('shutting down'))
  interrupt?.addEventListener('abort', onInterrupt, { once: true })
  try {
    const connector = jobConnector(job.provider, job.job_type)
    const jobType = findJobType(job.provider, job.job_type)
    if (connector?.direction !== 'import' || !jobType) {
      throw new ConnectorError('config', `${job.provider}.${job.job_type} is not an import this Sluice knows`)
    }
    const parsed = jobType.config.safeParse(JSON.parse(job.config))
    if (!parsed.success)
      throw new ConnectorError('config', `the job's configuration is invalid: ${parsed.error.message}`)
    const throttle = throttleFor(job.provider, job.authorization_id)
    const ctx = {
      config: parsed.data,
      credentials: {},
      signal: abort.signal,
      now: () => clock.now(),
      dataDir: config.dataDir,
      jobId: job.id,
      ...(throttle ? { throttle } : {}),
    }
    let done = false
    if (stop?.aborted) return await handBack(deps, job)
    for await (const batch of connector.read(ctx, {
      checkpoint: job.state ? (JSON.parse(job.state) as unknown) : null,
    })) {
      const counts = await db.transaction().execute(async (trx) => {
        if (!(await renewLease(trx, job.id, token, lease()))) throw new LeaseLost('lease lost')
        const now = clock.now().toISOString()
        const messages: NewRawMessage[] = batch.records.map((record) => ({
          stream: importStream(job),
          event_time: (record.eventTime && toUtc(record.eventTime)) || now,
          received_at: now,
          lane: 'job',
          job_id: job.id,
          upload_id: null,
          record_key: record.key,
          message_id: null,
          payload: JSON.stringify(record.data),
          unified_at: null,
          profile_id: null,
        }))
        const stored = await insertRawMessages(trx, messages)
        const settings = await loadSourceSettings(trx, [job.id])
        const result = await unifyMessages(trx, stored, {
          rules: await getIdentityRules(trx),
          mappingFor: settings.mappingFor,
          mergeCap: config.mergeCap,
          now,
        })
        await addUnifyMetrics(trx, result.byJob, now)
        const mine = result.byJob.get(job.id)
        const added = mine?.changed.size ?? 0
        const omitted = mine?.omitted ?? 0
        await trx
          .updateTable('jobs')
          .set({ state: JSON.stringify(batch.checkpoint) })
          .where('id', '=', job.id)
          .execute()
        await trx
          .updateTable('job_runs')
          .set((eb) => ({ added: eb('added', '+', added), omitted: eb('omitted', '+', omitted) }))
          .where('id', '=', runId)
          .execute()
        return { added, omitted }
      })
      totals.added += counts.added
      totals.omitted += counts.omitted
      if (batch.done) done = true
      if (stop?.aborted && !done) return await handBack(deps, job)
    }
    const cadence = JSON.parse(job.cadence) as Cadence
    return await finish(deps, job, runId, afterSuccess(cadence, scheduled, clock.now(), done), totals, null)
  } catch (error) {
    if (error instanceof LeaseLost || abort.signal.reason instanceof LeaseLost)
      return await lost(deps, job, runId)
    // Whatever the aborted connector threw, shutdown is no connector error.
    if (abort.signal.reason instanceof Interrupted) return await handBack(deps, job)
    const classified =
      error instanceof ConnectorError
        ? error
        : new ConnectorError('transient', error instanceof Error ? error.message : String(error))
    const outcome = afterFailure(job, classified, clock.now(), config)
    return await finish(deps, job, runId, outcome, totals, classified)
  } finally {
    clearInterval(renewal)
    interrupt?.removeEventListener('abort', onInterrupt)
  }
}

/** The run row of this slot; a job recovered after a crash continues the row its first try opened. */
async function openRun(deps: UnitDeps, job: Job, scheduled: Date, owner: string): Promise<string> {
  const dueAt = scheduled.toISOString()
  const startedAt = deps.clock.now().toISOString()
  const opened = await deps.db
    .insertInto('job_runs')
    .values({
      id: newId(),
      job_id: job.id,
      due_at: dueAt,
      worker: owner,
      started_at: startedAt,
      ended_at: null,
      outcome: null,
      added: 0,
      removed: 0,
      omitted: 0,
      error: null,
    })
    .onConflict((conflict) => conflict.columns(['job_id', 'due_at']).doNothing())
    .returning('id')
    .executeTakeFirst()
  if (opened) {
    if (!job.last_run_at) {
      await appendLog(deps.db, {
        jobId: job.id,
        at: startedAt,
        event: 'Started',
        message: 'Started: the first run',
      })
    }
    return opened.id
  }
  // A recovered job continues its slot's row; the row names the worker that carries it on.
  const run = await deps.db
    .updateTable('job_runs')
    .set({ worker: owner })
    .where('job_id', '=', job.id)
    .where('due_at', '=', dueAt)
    .returning('id')
    .executeTakeFirstOrThrow()
  return run.id
}

/** Ends the run, releases the lease with the outcome, and logs one line for the run. */
async function finish(
  deps: UnitDeps,
  job: Job,
  runId: string,
  outcome: Outcome,
  totals: { added: number; removed: number; omitted: number },
  failure: ConnectorError | null,
) {
  const at = deps.clock.now().toISOString()
  const error = failure?.message ?? null
  const released = await deps.db.transaction().execute(async (trx) => {
    const ok = await releaseLease(trx, job.id, job.lease_token!, {
      ...outcome.changes,
      status_changed_at: outcome.changes.status === job.status ? job.status_changed_at : at,
    })
    if (!ok) return false
    await trx
      .updateTable('jobs')
      .set({
        last_run_at: at,
        ...(error === null ? { last_success_at: at } : {}),
        consecutive_errors: outcome.changes.consecutive_errors,
        first_error_at: outcome.changes.first_error_at,
        last_error: outcome.changes.last_error,
      })
      .where('id', '=', job.id)
      .execute()
    await trx
      .updateTable('job_runs')
      .set({ ended_at: at, outcome: error === null ? 'success' : 'error', error })
      .where('id', '=', runId)
      .execute()
    // New profiles or changes: the exports and enrichments this source feeds run after it.
    if (error === null && totals.added > 0) await wakeDownstream(trx, job, at)
    // One Synced per successful run; a one-time job's last run says Completed after it.
    if (outcome.event === 'Synced' || outcome.event === 'Completed') {
      await appendLog(trx, {
        jobId: job.id,
        at,
        event: 'Synced',
        message: `Synced: ${totals.added} added, ${totals.removed} removed, ${totals.omitted} omitted`,
        details: totals,
      })
    }
    if (outcome.event !== 'Synced') {
      await appendLog(trx, {
        jobId: job.id,
        at,
        event: outcome.event,
        message: outcome.message,
        details: {
          ...totals,
          error,
          ...(failure ? { kind: failure.kind, code: failure.code ?? null } : {}),
          // When it runs again: the retry after an Error, the end of a rate-limit sleep.
          ...(outcome.changes.next_run_at && failure ? { retryAt: outcome.changes.next_run_at } : {}),
        },
      })
    }
    return true
  })
  return released ? outcome.event : await lost(deps, job, runId)
}

/** The lease is gone: paused by a user (the pause lands here, at a batch boundary) or taken over. */
async function lost(deps: UnitDeps, job: Job, runId: string): Promise<'Paused' | 'LeaseLost'> {
  const at = deps.clock.now().toISOString()
  const current = await deps.db
    .selectFrom('jobs')
    .select(['status', 'lease_token'])
    .where('id', '=', job.id)
    .executeTakeFirst()
  const paused = current?.status === 'paused' && current.lease_token === job.lease_token
  if (paused) {
    await deps.db
      .updateTable('jobs')
      .set({ lease_owner: null, lease_token: null, lease_expires_at: null, last_run_at: at })
      .where('id', '=', job.id)
      .where('lease_token', '=', job.lease_token)
      .execute()
  }
  await deps.db
    .updateTable('job_runs')
    .set({ ended_at: at, outcome: paused ? 'paused' : 'lease_lost' })
    .where('id', '=', runId)
    .where('ended_at', 'is', null)
    .execute()
  return paused ? 'Paused' : 'LeaseLost'
}

/**
 * Shutdown mid-unit: the batches so far are committed with their checkpoint; the job goes back to
 * sleeping, due at the slot it was serving, so the next worker continues it (and its run row).
 */
async function handBack(deps: UnitDeps, job: Job): Promise<'Interrupted' | 'LeaseLost'> {
  const released = await releaseLease(deps.db, job.id, job.lease_token!, {
    status: 'sleeping',
    sleep_reason: 'schedule',
    next_run_at: job.next_run_at ?? deps.clock.now().toISOString(),
  })
  return released ? 'Interrupted' : 'LeaseLost'
}
