import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import {
  BATCH_ROWS,
  type BulkBatch,
  BulkFormatError,
  type BulkOptions,
  type BulkReject,
  type BulkRow,
  isGzip,
  MAX_ROW_BYTES,
  parseBulk,
  parseDelimiter,
  parseHeaderList,
} from '../../server/data/bulk-parse.ts'

interface Parsed {
  rows: BulkRow[]
  rejects: BulkReject[]
  batches: BulkBatch[]
}

async function* pieces(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, at + size)
}

function bytesOf(input: string | Uint8Array): Uint8Array {
  return typeof input === 'string' ? Buffer.from(input) : input
}

async function read(
  source: AsyncIterable<Uint8Array> | ReadableStream<Uint8Array>,
  options: Partial<BulkOptions>,
) {
  const parsed: Parsed = { rows: [], rejects: [], batches: [] }
  for await (const batch of parseBulk(source, { format: 'csv', gzip: false, ...options })) {
    parsed.batches.push(batch)
    parsed.rows.push(...batch.rows)
    parsed.rejects.push(...batch.rejects)
  }
  return parsed
}

/**
 * Parses the body whole and cut into 1-byte and 7-byte pieces (every boundary a CRLF, a quote, a
 * multi-byte character or a gzip header can be split at), expecting the same rows and rejects.
 */
async function parse(
  input: string | Uint8Array,
  options: Partial<BulkOptions> = {},
  sizes: number[] = [1, 7],
): Promise<Parsed> {
  const bytes = bytesOf(input)
  const whole = await read(pieces(bytes, Math.max(bytes.length, 1)), options)
  for (const size of sizes) {
    const cut = await read(pieces(bytes, size), options)
    expect({ size, rows: cut.rows, rejects: cut.rejects }).toEqual({
      size,
      rows: whole.rows,
      rejects: whole.rejects,
    })
  }
  return whole
}

/** Expects every cutting of the body to fail with a BulkFormatError; returns its message. */
async function formatError(
  input: string | Uint8Array,
  options: Partial<BulkOptions> = {},
  sizes: number[] = [1, 7],
): Promise<string> {
  const bytes = bytesOf(input)
  const messages = new Set<string>()
  for (const size of [Math.max(bytes.length, 1), ...sizes]) {
    const error = await read(pieces(bytes, size), options).then(
      () => undefined,
      (thrown: unknown) => thrown,
    )
    expect(error).toBeInstanceOf(BulkFormatError)
    messages.add((error as BulkFormatError).message)
  }
  expect(messages.size).toBe(1)
  return [...messages][0]!
}

const data = (parsed: Parsed) => parsed.rows.map((row) => row.data)

