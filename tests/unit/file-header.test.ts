import { gzipSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { contentTypeOf, fieldsOf, formatOf } from '../../client/uploads/file-header.ts'

const file = (name: string, body: BlobPart) => new File([body], name)

/** What the upload page reads from a chosen file before sending it: its format and its fields. */
describe('upload file header', () => {
  it('tells the format and gzip from the name, and the Content-Type the bulk endpoint reads', () => {
    expect(formatOf('people.csv')).toEqual({ format: 'csv', gzip: false })
    expect(formatOf('People.JSON')).toEqual({ format: 'json', gzip: false })
    expect(formatOf('events.jsonl.gz')).toEqual({ format: 'ndjson', gzip: true })
    expect(contentTypeOf('people.csv')).toBe('text/csv')
    expect(contentTypeOf('events.ndjson')).toBe('application/x-ndjson')
    expect(contentTypeOf('dump.json.gz')).toBe('application/gzip')
  })

  it('reads a CSV header with the chosen delimiter, quotes and all', async () => {
    const csv = 'email;"first name";signed_up\nann@example.com;Ann;2026-01-01\n'
    expect(await fieldsOf(file('p.csv', csv), ';')).toEqual(['email', 'first name', 'signed_up'])
    expect(await fieldsOf(file('p.tsv', 'a\tb\n1\t2\n'), 't')).toEqual(['a', 'b'])
  })

  it('reads the keys of the first JSON or NDJSON record, and a gzipped file through gunzip', async () => {
    expect(await fieldsOf(file('e.ndjson', '\n{"email":"a@x.io","ts":1}\n{"other":2}\n'), ',')).toEqual([
      'email',
      'ts',
    ])
    expect(await fieldsOf(file('e.json', '[{"email":"a@x.io","tags":{"a":1}},{"x":1}]'), ',')).toEqual([
      'email',
      'tags',
    ])
    const gz = gzipSync(Buffer.from('id,plan\n1,pro\n'))
    expect(await fieldsOf(file('p.csv.gz', new Uint8Array(gz)), ',')).toEqual(['id', 'plan'])
  })

  it('offers nothing it cannot tell rather than guessing', async () => {
    expect(await fieldsOf(file('e.json', '{"not":"an array"'), ',')).toEqual([])
    expect(await fieldsOf(file('e.ndjson', 'not json\n'), ',')).toEqual([])
    expect(await fieldsOf(file('e.json', '[1, 2, 3]'), ',')).toEqual([])
  })
})
