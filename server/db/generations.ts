import { sql } from 'kysely'
import { bumpCounter } from './counters.repo.ts'
import { isPostgres } from './locks.ts'
import type { ProfileTarget } from './profiles-write.repo.ts'
import type { Executor } from './schema.ts'

/**
 * Profile generations (DESIGN.md §5). A rebuild writes a next generation beside the live one —
 * the same tables under a `_next` name, made from the live tables' own definitions so they never
 * drift from the migrations — and the swap renames them into place in one transaction, which is
 * the flip of the generation pointer (`counters.generation` counts the flips).
 */
const TABLES = ['profiles', 'profile_identities', 'profile_merges'] as const
const next = (table: string) => `${table}_next`
const old = (table: string) => `${table}_old`
/** Messages whose profile the rebuild changed: applied to raw_messages at the swap. */
export const MOVES = 'rebuild_moves'
/**
 * What the rebuild replays, in replay order: `(event_time, seq)` of every message applied before
 * it began. Sorting them here at rebuild time spares every stored message an index (0008).
 */
export const ORDER = 'rebuild_order'

/** The next generation as unification's write target (typed as the live tables it mirrors). */
export const NEXT = {
  profiles: next('profiles'),
  identities: next('profile_identities'),
  merges: next('profile_merges'),
  live: false,
} as unknown as ProfileTarget

export async function nextExists(db: Executor): Promise<boolean> {
  if (isPostgres(db)) {
    const { rows } = await sql<{ found: string | null }>`select to_regclass(${MOVES}) as found`.execute(db)
    return rows[0]?.found != null
  }
  const { rows } = await sql<{ name: string }>`
    select name from sqlite_master where type = 'table' and name = ${MOVES}`.execute(db)
  return rows.length > 0
}

/** Drops what a rebuild left: its next generation, or the old one after a swap. */
export async function dropGenerationTables(db: Executor, which: 'next' | 'old'): Promise<void> {
  const names = which === 'next' ? [...TABLES.map(next), MOVES, ORDER] : [...TABLES.map(old), ORDER]
  for (const name of names) await sql`drop table if exists ${sql.id(name)}`.execute(db)
}

/** Creates empty next-generation tables shaped like the live ones (columns, keys, indexes). */
export async function createNextGeneration(db: Executor, generation: number): Promise<void> {
  await dropGenerationTables(db, 'next')
  if (isPostgres(db)) {
    for (const table of TABLES)
      await sql`create table ${sql.id(next(table))} (like ${sql.id(table)} including all)`.execute(db)
  } else {
    const { rows } = await sql<{ type: string; name: string; tbl_name: string; sql: string | null }>`
      select type, name, tbl_name, sql from sqlite_master
      where tbl_name in (${sql.join([...TABLES])}) and sql is not null
      order by case type when 'table' then 0 else 1 end`.execute(db)
    for (const row of rows) {
      const text =
        row.type === 'table'
          ? row.sql!.replace(/^create table\s+("?)(\w+)\1/i, `create table "${next(row.tbl_name)}"`)
          : // Index names are global: suffixed with the generation they belong to.
            row.sql!.replace(
              /^create (unique )?index\s+("?)(\w+)\2\s+on\s+("?)(\w+)\4/i,
              (_m, unique: string | undefined, _q, name: string) =>
                `create ${unique ?? ''}index "${name.replace(/__g\d+$/, '')}__g${generation}" on "${next(row.tbl_name)}"`,
            )
      await sql.raw(text).execute(db)
    }
  }
  await sql`create table ${sql.id(MOVES)} (seq bigint primary key, profile_id text)`.execute(db)
  await sql`create table ${sql.id(ORDER)} (event_time text not null, seq bigint not null,
    primary key (event_time, seq)) ${isPostgres(db) ? sql`` : sql`without rowid`}`.execute(db)
}

/**
 * The flip, inside the caller's transaction (which holds the unify lock): raw messages take the
 * profiles the rebuild gave them, the next tables take the live names, the live ones become
 * `_old` (dropped after commit, with the replay order: dropping a large table is slow), the streams' retention losses
 * counted when the rebuild began are settled, and the generation counts up.
 */
export async function swapGenerations(
  trx: Executor,
  expiredAtStart: Record<string, number>,
): Promise<number> {
  const postgres = isPostgres(trx)
  await sql`update raw_messages set profile_id = m.profile_id from ${sql.id(MOVES)} as m
    where raw_messages.seq = m.seq`.execute(trx)
  // PostgreSQL: the merges id sequence belongs to the live table; hand it to the next one first.
  const { rows: sequences } = postgres
    ? await sql<{
        name: string | null
      }>`select pg_get_serial_sequence('profile_merges', 'id') as name`.execute(trx)
    : { rows: [] }
  for (const table of TABLES)
    await sql`alter table ${sql.id(table)} rename to ${sql.id(old(table))}`.execute(trx)
  for (const table of TABLES)
    await sql`alter table ${sql.id(next(table))} rename to ${sql.id(table)}`.execute(trx)
  const sequence = sequences[0]?.name
  if (sequence) await sql`alter sequence ${sql.raw(sequence)} owned by profile_merges.id`.execute(trx)
  await sql`drop table ${sql.id(MOVES)}`.execute(trx)
  // What had expired when the rebuild began is no longer missing from the live profiles.
  for (const [stream, count] of Object.entries(expiredAtStart))
    await trx
      .updateTable('streams')
      .set({ expired_since_rebuild: sql`expired_since_rebuild - ${count}` })
      .where('name', '=', stream)
      .execute()
  return bumpCounter(trx, 'generation')
}

/**
 * A privacy deletion while a rebuild runs: the person's identities also leave the next
 * generation (their messages are gone, but the replay may already have applied them).
 */
export async function forgetInNext(trx: Executor, keys: string[]): Promise<void> {
  if (keys.length === 0 || !(await nextExists(trx))) return
  const identities = sql.id(NEXT.identities)
  const holders = sql`select profile_id from ${identities} where key in (${sql.join(keys)})`
  await sql`delete from ${sql.id(NEXT.profiles)} where id in (${holders})`.execute(trx)
  await sql`delete from ${identities} where profile_id in (${holders})`.execute(trx)
}

/** Messages each stream's retention deleted since the last rebuild (those with any). */
export async function expiredSinceRebuild(db: Executor): Promise<Record<string, number>> {
  const rows = await db
    .selectFrom('streams')
    .select(['name', 'expired_since_rebuild'])
    .where('expired_since_rebuild', '>', 0)
    .orderBy('name')
    .execute()
  return Object.fromEntries(rows.map((row) => [row.name, Number(row.expired_since_rebuild)]))
}
