import { sql } from 'kysely'
import type { Executor } from './schema.ts'

/** The hour bucket a time falls in (ISO-8601, as job_metrics keys it). */
export const hourOf = (at: string) => `${at.slice(0, 13)}:00:00.000Z`

/** Adds a batch's counts to its job's hour (DESIGN.md §4 "Metrics"), in the batch's transaction. */
export async function addMetrics(
  db: Executor,
  jobId: string,
  at: string,
  counts: { added?: number; removed?: number; omitted?: number },
): Promise<void> {
  const added = counts.added ?? 0
  const removed = counts.removed ?? 0
  const omitted = counts.omitted ?? 0
  if (!added && !removed && !omitted) return
  await db
    .insertInto('job_metrics')
    .values({ job_id: jobId, bucket: hourOf(at), added, removed, omitted })
    .onConflict((conflict) =>
      conflict.columns(['job_id', 'bucket']).doUpdateSet({
        added: sql`job_metrics.added + ${added}`,
        removed: sql`job_metrics.removed + ${removed}`,
        omitted: sql`job_metrics.omitted + ${omitted}`,
      }),
    )
    .execute()
}

/** Writes the per-job counts of a unified batch; a job deleted meanwhile is skipped. */
export async function addUnifyMetrics(
  db: Executor,
  byJob: Map<string, { changed: Set<string>; omitted: number }>,
  at: string,
): Promise<void> {
  if (byJob.size === 0) return
  const live = new Set(
    (
      await db
        .selectFrom('jobs')
        .select('id')
        .where('id', 'in', [...byJob.keys()])
        .execute()
    ).map((row) => row.id),
  )
  for (const [jobId, counts] of byJob) {
    if (live.has(jobId))
      await addMetrics(db, jobId, at, { added: counts.changed.size, omitted: counts.omitted })
  }
}
