import type { Cadence } from '../../nodes/cadence.ts'
import { type AnyJobConnector, jobConnector } from '../../nodes/connectors.ts'
import { type ConnectorContext, ConnectorError } from '../../nodes/define.ts'
import { findJobType } from '../../nodes/index.ts'
import { loadSourceSettings } from '../data/sources.ts'
import { unifyMessages } from '../data/unify.ts'
import { newId } from '../db/ids.ts'
import { appendLog } from '../db/jobs.repo.ts'
import { isPostgres } from '../db/locks.ts'
import { reserveSeqs, unstoredRecords } from '../db/raw-messages.repo.ts'
import type { Executor, Job, NewRawMessage } from '../db/schema.ts'
import { getIdentityRules } from '../db/settings.repo.ts'
import type { Deps } from '../http/context.ts'
import { outboundContext } from '../net/outbound.ts'
import { credentialsFor } from '../vault/job-credentials.ts'
import { scrubSecrets } from '../vault/scrubber.ts'
import { throttleFor } from './budgets.ts'
import { releaseLease, renewLease } from './leases.ts'
import { afterFailure, afterSuccess, type Outcome } from './outcome.ts'
import { type ClaimedJob, finishRunPg, type LogLine, openRunPg } from './run-statements.pg.ts'
import { wakeDownstream } from './upstream.ts'

/**
 * What every unit of work shares (DESIGN.md §4): its run row, how it ends (release the lease with
 * the outcome and one log line), and what happens when the lease is lost or the process stops.
 */
export type UnitDeps = Pick<Deps, 'db' | 'clock' | 'config' | 'vault'>

/** The lease moved on (expired and claimed elsewhere, or the job was paused): stop, commit nothing. */
export class LeaseLost extends Error {}
/** Shutdown ran out of patience with a batch: the connector is aborted and the job handed back. */
export class Interrupted extends Error {}

/** Shutdown signals: `stop` ends the unit at the next batch boundary; `interrupt` aborts the connector. */
export interface UnitStop {
  stop?: AbortSignal
  interrupt?: AbortSignal
}

/**
 * Keeps a claimed job's lease while its unit runs: renewed every third of the lease (between
 * batches too, so a slow batch keeps it). The signal fires, for the connector, when a renewal
 * fails (LeaseLost) or shutdown runs out of patience (Interrupted).
 */
export function guardLease(
  deps: UnitDeps,
  job: Job,
  interrupt?: AbortSignal,
): { signal: AbortSignal; release(): void } {
  const abort = new AbortController()
  const renewal = setInterval(
    () => {
      renewLease(deps.db, job.id, job.lease_token!, {
        ttlMs: deps.config.leaseTtlMs,
        now: deps.clock.now(),
      }).then(
        (held) => held || abort.abort(new LeaseLost('lease lost')),
        () => undefined,
      )
    },
    Math.max(1000, deps.config.leaseTtlMs / 3),
  )
  renewal.unref()
  const onInterrupt = () => abort.abort(new Interrupted('shutting down'))
  interrupt?.addEventListener('abort', onInterrupt, { once: true })
  return {
    signal: abort.signal,
    release() {
      clearInterval(renewal)
      interrupt?.removeEventListener('abort', onInterrupt)
    },
  }
}

/** The job's connector for `direction`, with its parsed config and context; config errors thrown as such. */
export async function connectorFor<D extends 'import' | 'export' | 'enrichment'>(
  deps: UnitDeps,
  job: Job,
  direction: D,
  signal: AbortSignal,
): Promise<{ connector: Extract<AnyJobConnector, { direction: D }>; ctx: ConnectorContext }> {
  const connector = jobConnector(job.provider, job.job_type)
  const jobType = findJobType(job.provider, job.job_type)
  if (connector?.direction !== direction || !jobType) {
    throw new ConnectorError(
      'config',
      `${job.provider}.${job.job_type} is not an ${direction} this Sluice knows`,
    )
  }
  const parsed = jobType.config.safeParse(JSON.parse(job.config))
  if (!parsed.success)
    throw new ConnectorError('config', `the job's configuration is invalid: ${parsed.error.message}`)
  const throttle = throttleFor(job.provider, job.authorization_id)
  const { credentials, reauthorize } = await credentialsFor(deps, job.authorization_id)
  const ctx: ConnectorContext = {
    config: parsed.data,
    credentials,
    ...(reauthorize ? { reauthorize } : {}),
    signal,
    now: () => deps.clock.now(),
    sleep: (ms) => deps.clock.sleep(ms, signal),
    dataDir: deps.config.dataDir,
    jobId: job.id,
    ...outboundContext(deps.config),
    ...(throttle ? { throttle } : {}),
  }
  return { connector: connector as Extract<AnyJobConnector, { direction: D }>, ctx }
}

