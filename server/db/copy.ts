import { type Kysely, sql } from 'kysely'
import type { Database } from './schema.ts'
import { sqliteOf } from './sqlite-handle.ts'

/** PostgreSQL takes at most 65,535 parameters per statement. */
const MAX_PARAMETERS = 60_000
const PROGRESS_EVERY = 100_000

/** The tables both databases have, parents before children (by their foreign keys). */
async function tablesInOrder(target: Kysely<Database>, source: Kysely<Database>): Promise<string[]> {
  const { rows } = await sql<{ name: string }>`select table_name as name from information_schema.tables
    where table_schema = current_schema() and table_type = 'BASE TABLE' and table_name not like 'kysely_%'
    order by table_name`.execute(target)
  const present = new Set(
    (
      await sql<{ name: string }>`select name from sqlite_master where type = 'table'`.execute(source)
    ).rows.map((row) => row.name),
  )
  const names = rows.map((row) => row.name).filter((name) => present.has(name))
  const { rows: links } = await sql<{ child: string; parent: string }>`
    select tc.table_name as child, ccu.table_name as parent
    from information_schema.table_constraints tc
    join information_schema.constraint_column_usage ccu on ccu.constraint_name = tc.constraint_name
    where tc.constraint_type = 'FOREIGN KEY' and tc.table_schema = current_schema()`.execute(target)
  const ordered: string[] = []
  const visit = (name: string, path: Set<string>) => {
    if (ordered.includes(name) || path.has(name)) return
    path.add(name)
    for (const link of links) if (link.child === name && link.parent !== name) visit(link.parent, path)
    ordered.push(name)
  }
  for (const name of names) visit(name, new Set())
  return ordered.filter((name) => names.includes(name))
}

/**
 * Copies every table of a SQLite database into an empty, migrated PostgreSQL one, in one target
 * transaction (a failure leaves the target empty) over one source read transaction (a consistent
 * snapshot). The outbox triggers are off while rows arrive — copying history is no news — and
 * each sequence continues after the largest copied id. Jobs a dead SQLite process was running are
 * handed back, due now. Returns each table's row count, checked against the source.
 */
export async function copyDatabase(
  source: Kysely<Database>,
  target: Kysely<Database>,
  onTable: (table: string, rows: number) => void = () => {},
): Promise<Map<string, number>> {
  const sqlite = sqliteOf(source)
  if (!sqlite) throw new Error('the source must be a SQLite database')
  const tables = await tablesInOrder(target, source)
  const filled = await Promise.all(
    ['users', 'pipelines', 'raw_messages'].map(async (table) =>
      Number(
        (await sql<{ n: string }>`select count(*) as n from ${sql.table(table)}`.execute(target)).rows[0]
          ?.n ?? 0,
      ),
    ),
  )
  if (filled.some((n) => n > 0))
    throw new Error('the target database already holds Sluice data: migrate-to copies into an empty database')

  const counts = new Map<string, number>()
  sqlite.exec('begin')
  try {
    await target.transaction().execute(async (trx) => {
      for (const table of tables) await sql`alter table ${sql.table(table)} disable trigger user`.execute(trx)
      // What the migrations seeded (counters, settings) gives way to the source's own rows.
      for (const table of [...tables].reverse()) await sql`delete from ${sql.table(table)}`.execute(trx)
      for (const table of tables) {
        const { rows: columnRows } = await sql<{ name: string }>`select column_name as name
          from information_schema.columns where table_schema = current_schema() and table_name = ${table}
          order by ordinal_position`.execute(trx)
        const sourceColumns = new Set(
          (sqlite.prepare(`pragma table_info("${table}")`).all() as { name: string }[]).map((c) => c.name),
        )
        const columns = columnRows.map((c) => c.name).filter((name) => sourceColumns.has(name))
        const perStatement = Math.max(1, Math.floor(MAX_PARAMETERS / columns.length))
        const read = sqlite.prepare(`select ${columns.map((c) => `"${c}"`).join(', ')} from "${table}"`)
        let batch: unknown[][] = []
        let copied = 0
        const flush = async () => {
          if (batch.length === 0) return
          const values = batch.map((row) => sql`(${sql.join(row)})`)
          await sql`insert into ${sql.table(table)} (${sql.join(columns.map((c) => sql.ref(c)))})
            values ${sql.join(values)}`.execute(trx)
          copied += batch.length
          if (copied % PROGRESS_EVERY < batch.length && copied >= PROGRESS_EVERY)
            onTable(`${table} (so far)`, copied)
          batch = []
        }
        for (const row of read.raw().iterate() as Iterable<unknown[]>) {
          batch.push(row)
          if (batch.length >= perStatement) await flush()
        }
        await flush()
        counts.set(table, copied)
        onTable(table, copied)
      }
      // Serial columns continue after what was copied.
      const { rows: serials } = await sql<{ table_name: string; column_name: string }>`
        select table_name, column_name from information_schema.columns
        where table_schema = current_schema() and column_default like 'nextval(%'`.execute(trx)
      for (const serial of serials) {
        await sql`select setval(pg_get_serial_sequence(${serial.table_name}, ${serial.column_name}),
          coalesce((select max(${sql.ref(serial.column_name)}) from ${sql.table(serial.table_name)}), 0) + 1, false)`.execute(
          trx,
        )
      }
      // The SQLite process is gone: what it was running is due again, on whichever worker claims it.
      await trx
        .updateTable('jobs')
        .set({
          status: 'sleeping',
          sleep_reason: 'schedule',
          next_run_at: sql`coalesce(next_run_at, to_char(now() at time zone 'utc', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))`,
          lease_owner: null,
          lease_token: null,
          lease_expires_at: null,
        })
        .where('status', '=', 'running')
        .where('lease_token', 'is not', null)
        .execute()
      for (const table of tables) await sql`alter table ${sql.table(table)} enable trigger user`.execute(trx)
      for (const [table, copied] of counts) {
        const inSource = Number(
          (sqlite.prepare(`select count(*) as n from "${table}"`).get() as { n: number }).n,
        )
        if (inSource !== copied) throw new Error(`${table}: read ${inSource} rows but copied ${copied}`)
      }
    })
  } finally {
    sqlite.exec('rollback')
  }
  return counts
}
