import Papa from 'papaparse'
import { addFields, BulkFormatError, countLf, MAX_ROW_BYTES, type Sink } from './bulk-parse.common.ts'
import { QuoteMap, RecordSkipper } from './bulk-parse.csv-quotes.ts'
import type { BulkOptions } from './bulk-parse.ts'

/** The most columns a header may name. */
const MAX_COLUMNS = 1000
/** Characters handed to papaparse at once: about one 64 KB chunk, as the bench's bare parser does. */
const FEED = 1 << 16
/** Text this short cannot hold a record over the limit (a UTF-16 unit is at most 3 UTF-8 bytes). */
const SHORT = Math.floor(MAX_ROW_BYTES / 3)
const LF = 10
const CR = 13

/**
 * Maps the Lytics `delimiter` query to a delimiter.
 * @example parseDelimiter('t') // '\t'
 */
export function parseDelimiter(query?: string): string {
  if (query === undefined || query === ',') return ','
  if (query === 't' || query === '\t') return '\t'
  if (query === '|') return '|'
  throw new BulkFormatError(`the delimiter must be ",", "t" (tab) or "|", not ${JSON.stringify(query)}`)
}

/**
 * Splits the `headers` query into column names.
 * @example parseHeaderList('id, email') // ['id', 'email']
 */
export function parseHeaderList(list: string): string[] {
  return list.split(',').map((name) => name.trim())
}

/**
 * CSV through papaparse's core parser, fed decoded text as it comes. Records are numbered by the
 * line they start on. Papaparse reads the clean stretches; where it reports a bad quote, or the
 * text could hold a record over the limit, the QuoteMap finds record ends instead, and a record
 * past the limit is followed by a RecordSkipper without being held.
 */
export class CsvParser {
  private readonly parser: Papa.Parser
  private readonly decoder = new TextDecoder('utf-8', { ignoreBOM: true })
  private readonly delimiter: number
  private readonly append: [string, unknown][] | undefined
  private names: string[] | undefined
  /** Index of a column named __proto__, which a plain assignment cannot set. */
  private protoColumn = -1
  private build: RowBuilder | undefined
  /** Text from the start of a record not yet read; `line` is the line it starts on. */
  private pending = ''
  private line = 1
  /** Pending length at which to parse again: doubling with a long record keeps re-parsing linear. */
  private need = FEED
  private skipper: RecordSkipper | undefined
  private endsWithLf = false

  constructor(
    options: BulkOptions,
    private readonly sink: Sink,
  ) {
    const delimiter = options.delimiter ?? ','
    if (delimiter.length !== 1 || '"\r\n'.includes(delimiter)) {
      throw new BulkFormatError(`the delimiter ${JSON.stringify(delimiter)} cannot be used`)
    }
    this.delimiter = delimiter.charCodeAt(0)
    this.parser = new Papa.Parser({ delimiter, newline: '\n', quoteChar: '"' })
    this.append = options.append && Object.entries(options.append)
    if (options.headers) this.setHeader(options.headers, 'the headers parameter')
  }

  write(bytes: Uint8Array): void {
    this.feed(this.decoder.decode(bytes, { stream: true }))
  }

  end(): void {
    this.feed(this.decoder.decode())
    if (!this.skipper) this.drain()
    if (this.skipper) this.endSkip()
    else this.walk(this.pending, true)
  }

  private feed(text: string): void {
    if (!text) return
    this.endsWithLf = text.charCodeAt(text.length - 1) === LF
    if (this.skipper) {
      const at = this.skipper.feed(text)
      if (at === -1) return
      const line = this.line
      this.line += this.skipper.lines
      this.skipper = undefined
      this.bad(line, `row ${line} is over 1 MB, the most one row may hold`)
      text = text.slice(at)
    }
    this.pending += text
    if (this.pending.length >= this.need) this.drain()
  }