/**
 * A unit that threw: a lost lease commits nothing more and a shutdown hands the job back (neither
 * is a connector error); anything else is classified and counts towards the error streak.
 */
export async function endOnError(
  deps: UnitDeps,
  job: Job,
  runId: string,
  error: unknown,
  signal: AbortSignal,
  totals: { added: number; removed: number; omitted: number },
) {
  if (error instanceof LeaseLost || signal.reason instanceof LeaseLost) return lost(deps, job, runId)
  // Whatever the aborted connector threw, shutdown is no connector error.
  if (signal.reason instanceof Interrupted) return handBack(deps, job)
  // What a provider echoed back (a refused key in its error body) must not reach the job's
  // error, log, runs or events: the vault registered every credential this process opened.
  const message = scrubSecrets(error instanceof Error ? error.message : String(error))
  const classified =
    error instanceof ConnectorError
      ? new ConnectorError(error.kind, message, {
          ...(error.retryAt ? { retryAt: error.retryAt } : {}),
          ...(error.code ? { code: error.code } : {}),
        })
      : new ConnectorError('transient', message)
  return finish(
    deps,
    job,
    runId,
    afterFailure(job, classified, deps.clock.now(), deps.config),
    totals,
    classified,
  )
}

/** The run row of this slot; a job recovered after a crash continues the row its first try opened. */
export async function openRun(deps: UnitDeps, job: Job, scheduled: Date, owner: string): Promise<string> {
  const dueAt = scheduled.toISOString()
  const startedAt = deps.clock.now().toISOString()
  if (isPostgres(deps.db)) {
    return openRunPg(deps.db, {
      id: newId(),
      jobId: job.id,
      dueAt,
      owner,
      startedAt,
      firstRun: !job.last_run_at,
    })
  }
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
export async function finish(
  deps: UnitDeps,
  job: Job,
  runId: string,
  outcome: Outcome,
  totals: { added: number; removed: number; omitted: number },
  failure: ConnectorError | null,
) {
  const at = deps.clock.now().toISOString()
  const error = failure?.message ?? null
  const changes = {
    ...outcome.changes,
    status_changed_at: outcome.changes.status === job.status ? job.status_changed_at : at,
    last_run_at: at,
    ...(error === null ? { last_success_at: at } : {}),
  }
  // One Synced per successful run; a one-time job's last run says Completed after it.
  const logs: LogLine[] = []
  if (outcome.event === 'Synced' || outcome.event === 'Completed') {
    logs.push({
      event: 'Synced',
      message: `Synced: ${totals.added} added, ${totals.removed} removed, ${totals.omitted} omitted`,
      details: totals,
    })
  }
  if (outcome.event !== 'Synced') {
    logs.push({
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
  // New profiles or changes: the exports and enrichments this source feeds run after it.
  const wakes = error === null && totals.added > 0
  const released =
    isPostgres(deps.db) && !wakes
      ? await finishRunPg(deps.db, {
          jobId: job.id,
          token: job.lease_token!,
          changes,
          runId,
          outcome: error === null ? 'success' : 'error',
          error,
          logs,
        })
      : await deps.db.transaction().execute(async (trx) => {
          if (!(await releaseLease(trx, job.id, job.lease_token!, changes))) return false
          await trx
            .updateTable('job_runs')
            .set({ ended_at: at, outcome: error === null ? 'success' : 'error', error })
            .where('id', '=', runId)
            .execute()
          if (wakes) await wakeDownstream(trx, job, at)
          for (const line of logs) await appendLog(trx, { jobId: job.id, at, ...line })
          return true
        })
  return released ? outcome.event : await lost(deps, job, runId)
}

/** The lease is gone: paused by a user (the pause lands here, at a batch boundary) or taken over. */
export async function lost(deps: UnitDeps, job: Job, runId: string): Promise<'Paused' | 'LeaseLost'> {
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
export async function handBack(deps: UnitDeps, job: Job): Promise<'Interrupted' | 'LeaseLost'> {
  const released = await releaseLease(deps.db, job.id, job.lease_token!, {
    status: 'sleeping',
    sleep_reason: 'schedule',
    next_run_at: job.next_run_at ?? deps.clock.now().toISOString(),
  })
  return released ? 'Interrupted' : 'LeaseLost'
}

export interface BatchCounts {
  added: number
  removed: number
  omitted: number
}

/**
 * One batch's transaction (DESIGN.md §4): the fencing renewal first, then `work`, then the batch's
 * counts on the run row and the new checkpoint, all committed together. Adds the counts to `totals`.
 */
export async function commitBatch(
  deps: UnitDeps,
  job: Job,
  runId: string,
  totals: BatchCounts,
  work: (trx: Executor, now: string) => Promise<{ counts: Partial<BatchCounts>; checkpoint: unknown }>,
): Promise<BatchCounts> {
  const counts = await deps.db.transaction().execute(async (trx) => {
    const lease = { ttlMs: deps.config.leaseTtlMs, now: deps.clock.now() }
    if (!(await renewLease(trx, job.id, job.lease_token!, lease))) throw new LeaseLost('lease lost')
    const now = deps.clock.now().toISOString()
    const done = await work(trx, now)
    const counts = { added: 0, removed: 0, omitted: 0, ...done.counts }
    await trx
      .updateTable('jobs')
      .set({ state: JSON.stringify(done.checkpoint) })
      .where('id', '=', job.id)
      .execute()
    await trx
      .updateTable('job_runs')
      .set((eb) => ({
        added: eb('added', '+', counts.added),
        removed: eb('removed', '+', counts.removed),
        omitted: eb('omitted', '+', counts.omitted),
      }))
      .where('id', '=', runId)
      .execute()
    return counts
  })
  totals.added += counts.added
  totals.removed += counts.removed
  totals.omitted += counts.omitted
  return counts
}

/**
 * Stores a job's records as raw messages (deduplicated by job and record key) and unifies them.
 * Each new record is written once, already applied: a seq is reserved for it, unification runs
 * on it, and the row goes in with its outcome (see insertUnifiedRows).
 */
export async function storeAndUnify(
  trx: Executor,
  deps: UnitDeps,
  jobId: string,
  messages: NewRawMessage[],
  now: string,
) {
  const fresh = await unstoredRecords(trx, jobId, messages)
  const seqs = await reserveSeqs(trx, fresh.length)
  const settings = await loadSourceSettings(trx, [jobId])
  return unifyMessages(
    trx,
    fresh.map((message, i) => ({
      seq: seqs[i]!,
      stream: message.stream,
      event_time: message.event_time,
      payload: message.payload,
      job_id: message.job_id ?? null,
      upload_id: message.upload_id ?? null,
    })),
    {
      rules: await getIdentityRules(trx),
      mappingFor: settings.mappingFor,
      mergeCap: deps.config.mergeCap,
      now,
      unstored: new Map(fresh.map((message, i) => [seqs[i]!, message])),
    },
  )
}

export type UnitResult = Outcome['event'] | 'Paused' | 'LeaseLost' | 'Interrupted'

/** What a unit's body works with; see `runUnit`. */
export interface UnitRun {
  runId: string
  totals: BatchCounts
  /** For the connector: fires when the lease is lost or shutdown runs out of patience. */
  signal: AbortSignal
  /** Ends the run: sleeps until the next slot of the schedule, or completes when `done`. */
  succeed(done: boolean): Promise<UnitResult>
  /** Shutdown at a batch boundary: the job goes back, due at the slot it was serving. */
  handBack(): Promise<UnitResult>
}

/**
 * The frame of every unit of work: the slot's run row, the lease kept while `body` runs, and the
 * ending — success, a classified error, a lost lease or a shutdown — whatever `body` throws.
 */
export async function runUnit(
  deps: UnitDeps,
  job: Job,
  owner: string,
  interrupt: AbortSignal | undefined,
  body: (run: UnitRun) => Promise<UnitResult>,
): Promise<UnitResult> {
  const scheduled = job.next_run_at ? new Date(job.next_run_at) : deps.clock.now()
  const runId = (job as ClaimedJob).run_id ?? (await openRun(deps, job, scheduled, owner))
  const totals: BatchCounts = { added: 0, removed: 0, omitted: 0 }
  const guard = guardLease(deps, job, interrupt)
  try {
    return await body({
      runId,
      totals,
      signal: guard.signal,
      succeed: (done) => {
        const outcome = afterSuccess(JSON.parse(job.cadence) as Cadence, scheduled, deps.clock.now(), done)
        return finish(deps, job, runId, outcome, totals, null)
      },
      handBack: () => handBack(deps, job),
    })
  } catch (error) {
    return await endOnError(deps, job, runId, error, guard.signal, totals)
  } finally {
    guard.release()
  }
}
