import { sql } from 'kysely'
import { identityHash } from '../data/identity.ts'
import { nextChangeSeq } from './counters.repo.ts'
import { forgetInNext } from './generations.ts'
import { serialize } from './locks.ts'
import { applyPage, containsText, finishPage, type ListQuery, toPage } from './paging.ts'
import { tallyStreams } from './raw-messages.repo.ts'
import type { Executor, Profile } from './schema.ts'

export const PROFILE_SORTS = { updatedAt: 'updated_at', createdAt: 'created_at' }

export interface IdentityJson {
  field: string
  value: string
  /** Past SLUICE_MERGE_CAP: this value no longer joins people. */
  flagged: boolean
}

async function identitiesOf(db: Executor, ids: string[]): Promise<Map<string, IdentityJson[]>> {
  const byProfile = new Map<string, IdentityJson[]>()
  if (ids.length === 0) return byProfile
  const rows = await db
    .selectFrom('profile_identities')
    .select(['profile_id', 'field', 'value', 'flagged_at'])
    .where('profile_id', 'in', ids)
    .orderBy('field')
    .orderBy('value')
    .execute()
  for (const row of rows) {
    const list = byProfile.get(row.profile_id) ?? []
    list.push({ field: row.field, value: row.value, flagged: row.flagged_at !== null })
    byProfile.set(row.profile_id, list)
  }
  return byProfile
}

/** Profiles, newest change first; `q` matches an identity value (prefix) or any attribute text. */
export async function listProfiles(
  db: Executor,
  query: ListQuery & { q?: string | undefined; identityKey?: string | undefined },
) {
  const page = toPage(query, PROFILE_SORTS, '-updatedAt')
  let select = db.selectFrom('profiles').select(['id', 'created_at', 'updated_at'])
  const key = query.identityKey
  if (key) {
    select = select.where('id', 'in', (eb) =>
      eb.selectFrom('profile_identities').select('profile_id').where('key', '=', key),
    )
  }
  const q = query.q
  if (q) {
    const prefix = `${q.toLowerCase().replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`
    select = select.where((eb) =>
      eb.or([
        eb.exists(
          eb
            .selectFrom('profile_identities')
            .select(sql.lit(1).as('one'))
            .whereRef('profile_identities.profile_id', '=', 'profiles.id')
            .where(sql<boolean>`lower(profile_identities.value) like ${prefix} escape '\\'`),
        ),
        containsText('profiles.attributes', q),
      ]),
    )
  }
  const rows = await applyPage(select, page, 'profiles').execute()
  const { items, nextCursor } = finishPage(rows, page, (row) =>
    page.column === 'created_at' ? row.created_at : row.updated_at,
  )
  const identities = await identitiesOf(
    db,
    items.map((row) => row.id),
  )
  return {
    items: items.map((row) => ({
      id: row.id,
      identities: identities.get(row.id) ?? [],
      createdAt: row.created_at,
      updatedAt: row.updated_at,
    })),
    nextCursor,
  }
}

/** Every profile id that was merged, directly or along a chain, into `id`. */
export async function mergedInto(db: Executor, id: string): Promise<string[]> {
  const found: string[] = []
  let frontier = [id]
  while (frontier.length) {
    const rows = await db
      .selectFrom('profile_merges')
      .select('from_id')
      .where('into_id', 'in', frontier)
      .execute()
    frontier = rows.map((row) => row.from_id).filter((from) => !found.includes(from) && from !== id)
    found.push(...frontier)
  }
  return found
}

/** The live profile an id names: itself, or the survivor its merges lead to. */
export async function resolveProfile(db: Executor, id: string): Promise<Profile | undefined> {
  let current = id
  for (let hops = 0; hops < 1000; hops++) {
    const profile = await db.selectFrom('profiles').selectAll().where('id', '=', current).executeTakeFirst()
    if (profile) return profile
    const merge = await db
      .selectFrom('profile_merges')
      .select('into_id')
      .where('from_id', '=', current)
      .orderBy('id', 'desc')
      .executeTakeFirst()
    if (!merge) return undefined
    current = merge.into_id
  }
  return undefined
}

export async function getProfile(db: Executor, id: string) {
  const profile = await resolveProfile(db, id)
  if (!profile) return undefined
  const stamped = JSON.parse(profile.attributes) as Record<string, [unknown, string, number, string]>
  const attributes: Record<string, { value: unknown; at: string; stream: string }> = {}
  for (const name of Object.keys(stamped).sort()) {
    const [value, at, , stream] = stamped[name]!
    // defineProperty: an attribute named __proto__ is data, not the object's prototype.
    Object.defineProperty(attributes, name, {
      value: { value, at, stream },
      enumerable: true,
      writable: true,
      configurable: true,
    })
  }
  return {
    id: profile.id,
    attributes,
    identities: (await identitiesOf(db, [profile.id])).get(profile.id) ?? [],
    streams: JSON.parse(profile.streams) as string[],
    mergedFrom: await mergedInto(db, profile.id),
    createdAt: profile.created_at,
    updatedAt: profile.updated_at,
  }
}

/**
 * Privacy deletion: the profile, its raw messages (also those of profiles merged into it) and its
 * identities go; the identities' hashes are suppressed so the person is never unified again.
 * Returns how many raw messages were deleted, or null when no such profile exists.
 */
export async function deleteProfile(
  trx: Executor,
  id: string,
  by: string,
  now: string,
): Promise<{ id: string; messages: number } | null> {
  await serialize(trx, 'sluice.unify')
  const profile = await resolveProfile(trx, id)
  if (!profile) return null
  const ids = [profile.id, ...(await mergedInto(trx, profile.id))]
  const identities = await trx
    .selectFrom('profile_identities')
    .select(['key', 'field'])
    .where('profile_id', '=', profile.id)
    .execute()
  for (const identity of identities) {
    await trx
      .insertInto('suppressions')
      .values({ hash: identityHash(identity.key), field: identity.field, created_at: now, created_by: by })
      .onConflict((conflict) => conflict.column('hash').doNothing())
      .execute()
  }
  await trx.deleteFrom('profile_identities').where('profile_id', '=', profile.id).execute()
  await forgetInNext(
    trx,
    identities.map((identity) => identity.key),
  )
  let deleted = 0
  for (let i = 0; i < ids.length; i += 500) {
    const part = ids.slice(i, i + 500)
    const rows = await trx
      .deleteFrom('raw_messages')
      .where('profile_id', 'in', part)
      .returning(['stream', 'event_time'])
      .execute()
    deleted += rows.length
    for (const [stream, { count }] of tallyStreams(rows)) {
      await trx
        .updateTable('streams')
        .set({ message_count: sql`message_count - ${count}` })
        .where('name', '=', stream)
        .execute()
    }
    await trx
      .deleteFrom('profile_merges')
      .where((eb) => eb.or([eb('into_id', 'in', part), eb('from_id', 'in', part)]))
      .execute()
  }
  await trx.deleteFrom('profiles').where('id', '=', profile.id).execute()
  // Exports read this to take the person off their destinations.
  await trx
    .insertInto('profile_tombstones')
    .values({ change_seq: await nextChangeSeq(trx), profile_id: profile.id, into_id: null, created_at: now })
    .execute()
  return { id: profile.id, messages: deleted }
}

/** Whether an identity value was suppressed by a privacy deletion. */
export async function isSuppressed(db: Executor, key: string): Promise<boolean> {
  const row = await db
    .selectFrom('suppressions')
    .select('hash')
    .where('hash', '=', identityHash(key))
    .executeTakeFirst()
  return row !== undefined
}
