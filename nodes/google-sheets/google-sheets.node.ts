import { siGooglesheets } from 'simple-icons'
import { z } from 'zod'
import { brandIcon } from '../brand-icon.ts'
import { defineProvider } from '../define.ts'

/**
 * The id in a spreadsheet's address (`https://docs.google.com/spreadsheets/d/<id>/edit#gid=0`),
 * or the id itself; null for anything else. Ids are letters, digits, "-" and "_".
 * @example spreadsheetIdOf('https://docs.google.com/spreadsheets/d/1AbC-d_9/edit#gid=0') // '1AbC-d_9'
 */
export function spreadsheetIdOf(value: string): string | null {
  const text = value.trim()
  const fromUrl = /^https:\/\/docs\.google\.com\/spreadsheets\/(?:u\/\d+\/)?d\/([A-Za-z0-9_-]+)/.exec(text)
  if (fromUrl) return fromUrl[1]!
  return /^[A-Za-z0-9_-]{10,200}$/.test(text) ? text : null
}

export const googleSheetsConfig = z.strictObject({
  spreadsheet: z
    .string()
    .trim()
    .min(1, 'the spreadsheet to read: its address or its id')
    .max(500)
    .refine((value) => spreadsheetIdOf(value) !== null, {
      message: 'a spreadsheet address (https://docs.google.com/spreadsheets/d/...) or its id',
    })
    .meta({
      title: 'Spreadsheet',
      description:
        "Paste the spreadsheet's address from your browser, or just its id (the part after /d/). It must be shared with the Google account of the authorization.",
      placeholder: 'https://docs.google.com/spreadsheets/d/1BxiMVs0XRA5nFMdKvBdBZjgmUUqptlbs74OgvE2upms/edit',
    }),
  sheet: z.string().trim().min(1).max(100).default('Sheet1').meta({
    title: 'Sheet (tab)',
    description: 'The name of the tab to read, as it reads at the bottom of the spreadsheet.',
  }),
  headerRow: z.int().min(1).max(10_000).default(1).meta({
    title: 'Header row',
    description:
      'The row whose cells name the fields; people are read from the rows below it. A blank header cell names its field after the column (column_E); a repeated one gets a number (plan_2).',
  }),
  mode: z.enum(['append', 'full']).default('append').meta({
    title: 'Rows to read each run',
    description:
      'append: only the rows added below the last row read, for sheets that only grow (form responses, sign-up lists); edits to rows already read are not seen. full: the whole tab every run, so edited rows update their people; unchanged rows are recognised and skipped.',
  }),
  keyColumn: z.string().trim().min(1).max(200).optional().meta({
    title: 'Key column',
    description:
      'The header of a column that identifies each row (an email or customer id). With it, sorting the sheet or inserting rows does not make rows look new; without it, rows are told apart by their row number.',
  }),
  pageSize: z.int().min(1).max(10_000).default(1000).meta({
    title: 'Rows per request',
    description:
      'How many rows each request to Google asks for. Google suggests answers under 2 MB: lower it for very wide sheets.',
  }),
})
export type GoogleSheetsConfig = z.infer<typeof googleSheetsConfig>

/** Reads people from a Google Sheets tab through the Sheets API v4, as the connected Google account. */
export const googleSheets = defineProvider({
  id: 'google-sheets',
  title: 'Google Sheets',
  category: 'source',
  icon: brandIcon(siGooglesheets),
  description:
    'Imports the rows of a Google Sheets tab as people, one field per column named by the header row: new rows on each run, or the whole tab when rows get edited. Reads as a connected Google account, with read-only access to its spreadsheets.',
  auth: [
    {
      id: 'oauth2',
      title: 'Google account',
      schema: z.strictObject({}),
      oauth: {
        authorizeUrl: 'https://accounts.google.com/o/oauth2/v2/auth',
        tokenUrl: 'https://oauth2.googleapis.com/token',
        scopes: ['https://www.googleapis.com/auth/spreadsheets.readonly'],
        // Google issues a refresh token only for offline access, and again on reconnect only with consent.
        authorizeParams: { access_type: 'offline', prompt: 'consent' },
      },
    },
  ],
  jobTypes: [
    {
      id: 'rows',
      title: 'Rows of a tab',
      direction: 'import',
      description:
        'Each row below the header is one record: empty cells are left out, numbers and true/false keep their types, dates arrive as the sheet displays them. Reading stops at a page whose last rows are empty, normally the end of the data: rows below a gap of empty rows may wait until the gap is filled.',
      config: googleSheetsConfig,
      requiresAuthorization: true,
      defaultCadence: { every: '1h' },
      // Another sheet, tab, header or mode: the row the last run stopped at means nothing there.
      resetsCheckpoint: ['spreadsheet', 'sheet', 'headerRow', 'mode'],
    },
  ],
  // Sheets API quota: 60 read requests per minute per user (developers.google.com/workspace/sheets/api/limits).
  budget: { requests: { count: 60, perMs: 60_000 } },
})
