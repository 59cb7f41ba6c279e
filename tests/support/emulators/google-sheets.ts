import type { Context } from 'hono'
import { bearerOf, type Emulator, type Fault, startEmulator } from './harness.ts'

/**
 * The Sheets API v4 as a read-only source uses it, following Google's documentation: OAuth2
 * bearer tokens, spreadsheets.get (tabs and grid sizes), spreadsheets.values.get with A1 ranges
 * (quoted tab names, major dimension, value render options, trailing empty rows and cells left
 * out), the grid limits a range must start within, Google's error body `{ error: { code,
 * message, status } }` for 400, 401, 403, 404, and the per-minute read quota's 429
 * RESOURCE_EXHAUSTED. Tests arm other faults (a 5xx, a 429 with Retry-After) with `fail`.
 */

export interface StoredTab {
  title: string
  /** The grid's size; a new Google sheet has 1000 rows and 26 columns. */
  rowCount: number
  columnCount: number
  /** Cell values, row 1 first; a missing cell or row is empty. */
  rows: unknown[][]
}

export interface StoredSpreadsheet {
  id: string
  title: string
  tabs: StoredTab[]
  /** False: the connected account was never given access, and gets 403. */
  shared: boolean
}

export interface SheetsEmulator extends Emulator {
  /** Accepted access tokens: what the OAuth provider issues. */
  keys: Set<string>
  spreadsheets: Map<string, StoredSpreadsheet>
  /** Read requests left in this minute; at 0 each gets the documented 429. Null: no quota. */
  quota: { remaining: number | null }
  /** Adds a spreadsheet shared with the account, with one tab holding `rows` (row 1 first). */
  create(
    id: string,
    title: string,
    tab: Partial<StoredTab> & Pick<StoredTab, 'title' | 'rows'>,
  ): StoredSpreadsheet
  /** The A1 ranges values.get was asked for, decoded, in order. */
  rangesRead(): string[]
}

/** Google's error body. https://cloud.google.com/apis/design/errors (HTTP mapping) */
export const googleError = (code: number, status: string, message: string) => ({
  error: { code, message, status },
})

/**
 * The per-minute read quota, as https://developers.google.com/workspace/sheets/api/limits says it
 * answers: 429 with status RESOURCE_EXHAUSTED (and no Retry-After; `retryAfter` adds one).
 */
export const quotaExceeded = (retryAfter?: number): Fault => ({
  status: 429,
  body: googleError(
    429,
    'RESOURCE_EXHAUSTED',
    "Quota exceeded for quota metric 'Read requests' and limit 'Read requests per minute per user' of service 'sheets.googleapis.com'.",
  ),
  ...(retryAfter === undefined ? {} : { headers: { 'Retry-After': String(retryAfter) } }),
})

export const unavailable = (): Fault => ({
  status: 503,
  body: googleError(503, 'UNAVAILABLE', 'The service is currently unavailable.'),
})

/** A tab name as Google writes it back in a range: quoted only when it is not plain letters and digits. */
const echoTitle = (title: string) =>
  /^[A-Za-z0-9_]+$/.test(title) ? title : `'${title.replaceAll("'", "''")}'`

const columnNumber = (letters: string) =>
  [...letters].reduce((n, letter) => n * 26 + letter.charCodeAt(0) - 64, 0)
const columnLetters = (column: number) => {
  let letters = ''
  for (let n = column; n > 0; n = Math.floor((n - 1) / 26))
    letters = String.fromCharCode(65 + ((n - 1) % 26)) + letters
  return letters
}

/**
 * `Tab!A1:F10` or `'Tab name'!A1:F10` (https://developers.google.com/workspace/sheets/api/guides/concepts#cell):
 * a name with spaces or other characters than letters, digits and "_" must be quoted, a quote
 * inside doubled. Other forms (whole columns, named ranges) are not used by Sluice and not parsed.
 */
function parseRange(range: string) {
  const match = /^(?:'((?:[^']|'')+)'|([A-Za-z0-9_]+))!([A-Z]+)([1-9][0-9]*):([A-Z]+)([1-9][0-9]*)$/.exec(
    range,
  )
  if (!match) return null
  const fromColumn = columnNumber(match[3]!)
  const toColumn = columnNumber(match[5]!)
  const fromRow = Number(match[4])
  const toRow = Number(match[6])
  if (toColumn < fromColumn || toRow < fromRow) return null
  return { title: match[1]?.replaceAll("''", "'") ?? match[2]!, fromRow, toRow, fromColumn, toColumn }
}

const isEmpty = (cell: unknown) => cell === undefined || cell === null || cell === ''

/** FORMATTED_VALUE shows cells as the sheet displays them: text, TRUE/FALSE. */
const formatted = (cell: unknown) => (typeof cell === 'boolean' ? (cell ? 'TRUE' : 'FALSE') : String(cell))

