import { hash } from 'node:crypto'
import { setImmediate as nextTurn } from 'node:timers/promises'
import { sql } from 'kysely'
import type { AudienceFilter } from '../../nodes/audience.ts'
import type { ExportBatch, WriteAck } from '../../nodes/define.ts'
import { findJobType } from '../../nodes/index.ts'
import { applyMapping } from '../../nodes/mapping.ts'
import type { Mapping, PipelineDocument } from '../../nodes/pipeline.ts'
import { isPostgres } from '../db/locks.ts'
import { deployedDocument } from '../db/pipelines.repo.ts'
import type { Executor, Job } from '../db/schema.ts'
import { prepared, sqliteOf } from '../db/sqlite-handle.ts'
import { filterSql, INLINE } from './audience-sql.ts'

/**
 * Export deltas (DESIGN.md §5). Delivery state keeps, per export job and destination identifier,
 * the profile it came from and a fingerprint of the mapped payload. A run looks at the people
 * changed since its checkpoint in the profile change sequence (and at profiles that went away):
 * members new or changed are upserted, identifiers a changed or vanished profile no longer yields
 * are removed. Keyed by identifier, a merge re-links the survivor's identifier instead of removing
 * it. After a change of filter, mapping or profile generation (a rebuild) the run compares the
 * whole audience with the whole state instead: a full reconciliation.
 */
