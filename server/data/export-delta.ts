import { hash } from 'node:crypto'
import { sql } from 'kysely'
import type { AudienceFilter } from '../../nodes/audience.ts'
import type { ExportBatch, WriteAck } from '../../nodes/define.ts'
import { findJobType } from '../../nodes/index.ts'
import type { Mapping, PipelineDocument } from '../../nodes/pipeline.ts'
import { isPostgres } from '../db/locks.ts'
import { deployedDocument } from '../db/pipelines.repo.ts'
import type { Executor, Job } from '../db/schema.ts'
import { prepared, sqliteOf } from '../db/sqlite-handle.ts'
import { filterSql, INLINE } from './audience-sql.ts'
import { applyMapping } from './mapping.ts'

/**
 * Export deltas (DESIGN.md §5). Delivery state keeps, per export job and destination identifier,
 * the profile it came from and a fingerprint of the mapped payload. A run compares the audience
 * as it is now with that state: people new or changed are upserted, delivered identifiers no
 * current member yields are removed. Keyed by identifier, a merge re-links the survivor's
 * identifier instead of removing it, and a changed filter or mapping reconciles by itself.
 * (Every run compares the whole audience; narrowing it to profiles changed since the last run,
 * by a change sequence, is the next step.)
 */
export interface ExportPlan {
  /** Who the destination gets; null when nothing feeds it (everyone delivered is then removed). */
  filter: AudienceFilter | null
  mapping: Mapping | null
  /** The mapped fields that key a person at the destination, first present wins. */
  identifierFields: string[]
}

/** One delivery row as a batch carries it until the destination acknowledges it. */
export interface PendingRow {
  profileId: string
  fingerprint: string
}

const PAGE = 1000

/** Who feeds the export's node in its deployed pipeline, as one filter, and how to map them. */
export async function exportPlan(db: Executor, job: Job): Promise<ExportPlan> {
  const mapping = job.mapping === null ? null : (JSON.parse(job.mapping) as Mapping)
  const marked = (mapping?.fields ?? [])
    .filter((field) => field.identity && field.to)
    .map((field) => field.to!)
  const identifierFields = marked.length
    ? marked
    : [findJobType(job.provider, job.job_type)?.identifier ?? 'email']
  const doc = job.pipeline_id === null ? undefined : await deployedDocument(db, job.pipeline_id)
  if (!doc || job.node_id === null) return { filter: null, mapping, identifierFields }
  const audienceIds = doc.nodes.flatMap((node) => (node.kind === 'audience' ? [node.data.audienceId] : []))
  const audiences = new Map(
    audienceIds.length === 0
      ? []
      : (
          await db.selectFrom('audiences').select(['id', 'filter']).where('id', 'in', audienceIds).execute()
        ).map((row) => [row.id, JSON.parse(row.filter) as AudienceFilter]),
  )
  const parts = feeders(doc, job.node_id, audiences, new Set())
  return {
    filter: parts.length === 0 ? null : parts.length === 1 ? parts[0]! : { or: parts },
    mapping,
    identifierFields,
  }
}

/** Filters of what flows into `nodeId`: audiences by their filter, sources as "has their stream". */
function feeders(
  doc: PipelineDocument,
  nodeId: string,
  audiences: Map<string, AudienceFilter>,
  visited: Set<string>,
): AudienceFilter[] {
  visited.add(nodeId)
  const byId = new Map(doc.nodes.map((node) => [node.id, node]))
  const parts: AudienceFilter[] = []
  for (const edge of doc.edges) {
    if (edge.target !== nodeId || visited.has(edge.source)) continue
    const node = byId.get(edge.source)
    if (!node) continue
    if (node.kind === 'audience') {
      const filter = audiences.get(node.data.audienceId)
      if (filter) parts.push(filter)
    } else if (node.kind === 'source') {
      const stream =
        node.provider === 'collect' ? (node.data.config as { stream?: string }).stream : undefined
      parts.push({ stream: stream ?? `${node.provider}.${node.jobType}` })
    } else if (node.kind === 'enrichment') {
      parts.push(...feeders(doc, node.id, audiences, visited))
    }
  }
  return parts
}

/** Attribute values of a stored profile (`{ name: [value, ...] }`). */
export function valuesOf(attributes: string): Record<string, unknown> {
  const stamped = JSON.parse(attributes) as Record<string, [unknown]>
  const values: Record<string, unknown> = {}
  for (const name in stamped) values[name] = stamped[name]![0]
  return values
}

/** The payload a destination gets: the mapping applied, or every attribute as it is. */
function mapped(values: Record<string, unknown>, mapping: Mapping | null): Record<string, unknown> {
  if (mapping === null) {
    for (const name in values) if (values[name] === null || values[name] === '') delete values[name]
    return values
  }
  return applyMapping(values, mapping).attributes
}

/** The person's key at the destination: its first identifier field present, trimmed (emails lower-cased). */
function identifierOf(fields: Record<string, unknown>, plan: ExportPlan): string | null {
  for (const name of plan.identifierFields) {
    const value = fields[name]
    if (value === undefined || value === null || value === '') continue
    const text = String(value).trim()
    if (text) return text.includes('@') ? text.toLowerCase() : text
  }
  return null
}

