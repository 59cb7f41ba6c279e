import { type SelectQueryBuilder, sql } from 'kysely'
import { ApiError } from '../errors.ts'

/** Keyset paging shared by every list (API.md: `limit`, `cursor`, `sort`, `X-Next-Cursor`). */
export interface ListQuery {
  limit?: number | undefined
  cursor?: string | undefined
  sort?: string | undefined
}

export interface Page {
  /** As asked, e.g. `-createdAt`; the cursor remembers it. */
  sort: string
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
  const column = Object.hasOwn(sortable, field) ? sortable[field] : undefined
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
      // PostgreSQL text cannot hold U+0000; a forged cursor must not reach the query.
      if (`${value}${id}`.includes('\u0000')) throw new Error('NUL')
      after = { value, id }
    } catch {
      throw new ApiError(
        400,
        'InvalidCursor',
        'the cursor is not valid for this list and sort; start again without it',
      )
    }
  }
  return { sort, limit: Math.min(query.limit ?? 100, MAX_LIMIT), column, desc, after }
}

/** Adds the keyset condition, the order and limit+1 (the extra row tells whether more remain). */
export function applyPage<DB, TB extends keyof DB, O>(
  query: SelectQueryBuilder<DB, TB, O>,
  page: Page,
  table: string,
  /** The unique column that breaks ties; `id` unless the table is keyed otherwise. */
  idColumn = 'id',
): SelectQueryBuilder<DB, TB, O> {
  const column = sql.ref(`${table}.${page.column}`)
  const id = sql.ref(`${table}.${idColumn}`)
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
export function finishPage<Row>(
  rows: Row[],
  page: Page,
  sortValue: (row: Row) => string | number,
  idOf: (row: Row) => string = (row) => (row as { id: string }).id,
): { items: Row[]; nextCursor: string | null } {
  if (rows.length <= page.limit) return { items: rows, nextCursor: null }
  const items = rows.slice(0, page.limit)
  const last = items[items.length - 1]!
  const cursor = Buffer.from(JSON.stringify([page.sort, sortValue(last), idOf(last)])).toString('base64url')
  return { items, nextCursor: cursor }
}

/**
 * `column` contains `text` literally (`%` and `_` escaped), ignoring case. SQLite's own lower() is
 * ASCII-only; `openDatabase` replaces it with a Unicode one so both dialects match alike.
 */
export function containsText(column: string, text: string) {
  const pattern = `%${text.toLowerCase().replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`
  return sql<boolean>`lower(${sql.ref(column)}) like ${pattern} escape '\\'`
}
