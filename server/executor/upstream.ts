import { downstreamOf } from '../../nodes/pipeline.ts'
import { deployedDocument } from '../db/pipelines.repo.ts'
import type { Executor, Job } from '../db/schema.ts'

/** Least time between two runs of a job woken by its upstream. */
export const AFTER_UPSTREAM_GAP_MS = 60_000

/**
 * `{ after: "upstream" }` (DESIGN.md §4): when an import commits new data, the export and
 * enrichment jobs it feeds in its deployed pipeline fall due now. Jobs already due earlier, or not
 * sleeping on their schedule (paused, failed, running, backing off, rate-limited), are left as
 * they are. Returns the ids of the jobs woken.
 */
export async function wakeDownstream(
  db: Executor,
  job: Pick<Job, 'pipeline_id' | 'node_id'>,
  at: string,
): Promise<string[]> {
  if (!job.pipeline_id || !job.node_id) return []
  const doc = await deployedDocument(db, job.pipeline_id)
  if (!doc) return []
  const nodes = [...downstreamOf(doc, job.node_id)]
  if (nodes.length === 0) return []
  const candidates = await db
    .selectFrom('jobs')
    .select(['id', 'cadence', 'next_run_at', 'last_run_at'])
    .where('pipeline_id', '=', job.pipeline_id)
    .where('node_id', 'in', nodes)
    .where('status', '=', 'sleeping')
    // A retry back-off or a provider's rate limit is not cut short by new data.
    .where('sleep_reason', '=', 'schedule')
    .execute()
  const woken: string[] = []
  for (const candidate of candidates) {
    const cadence = JSON.parse(candidate.cadence) as unknown
    if (typeof cadence !== 'object' || cadence === null || !('after' in cadence)) continue
    // A busy upstream (a collect stream takes traffic all day) runs its exports once a minute at most.
    const due = candidate.last_run_at
      ? new Date(Date.parse(candidate.last_run_at) + AFTER_UPSTREAM_GAP_MS).toISOString()
      : at
    const when = due > at ? due : at
    if (candidate.next_run_at !== null && candidate.next_run_at <= when) continue
    await db
      .updateTable('jobs')
      .set({ next_run_at: when, sleep_reason: 'schedule' })
      .where('id', '=', candidate.id)
      .where('status', '=', 'sleeping')
      .execute()
    woken.push(candidate.id)
  }
  return woken
}
