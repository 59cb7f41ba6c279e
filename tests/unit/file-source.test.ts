import { describe, expect, it } from 'vitest'
import {
  type FileCheckpoint,
  filesToRead,
  globMatcher,
  type ListedFile,
  parserFor,
} from '../../nodes/file-source.ts'

const MINUTE = 60_000
const file = (path: string, minute: number, version = `v-${path}`): ListedFile => ({
  path,
  version,
  modifiedMs: minute * MINUTE,
  size: 1,
})
const names = (files: ListedFile[]) => files.map((one) => one.path)

describe('file sources: what a run reads, and how', () => {
  it('reads everything in (modified, path) order at first, then only files inside the look-back it has not read', () => {
    const files = [file('b.csv', 2), file('a.csv', 2), file('c.csv', 1), file('old.csv', -100)]
    const start: FileCheckpoint = { high: null, recent: [], at: null }
    expect(names(filesToRead(files, start, '15m'))).toEqual(['old.csv', 'c.csv', 'a.csv', 'b.csv'])
    const after: FileCheckpoint = {
      high: 2 * MINUTE,
      recent: [
        ['a.csv', 'v-a.csv', 2 * MINUTE],
        ['b.csv', 'v-b.csv', 2 * MINUTE],
        ['c.csv', 'v-c.csv', MINUTE],
      ],
      at: null,
    }
    // Unchanged: nothing. Rewritten (a new version), late inside the window, or new: read.
    expect(filesToRead(files, after, '15m')).toEqual([])
    const next = [
      ...files,
      file('a.csv', 3, 'v2'),
      file('late.csv', -5),
      file('too-late.csv', -30),
      file('d.csv', 4),
    ]
    expect(names(filesToRead(next, after, '15m'))).toEqual(['late.csv', 'a.csv', 'd.csv'])
  })

  it('resumes the file in progress first, unless it changed since', () => {
    const files = [file('a.csv', 1), file('b.csv', 2), file('c.csv', 3)]
    const inProgress: FileCheckpoint = {
      high: MINUTE,
      recent: [],
      at: { path: 'c.csv', version: 'v-c.csv', row: 40 },
    }
    expect(names(filesToRead(files, inProgress, '1h'))).toEqual(['c.csv', 'a.csv', 'b.csv'])
    const changed: FileCheckpoint = { ...inProgress, at: { path: 'c.csv', version: 'older', row: 40 } }
    expect(names(filesToRead(files, changed, '1h'))).toEqual(['a.csv', 'b.csv', 'c.csv'])
  })

  it('tells formats by name, gzip by suffix, and refuses a name it cannot read', () => {
    const auto = { format: 'auto' as const, delimiter: ',' as const }
    expect(parserFor('x/people.TSV.gz', auto, 'p')).toEqual({ format: 'csv', gzip: true, delimiter: '\t' })
    expect(parserFor('people.csv', { format: 'auto', delimiter: ';' }, 'p')).toEqual({
      format: 'csv',
      gzip: false,
      delimiter: ';',
    })
    expect(parserFor('events.jsonl', auto, 'p')).toEqual({ format: 'ndjson', gzip: false })
    expect(parserFor('events.json.gz', auto, 'p')).toEqual({ format: 'json', gzip: true })
    expect(parserFor('dump.bin', { format: 'ndjson', delimiter: ',' }, 'p')).toMatchObject({
      format: 'ndjson',
    })
    expect(() => parserFor('notes.md', auto, 's3://b/notes.md')).toThrow(
      /cannot tell the format of s3:\/\/b\/notes\.md/,
    )
  })

  it('matches globs below the folder, hidden files only when named', () => {
    const matches = globMatcher('**/*.csv')
    expect(['a.csv', '2026/01/b.csv', '.hidden.csv', 'c.csv.gz'].filter((path) => matches(path))).toEqual([
      'a.csv',
      '2026/01/b.csv',
    ])
    expect(globMatcher('*.{csv,ndjson}')('x.ndjson')).toBe(true)
    expect(globMatcher('*.{csv,ndjson}')('sub/x.ndjson')).toBe(false)
  })
})
