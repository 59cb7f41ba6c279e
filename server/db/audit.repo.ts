import { containsText } from './paging.ts'
import type { Executor } from './schema.ts'
import type { Principal } from './sessions.repo.ts'

/** What the audit trail records (DESIGN.md §6): who did what to which thing, and when. */
export const AUDIT_ENTITIES = [
  'pipeline',
  'job',
  'authorization',
  'oauth-client',
  'vault',
  'user',
  'token',
  'data-key',
  'alert',
  'audience',
] as const
export type AuditEntity = (typeof AUDIT_ENTITIES)[number]

export interface AuditEntry {
  /** The signed-in user or token; null for Sluice itself. */
  actor: Pick<Principal, 'userId' | 'name'> | null
  /** A past-tense verb: created, changed, renamed, rotated, deployed, paused, resumed, deleted, … */
  action: string
  entityType: AuditEntity
  entityId: string
  entityName: string
  /** What changed — field names, counts, versions; never a secret's value. */
  details?: Record<string, unknown>
  at: string
}

/** Appends to the trail in the caller's transaction, so an action and its record land together. */
export async function recordAudit(db: Executor, entry: AuditEntry): Promise<void> {
  await db
    .insertInto('audit_log')
    .values({
      at: entry.at,
      actor_id: entry.actor?.userId ?? null,
      actor_name: entry.actor?.name ?? 'Sluice',
      action: entry.action,
      entity_type: entry.entityType,
      entity_id: entry.entityId,
      entity_name: entry.entityName,
      details: entry.details ? JSON.stringify(entry.details) : null,
    })
    .execute()
}

export interface AuditFilters {
  entityType?: string | undefined
  entityId?: string | undefined
  actorId?: string | undefined
  action?: string | undefined
  q?: string | undefined
  /** Entries older than this id (the next page). */
  before?: number | undefined
  limit: number
}

/** The trail, newest first. */
export async function listAudit(db: Executor, filters: AuditFilters) {
  let query = db.selectFrom('audit_log').selectAll()
  if (filters.entityType) query = query.where('entity_type', '=', filters.entityType)
  if (filters.entityId) query = query.where('entity_id', '=', filters.entityId)
  if (filters.actorId) query = query.where('actor_id', '=', filters.actorId)
  if (filters.action) query = query.where('action', '=', filters.action)
  if (filters.before !== undefined) query = query.where('id', '<', filters.before)
  const q = filters.q
  if (q)
    query = query.where((eb) =>
      eb.or([containsText('entity_name', q), containsText('actor_name', q), containsText('action', q)]),
    )
  const rows = await query.orderBy('id', 'desc').limit(filters.limit).execute()
  return rows.map((row) => ({
    id: Number(row.id),
    at: row.at,
    actor: row.actor_id ? { id: row.actor_id, name: row.actor_name } : null,
    actorName: row.actor_name,
    action: row.action,
    entityType: row.entity_type,
    entityId: row.entity_id,
    entityName: row.entity_name,
    details: row.details ? (JSON.parse(row.details) as Record<string, unknown>) : null,
  }))
}
