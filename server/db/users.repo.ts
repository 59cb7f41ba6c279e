import { newId } from './ids.ts'
import type { Executor, Role, User } from './schema.ts'

export async function countUsers(db: Executor): Promise<number> {
  const row = await db
    .selectFrom('users')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow()
  return Number(row.n)
}

export function findUser(db: Executor, id: string): Promise<User | undefined> {
  return db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst()
}

export function findUserByEmail(db: Executor, email: string): Promise<User | undefined> {
  return db.selectFrom('users').selectAll().where('email', '=', email.toLowerCase()).executeTakeFirst()
}

export function listUsers(db: Executor): Promise<User[]> {
  return db.selectFrom('users').selectAll().orderBy('created_at').orderBy('id').execute()
}

export async function insertUser(
  db: Executor,
  input: {
    email: string
    name: string
    role: Role
    passwordHash: string
    createdBy: string | null
    at: string
  },
): Promise<User> {
  const row: User = {
    id: newId(),
    email: input.email.toLowerCase(),
    name: input.name,
    role: input.role,
    password_hash: input.passwordHash,
    created_by: input.createdBy,
    created_at: input.at,
    updated_at: input.at,
    last_login_at: null,
    disabled_at: null,
  }
  await db.insertInto('users').values(row).execute()
  return row
}

export async function updateUser(
  db: Executor,
  id: string,
  changes: Partial<Pick<User, 'name' | 'role' | 'password_hash' | 'email' | 'last_login_at'>> & {
    updated_at: string
  },
): Promise<void> {
  await db.updateTable('users').set(changes).where('id', '=', id).execute()
}

export async function deleteUser(db: Executor, id: string): Promise<void> {
  await db.deleteFrom('users').where('id', '=', id).execute()
}

export async function countAdmins(db: Executor): Promise<number> {
  const row = await db
    .selectFrom('users')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('role', '=', 'admin')
    .where('disabled_at', 'is', null)
    .executeTakeFirstOrThrow()
  return Number(row.n)
}

/** Display names of the users with these ids; a removed user is simply absent. */
export async function userNames(db: Executor, ids: readonly string[]): Promise<Map<string, string>> {
  const unique = [...new Set(ids)]
  if (unique.length === 0) return new Map()
  const rows = await db.selectFrom('users').select(['id', 'name']).where('id', 'in', unique).execute()
  return new Map(rows.map((row) => [row.id, row.name]))
}
