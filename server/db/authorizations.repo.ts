import type { Insertable, Updateable } from 'kysely'
import { sql } from 'kysely'
import { sealedKeyId } from '../vault/cipher.ts'
import { containsText } from './paging.ts'
import type { Authorization, AuthorizationTable, Executor } from './schema.ts'

/** Authorizations, by name; `q` matches name, description and provider, `provider` narrows. */
export function listAuthorizations(db: Executor, filters: { q?: string; provider?: string } = {}) {
  let query = db.selectFrom('authorizations').selectAll()
  if (filters.provider) query = query.where('provider', '=', filters.provider)
  const q = filters.q
  if (q)
    query = query.where((eb) =>
      eb.or([
        containsText('name', q),
        containsText('description', q),
        containsText('provider', q),
        eb('id', '=', q),
      ]),
    )
  return query.orderBy(sql`lower(name)`).orderBy('id').execute()
}

export function findAuthorization(db: Executor, id: string): Promise<Authorization | undefined> {
  return db.selectFrom('authorizations').selectAll().where('id', '=', id).executeTakeFirst()
}

export async function insertAuthorization(db: Executor, row: Insertable<AuthorizationTable>) {
  await db.insertInto('authorizations').values(row).execute()
}

export async function updateAuthorization(db: Executor, id: string, changes: Updateable<AuthorizationTable>) {
  await db.updateTable('authorizations').set(changes).where('id', '=', id).execute()
}

export async function deleteAuthorization(db: Executor, id: string) {
  await db.deleteFrom('authorizations').where('id', '=', id).execute()
}

/** The live (not removed) jobs each authorization is wired into: authorization id → job ids. */
export async function jobsUsing(db: Executor, ids: readonly string[]): Promise<Map<string, string[]>> {
  const used = new Map<string, string[]>()
  if (ids.length === 0) return used
  const rows = await db
    .selectFrom('jobs')
    .select(['id', 'authorization_id'])
    .where('authorization_id', 'in', ids)
    .where('status', '!=', 'removed')
    .orderBy('created_at')
    .execute()
  for (const row of rows) {
    const list = used.get(row.authorization_id!) ?? []
    list.push(row.id)
    used.set(row.authorization_id!, list)
  }
  return used
}

/** Names of authorizations by id, for lists that show which one a job uses. */
export async function authorizationNames(db: Executor, ids: readonly string[]): Promise<Map<string, string>> {
  const unique = [...new Set(ids)]
  if (unique.length === 0) return new Map()
  const rows = await db
    .selectFrom('authorizations')
    .select(['id', 'name'])
    .where('id', 'in', unique)
    .execute()
  return new Map(rows.map((row) => [row.id, row.name]))
}

/** Every key id a sealed value in the database names: start-up checks the master key against them. */
export async function storedKeyIds(db: Executor): Promise<string[]> {
  const rows = await db
    .selectFrom('authorizations')
    .select('key_id')
    .distinct()
    .where('key_id', 'is not', null)
    .union(db.selectFrom('oauth_clients').select('key_id').distinct())
    .execute()
  const ids = new Set(rows.map((row) => row.key_id!))
  // Alert webhooks seal their URL and secret inside the targets JSON; rules are few.
  for (const rule of await db.selectFrom('alert_rules').select('targets').execute())
    for (const target of JSON.parse(rule.targets) as { url?: string }[]) {
      const id = target.url ? sealedKeyId(target.url) : null
      if (id) ids.add(id)
    }
  return [...ids]
}
