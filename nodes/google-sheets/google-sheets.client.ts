import { z } from 'zod'
import { type ConnectorContext, ConnectorError } from '../define.ts'
import { retryAtOf, unreachable } from '../http-answers.ts'

/**
 * The Sheets API v4 as this source uses it: a spreadsheet's tabs (spreadsheets.get) and a range
 * of cell values (spreadsheets.values.get), as the connected Google account, every answer Google
 * can give classified with what to do about it.
 */

export const SHEETS_API = 'https://sheets.googleapis.com'
const TIMEOUT_MS = 30_000

/**
 * A tab's name as A1 notation takes it: always quoted (a name with a space, an apostrophe or one
 * that reads like a cell, such as "A1", needs it; quoting is allowed for every name), an
 * apostrophe doubled.
 * @example quoteSheet("Jon's list") // "'Jon''s list'"
 */
export const quoteSheet = (title: string) => `'${title.replaceAll("'", "''")}'`

/** A column's letters from its 1-based number: 1 → A, 26 → Z, 27 → AA. */
export function columnLetters(column: number): string {
  let letters = ''
  for (let n = column; n > 0; n = Math.floor((n - 1) / 26))
    letters = String.fromCharCode(65 + ((n - 1) % 26)) + letters
  return letters
}

/**
 * Rows `from`..`to` of a tab, every column up to `columns`, in A1 notation.
 * @example rowsRange('Sheet 1', 2, 1001, 6) // "'Sheet 1'!A2:F1001"
 */
export const rowsRange = (title: string, from: number, to: number, columns: number) =>
  `${quoteSheet(title)}!A${from}:${columnLetters(columns)}${to}`

export interface Tab {
  title: string
  rowCount: number
  columnCount: number
}

const spreadsheetAnswer = z.object({
  properties: z.object({ title: z.string() }).partial().optional(),
  sheets: z
    .array(
      z.object({
        properties: z.object({
          title: z.string(),
          gridProperties: z.object({ rowCount: z.int(), columnCount: z.int() }).partial().optional(),
        }),
      }),
    )
    .default([]),
})

const valuesAnswer = z.object({
  range: z.string().optional(),
  // Absent when the range holds nothing; trailing empty rows and cells are left out.
  values: z.array(z.array(z.unknown())).default([]),
})

/** Google's error body: `{ error: { code, message, status } }`. */
const googleError = z.object({
  error: z.object({
    code: z.number().optional(),
    message: z.string().optional(),
    status: z.string().optional(),
  }),
})

/** An answer in the shape the documentation gives, or a retryable error (a proxy's page, an outage). */
function shaped<S extends z.ZodType>(schema: S, body: unknown): z.infer<S> {
  const parsed = schema.safeParse(body)
  if (parsed.success) return parsed.data
  throw new ConnectorError(
    'transient',
    `Google Sheets answered in an unexpected shape: ${z.prettifyError(parsed.error)}`,
  )
}

/** The requests of one run, with the credentials the last refresh gave. */
export class SheetsClient {
  readonly #ctx: ConnectorContext<unknown>
  readonly #spreadsheetId: string
  #credentials: Record<string, unknown>

  constructor(ctx: ConnectorContext<unknown>, spreadsheetId: string) {
    this.#ctx = ctx
    this.#spreadsheetId = spreadsheetId
    this.#credentials = ctx.credentials
  }