/** Stable across key order: the same payload always has the same fingerprint. */
export function fingerprintOf(fields: Record<string, unknown>): string {
  const keys = Object.keys(fields).sort()
  const sorted = keys.map((key) => [key, fields[key]])
  return hash('sha1', JSON.stringify(sorted), 'base64url')
}

export interface DeltaBatch {
  batch: ExportBatch
  rows: Map<string, PendingRow>
}

/**
 * The run's batches: first upserts (new or changed people), then, once every upsert is
 * acknowledged (`settled`), removes. Profiles without an identifier are counted in `omitted`.
 */
export async function* exportDelta(
  db: Executor,
  job: Pick<Job, 'id'>,
  plan: ExportPlan,
  options: { batchSize: number; settled: () => Promise<void>; omitted: { count: number } },
): AsyncGenerator<DeltaBatch> {
  const postgres = isPostgres(db)
  const dialect = postgres ? 'postgres' : 'sqlite'
  let batch: DeltaBatch = { batch: { upserts: [], removes: [] }, rows: new Map() }
  const full = () => batch.batch.upserts.length + batch.batch.removes.length >= options.batchSize
  const take = () => {
    const out = batch
    batch = { batch: { upserts: [], removes: [] }, rows: new Map() }
    return out
  }

  const moved: { identifier: string; profile_id: string }[] = []
  const hasState =
    (await db
      .selectFrom('export_deliveries')
      .select('identifier')
      .where('job_id', '=', job.id)
      .limit(1)
      .executeTakeFirst()) !== undefined
  if (plan.filter) {
    const where = filterSql(plan.filter, dialect, INLINE)
    let after = ''
    for (;;) {
      const { rows } = await sql<{ id: string; attributes: string }>`
        select p.id, p.attributes from profiles as p
        where p.id > ${after} and ${where} order by p.id limit ${PAGE}`.execute(db)
      if (rows.length === 0) break
      after = rows.at(-1)!.id
      const current = new Map<
        string,
        { profileId: string; fields: Record<string, unknown>; fingerprint: string }
      >()
      const yields = new Map<string, string | null>()
      for (const row of rows) {
        const fields = mapped(valuesOf(row.attributes), plan.mapping)
        const identifier = identifierOf(fields, plan)
        yields.set(row.id, identifier)
        if (identifier === null) {
          options.omitted.count++
          continue
        }
        if (!current.has(identifier))
          current.set(identifier, { profileId: row.id, fields, fingerprint: fingerprintOf(fields) })
      }
      // A first delivery has no state to compare with.
      const delivered = hasState
        ? await deliveredOf(db, job.id, [...current.keys()])
        : new Map<string, Delivered>()
      // Delivered under an identifier the profile no longer yields (its email changed): a remove,
      // unless another profile takes that identifier over in this run (checked once upserts settle).
      // The page's id range also holds profiles outside the audience: those are leaving anyway.
      const previous = hasState ? await deliveredBetween(db, job.id, rows[0]!.id, after) : []
      for (const row of previous) if (yields.get(row.profile_id) !== row.identifier) moved.push(row)
      for (const [identifier, person] of current) {
        const known = delivered.get(identifier)
        if (known?.fingerprint === person.fingerprint) {
          // Same payload under another profile (a merge): nothing to send, but the state follows.
          if (known.profile_id !== person.profileId) {
            await db
              .updateTable('export_deliveries')
              .set({ profile_id: person.profileId })
              .where('job_id', '=', job.id)
              .where('identifier', '=', identifier)
              .execute()
          }
          continue
        }
        batch.batch.upserts.push({ id: identifier, fields: person.fields })
        batch.rows.set(identifier, { profileId: person.profileId, fingerprint: person.fingerprint })
        if (full()) yield take()
      }
    }
  }
  if (batch.batch.upserts.length) yield take()
  // Removes are decided against the state every upsert above has updated.
  await options.settled()

  for (const row of moved) {
    const now = await deliveredOf(db, job.id, [row.identifier])
    if (now.get(row.identifier)?.profile_id !== row.profile_id) continue
    batch.batch.removes.push({ id: row.identifier })
    if (full()) yield take()
  }
  // Delivered people whose profile is gone (deleted, merged away) or no longer in the audience.
  const leaving = plan.filter
    ? sql<boolean>`(p.id is null or not (${filterSql(plan.filter, dialect, INLINE)}))`
    : sql<boolean>`true`
  const movedIds = new Set(moved.map((row) => row.identifier))
  let after = ''
  // A first delivery sent only current members: nobody it delivered can be leaving.
  while (hasState) {
    const { rows } = await sql<{ identifier: string; leaving: number | boolean }>`
      select d.identifier, ${leaving} as leaving from export_deliveries as d
      left join profiles as p on p.id = d.profile_id
      where d.job_id = ${job.id} and d.identifier > ${after} order by d.identifier limit ${PAGE}`.execute(db)
    if (rows.length === 0) break
    after = rows.at(-1)!.identifier
    for (const row of rows) {
      if (!(row.leaving === true || Number(row.leaving) === 1) || movedIds.has(row.identifier)) continue
      batch.batch.removes.push({ id: row.identifier })
      if (full()) yield take()
    }
  }
  if (batch.batch.removes.length) yield take()
}