export async function startSheetsEmulator(): Promise<SheetsEmulator> {
  const keys = new Set<string>()
  const spreadsheets = new Map<string, StoredSpreadsheet>()
  const quota: { remaining: number | null } = { remaining: null }

  /** The spreadsheet a request may read, or Google's answer why not. */
  const open = (c: Context): StoredSpreadsheet | Response => {
    const token = bearerOf(c.req.header('authorization'))
    if (!token || !keys.has(token))
      return c.json(
        googleError(401, 'UNAUTHENTICATED', 'Request had invalid authentication credentials.'),
        401,
      )
    if (quota.remaining !== null) {
      if (quota.remaining <= 0) {
        const fault = quotaExceeded()
        return c.json(fault.body, 429)
      }
      quota.remaining--
    }
    const spreadsheet = spreadsheets.get(c.req.param('id') ?? '')
    if (!spreadsheet) return c.json(googleError(404, 'NOT_FOUND', 'Requested entity was not found.'), 404)
    if (!spreadsheet.shared)
      return c.json(googleError(403, 'PERMISSION_DENIED', 'The caller does not have permission'), 403)
    return spreadsheet
  }

  const emulator = await startEmulator((app) => {
    // https://developers.google.com/workspace/sheets/api/reference/rest/v4/spreadsheets/get
    // The `fields` mask is not applied: the answer carries what Sluice asks for, and a little more.
    app.get('/v4/spreadsheets/:id', (c) => {
      const spreadsheet = open(c)
      if (spreadsheet instanceof Response) return spreadsheet
      return c.json(
        {
          spreadsheetId: spreadsheet.id,
          properties: { title: spreadsheet.title, locale: 'en_US', timeZone: 'Europe/London' },
          sheets: spreadsheet.tabs.map((tab, index) => ({
            properties: {
              sheetId: index === 0 ? 0 : 1000 + index,
              title: tab.title,
              index,
              sheetType: 'GRID',
              gridProperties: { rowCount: tab.rowCount, columnCount: tab.columnCount },
            },
          })),
          spreadsheetUrl: `https://docs.google.com/spreadsheets/d/${spreadsheet.id}/edit`,
        },
        200,
      )
    })

    // https://developers.google.com/workspace/sheets/api/reference/rest/v4/spreadsheets.values/get
    // and the ValueRange it answers (…/rest/v4/spreadsheets.values#ValueRange).
    app.get('/v4/spreadsheets/:id/values/:range', (c) => {
      const spreadsheet = open(c)
      if (spreadsheet instanceof Response) return spreadsheet
      const asked = c.req.param('range')
      const range = parseRange(asked)
      const tab = range && spreadsheet.tabs.find((candidate) => candidate.title === range.title)
      if (!range || !tab)
        return c.json(googleError(400, 'INVALID_ARGUMENT', `Unable to parse range: ${asked}`), 400)
      // A range must start inside the grid; one that runs past its end is cut to it.
      if (range.fromRow > tab.rowCount || range.fromColumn > tab.columnCount)
        return c.json(
          googleError(
            400,
            'INVALID_ARGUMENT',
            `Range (${asked}) exceeds grid limits. Max rows: ${tab.rowCount}, max columns: ${tab.columnCount}`,
          ),
          400,
        )
      const dimension = c.req.query('majorDimension') ?? 'ROWS'
      const render = c.req.query('valueRenderOption') ?? 'FORMATTED_VALUE'
      if (
        !['ROWS', 'COLUMNS'].includes(dimension) ||
        !['FORMATTED_VALUE', 'UNFORMATTED_VALUE', 'FORMULA'].includes(render)
      )
        return c.json(googleError(400, 'INVALID_ARGUMENT', 'Invalid value at a query parameter'), 400)
      const toRow = Math.min(range.toRow, tab.rowCount)
      const toColumn = Math.min(range.toColumn, tab.columnCount)
      let cells: unknown[][] = []
      for (let row = range.fromRow; row <= toRow; row++) {
        const line: unknown[] = []
        for (let column = range.fromColumn; column <= toColumn; column++) {
          const cell = tab.rows[row - 1]?.[column - 1]
          line.push(isEmpty(cell) ? '' : render === 'FORMATTED_VALUE' ? formatted(cell) : cell)
        }
        cells.push(line)
      }
      if (dimension === 'COLUMNS')
        cells = cells[0]?.map((_, column) => cells.map((line) => line[column])) ?? []
      // "For output, empty trailing rows and columns will not be included."
      cells = cells.map((line) => {
        let end = line.length
        while (end > 0 && isEmpty(line[end - 1])) end--
        return line.slice(0, end)
      })
      while (cells.length && cells.at(-1)!.length === 0) cells.pop()
      return c.json(
        {
          range: `${echoTitle(tab.title)}!${columnLetters(range.fromColumn)}${range.fromRow}:${columnLetters(toColumn)}${toRow}`,
          majorDimension: dimension,
          ...(cells.length ? { values: cells } : {}),
        },
        200,
      )
    })
  })

  return {
    ...emulator,
    keys,
    spreadsheets,
    quota,
    create(id, title, tab) {
      const spreadsheet: StoredSpreadsheet = {
        id,
        title,
        shared: true,
        tabs: [{ rowCount: 1000, columnCount: 26, ...tab }],
      }
      spreadsheets.set(id, spreadsheet)
      return spreadsheet
    },
    rangesRead: () =>
      emulator
        .callsTo(/^GET \/v4\/spreadsheets\/[^/]+\/values\//)
        .map((call) => decodeURIComponent(call.path.split('/values/')[1]!.split('?')[0]!)),
  }
}
