import { sql } from 'kysely'
import { filterSql, INLINE } from '../data/audience-sql.ts'
import { exportPlan, fingerprintOf } from '../data/export-delta.ts'
import { isPostgres } from '../db/locks.ts'
import { addMetrics } from '../db/metrics.repo.ts'
import type { Job, NewRawMessage } from '../db/schema.ts'
import { getIdentityRules } from '../db/settings.repo.ts'
import {
  commitBatch,
  connectorFor,
  runUnit,
  storeAndUnify,
  type UnitDeps,
  type UnitResult,
  type UnitStop,
} from './run-lifecycle.ts'

/** Profiles per call to the enrichment connector. */
const BATCH = 100

/** Where an enrichment run continues: the last profile it looked at, in (updated_at, id) order. */
interface Cursor {
  updatedAt: string
  id: string
}

/** The stream an enrichment job's output is stored in, so a rebuild replays it like any other. */
export const enrichmentStream = (jobId: string) => `enrichment.${jobId}`

/**
 * One unit of work of an enrichment job (DESIGN.md §5): the profiles it is fed that changed since
 * its checkpoint go through the connector; what comes back is stored as raw messages of stream
 * `enrichment.<job>` carrying the profile's identities, and unified like any other data. The
 * input sent is the profile less the enrichment's own output, fingerprinted per profile, so the
 * output landing on a profile never makes it look changed again.
 */
export async function runEnrichmentUnit(
  deps: UnitDeps,
  job: Job,
  owner: string,
  { stop, interrupt }: UnitStop = {},
): Promise<UnitResult> {
  const { db } = deps
  const own = enrichmentStream(job.id)
  return runUnit(deps, job, owner, interrupt, async (run) => {
    const { connector, ctx } = await connectorFor(deps, job, 'enrichment', run.signal)
    const plan = await exportPlan(db, job)
    let cursor = job.state ? (JSON.parse(job.state) as Cursor) : null
    const identityFields = new Set((await getIdentityRules(db)).fields.map((field) => field.name))
    const where = plan.filter ? filterSql(plan.filter, isPostgres(db) ? 'postgres' : 'sqlite', INLINE) : null
    while (where) {
      const after = cursor
        ? sql<boolean>`(p.updated_at > ${cursor.updatedAt} or (p.updated_at = ${cursor.updatedAt} and p.id > ${cursor.id}))`
        : sql<boolean>`true`
      const { rows } = await sql<{ id: string; attributes: string; updated_at: string }>`
        select p.id, p.attributes, p.updated_at from profiles as p
        where ${after} and ${where} order by p.updated_at, p.id limit ${BATCH}`.execute(db)
      if (rows.length === 0) break
      const last = rows.at(-1)!
      cursor = { updatedAt: last.updated_at, id: last.id }
      // The input: the profile as its other sources made it. Identity fields the output carries
      // (to find its profile) hold the values they had: they stay in.
      const inputs = rows.map((row) => {
        const attributes = Object.fromEntries(
          Object.entries(JSON.parse(row.attributes) as Record<string, [unknown, string, number, string]>)
            .filter(([name, stamped]) => stamped[3] !== own || identityFields.has(name))
            .map(([name, [value]]) => [name, value]),
        )
        // The job's config is in it too: a new prefix or input field enriches everyone again.
        return { id: row.id, attributes, fingerprint: fingerprintOf({ attributes, config: job.config }) }
      })
      const sent = new Map(
        (
          await db
            .selectFrom('enrichment_inputs')
            .select(['profile_id', 'fingerprint'])
            .where('job_id', '=', job.id)
            .where(
              'profile_id',
              'in',
              inputs.map((input) => input.id),
            )
            .execute()
        ).map((row) => [row.profile_id, row.fingerprint]),
      )
      const changed = inputs.filter((input) => sent.get(input.id) !== input.fingerprint)
      const outputs = changed.length
        ? await connector.enrich(
            ctx,
            changed.map(({ id, attributes }) => ({ id, attributes })),
          )
        : []
      await commitBatch(deps, job, run.runId, run.totals, async (trx, now) => {
        const byId = new Map(changed.map((input) => [input.id, input]))
        const enriched = outputs.filter(
          (output) => byId.has(output.id) && Object.keys(output.attributes).length > 0,
        )
        const identities = enriched.length
          ? await trx
              .selectFrom('profile_identities')
              .select(['profile_id', 'field', 'value'])
              .where(
                'profile_id',
                'in',
                enriched.map((output) => output.id),
              )
              .where('flagged_at', 'is', null)
              .orderBy('created_at')
              .execute()
          : []
        const messages: NewRawMessage[] = enriched.map((output) => {
          const keys: Record<string, string> = {}
          for (const identity of identities)
            if (identity.profile_id === output.id) keys[identity.field] ??= identity.value
          return {
            stream: own,
            event_time: now,
            received_at: now,
            lane: 'job',
            job_id: job.id,
            upload_id: null,
            record_key: `${output.id}:${byId.get(output.id)!.fingerprint}`,
            message_id: null,
            payload: JSON.stringify({ ...output.attributes, ...keys }),
            unified_at: null,
            profile_id: null,
          }
        })
        await storeAndUnify(trx, deps, job.id, messages, now)
        for (const input of changed) {
          await trx
            .insertInto('enrichment_inputs')
            .values({
              job_id: job.id,
              profile_id: input.id,
              fingerprint: input.fingerprint,
              enriched_at: now,
            })
            .onConflict((conflict) =>
              conflict
                .columns(['job_id', 'profile_id'])
                .doUpdateSet({ fingerprint: input.fingerprint, enriched_at: now }),
            )
            .execute()
        }
        // Enrichment metrics (DESIGN.md §4): profiles enriched / 0 / profiles lacking the input.
        const counts = { added: enriched.length, removed: 0, omitted: changed.length - enriched.length }
        await addMetrics(trx, job.id, now, counts)
        return { counts, checkpoint: cursor }
      })
      if (stop?.aborted) return run.handBack()
    }
    return run.succeed(false)
  })
}