describe('parseBulk: CSV', () => {
  it('reads a header row and data rows as strings, numbering rows by their line (header = line 1)', async () => {
    const body = 'user_id,email,score\n1,a@example.com,10\n2,b@example.com,20\n'
    const parsed = await parse(body)
    expect(parsed.rows).toEqual([
      { row: 2, data: { user_id: '1', email: 'a@example.com', score: '10' } },
      { row: 3, data: { user_id: '2', email: 'b@example.com', score: '20' } },
    ])
    expect(parsed.rejects).toEqual([])
    expect(parsed.batches.at(-1)!.bytesRead).toBe(Buffer.byteLength(body))
  })

  it('reads CRLF, LF and a mix of both alike, with or without a final line ending', async () => {
    const expected = [
      { row: 2, data: { a: '1', b: '2' } },
      { row: 3, data: { a: '3', b: '4' } },
    ]
    expect((await parse('a,b\r\n1,2\r\n3,4\r\n')).rows).toEqual(expected)
    expect((await parse('a,b\n1,2\r\n3,4')).rows).toEqual(expected)
    expect((await parse('a,b\r\n1,2\n3,4\r\n')).rows).toEqual(expected)
    expect((await parse('a,"b"\r\n"1","2"\r\n3,"4"\r\n')).rows).toEqual(expected)
  })

  it('strips a UTF-8 byte order mark', async () => {
    const body = Buffer.concat([
      Buffer.from([0xef, 0xbb, 0xbf]),
      Buffer.from('email,name\nx@example.com,X\n'),
    ])
    expect(data(await parse(body))).toEqual([{ email: 'x@example.com', name: 'X' }])
  })

  it('skips blank lines and an empty trailing line, still counting them for row numbers', async () => {
    const parsed = await parse('a,b\n\n1,2\r\n\r\n3,4\n\n')
    expect(parsed.rows.map((row) => row.row)).toEqual([3, 5])
    expect(parsed.rejects).toEqual([])
  })

  it('reads RFC 4180 quoting: delimiters, doubled quotes and line breaks inside quotes', async () => {
    const body =
      'id,note,tail\n1,"a, b","say ""hi"""\n2,"line one\r\nline two\nline three",x\n3,"",z\n4,"""",q\n'
    const parsed = await parse(body)
    expect(parsed.rows).toEqual([
      { row: 2, data: { id: '1', note: 'a, b', tail: 'say "hi"' } },
      { row: 3, data: { id: '2', note: 'line one\r\nline two\nline three', tail: 'x' } },
      // The record above spans lines 3–5, so this one starts on line 6.
      { row: 6, data: { id: '3', tail: 'z' } },
      { row: 7, data: { id: '4', note: '"', tail: 'q' } },
    ])
  })

  it('keeps Unicode intact even when a character is split across pieces', async () => {
    const body = 'name,city,note\nJosé,Zürich,東京 🚀\n"Ærøskøbing, DK",Москва,"emoji 👩‍👩‍👧"\n'
    expect(data(await parse(body, {}, [1, 2, 3, 5, 7]))).toEqual([
      { name: 'José', city: 'Zürich', note: '東京 🚀' },
      { name: 'Ærøskøbing, DK', city: 'Москва', note: 'emoji 👩‍👩‍👧' },
    ])
  })

  it('leaves empty cells out instead of storing empty strings', async () => {
    expect(data(await parse('a,b,c,d\n1,,"",4\n,,,x\n'))).toEqual([{ a: '1', d: '4' }, { d: 'x' }])
  })

  it('keeps values as written: no trimming or typing', async () => {
    expect(data(await parse('a,b,c\n 007 ,true,1e3\n'))).toEqual([{ a: ' 007 ', b: 'true', c: '1e3' }])
  })

  it('reads tab- and pipe-delimited files', async () => {
    const tab = await parse('a\tb\n1\t"x\ty"\n', { delimiter: parseDelimiter('t') })
    expect(data(tab)).toEqual([{ a: '1', b: 'x\ty' }])
    const pipe = await parse('a|b\n1|"x|y"\n2|3,4\n', { delimiter: parseDelimiter('|') })
    expect(data(pipe)).toEqual([
      { a: '1', b: 'x|y' },
      { a: '2', b: '3,4' },
    ])
  })

  it('maps the Lytics delimiter query and refuses others', () => {
    expect(parseDelimiter(undefined)).toBe(',')
    expect(parseDelimiter(',')).toBe(',')
    expect(parseDelimiter('t')).toBe('\t')
    expect(parseDelimiter('\t')).toBe('\t')
    expect(parseDelimiter('|')).toBe('|')
    expect(() => parseDelimiter(';')).toThrow(BulkFormatError)
  })

  it('uses the headers parameter for a file without a header row; its first line is row 1', async () => {
    const headers = parseHeaderList('user_id, email ,plan')
    expect(headers).toEqual(['user_id', 'email', 'plan'])
    const parsed = await parse('1,a@example.com,pro\n2,b@example.com\n', { headers })
    expect(parsed.rows).toEqual([{ row: 1, data: { user_id: '1', email: 'a@example.com', plan: 'pro' } }])
    expect(parsed.rejects).toEqual([{ row: 2, reason: 'row 2 has 2 fields, expected 3' }])
  })

  it('adds append fields to every row; an appended field wins over the row’s own', async () => {
    const append = { source: 'crm', plan: 'imported' }
    expect(data(await parse('email,plan\na@example.com,pro\nb@example.com,\n', { append }))).toEqual([
      { email: 'a@example.com', plan: 'imported', source: 'crm' },
      { email: 'b@example.com', plan: 'imported', source: 'crm' },
    ])
  })

  it('rejects a row with the wrong number of fields, naming its row and both counts', async () => {
    const body = 'a,b,c\n1,2,3\n1,2,3\n1,2,3\n1,2,3\n1,2,3\n1,2,3,4\n1,2\n1,2,3\n'
    const parsed = await parse(body)
    expect(parsed.rejects).toEqual([
      { row: 7, reason: 'row 7 has 4 fields, expected 3' },
      { row: 8, reason: 'row 8 has 2 fields, expected 3' },
    ])
    expect(parsed.rows.map((row) => row.row)).toEqual([2, 3, 4, 5, 6, 9])
  })

  it('reports a quote opened in the last field and never closed', async () => {
    for (const body of [
      'a,b,c\n1,2,3\n4,5,"six\n',
      'a,b,c\n1,2,3\n4,5,"six',
      'a,b,c\r\n1,2,3\r\n4,5,"six\r\nseven\r\n',
    ]) {
      const parsed = await parse(body)
      expect(parsed.rows).toEqual([{ row: 2, data: { a: '1', b: '2', c: '3' } }])
      expect(parsed.rejects).toHaveLength(body.includes('seven') ? 2 : 1)
      expect(parsed.rejects[0]).toEqual({
        row: 3,
        reason:
          'row 3 has a quote that is never closed (it opens on line 3); reading resumed on the next line',
      })
    }
  })

  it('reports a quote left open mid-file and reads the lines after it', async () => {
    const parsed = await parse('a,b,c\n1,2,3\n4,"five,6\n7,8,9\n10,11,12\n')
    expect(parsed.rejects.map((reject) => reject.row)).toEqual([3])
    expect(parsed.rejects[0]!.reason).toMatch(/never closed \(it opens on line 3\)/)
    expect(parsed.rows.map((row) => row.row)).toEqual([2, 4, 5])
  })

  it('reports a quote left open mid-file even when a later quote would "close" it', async () => {
    const parsed = await parse('a,b,c\n1,"x,2\n3,"y",5\n6,7,8\n')
    expect(parsed.rejects).toEqual([
      {
        row: 2,
        reason:
          'row 2 has a malformed quoted field (opening on line 2): a closing quote must be followed by the delimiter or the end of the line',
      },
    ])
    expect(parsed.rows).toEqual([
      { row: 3, data: { a: '3', b: 'y', c: '5' } },
      { row: 4, data: { a: '6', b: '7', c: '8' } },
    ])
  })

  it('throws a BulkFormatError for duplicate, empty or too many header names', async () => {
    expect(await formatError('id,email,id\n1,2,3\n')).toBe(
      'the header row (line 1) names "id" twice (columns 1 and 3)',
    )
    expect(await formatError('id,,email\n1,2,3\n')).toBe(
      'the header row (line 1) leaves column 2 without a name',
    )
    expect(await formatError('id,email,\n1,2,\n')).toBe(
      'the header row (line 1) leaves column 3 without a name',
    )
    expect(await formatError('1,2\n', { headers: ['a', 'a'] })).toBe(
      'the headers parameter names "a" twice (columns 1 and 2)',
    )
    const wide = Array.from({ length: 1001 }, (_, i) => `c${i}`).join(',')
    expect(await formatError(`${wide}\n`, {}, [4096])).toBe(
      'the header row (line 1) has 1001 columns; at most 1000 are allowed',
    )
  })

  it('accepts exactly 1,000 columns', async () => {
    const header = Array.from({ length: 1000 }, (_, i) => `c${i}`).join(',')
    const row = Array.from({ length: 1000 }, (_, i) => i).join(',')
    const parsed = await parse(`${header}\n${row}\n`, {}, [997])
    expect(Object.keys(parsed.rows[0]!.data)).toHaveLength(1000)
  })

  it('throws a BulkFormatError when the header row itself has an unterminated quote', async () => {
    expect(await formatError('id,"email\n1,2\n')).toMatch(/^the header row cannot be read: row 1 has a quote/)
  })

  it('keeps any characters in header names as they are', async () => {
    const body = '"say ""hi""",back\\slash,"two\nlines",x\u2028z,{{y}},é\n1,2,3,4,5,6\n1,,3,4,5,6\n'
    const parsed = await parse(body)
    expect(parsed.rows[0]!.data).toEqual({
      'say "hi"': '1',
      'back\\slash': '2',
      'two\nlines': '3',
      'x\u2028z': '4',
      '{{y}}': '5',
      é: '6',
    })
    expect(Object.keys(parsed.rows[1]!.data)).toEqual(['say "hi"', 'two\nlines', 'x\u2028z', '{{y}}', 'é'])
  })

  it('stores a column named __proto__ as a field, not as the prototype', async () => {
    const parsed = await parse('__proto__,b\n{"x":1},2\n', { append: JSON.parse('{"__proto__":"y"}') })
    const row = parsed.rows[0]!.data
    expect(Object.getPrototypeOf(row)).toBe(Object.prototype)
    expect(Object.getOwnPropertyDescriptor(row, '__proto__')?.value).toBe('y')
    expect(row.b).toBe('2')
  })

  it('reads nothing from an empty body or a header-only file, and still ends with one batch', async () => {
    for (const body of ['', 'a,b\n', '\n\n']) {
      const parsed = await parse(body)
      expect(parsed.rows).toEqual([])
      expect(parsed.rejects).toEqual([])
      expect(parsed.batches).toHaveLength(1)
    }
  })

  it(`yields batches of at most ${BATCH_ROWS} rows with growing bytesRead`, async () => {
    const body = `n\n${Array.from({ length: 2500 }, (_, i) => i).join('\n')}\n`
    const whole = await read(pieces(Buffer.from(body), body.length), {})
    expect(whole.batches.map((batch) => batch.rows.length)).toEqual([1000, 1000, 500])
    const parsed = await read(pieces(Buffer.from(body), 1000), {})
    expect(parsed.batches.map((batch) => batch.rows.length)).toEqual([1000, 1000, 500])
    const read_ = parsed.batches.map((batch) => batch.bytesRead)
    expect([...read_].sort((a, b) => a - b)).toEqual(read_)
    expect(read_.at(-1)).toBe(Buffer.byteLength(body))
    expect(parsed.rows.at(-1)).toEqual({ row: 2501, data: { n: '2499' } })
  })

  it('reads a web ReadableStream as well as an async iterable', async () => {
    const body = Buffer.from('a,b\n1,2\n')
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(body.subarray(0, 5))
        controller.enqueue(body.subarray(5))
        controller.close()
      },
    })
    expect(data(await read(stream, {}))).toEqual([{ a: '1', b: '2' }])
    const zipped = new Uint8Array(gzipSync(body))
    const gzipped = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let at = 0; at < zipped.length; at += 3) controller.enqueue(zipped.slice(at, at + 3))
        controller.close()
      },
    })
    expect(data(await read(gzipped, { gzip: true }))).toEqual([{ a: '1', b: '2' }])
  })
})

