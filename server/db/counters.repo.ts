import type { Executor } from './schema.ts'
import { prepared, sqliteOf } from './sqlite-handle.ts'

/** The named numbers of the `counters` table (migration 0006). */
export type CounterName = 'profile_change' | 'generation' | 'tombstone_floor'

/**
 * Takes the next profile change number, inside the transaction that writes profiles. The row
 * stays locked until that transaction ends, so numbers become visible in the order they were
 * taken: a reader that sees N sees every change numbered up to N.
 */
export async function nextChangeSeq(trx: Executor): Promise<number> {
  const sqlite = sqliteOf(trx)
  if (sqlite) {
    const statement = prepared(
      sqlite,
      "update counters set value = value + 1 where name = 'profile_change' returning value",
    )
    return Number(statement.pluck().get())
  }
  return bumpCounter(trx, 'profile_change')
}

/** Adds one to a counter and returns the new value, inside the caller's transaction. */
export async function bumpCounter(trx: Executor, name: CounterName): Promise<number> {
  const row = await trx
    .updateTable('counters')
    .set((eb) => ({ value: eb('value', '+', 1) }))
    .where('name', '=', name)
    .returning('value')
    .executeTakeFirstOrThrow()
  return Number(row.value)
}

export async function counter(db: Executor, name: CounterName): Promise<number> {
  const row = await db
    .selectFrom('counters')
    .select('value')
    .where('name', '=', name)
    .executeTakeFirstOrThrow()
  return Number(row.value)
}

export async function setCounter(db: Executor, name: CounterName, value: number): Promise<void> {
  await db.updateTable('counters').set({ value }).where('name', '=', name).execute()
}
