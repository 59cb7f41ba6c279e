import type { Executor, Role } from './schema.ts'
import type { Principal } from './sessions.repo.ts'

export interface TokenRow {
  id: string
  name: string
  role: Role
  prefix: string
  userId: string
  createdBy: string
  createdAt: string
  lastUsedAt: string | null
}

const columns = [
  'id',
  'name',
  'role',
  'prefix',
  'user_id as userId',
  'created_by as createdBy',
  'created_at as createdAt',
  'last_used_at as lastUsedAt',
] as const

export async function insertToken(
  db: Executor,
  token: { id: string; name: string; role: Role; hash: string; prefix: string; userId: string; at: string },
): Promise<void> {
  await db
    .insertInto('api_tokens')
    .values({
      id: token.id,
      name: token.name,
      role: token.role,
      token_hash: token.hash,
      prefix: token.prefix,
      user_id: token.userId,
      created_by: token.userId,
      created_at: token.at,
      last_used_at: null,
    })
    .execute()
}

export function listTokens(db: Executor): Promise<TokenRow[]> {
  return db.selectFrom('api_tokens').select(columns).orderBy('created_at').orderBy('id').execute()
}

export function findToken(db: Executor, id: string): Promise<TokenRow | undefined> {
  return db.selectFrom('api_tokens').select(columns).where('id', '=', id).executeTakeFirst()
}

export async function deleteToken(db: Executor, id: string): Promise<void> {
  await db.deleteFrom('api_tokens').where('id', '=', id).execute()
}

/**
 * The principal a bearer token acts as. A token never has more rights than its owner has now:
 * the effective role is the lower of the two.
 */
export async function findTokenPrincipal(
  db: Executor,
  hash: string,
): Promise<{ principal: Principal; lastUsedAt: string | null } | undefined> {
  const row = await db
    .selectFrom('api_tokens')
    .innerJoin('users', 'users.id', 'api_tokens.user_id')
    .select([
      'api_tokens.id as tid',
      'api_tokens.role as tokenRole',
      'api_tokens.last_used_at',
      'users.id',
      'users.email',
      'users.name',
      'users.role',
    ])
    .where('api_tokens.token_hash', '=', hash)
    .where('users.disabled_at', 'is', null)
    .executeTakeFirst()
  if (!row) return undefined
  const role = RANK[row.tokenRole] < RANK[row.role] ? row.tokenRole : row.role
  return {
    principal: {
      userId: row.id,
      email: row.email,
      name: row.name,
      role,
      via: 'token',
      credentialId: row.tid,
    },
    lastUsedAt: row.last_used_at,
  }
}

export async function touchToken(db: Executor, id: string, at: string): Promise<void> {
  await db.updateTable('api_tokens').set({ last_used_at: at }).where('id', '=', id).execute()
}

export const RANK: Record<Role, number> = { viewer: 0, editor: 1, admin: 2 }