describe('parseBulk: size limits', () => {
  const big = 'x'.repeat(MAX_ROW_BYTES + 10)

  it('rejects a CSV row over 1 MB and reads on after it', async () => {
    const body = `a,b\n1,2\n3,"${big}\nstill inside"\n5,${big}\n7,8\n`
    const parsed = await parse(body, {}, [7, 65_536])
    expect(parsed.rejects).toEqual([
      { row: 3, reason: 'row 3 is over 1 MB, the most one row may hold' },
      { row: 5, reason: 'row 5 is over 1 MB, the most one row may hold' },
    ])
    expect(parsed.rows.map((row) => row.row)).toEqual([2, 6])
  })

  it('counts bytes, not characters, against the limit', async () => {
    const wide = 'é'.repeat(MAX_ROW_BYTES / 2 + 1) // 2 bytes each: just over 1 MB
    const parsed = await parse(`a\n${wide}\nok\n`, {}, [65_536])
    expect(parsed.rejects).toEqual([{ row: 2, reason: 'row 2 is over 1 MB, the most one row may hold' }])
    expect(data(parsed)).toEqual([{ a: 'ok' }])
  })

  it('reports a quote left open more than 1 MB before the end instead of reading the rest into it', async () => {
    const lines = Array.from({ length: 150_000 }, (_, i) => `${i},x`).join('\n')
    const parsed = await parse(`a,b\n1,2\n3,"open\n${lines}\n`, {}, [65_536])
    expect(parsed.rows).toEqual([{ row: 2, data: { a: '1', b: '2' } }])
    expect(parsed.rejects).toEqual([
      {
        row: 3,
        reason:
          'row 3 has a quote that is never closed: the rest of the file (lines 3–150003) could not be read',
      },
    ])
  })

  it('stays linear and consistent when a stray quote keeps papaparse inside one record', async () => {
    // Every later quote is followed by a letter, so per RFC 4180 (and papaparse) none closes the
    // field opened on line 2: it runs to the end, over 1 MB, however the body is cut.
    const records = 150_000
    const body = `a,b\n${'1,"a\n"b,c\n'.repeat(records)}`
    const started = performance.now()
    const parsed = await parse(body, {}, [7, 65_536])
    expect(parsed.rows).toEqual([])
    expect(parsed.rejects).toEqual([
      {
        row: 2,
        reason: `row 2 has a quote that is never closed: the rest of the file (lines 2–${2 * records + 1}) could not be read`,
      },
    ])
    expect(performance.now() - started).toBeLessThan(15_000)
  })

  it('rejects an NDJSON line or a JSON element over 1 MB and reads on after it', async () => {
    const line = JSON.stringify({ big })
    const ndjson = await parse(`{"a":1}\n${line}\n{"a":3}\n`, { format: 'ndjson' }, [7, 65_536])
    expect(ndjson.rejects).toEqual([{ row: 2, reason: 'line 2 is over 1 MB, the most one line may hold' }])
    expect(ndjson.rows.map((row) => row.row)).toEqual([1, 3])
    const json = await parse(`[{"a":1},${line},{"a":3}]`, { format: 'json' }, [7, 65_536])
    expect(json.rejects).toEqual([
      { row: 2, reason: 'element 2 is over 1 MB, the most one element may hold' },
    ])
    expect(json.rows.map((row) => row.row)).toEqual([1, 3])
  })

  // Each in a fresh process: this one's heap has been grown by the tests before, so its RSS would
  // measure their garbage as much as ours. The body is made on the fly and never held whole.
  it.each([
    ['csv', 200],
    ['json', 100],
    ['ndjson', 100],
  ] as const)('streams a %s body of %i MB with bounded memory', (format, megabytes) => {
    const module = new URL('../../server/data/bulk-parse.ts', import.meta.url).href
    const script = `
      import { parseBulk } from ${JSON.stringify(module)}
      const format = ${JSON.stringify(format)}
      const csv = 'abcdefghij,'.repeat(9) + '"quoted, ""field"""'
      const object = JSON.stringify({ id: 12345, email: 'someone@example.com', name: 'Some "One"', tags: ['a', '[b]'] })
      const item = format === 'csv' ? csv + '\\n' : format === 'json' ? object + ',' : object + '\\n'
      const chunk = Buffer.from(item.repeat(Math.floor(65536 / item.length)))
      async function* body() {
        yield Buffer.from(format === 'csv' ? Array.from({ length: 10 }, (_, i) => 'c' + i).join(',') + '\\n' : format === 'json' ? '[' : '')
        for (let sent = 0; sent < ${megabytes} * 1024 * 1024; sent += chunk.length) yield chunk
        if (format === 'json') yield Buffer.from(object + ']')
      }
      const before = process.memoryUsage().rss
      let peak = before, rows = 0, rejects = 0
      for await (const batch of parseBulk(body(), { format, gzip: false })) {
        rows += batch.rows.length
        rejects += batch.rejects.length
        peak = Math.max(peak, process.memoryUsage().rss)
      }
      process.stdout.write(JSON.stringify({ rows, rejects, growth: peak - before }))
    `
    const result = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: fileURLToPath(new URL('../..', import.meta.url)),
      encoding: 'utf8',
    })
    expect(result.status, result.stderr).toBe(0)
    const { rows, rejects, growth } = JSON.parse(result.stdout) as {
      rows: number
      rejects: number
      growth: number
    }
    expect(rows).toBeGreaterThan(megabytes * 5000)
    expect(rejects).toBe(0)
    expect(growth).toBeLessThan(100 * 1024 * 1024)
  })
})