type Delivered = { identifier: string; profile_id: string; fingerprint: string }
const SELECT_ONE =
  'select identifier, profile_id, fingerprint from export_deliveries where job_id = ? and identifier = ?'
const UPSERT_ONE = `insert into export_deliveries (job_id, identifier, profile_id, fingerprint, delivered_at)
  values (?, ?, ?, ?, ?) on conflict (job_id, identifier) do update set
  profile_id = excluded.profile_id, fingerprint = excluded.fingerprint, delivered_at = excluded.delivered_at
  where export_deliveries.fingerprint <> excluded.fingerprint`
const DELETE_ONE = 'delete from export_deliveries where job_id = ? and identifier = ?'

/** The delivery state of these identifiers. SQLite: one cached statement per key, in a transaction. */
async function deliveredOf(
  db: Executor,
  jobId: string,
  identifiers: string[],
): Promise<Map<string, Delivered>> {
  if (identifiers.length === 0) return new Map()
  if (sqliteOf(db)) {
    return db.transaction().execute(async (trx) => {
      const statement = prepared(sqliteOf(trx)!, SELECT_ONE)
      const found = new Map<string, Delivered>()
      for (const identifier of identifiers) {
        const row = statement.get(jobId, identifier) as Delivered | undefined
        if (row) found.set(identifier, row)
      }
      return found
    })
  }
  const rows = await db
    .selectFrom('export_deliveries')
    .select(['identifier', 'profile_id', 'fingerprint'])
    .where('job_id', '=', jobId)
    .where('identifier', 'in', identifiers)
    .execute()
  return new Map(rows.map((row) => [row.identifier, row]))
}

/** What was delivered for the profiles with ids in [first, last], whatever the identifier. */
async function deliveredBetween(
  db: Executor,
  jobId: string,
  first: string,
  last: string,
): Promise<{ identifier: string; profile_id: string }[]> {
  return db
    .selectFrom('export_deliveries')
    .select(['identifier', 'profile_id'])
    .where('job_id', '=', jobId)
    .where('profile_id', '>=', first)
    .where('profile_id', '<=', last)
    .execute()
}

/**
 * Records what the destination acknowledged for one batch, inside the batch's transaction.
 * Idempotent: a second identical acknowledgement changes nothing and counts nothing.
 */
export async function applyAck(
  db: Executor,
  jobId: string,
  rows: Map<string, PendingRow>,
  ack: WriteAck,
  at: string,
): Promise<{ added: number; removed: number; omitted: number }> {
  let added = 0
  const delivered = ack.delivered.filter((id) => rows.has(id))
  const sqlite = sqliteOf(db)
  if (sqlite) {
    // Inside the batch's transaction: cached single-row statements beat a compiled 500-row one.
    const upsert = prepared(sqlite, UPSERT_ONE)
    const remove = prepared(sqlite, DELETE_ONE)
    // The upsert changes a row only when the payload is new or different: that is the count.
    for (const id of delivered) {
      const row = rows.get(id)!
      added += upsert.run(jobId, id, row.profileId, row.fingerprint, at).changes
    }
    let removed = 0
    for (const id of ack.removed) removed += remove.run(jobId, id).changes
    return { added, removed, omitted: ack.rejected.length }
  }
  for (let start = 0; start < delivered.length; start += 500) {
    const ids = delivered.slice(start, start + 500)
    const known = new Map(
      (
        await db
          .selectFrom('export_deliveries')
          .select(['identifier', 'fingerprint'])
          .where('job_id', '=', jobId)
          .where('identifier', 'in', ids)
          .execute()
      ).map((row) => [row.identifier, row.fingerprint]),
    )
    added += ids.filter((id) => known.get(id) !== rows.get(id)!.fingerprint).length
    await db
      .insertInto('export_deliveries')
      .values(
        ids.map((id) => ({
          job_id: jobId,
          identifier: id,
          profile_id: rows.get(id)!.profileId,
          fingerprint: rows.get(id)!.fingerprint,
          delivered_at: at,
        })),
      )
      .onConflict((conflict) =>
        conflict.columns(['job_id', 'identifier']).doUpdateSet((eb) => ({
          profile_id: eb.ref('excluded.profile_id'),
          fingerprint: eb.ref('excluded.fingerprint'),
          delivered_at: eb.ref('excluded.delivered_at'),
        })),
      )
      .execute()
  }
  let removed = 0
  for (let start = 0; start < ack.removed.length; start += 500) {
    const result = await db
      .deleteFrom('export_deliveries')
      .where('job_id', '=', jobId)
      .where('identifier', 'in', ack.removed.slice(start, start + 500))
      .executeTakeFirst()
    removed += Number(result.numDeletedRows)
  }
  return { added, removed, omitted: ack.rejected.length }
}
