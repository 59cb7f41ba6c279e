import type { Executor, Role } from './schema.ts'

export interface Principal {
  userId: string
  email: string
  name: string
  role: Role
  via: 'session' | 'token'
  /** Session id or token id. */
  credentialId: string
}

export async function insertSession(
  db: Executor,
  session: { id: string; userId: string; at: string; expiresAt: string; userAgent: string | null },
): Promise<void> {
  await db
    .insertInto('sessions')
    .values({
      id: session.id,
      user_id: session.userId,
      created_at: session.at,
      expires_at: session.expiresAt,
      last_seen_at: session.at,
      user_agent: session.userAgent,
    })
    .execute()
}

/** The user behind a live session, or undefined when it is unknown or expired. */
export async function findSessionPrincipal(
  db: Executor,
  id: string,
  now: string,
): Promise<{ principal: Principal; lastSeenAt: string } | undefined> {
  const row = await db
    .selectFrom('sessions')
    .innerJoin('users', 'users.id', 'sessions.user_id')
    .select([
      'sessions.id as sid',
      'sessions.last_seen_at',
      'users.id',
      'users.email',
      'users.name',
      'users.role',
    ])
    .where('sessions.id', '=', id)
    .where('sessions.expires_at', '>', now)
    .where('users.disabled_at', 'is', null)
    .executeTakeFirst()
  if (!row) return undefined
  return {
    principal: {
      userId: row.id,
      email: row.email,
      name: row.name,
      role: row.role,
      via: 'session',
      credentialId: row.sid,
    },
    lastSeenAt: row.last_seen_at,
  }
}

export async function touchSession(db: Executor, id: string, now: string, expiresAt: string): Promise<void> {
  await db
    .updateTable('sessions')
    .set({ last_seen_at: now, expires_at: expiresAt })
    .where('id', '=', id)
    .execute()
}

export async function deleteSession(db: Executor, id: string): Promise<void> {
  await db.deleteFrom('sessions').where('id', '=', id).execute()
}

export async function deleteUserSessions(db: Executor, userId: string): Promise<void> {
  await db.deleteFrom('sessions').where('user_id', '=', userId).execute()
}

export async function deleteExpiredSessions(db: Executor, now: string): Promise<void> {
  await db.deleteFrom('sessions').where('expires_at', '<=', now).execute()
}