  /** Reads the complete records in `pending`, leaving the last, unfinished one. */
  private drain(): void {
    const text = this.pending
    if (text.length > SHORT) this.walk(text, false)
    else {
      const result = this.parser.parse(text, 0, true) as Papa.ParseResult<string[]>
      const data = result.data
      // Errors of the unfinished last record (row === data.length) may go away with more text.
      let bad = data.length
      for (const error of result.errors) if (error.row !== undefined && error.row < bad) bad = error.row
      if (bad === data.length) {
        this.line += this.take(data, text, result.meta.cursor, this.line)
        this.pending = text.slice(result.meta.cursor)
      } else {
        // Papaparse cannot say where reading resumes after a bad quote: the QuoteMap takes over.
        const clean = data.slice(0, bad)
        let start = 0
        for (let lines = bad + innerLines(clean, 0); lines > 0; lines--) start = text.indexOf('\n', start) + 1
        this.line += this.take(clean, text, start, this.line)
        this.walk(text.slice(start), false)
      }
    }
    const tail = this.pending
    if (overLimit(tail, 0, tail.length)) {
      this.skipper = new RecordSkipper(this.delimiter)
      this.pending = ''
      this.need = FEED
      this.feed(tail)
    } else {
      this.need = Math.max(FEED, 2 * tail.length)
    }
  }

  /** The body ended inside a record over the limit. */
  private endSkip(): void {
    const line = this.line
    if (this.skipper?.open) {
      const last = line + this.skipper.lines - (this.endsWithLf ? 1 : 0)
      this.bad(line, neverClosed(line, last))
    } else {
      this.bad(line, `row ${line} is over 1 MB, the most one row may hold`)
    }
    this.skipper = undefined
  }

  /**
   * Reads the records in `text` one extent at a time, rejecting those with bad quotes or over the
   * limit, and hands each clean stretch between them to papaparse. Leaves an unfinished last record
   * in `pending` unless `final`.
   */
  private walk(text: string, final: boolean): void {
    const map = new QuoteMap(text, this.delimiter, final)
    const n = text.length
    let start = 0
    let line = this.line
    let clean = 0
    let cleanLine = line
    while (start < n) {
      const extent = map.record(start)
      if (!extent) break
      const { end, bad } = extent
      const over = map.size(start, end) > MAX_ROW_BYTES
      if (!over && bad < 0) {
        line += 1 + countLf(text, start, end)
        start = end + 1
        continue
      }
      this.flush(text.slice(clean, start), cleanLine)
      if (extent.endless && over) {
        this.bad(line, neverClosed(line, line + countLf(text, start, n) - (this.endsWithLf ? 1 : 0)))
        start = n
      } else if (over) {
        this.bad(line, `row ${line} is over 1 MB, the most one row may hold`)
        line += 1 + countLf(text, start, end)
        start = end + 1
      } else {
        const quoteLine = line + countLf(text, start, bad)
        this.bad(
          line,
          extent.badOpen
            ? `row ${line} has a quote that is never closed (it opens on line ${quoteLine})`
            : `row ${line} has a malformed quoted field (opening on line ${quoteLine}): a closing quote must be followed by the delimiter or the end of the line`,
          extent.badOpen ? '; reading resumed on the next line' : '',
        )
        const lf = text.indexOf('\n', bad)
        start = lf === -1 ? n : lf + 1
        line = quoteLine + 1
      }
      clean = start
      cleanLine = line
    }
    const stop = Math.min(start, n)
    this.flush(text.slice(clean, stop), cleanLine)
    this.line = line
    this.pending = final ? '' : text.slice(stop)
  }

  /** Reads a stretch of records known to be clean; one without a final line feed ends the body. */
  private flush(text: string, line: number): void {
    if (!text) return
    const ended = text.charCodeAt(text.length - 1) === LF
    const result = this.parser.parse(text, 0, ended) as Papa.ParseResult<string[]>
    this.take(result.data, text, text.length, line)
  }

  /**
   * Turns papaparse's records (text[0, end) read) into rows, numbered from `line`; returns the line
   * feeds read. A record spans more than one line only through line feeds inside quoted fields.
   */
  private take(data: string[][], text: string, end: number, line: number): number {
    if (!data.length) return 0
    const lfs = countLf(text, 0, end)
    const unended = text.charCodeAt(end - 1) === LF ? 0 : 1
    if (lfs === data.length - unended) {
      for (let r = 0; r < data.length; r++) this.record(data[r]!, line + r)
    } else {
      for (const fields of data) {
        this.record(fields, line)
        line += 1 + innerLines([fields], 0)
      }
    }
    return lfs
  }

