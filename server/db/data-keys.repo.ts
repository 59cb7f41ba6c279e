import type { DataKey, Executor } from './schema.ts'

export interface DataKeyJson {
  id: string
  name: string
  prefix: string
  stream: string | null
  createdBy: string
  createdAt: string
  lastUsedAt: string | null
}

const columns = [
  'id',
  'name',
  'prefix',
  'stream',
  'created_by as createdBy',
  'created_at as createdAt',
  'last_used_at as lastUsedAt',
] as const

export async function insertDataKey(db: Executor, key: Omit<DataKey, 'last_used_at'>): Promise<void> {
  await db
    .insertInto('data_keys')
    .values({ ...key, last_used_at: null })
    .execute()
}

export function listDataKeys(db: Executor): Promise<DataKeyJson[]> {
  return db.selectFrom('data_keys').select(columns).orderBy('created_at').orderBy('id').execute()
}

export function findDataKey(db: Executor, id: string): Promise<DataKeyJson | undefined> {
  return db.selectFrom('data_keys').select(columns).where('id', '=', id).executeTakeFirst()
}

export function findDataKeyByHash(db: Executor, hash: string): Promise<DataKey | undefined> {
  return db.selectFrom('data_keys').selectAll().where('key_hash', '=', hash).executeTakeFirst()
}

export async function deleteDataKey(db: Executor, id: string): Promise<void> {
  await db.deleteFrom('data_keys').where('id', '=', id).execute()
}

export async function touchDataKey(db: Executor, id: string, at: string): Promise<void> {
  await db.updateTable('data_keys').set({ last_used_at: at }).where('id', '=', id).execute()
}
