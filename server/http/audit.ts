import type { Context } from 'hono'
import { type AuditEntry, recordAudit } from '../db/audit.repo.ts'
import type { Executor } from '../db/schema.ts'
import type { AppEnv } from './context.ts'

/**
 * Records what the signed-in caller just did (the audit trail, DESIGN.md §6). Pass the
 * transaction that made the change, so the change and its record land together.
 * @example await audit(c, trx, { action: 'paused', entityType: 'job', entityId: id, entityName: job.name })
 */
export function audit(
  c: Context<AppEnv>,
  db: Executor,
  entry: Omit<AuditEntry, 'actor' | 'at'>,
): Promise<void> {
  const principal = c.get('principal')
  return recordAudit(db, {
    ...entry,
    actor: principal ? { userId: principal.userId, name: principal.name } : null,
    at: c.get('deps').clock.now().toISOString(),
  })
}
