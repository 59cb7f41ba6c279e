import type { Kysely } from 'kysely'
import { newId } from './ids.ts'
import type { Database, Role, User } from './schema.ts'

export type Db = Kysely<Database>

export async function countUsers(db: Db): Promise<number> {
  const row = await db
    .selectFrom('users')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow()
  return Number(row.n)
}

export function findUser(db: Db, id: string): Promise<User | undefined> {
  return db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst()
}

export function findUserByEmail(db: Db, email: string): Promise<User | undefined> {
  return db.selectFrom('users').selectAll().where('email', '=', email.toLowerCase()).executeTakeFirst()
}

export function listUsers(db: Db): Promise<User[]> {
  return db.selectFrom('users').selectAll().orderBy('created_at').orderBy('id').execute()
}

export async function insertUser(
  db: Db,
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
  }
  await db.insertInto('users').values(row).execute()
  return row
}

export async function updateUser(
  db: Db,
  id: string,
  changes: Partial<Pick<User, 'name' | 'role' | 'password_hash' | 'email' | 'last_login_at'>> & {
    updated_at: string
  },
): Promise<void> {
  await db.updateTable('users').set(changes).where('id', '=', id).execute()
}

export async function deleteUser(db: Db, id: string): Promise<void> {
  await db.deleteFrom('users').where('id', '=', id).execute()
}

export async function countAdmins(db: Db): Promise<number> {
  const row = await db
    .selectFrom('users')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('role', '=', 'admin')
    .executeTakeFirstOrThrow()
  return Number(row.n)
}
