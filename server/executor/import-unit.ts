import { toUtc } from '../../nodes/event-time.ts'
import { addMetrics, addUnifyMetrics } from '../db/metrics.repo.ts'
import type { Job, NewRawMessage } from '../db/schema.ts'
import { readAhead } from './read-ahead.ts'
import {
  commitBatch,
  connectorFor,
  runUnit,
  storeAndUnify,
  type UnitDeps,
  type UnitResult,
  type UnitStop,
} from './run-lifecycle.ts'

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
): Promise<UnitResult> {
  return runUnit(deps, job, owner, interrupt, async (run) => {
    const { connector, ctx } = await connectorFor(deps, job, 'import', run.signal)
    let done = false
    if (stop?.aborted) return run.handBack()
    const batches = connector.read(ctx, {
      checkpoint: job.state ? (JSON.parse(job.state) as unknown) : null,
    })
    for await (const batch of readAhead(batches)) {
      await commitBatch(deps, job, run.runId, run.totals, async (trx, now) => {
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
        const result = await storeAndUnify(trx, deps, job.id, messages, now)
        await addUnifyMetrics(trx, result.byJob, now)
        // Rows the source skipped as unreadable count as omitted, like records without an identity.
        if (batch.omitted) await addMetrics(trx, job.id, now, { omitted: batch.omitted })
        const mine = result.byJob.get(job.id)
        return {
          counts: { added: mine?.changed.size ?? 0, omitted: (mine?.omitted ?? 0) + (batch.omitted ?? 0) },
          checkpoint: batch.checkpoint,
        }
      })
      if (batch.done) done = true
      if (stop?.aborted && !done) return run.handBack()
    }
    return run.succeed(done)
  })
}

export type { UnitStop } from './run-lifecycle.ts'
