import { type SelectQueryBuilder, sql } from 'kysely'
import { ApiError } from '../errors.ts'

/** Keyset paging shared by every list (API.md: `limit`, `cursor`, `sort`, `X-Next-Cursor`). */
export interface ListQuery {
  limit?: number | undefined
  cursor?: string | undefined
  sort?: string | undefined
}

export interface Page {
  limit: number
  /** Column that orders the list; `id` breaks ties so the order is total. */
  column: string
  desc: boolean
  after: { value: string | number; id: string } | null
}

export const MAX_LIMIT = 1000

/**
 * Resolves `?sort=` against the columns a list allows and decodes `?cursor=`.
 * @example toPage(query, { name: 'name', createdAt: 'created_at' }, '-createdAt')
 */
export function toPage(query: ListQuery, sortable: Record<string, string>, defaultSort: string): Page {
  const sort = query.sort ?? defaultSort
  const desc = sort.startsWith('-')
  const field = desc ? sort.slice(1) : sort
  const column = sortable[field]
  if (!column) {
    throw new ApiError(
      400,
      'InvalidSort',
      `cannot sort by "${field}"; use one of ${Object.keys(sortable).join(', ')}`,
    )
  }
  let after: Page['after'] = null
  if (query.cursor) {
    try {
      const decoded = JSON.parse(Buffer.from(query.cursor, 'base64url').toString('utf8')) as unknown
      if (!Array.isArray(decoded) || decoded.length !== 3 || decoded[0] !== sort) throw new Error('shape')
      const [, value, id] = decoded as [string, unknown, unknown]
      if ((typeof value !== 'string' && typeof value !== 'number') || typeof id !== 'string')
        throw new Error('types')
      after = { value, id }
    } catch {
      throw new ApiError(
        400,
        'InvalidCursor',
        'the cursor is not valid for this list and sort; start again without it',
      )
    }
  }
  return { limit: Math.min(query.limit ?? 100, MAX_LIMIT), column, desc, after }
}

/** Adds the keyset condition, the order and limit+1 (the extra row tells whether more remain). */
export function applyPage<DB, TB extends keyof DB, O>(
  query: SelectQueryBuilder<DB, TB, O>,
  page: Page,
  table: string,
): SelectQueryBuilder<DB, TB, O> {
  const column = sql.ref(`${table}.${page.column}`)
  const id = sql.ref(`${table}.id`)
  let next = query
  if (page.after) {
    const op = sql.raw(page.desc ? '<' : '>')
    next = next.where(sql<boolean>`(${column}, ${id}) ${op} (${page.after.value}, ${page.after.id})`)
  }
  const direction = page.desc ? 'desc' : 'asc'
  return next
    .orderBy(sql`${column} ${sql.raw(direction)}`)
    .orderBy(sql`${id} ${sql.raw(direction)}`)
    .limit(page.limit + 1)
}

/** Splits the extra row off and encodes the cursor for `X-Next-Cursor`. */
export function finishPage<Row extends { id: string }>(
  rows: Row[],
  page: Page,
  sort: string,
  sortValue: (row: Row) => string | number,
): { items: Row[]; nextCursor: string | null } {
  if (rows.length <= page.limit) return { items: rows, nextCursor: null }
  const items = rows.slice(0, page.limit)
  const last = items[items.length - 1]!
  const cursor = Buffer.from(JSON.stringify([sort, sortValue(last), last.id])).toString('base64url')
  return { items, nextCursor: cursor }
}

/** A LIKE pattern that matches `text` literally anywhere, case-insensitively with `lower()`. */
export function containsPattern(text: string): string {
  return `%${text.toLowerCase().replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`
}