  private record(fields: string[], line: number): void {
    const count = fields.length
    const last = fields[count - 1]!
    if (last.charCodeAt(last.length - 1) === CR) fields[count - 1] = last.slice(0, -1)
    if (count === 1 && fields[0] === '') return // a blank line
    const names = this.names
    if (!names) {
      this.setHeader(fields, `the header row (line ${line})`)
      return
    }
    if (count !== names.length) {
      const fieldCount = `${count} field${count === 1 ? '' : 's'}`
      this.sink.reject(line, `row ${line} has ${fieldCount}, expected ${names.length}`)
      return
    }
    let data = this.build?.(fields)
    if (!data) {
      data = {}
      for (let c = 0; c < count; c++) {
        const value = fields[c]!
        if (value !== '') data[names[c]!] = value // empty cells are left out
      }
    }
    if (this.protoColumn >= 0 && fields[this.protoColumn] !== '') {
      Object.defineProperty(data, '__proto__', {
        value: fields[this.protoColumn],
        writable: true,
        enumerable: true,
        configurable: true,
      })
    }
    if (this.append) addFields(data, this.append)
    this.sink.row(line, data)
  }

  private setHeader(names: string[], where: string): void {
    if (names.length > MAX_COLUMNS) {
      throw new BulkFormatError(`${where} has ${names.length} columns; at most ${MAX_COLUMNS} are allowed`)
    }
    const seen = new Map<string, number>()
    for (const [i, name] of names.entries()) {
      if (name === '') throw new BulkFormatError(`${where} leaves column ${i + 1} without a name`)
      const first = seen.get(name)
      if (first !== undefined) {
        throw new BulkFormatError(
          `${where} names ${JSON.stringify(name)} twice (columns ${first + 1} and ${i + 1})`,
        )
      }
      seen.set(name, i)
    }
    this.names = names
    this.protoColumn = names.indexOf('__proto__')
    // A literal would set the prototype for "__proto__": such headers take the general path.
    this.build = this.protoColumn < 0 ? compileRow(names) : undefined
  }

  /** Rejects a record, or fails the body when it was to be the header row. */
  private bad(line: number, reason: string, resumed = ''): void {
    if (!this.names) throw new BulkFormatError(`the header row cannot be read: ${reason}`)
    this.sink.reject(line, reason + resumed)
  }
}

/** Builds a row with no empty cell, or returns undefined for the general path to leave them out. */
type RowBuilder = (fields: string[]) => Record<string, unknown> | undefined

/**
 * Compiles an object literal for the header's names: 3–4× faster than assigning computed keys one
 * by one (measured on the bench's 10 columns), which is most of what parseBulk adds to papaparse.
 * Names enter the code only as JSON string literals, so no header can inject code.
 */
function compileRow(names: string[]): RowBuilder {
  const values = names.map((_, c) => `f[${c}]`)
  const body = `return ${values.map((v) => `${v} === ''`).join(' || ')} ? undefined : {${names
    .map((name, c) => `${JSON.stringify(name)}: ${values[c]}`)
    .join(', ')}}`
  return new Function('f', body) as RowBuilder
}

function neverClosed(line: number, last: number): string {
  return `row ${line} has a quote that is never closed: the rest of the file (lines ${line}–${last}) could not be read`
}

/** Line feeds inside the fields of the records (quoted fields may hold them). */
function innerLines(data: string[][], count: number): number {
  for (const fields of data) for (const field of fields) count += countLf(field, 0, field.length)
  return count
}

/** Whether text[from, to) is over the limit in UTF-8 bytes; counted only when it could be. */
function overLimit(text: string, from: number, to: number): boolean {
  const length = to - from
  if (length <= SHORT) return false
  if (length > MAX_ROW_BYTES) return true
  return Buffer.byteLength(text.slice(from, to)) > MAX_ROW_BYTES
}
