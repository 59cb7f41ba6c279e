import { sql } from 'kysely'
import type { AudienceFilter } from '../../nodes/audience.ts'
import { filterSql, INLINE } from '../data/audience-sql.ts'
import { isPostgres } from './locks.ts'
import { containsText } from './paging.ts'
import type { Audience, Executor } from './schema.ts'

/**
 * Profiles as audience filters read them (see audience-sql.ts): the table itself on SQLite; on
 * PostgreSQL with attributes and streams parsed to jsonb once per row, not once per condition.
 */
function profilesSource(db: Executor) {
  return isPostgres(db)
    ? sql`(select id, attributes::jsonb as a, streams::jsonb as s from profiles) as p`
    : sql`profiles as p`
}

/** How many profiles the filter matches, counted in the database. */
export async function countAudience(db: Executor, filter: AudienceFilter): Promise<number> {
  const where = filterSql(filter, isPostgres(db) ? 'postgres' : 'sqlite')
  const { rows } = await sql<{
    n: number | string
  }>`select count(*) as n from ${profilesSource(db)} where ${where}`.execute(db)
  return Number(rows[0]?.n ?? 0)
}

/**
 * The most recently changed profiles the filter matches: id and attribute values. Walks the
 * profiles newest first and stops at `limit` matches.
 */
export async function sampleAudience(
  db: Executor,
  filter: AudienceFilter,
  limit: number,
): Promise<{ id: string; attributes: Record<string, unknown>; updatedAt: string }[]> {
  if (limit === 0) return []
  const where = filterSql(filter, isPostgres(db) ? 'postgres' : 'sqlite', INLINE)
  const { rows } = await sql<{ id: string; attributes: string; updated_at: string }>`
    select p.id, p.attributes, p.updated_at from profiles as p
    where ${where} order by p.updated_at desc, p.id desc limit ${limit}`.execute(db)
  return rows.map((row) => ({
    id: row.id,
    attributes: Object.fromEntries(
      Object.entries(JSON.parse(row.attributes) as Record<string, [unknown]>).map(([name, [value]]) => [
        name,
        value,
      ]),
    ),
    updatedAt: row.updated_at,
  }))
}

export async function findAudience(db: Executor, id: string): Promise<Audience | undefined> {
  return db.selectFrom('audiences').selectAll().where('id', '=', id).executeTakeFirst()
}

/** Audiences by name (or most recently changed first), `q` matching name or description. */
export async function listAudiences(
  db: Executor,
  options: { q?: string | undefined; sort: 'name' | '-updatedAt' },
) {
  let select = db.selectFrom('audiences').selectAll()
  if (options.q) {
    const q = options.q
    select = select.where((eb) => eb.or([containsText('name', q), containsText('description', q)]))
  }
  select =
    options.sort === 'name'
      ? select.orderBy('name_key').orderBy('id')
      : select.orderBy('updated_at', 'desc').orderBy('id', 'desc')
  return select.limit(1000).execute()
}

/** Pipelines whose draft or deployed version names the audience: it cannot be deleted under them. */
export async function pipelinesUsingAudience(
  db: Executor,
  id: string,
): Promise<{ id: string; name: string }[]> {
  const needle = `"audienceId":${JSON.stringify(id)}`
  const holds = (column: string) =>
    isPostgres(db)
      ? sql<number>`strpos(${sql.ref(column)}, ${needle})`
      : sql<number>`instr(${sql.ref(column)}, ${needle})`
  return db
    .selectFrom('pipelines')
    .select(['id', 'name'])
    .where('deleted_at', 'is', null)
    .where((eb) =>
      eb.or([
        eb(holds('pipelines.document'), '>', 0),
        eb.exists(
          eb
            .selectFrom('pipeline_versions')
            .select(sql.lit(1).as('one'))
            .whereRef('pipeline_versions.pipeline_id', '=', 'pipelines.id')
            .whereRef('pipeline_versions.version', '=', 'pipelines.deployed_version')
            .where(holds('pipeline_versions.document'), '>', 0),
        ),
      ]),
    )
    .execute()
}