export interface ExportPlan {
  /** Who the destination gets; null when nothing feeds it (everyone delivered is then removed). */
  filter: AudienceFilter | null
  mapping: Mapping | null
  /** The mapped fields that key a person at the destination, first present wins. */
  identifierFields: string[]
  /** A fingerprint of the three above: a checkpoint taken under another plan reconciles in full. */
  key: string
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
  let filter: AudienceFilter | null = null
  if (doc && job.node_id !== null) {
    const audienceIds = doc.nodes.flatMap((node) => (node.kind === 'audience' ? [node.data.audienceId] : []))
    const audiences = new Map(
      audienceIds.length === 0
        ? []
        : (
            await db.selectFrom('audiences').select(['id', 'filter']).where('id', 'in', audienceIds).execute()
          ).map((row) => [row.id, JSON.parse(row.filter) as AudienceFilter]),
    )
    const parts = feeders(doc, job.node_id, audiences, new Set())
    filter = parts.length === 0 ? null : parts.length === 1 ? parts[0]! : { or: parts }
  }
  const key = hash('sha1', JSON.stringify([filter, mapping, identifierFields]), 'base64url')
  return { filter, mapping, identifierFields, key }
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

export interface DeltaOptions {
  batchSize: number
  /**
   * Resolves once every upsert sent so far is acknowledged, with whether removes may go out (a
   * rebuild that flipped the profile generation meanwhile says no: the next run reconciles).
   */
  settled: () => Promise<boolean>
  omitted: { count: number }
  /** The change number of the checkpoint; null for a full reconciliation. */
  since: number | null
  /** The change number read when the run began: later changes are the next run's. */
  upTo: number
  /**
   * Whether an upsert of this identifier was sent and is not acknowledged yet: the run computes
   * its next batch while the destination writes the last, so the stored state may be one batch
   * behind, and such an identifier is sent again rather than judged by it.
   */
  unacknowledged?: (identifier: string) => boolean
  /** Whether the destination stopped taking batches: what is computed ahead is then thrown away. */
  stopped?: () => boolean
}

/** A delivery row a run may have to remove: decided once the upserts settle. */
type Candidate = { identifier: string; profile_id: string }
type ProfileRow = { id: string; attributes: string; member: number | boolean }

/**
 * The run's batches: first upserts (new or changed people), then, once every upsert is
 * acknowledged (`settled`), removes. Profiles without an identifier are counted in `omitted`.
 */
export async function* exportDelta(
  db: Executor,
  job: Pick<Job, 'id'>,
  plan: ExportPlan,
  options: DeltaOptions,
): AsyncGenerator<DeltaBatch> {
  const dialect = isPostgres(db) ? 'postgres' : 'sqlite'
  const where = plan.filter ? filterSql(plan.filter, dialect, INLINE) : null
  let batch: DeltaBatch = { batch: { upserts: [], removes: [] }, rows: new Map() }
  const full = () => batch.batch.upserts.length + batch.batch.removes.length >= options.batchSize
  const take = () => {
    const out = batch
    batch = { batch: { upserts: [], removes: [] }, rows: new Map() }
    return out
  }
  const candidates: Candidate[] = []
  const hasState =
    (await db
      .selectFrom('export_deliveries')
      .select('identifier')
      .where('job_id', '=', job.id)
      .limit(1)
      .executeTakeFirst()) !== undefined

  /**
   * One page of profiles: members become upserts unless delivered as they are; what was delivered
   * for these profiles under an identifier they no longer yield becomes a remove candidate.
   */
  async function* consider(rows: ProfileRow[], previous: Candidate[]): AsyncGenerator<DeltaBatch> {
    // A turn of the event loop per page: while this batch is computed ahead, the destination's
    // replies to the last one are handled, so its write overlaps this work instead of waiting.
    await nextTurn()
    const current = new Map<
      string,
      { profileId: string; fields: Record<string, unknown>; fingerprint: string }
    >()
    const yields = new Map<string, string | null>()
    for (const row of rows) {
      if (!(row.member === true || Number(row.member) === 1)) continue
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
    for (const row of previous) if (yields.get(row.profile_id) !== row.identifier) candidates.push(row)
    // A first delivery has no state to compare with.
    const delivered = hasState
      ? await deliveredOf(db, job.id, [...current.keys()])
      : new Map<string, Delivered>()
    for (const [identifier, person] of current) {
      const known = options.unacknowledged?.(identifier) ? undefined : delivered.get(identifier)
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

  if (options.since === null) {
    // Full: every member, in id order. A page's id range also holds profiles outside the
    // audience: what they had delivered is judged by the leaving pass below.
    let after = ''
    while (where) {
      if (options.stopped?.()) return
      const { rows } = await sql<ProfileRow>`
        select p.id, p.attributes, 1 as member from profiles as p
        where p.id > ${after} and ${where} order by p.id limit ${PAGE}`.execute(db)
      if (rows.length === 0) break
      const first = rows[0]!.id
      after = rows.at(-1)!.id
      yield* consider(rows, hasState ? await deliveredBetween(db, job.id, first, after) : [])
    }
  } else {
    // Incremental: the profiles changed since the checkpoint, members or not.
    const member = where ? sql<boolean>`case when ${where} then 1 else 0 end` : sql<boolean>`0`
    let after: { seq: number; id: string | null } = { seq: options.since, id: null }
    for (;;) {
      if (options.stopped?.()) return
      const past =
        after.id === null
          ? sql<boolean>`p.change_seq > ${after.seq}`
          : sql<boolean>`(p.change_seq > ${after.seq} or (p.change_seq = ${after.seq} and p.id > ${after.id}))`
      const { rows } = await sql<ProfileRow & { change_seq: number }>`
        select p.id, p.attributes, p.change_seq, ${member} as member from profiles as p
        where ${past} and p.change_seq <= ${options.upTo}
        order by p.change_seq, p.id limit ${PAGE}`.execute(db)
      if (rows.length === 0) break
      after = { seq: Number(rows.at(-1)!.change_seq), id: rows.at(-1)!.id }
      const ids = rows.map((row) => row.id)
      yield* consider(rows, hasState ? await deliveredFor(db, job.id, ids) : [])
    }
    // Profiles that went away (merged into another, deleted): what they had delivered may go.
    let cursor: { seq: number; id: string | null } = { seq: options.since, id: null }
    while (hasState) {
      if (options.stopped?.()) return
      const { seq, id } = cursor
      const gone = await db
        .selectFrom('profile_tombstones')
        .select(['change_seq', 'profile_id'])
        .where((eb) =>
          id === null
            ? eb('change_seq', '>', seq)
            : eb.or([
                eb('change_seq', '>', seq),
                eb.and([eb('change_seq', '=', seq), eb('profile_id', '>', id)]),
              ]),
        )
        .where('change_seq', '<=', options.upTo)
        .orderBy('change_seq')
        .orderBy('profile_id')
        .limit(PAGE)
        .execute()
      if (gone.length === 0) break
      cursor = { seq: Number(gone.at(-1)!.change_seq), id: gone.at(-1)!.profile_id }
      candidates.push(
        ...(await deliveredFor(
          db,
          job.id,
          gone.map((row) => row.profile_id),
        )),
      )
    }
  }
  if (batch.batch.upserts.length) yield take()
  // Removes are decided against the state every upsert above has updated.
  if (!(await options.settled())) return

  // A candidate goes unless its identifier moved on to another profile meanwhile (a merge, an
  // email that another profile now has).
  const decided = new Set<string>()
  for (const row of candidates) {
    if (options.stopped?.()) return
    if (decided.has(row.identifier)) continue
    decided.add(row.identifier)
    const now = await deliveredOf(db, job.id, [row.identifier])
    if (now.get(row.identifier)?.profile_id !== row.profile_id) continue
    batch.batch.removes.push({ id: row.identifier })
    if (full()) yield take()
  }
  // Full: delivered people whose profile is gone or no longer in the audience. A first delivery
  // sent only current members: nobody it delivered can be leaving.
  const leaving = where ? sql<boolean>`(p.id is null or not (${where}))` : sql<boolean>`true`
  let after = ''
  while (options.since === null && hasState) {
    if (options.stopped?.()) return
    const { rows } = await sql<{ identifier: string; leaving: number | boolean }>`
      select d.identifier, ${leaving} as leaving from export_deliveries as d
      left join profiles as p on p.id = d.profile_id
      where d.job_id = ${job.id} and d.identifier > ${after} order by d.identifier limit ${PAGE}`.execute(db)
    if (rows.length === 0) break
    after = rows.at(-1)!.identifier
    for (const row of rows) {
      if (!(row.leaving === true || Number(row.leaving) === 1) || decided.has(row.identifier)) continue
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
/**
 * The same payload acknowledged for another profile (sent again while an upsert of it was in
 * flight, see exportDelta): nothing changed at the destination, but the state follows the profile.
 */
const FOLLOW_ONE =
  'update export_deliveries set profile_id = ? where job_id = ? and identifier = ? and profile_id <> ?'

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

/** What was delivered for these profiles, whatever the identifier. */
async function deliveredFor(db: Executor, jobId: string, profileIds: string[]): Promise<Candidate[]> {
  if (profileIds.length === 0) return []
  return db
    .selectFrom('export_deliveries')
    .select(['identifier', 'profile_id'])
    .where('job_id', '=', jobId)
    .where('profile_id', 'in', profileIds)
    .execute()
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
  const delivered = [...new Set(ack.delivered.filter((id) => rows.has(id)))]
  const sqlite = sqliteOf(db)
  if (sqlite) {
    // Inside the batch's transaction: cached single-row statements beat a compiled 500-row one.
    const upsert = prepared(sqlite, UPSERT_ONE)
    const remove = prepared(sqlite, DELETE_ONE)
    // The upsert changes a row only when the payload is new or different: that is the count.
    const follow = prepared(sqlite, FOLLOW_ONE)
    for (const id of delivered) {
      const row = rows.get(id)!
      const changes = upsert.run(jobId, id, row.profileId, row.fingerprint, at).changes
      added += changes
      if (changes === 0) follow.run(row.profileId, jobId, id, row.profileId)
    }
    let removed = 0
    for (const id of ack.removed) removed += remove.run(jobId, id).changes
    return { added, removed, omitted: ack.rejected.length }
  }
  // As on SQLite: a row changes only when the payload is new or different, and that is the count.
  for (let start = 0; start < delivered.length; start += 5000) {
    const ids = delivered.slice(start, start + 5000)
    const result =
      await sql`insert into export_deliveries (job_id, identifier, profile_id, fingerprint, delivered_at)
      select ${jobId}, identifier, profile_id, fingerprint, ${at}
      from unnest(${ids}::text[], ${ids.map((id) => rows.get(id)!.profileId)}::text[],
        ${ids.map((id) => rows.get(id)!.fingerprint)}::text[]) as d(identifier, profile_id, fingerprint)
      on conflict (job_id, identifier) do update set profile_id = excluded.profile_id,
        fingerprint = excluded.fingerprint, delivered_at = excluded.delivered_at
      where export_deliveries.fingerprint <> excluded.fingerprint`.execute(db)
    const changed = Number(result.numAffectedRows ?? 0)
    added += changed
    if (changed < ids.length)
      await sql`update export_deliveries as d set profile_id = v.profile_id
        from unnest(${ids}::text[], ${ids.map((id) => rows.get(id)!.profileId)}::text[]) as v(identifier, profile_id)
        where d.job_id = ${jobId} and d.identifier = v.identifier and d.profile_id <> v.profile_id`.execute(
        db,
      )
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
