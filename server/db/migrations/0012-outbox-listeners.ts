import { type Kysely, PostgresAdapter, sql } from 'kysely'

/**
 * PostgreSQL: NOTIFY the outbox only while some API process has a live client. PostgreSQL signals
 * every listening session of the database at each notifying commit, whatever its channel — the
 * workers' wake listeners too — so a notice nobody reads still wakes every worker's connection.
 * Measured with 4 workers on no-op jobs (claim.bench.ts): the outbox's notices were about a fifth
 * of PostgreSQL's CPU per unit of work. An event hub with clients keeps a row here (renewed, with
 * an expiry on the database clock, so a crashed process stops being rung within minutes); the
 * outbox rows themselves are written as before. SQLite has no notifications: nothing to do.
 * Frozen once landed.
 */
const NOTIFY = `perform pg_notify('sluice_outbox', emitted::text);`
const WHEN_HEARD = `if exists (select 1 from outbox_listeners where alive_until > now()) then ${NOTIFY} end if;`

export async function up(db: Kysely<any>): Promise<void> {
  if (!(db.getExecutor().adapter instanceof PostgresAdapter)) return
  await sql`create table outbox_listeners (id text primary key, alive_until timestamptz not null)`.execute(db)
  await rewriteNotices(db, NOTIFY, WHEN_HEARD)
}

export async function down(db: Kysely<any>): Promise<void> {
  if (!(db.getExecutor().adapter instanceof PostgresAdapter)) return
  await rewriteNotices(db, WHEN_HEARD, NOTIFY)
  await sql`drop table outbox_listeners`.execute(db)
}

/** Recreates migration 0009's outbox functions with `from` replaced by `to` in their bodies. */
async function rewriteNotices(db: Kysely<any>, from: string, to: string): Promise<void> {
  const quote = (text: string) => `'${text.replaceAll("'", "''")}'`
  await sql
    .raw(
      `do $$ declare f record; begin
         for f in select proname, prosrc from pg_proc where proname like 'sluice_outbox_%' loop
           execute format('create or replace function %I() returns trigger language plpgsql as %L',
             f.proname, replace(f.prosrc, ${quote(from)}, ${quote(to)}));
         end loop;
       end $$`,
    )
    .execute(db)
}
