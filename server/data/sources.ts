import type { Mapping } from '../../nodes/pipeline.ts'
import type { Executor } from '../db/schema.ts'
import type { PendingMessage } from './unify.ts'

/** How the deployed source nodes shape unification: mappings, and streams held by a paused node. */
export interface SourceSettings {
  /** Streams whose every Collect API node is paused: stored, not unified until resume. */
  held: Set<string>
  mappingFor(message: PendingMessage): Mapping | null
  /** The Collect API job a stream's messages count for (metrics), if a node names it. */
  jobOf(stream: string): string | null
}

const parse = <T>(text: string | null): T | null => (text ? (JSON.parse(text) as T) : null)

/**
 * Reads the Collect API jobs (few: one per deployed node) and the import jobs of `jobIds`. A stream
 * named by several nodes takes the mapping of the one updated last.
 */
export async function loadSourceSettings(
  db: Executor,
  jobIds: readonly string[] = [],
): Promise<SourceSettings> {
  const collectJobs = await db
    .selectFrom('jobs')
    .select(['id', 'status', 'config', 'mapping', 'updated_at'])
    .where('provider', '=', 'collect')
    .where('status', '<>', 'removed')
    .orderBy('updated_at')
    .execute()
  const byStream = new Map<string, { paused: boolean; mapping: Mapping | null; jobId: string }>()
  for (const job of collectJobs) {
    const stream = parse<{ stream?: string }>(job.config)?.stream
    if (!stream) continue
    const before = byStream.get(stream)
    byStream.set(stream, {
      paused: (before?.paused ?? true) && job.status === 'paused',
      mapping: parse<Mapping>(job.mapping),
      jobId: job.id,
    })
  }
  const jobMappings = new Map<string, Mapping | null>()
  if (jobIds.length) {
    const rows = await db
      .selectFrom('jobs')
      .select(['id', 'mapping'])
      .where('id', 'in', [...new Set(jobIds)])
      .execute()
    for (const row of rows) jobMappings.set(row.id, parse<Mapping>(row.mapping))
  }
  return {
    held: new Set([...byStream].filter(([, entry]) => entry.paused).map(([stream]) => stream)),
    jobOf: (stream) => byStream.get(stream)?.jobId ?? null,
    mappingFor: (message) =>
      message.job_id
        ? (jobMappings.get(message.job_id) ?? null)
        : (byStream.get(message.stream)?.mapping ?? null),
  }
}
