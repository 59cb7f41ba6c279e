import type { Kysely } from 'kysely'
import type { Database } from '../db/schema.ts'
import type { ValidateLookups } from './validate.ts'

/** The string `data[field]` of the document's nodes of `kind`. */
function named(document: unknown, kind: string, field: string): string[] {
  const nodes = (document as { nodes?: unknown } | null)?.nodes
  if (!Array.isArray(nodes)) return []
  return nodes
    .map((node) => node as { kind?: unknown; data?: Record<string, unknown> } | null)
    .filter((node) => node?.kind === kind && typeof node.data?.[field] === 'string')
    .map((node) => node!.data![field] as string)
}

/**
 * What validation needs from the database for one document, loaded up front (validation itself
 * is synchronous): which of the audiences its nodes name exist, and the provider of each Vault
 * authorization they name.
 */
export async function lookupsFor(db: Kysely<Database>, document: unknown): Promise<ValidateLookups> {
  const audiences = named(document, 'audience', 'audienceId')
  const authorizations = named(document, 'authorization', 'authorizationId')
  const [existing, owners] = await Promise.all([
    audiences.length === 0
      ? []
      : db.selectFrom('audiences').select('id').where('id', 'in', audiences).execute(),
    authorizations.length === 0
      ? []
      : db
          .selectFrom('authorizations')
          .select(['id', 'provider'])
          .where('id', 'in', authorizations)
          .execute(),
  ])
  const audienceIds = new Set(existing.map((row) => row.id))
  const providerOf = new Map(owners.map((row) => [row.id, row.provider]))
  return {
    audienceExists: (id) => audienceIds.has(id),
    authorizationProvider: (id) => providerOf.get(id) ?? null,
  }
}