describe('parseBulk: gzip', () => {
  const body = 'email,name\na@example.com,Ann\nb@example.com,"Bo, Jr."\n'

  it('gunzips when asked, and when the body starts with the gzip magic bytes', async () => {
    const zipped = gzipSync(body)
    expect(isGzip(zipped)).toBe(true)
    const plain = await parse(body)
    expect((await parse(zipped, { gzip: true })).rows).toEqual(plain.rows)
    expect((await parse(zipped, { gzip: false })).rows).toEqual(plain.rows)
    const ndjson = await parse(gzipSync('{"a":1}\n{"a":2}\n'), { format: 'ndjson', gzip: true })
    expect(data(ndjson)).toEqual([{ a: 1 }, { a: 2 }])
  })

  it('counts bytesRead as sent, compressed', async () => {
    const zipped = gzipSync(body)
    const parsed = await read(pieces(zipped, 7), { gzip: true })
    expect(parsed.batches.at(-1)!.bytesRead).toBe(zipped.length)
  })

  it('turns corrupt, truncated or missing gzip into a BulkFormatError', async () => {
    const zipped = gzipSync(body)
    const corrupt = Buffer.from(zipped)
    corrupt.fill(0x55, 12, 30)
    expect(await formatError(corrupt, { gzip: true })).toBe('the body is not valid gzip')
    expect(await formatError(zipped.subarray(0, zipped.length - 10), { gzip: true })).toBe(
      'the body is not valid gzip',
    )
    expect(await formatError(body, { gzip: true })).toBe('the body is not valid gzip')
    expect(await formatError(Buffer.from([0x1f, 0x8b, 1, 2, 3]), { gzip: false })).toBe(
      'the body is not valid gzip',
    )
  })

  it('passes a failing source through unchanged, with or without gzip', async () => {
    for (const gzip of [false, true]) {
      async function* failing() {
        yield gzipSync('a,b\n1,2\n').subarray(0, 12)
        throw new Error('client went away')
      }
      await expect(read(failing(), { gzip })).rejects.toThrow('client went away')
    }
  })

  it('stops reading the source when the caller stops early', async () => {
    let closed = false
    async function* source() {
      try {
        for (;;) yield gzipSync(`n\n${'1\n'.repeat(5000)}`)
      } finally {
        closed = true
      }
    }
    for await (const batch of parseBulk(source(), { format: 'csv', gzip: true })) {
      expect(batch.rows.length).toBeGreaterThan(0)
      break
    }
    expect(closed).toBe(true)
  })
})

