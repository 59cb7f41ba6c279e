import { createHash } from 'node:crypto'
import { z } from 'zod'
import {
  type ConnectorContext,
  ConnectorError,
  parseConfig,
  type ReadBatch,
  type ReadOptions,
  type SourceRecord,
} from '../define.ts'
import { columnLetters, rowsRange, SheetsClient } from './google-sheets.client.ts'
import { type GoogleSheetsConfig, googleSheetsConfig, spreadsheetIdOf } from './google-sheets.node.ts'

/**
 * Where the next run starts: below `row`, the last sheet row read that held anything. A full
 * re-read puts it back on the header row once it has read the whole tab.
 */
const checkpointSchema = z.strictObject({ row: z.int().min(1) })
export type SheetsCheckpoint = z.infer<typeof checkpointSchema>

/**
 * Field names from the header row's cells: trimmed text; a blank cell (or a column past the last
 * header) is named after its column (`column_E`), so its values are kept rather than dropped; a
 * name met again gets a number (`plan_2`), so neither column overwrites the other.
 */
export function fieldNames(header: readonly unknown[], columns: number): string[] {
  const seen = new Map<string, number>()
  return Array.from({ length: columns }, (_, index) => {
    const cell = header[index]
    const text = cell === undefined || cell === null ? '' : String(cell).trim()
    const base = text || `column_${columnLetters(index + 1)}`
    const count = (seen.get(base) ?? 0) + 1
    seen.set(base, count)
    return count === 1 ? base : `${base}_${count}`
  })
}

/** A row's non-empty cells by field name; null for a row with none (an empty row is no one). */
export function rowData(fields: readonly string[], row: readonly unknown[]): Record<string, unknown> | null {
  const data: Record<string, unknown> = {}
  row.forEach((cell, index) => {
    const field = fields[index]
    if (field === undefined || cell === '' || cell === null || cell === undefined) return
    data[field] = cell
  })
  return Object.keys(data).length ? data : null
}

/**
 * The record key: the key column's value (else the row number) and a digest of the row. The same
 * row unchanged is a replay the import drops; edited, it is news, and updates its person.
 */
function keyOf(data: Record<string, unknown>, row: number, keyField: string | null): string {
  const id = keyField !== null ? data[keyField] : undefined
  const digest = createHash('sha256').update(JSON.stringify(data)).digest('base64url').slice(0, 16)
  return `${id !== undefined ? `${keyField}=${String(id)}` : `row ${row}`}:${digest}`
}

/**
 * Reads the tab page by page below the checkpoint (append) or below the header (full). Google
 * leaves empty rows at the end of a range out of its answer, so a page that comes back short has
 * reached the end of the data and the run stops there (a gap of empty rows that ends a page stops
 * it too: the rows below wait until the gap is filled). In append mode rows that were read are never read again, even when
 * they are edited; deleting rows moves the rows below up past the checkpoint, so a sheet whose
 * rows get deleted or edited belongs in full mode.
 */
export async function* read(
  ctx: ConnectorContext<GoogleSheetsConfig>,
  options: ReadOptions<SheetsCheckpoint>,
): AsyncGenerator<ReadBatch<SheetsCheckpoint>> {
  const config = parseConfig(googleSheetsConfig, ctx.config, 'Google Sheets')
  const client = new SheetsClient(ctx, spreadsheetIdOf(config.spreadsheet)!)
  const { tab } = await client.tab(config.sheet)
  const headerRow = config.headerRow
  if (headerRow > tab.rowCount)
    throw new ConnectorError(
      'config',
      `the tab "${tab.title}" has ${tab.rowCount} rows: the header row ${headerRow} is not among them`,
    )
  const header = (
    await client.values(rowsRange(tab.title, headerRow, headerRow, tab.columnCount), tab.title)
  )[0]
  if (!header?.some((cell) => cell !== '' && cell !== null))
    throw new ConnectorError(
      'config',
      `row ${headerRow} of the tab "${tab.title}" is empty: the header row must name the fields of the rows below it`,
    )
  const fields = fieldNames(header, tab.columnCount)
  const keyField = config.keyColumn ?? null
  if (keyField !== null && !fields.includes(keyField))
    throw new ConnectorError(
      'config',
      `the tab "${tab.title}" has no column "${keyField}" in row ${headerRow}; its columns are: ${fields.join(', ')}`,
    )

  const stored = checkpointSchema.safeParse(options.checkpoint)
  const from = stored.success && stored.data.row >= headerRow ? stored.data.row : headerRow
  // A full re-read cut off at a row that the tab, since shortened, no longer reaches would read
  // nothing and keep that checkpoint until the tab grew back past it: it starts again from the top.
  let last = config.mode === 'full' && from >= tab.rowCount ? headerRow : from
  const size = options.preview ? Math.min(options.preview.limit, config.pageSize) : config.pageSize
  for (let start = last + 1; start <= tab.rowCount; ) {
    if (ctx.signal.aborted) return
    const end = Math.min(start + size - 1, tab.rowCount)
    const rows = await client.values(rowsRange(tab.title, start, end, tab.columnCount), tab.title)
    const records: SourceRecord[] = []
    rows.forEach((row, index) => {
      const data = rowData(fields, row)
      if (!data) return
      last = start + index
      records.push({ key: keyOf(data, last, keyField), data })
    })
    const finished = rows.length < end - start + 1 || end === tab.rowCount || options.preview !== undefined
    // A full re-read that got to the end starts from the top next run.
    yield { records, checkpoint: { row: finished && config.mode === 'full' ? headerRow : last } }
    if (finished) return
    start = end + 1
  }
}
