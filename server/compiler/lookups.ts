import type { Kysely } from 'kysely'
import type { Database } from '../db/schema.ts'
import type { ValidateLookups } from './validate.ts'

/**
 * What validation needs from the database for one document, loaded up front (validation itself
 * is synchronous): which of the audiences its nodes name exist.
 */
export async function lookupsFor(db: Kysely<Database>, document: unknown): Promise<ValidateLookups> {
  const nodes = (document as { nodes?: unknown } | null)?.nodes
  const named = Array.isArray(nodes)
    ? nodes
        .map((node) => node as { kind?: unknown; data?: { audienceId?: unknown } } | null)
        .filter((node) => node?.kind === 'audience' && typeof node.data?.audienceId === 'string')
        .map((node) => node!.data!.audienceId as string)
    : []
  const existing = new Set(
    named.length === 0
      ? []
      : (await db.selectFrom('audiences').select('id').where('id', 'in', named).execute()).map(
          (row) => row.id,
        ),
  )
  return { audienceExists: (id) => existing.has(id) }
}