describe('parseBulk: NDJSON', () => {
  it('reads one object per line, numbering rows by line and skipping blank lines', async () => {
    const parsed = await parse('{"a":1}\r\n\n  \n{"b":"x\\ny","c":[1,{"d":null}]}\n{"e":"ü🚀"}', {
      format: 'ndjson',
      append: { source: 'crm', a: 0 },
    })
    expect(parsed.rows).toEqual([
      { row: 1, data: { a: 0, source: 'crm' } },
      { row: 4, data: { b: 'x\ny', c: [1, { d: null }], a: 0, source: 'crm' } },
      { row: 5, data: { e: 'ü🚀', a: 0, source: 'crm' } },
    ])
  })

  it('rejects a line that is not JSON or not an object, with the line number and the reason', async () => {
    const parsed = await parse('{"a":1}\n{"a":\n[1,2]\n42\nnull\n"text"\n{"a":2}\n', { format: 'ndjson' })
    expect(parsed.rows.map((row) => row.row)).toEqual([1, 7])
    expect(parsed.rejects.map((reject) => reject.row)).toEqual([2, 3, 4, 5, 6])
    expect(parsed.rejects[0]!.reason).toMatch(/^line 2 is not valid JSON: .+/)
    expect(parsed.rejects.slice(1).map((reject) => reject.reason)).toEqual([
      'line 3 is an array, expected a JSON object',
      'line 4 is a number, expected a JSON object',
      'line 5 is null, expected a JSON object',
      'line 6 is a string, expected a JSON object',
    ])
  })
})

