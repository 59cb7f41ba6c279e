import { defineConnector, parseConfig } from '../define.ts'
import { SheetsClient } from './google-sheets.client.ts'
import { googleSheets, googleSheetsConfig, spreadsheetIdOf } from './google-sheets.node.ts'
import { read } from './google-sheets.source.ts'

export default defineConnector(googleSheets, {
  async check(ctx) {
    // Sheets has nothing to ask without a spreadsheet: the token is tried with the first one given.
    if (!ctx.config)
      return {
        ok: true,
        message: 'the Google account is connected; test it with a spreadsheet to see whether it may read it',
      }
    try {
      const config = parseConfig(googleSheetsConfig, ctx.config, 'Google Sheets')
      const client = new SheetsClient({ ...ctx, jobId: null }, spreadsheetIdOf(config.spreadsheet)!)
      const { spreadsheet, tab } = await client.tab(config.sheet)
      return {
        ok: true,
        message: `the account can read "${spreadsheet}": tab "${tab.title}" has ${tab.rowCount} rows and ${tab.columnCount} columns`,
      }
    } catch (error) {
      return { ok: false, message: (error as Error).message }
    }
  },
  jobs: { rows: { direction: 'import', read } },
})