  /** Where requests go: the admin's API URL on the OAuth app (a test server) or Google's. */
  get #base(): string {
    const override = this.#credentials.apiUrl
    return (typeof override === 'string' && override ? override : SHEETS_API).replace(/\/+$/, '')
  }

  /** The spreadsheet's title and the tab named `name` (exactly, else ignoring case), with its size. */
  async tab(name: string): Promise<{ spreadsheet: string; tab: Tab }> {
    const body = shaped(
      spreadsheetAnswer,
      await this.#get('', {
        fields: 'properties.title,sheets.properties(title,gridProperties(rowCount,columnCount))',
      }),
    )
    const spreadsheet = body.properties?.title ?? this.#spreadsheetId
    const titles = body.sheets.map((sheet) => sheet.properties.title)
    const found =
      body.sheets.find((sheet) => sheet.properties.title === name) ??
      body.sheets.find((sheet) => sheet.properties.title.toLowerCase() === name.toLowerCase())
    if (!found)
      throw new ConnectorError(
        'config',
        `the spreadsheet "${spreadsheet}" has no tab "${name}"; its tabs are: ${titles.map((title) => `"${title}"`).join(', ')}`,
      )
    const grid = found.properties.gridProperties
    if (!grid?.rowCount || !grid.columnCount)
      throw new ConnectorError('config', `the tab "${found.properties.title}" holds a chart, not cells`)
    return {
      spreadsheet,
      tab: { title: found.properties.title, rowCount: grid.rowCount, columnCount: grid.columnCount },
    }
  }

  /**
   * The cells of `range`, row by row. Numbers and true/false keep their types (a formatted
   * "$1,234.00" could not be compared or summed in an audience); dates and times come as the
   * sheet displays them, since their serial numbers mean nothing outside a spreadsheet.
   */
  async values(range: string, tab: string): Promise<unknown[][]> {
    const body = await this.#get(
      `/values/${encodeURIComponent(range)}`,
      {
        majorDimension: 'ROWS',
        valueRenderOption: 'UNFORMATTED_VALUE',
        dateTimeRenderOption: 'FORMATTED_STRING',
      },
      tab,
    )
    return shaped(valuesAnswer, body).values
  }

  async #get(path: string, query: Record<string, string>, tab?: string, retried = false): Promise<unknown> {
    const ctx = this.#ctx
    const url = new URL(`${this.#base}/v4/spreadsheets/${encodeURIComponent(this.#spreadsheetId)}${path}`)
    for (const [name, value] of Object.entries(query)) url.searchParams.set(name, value)
    await ctx.throttle?.()
    let response: Response
    try {
      response = await ctx.fetch(url, {
        headers: {
          accept: 'application/json',
          authorization: `Bearer ${String(this.#credentials.accessToken)}`,
        },
        signal: AbortSignal.any([ctx.signal, AbortSignal.timeout(TIMEOUT_MS)]),
      })
    } catch (error) {
      throw unreachable(error, 'Google Sheets')
    }
    const text = await response.text()
    // An access token Google no longer takes (expired early, revoked): refresh it once and retry.
    if (response.status === 401 && ctx.reauthorize && !retried) {
      this.#credentials = await ctx.reauthorize()
      return this.#get(path, query, tab, true)
    }
    if (response.ok) {
      try {
        return JSON.parse(text) as unknown
      } catch {
        throw new ConnectorError('transient', `Google Sheets answered HTTP ${response.status} with no JSON`)
      }
    }
    throw this.#failure(response, text, tab)
  }

  #failure(response: Response, text: string, tab: string | undefined): ConnectorError {
    const status = response.status
    let parsed: z.infer<typeof googleError>['error'] = {}
    try {
      parsed = googleError.parse(JSON.parse(text)).error
    } catch {
      // Not Google's JSON (a proxy's page): the status alone decides.
    }
    const reason = parsed.status ?? `HTTP ${status}`
    const said = `Google Sheets answered ${status} ${reason}${parsed.message ? `: ${parsed.message.slice(0, 300)}` : ''}`
    const code = parsed.status ?? String(status)
    const now = this.#ctx.now()
    // The per-minute quota: Google's own code, whatever the HTTP status says.
    if (status === 429 || parsed.status === 'RESOURCE_EXHAUSTED')
      return new ConnectorError('rate_limited', said, {
        // No Retry-After: the quota refills each minute.
        retryAt: retryAtOf(response.headers.get('retry-after'), now),
        code,
      })
    if (status >= 500 || status === 408) return new ConnectorError('transient', said, { code })
    const spreadsheet = `spreadsheet ${this.#spreadsheetId}`
    if (status === 401)
      return new ConnectorError('auth', `${said}; reconnect the Google account in the Vault`, { code })
    if (status === 403)
      return new ConnectorError(
        'config',
        `${said}; share the ${spreadsheet} with the Google account of the authorization (Viewer is enough)`,
        { code },
      )
    if (status === 404)
      return new ConnectorError(
        'config',
        `${said}; there is no ${spreadsheet} for this account: check the spreadsheet's address`,
        { code },
      )
    if (status === 400 && tab !== undefined)
      return new ConnectorError('config', `${said}; check the tab "${tab}" of the ${spreadsheet}`, { code })
    return new ConnectorError('config', `${said}; check the ${spreadsheet} and its tab`, { code })
  }
}