describe('parseBulk: JSON', () => {
  it('streams a top-level array of objects, element by element', async () => {
    const body = ' [\n {"a":"[{\\"]}","b":{"c":[1,2,{"d":"}"}]}},\r\n{"e":"\\\\"} , {"f":"ü🚀"}\n] \n'
    const parsed = await parse(body, { format: 'json', append: { source: 'api' } })
    expect(parsed.rows).toEqual([
      { row: 1, data: { a: '[{"]}', b: { c: [1, 2, { d: '}' }] }, source: 'api' } },
      { row: 2, data: { e: '\\', source: 'api' } },
      { row: 3, data: { f: 'ü🚀', source: 'api' } },
    ])
  })

  it('rejects elements that are not objects or not valid JSON, and reads on', async () => {
    const parsed = await parse('[{"a":1}, 2, "s", [3], null, true, {"b":tru}, {"c":3}]', { format: 'json' })
    expect(parsed.rows.map((row) => row.row)).toEqual([1, 8])
    expect(parsed.rejects.slice(0, 5)).toEqual([
      { row: 2, reason: 'element 2 is a number, expected a JSON object' },
      { row: 3, reason: 'element 3 is a string, expected a JSON object' },
      { row: 4, reason: 'element 4 is an array, expected a JSON object' },
      { row: 5, reason: 'element 5 is null, expected a JSON object' },
      { row: 6, reason: 'element 6 is a boolean, expected a JSON object' },
    ])
    expect(parsed.rejects[5]!.row).toBe(7)
    expect(parsed.rejects[5]!.reason).toMatch(/^element 7 is not valid JSON: .+/)
  })

  it('reads a single object as one row, and objects one after another as rows', async () => {
    expect((await parse('{"a":{"b":[1]}}\n', { format: 'json' })).rows).toEqual([
      { row: 1, data: { a: { b: [1] } } },
    ])
    expect(data(await parse('{"a":1}\n{"a":2} {"a":3}', { format: 'json' }))).toEqual([
      { a: 1 },
      { a: 2 },
      { a: 3 },
    ])
  })

  it('reads an empty array or an empty body as no rows', async () => {
    expect((await parse('[ ]', { format: 'json' })).rows).toEqual([])
    expect((await parse('  ', { format: 'json' })).rows).toEqual([])
  })

  it('throws a BulkFormatError when the structure around the elements is broken', async () => {
    const json = { format: 'json' } as const
    expect(await formatError('42', json)).toBe(
      'a JSON body must be an array of objects or an object; this one starts with "4"',
    )
    expect(await formatError('[{"a":1} {"a":2}]', json)).toBe(
      'the JSON array needs "," or "]" after element 1, found "{"',
    )
    expect(await formatError('[{"a":1},]', json)).toBe('the JSON array has a trailing comma after element 1')
    expect(await formatError('[{"a":1},{"a":', json)).toBe(
      'the body ends inside JSON element 2: it was cut short',
    )
    expect(await formatError('[{"a":1}', json)).toBe(
      'the body ends before the JSON array is closed (after element 1)',
    )
    expect(await formatError('[{"a":1}] x', json)).toBe('unexpected "x" after the end of the JSON array')
    expect(await formatError('{"a":1} [2]', json)).toBe(
      'after JSON object 1 only another object may follow, found "["',
    )
  })
})
