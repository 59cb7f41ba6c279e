import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { type ConnectorContext, ConnectorError, type ExportBatch, type WriteAck } from '../../nodes/define.ts'
import fileExportConnector from '../../nodes/file-export/file-export.connector.ts'
import { type FileExportConfig, fileExportConfig } from '../../nodes/file-export/file-export.node.ts'
import { outboundContext } from '../../server/net/outbound.ts'

const { write } = fileExportConnector.jobs.file
const NOW = new Date('2024-05-01T12:34:56.789Z')

let root: string
let dataDir: string
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'sluice-file-export-'))
  dataDir = join(root, 'data')
  await mkdir(dataDir)
})
afterEach(async () => {
  await rm(root, { recursive: true, force: true })
})

function context(
  config: Partial<FileExportConfig>,
  options: { signal?: AbortSignal; jobId?: string | null; parse?: boolean } = {},
): ConnectorContext<FileExportConfig> {
  return {
    // Unparsed configs reach the connector only in the tests that prove it checks them itself.
    config: options.parse === false ? (config as FileExportConfig) : fileExportConfig.parse(config),
    credentials: {},
    ...outboundContext({ allowPrivateNetwork: false }),
    signal: options.signal ?? new AbortController().signal,
    now: () => NOW,
    sleep: async () => {},
    dataDir,
    jobId: options.jobId === undefined ? 'job-export' : options.jobId,
  }
}

async function* feed(batches: ExportBatch[]): AsyncGenerator<ExportBatch> {
  yield* batches
}

async function run(config: Partial<FileExportConfig>, batches: ExportBatch[]): Promise<WriteAck[]> {
  const acks: WriteAck[] = []
  for await (const ack of write(context(config), feed(batches))) acks.push(ack)
  return acks
}

const upsert = (id: string, fields: Record<string, unknown>) => ({ id, fields })
const batch = (upserts: ExportBatch['upserts'], removes: string[] = []): ExportBatch => ({
  upserts,
  removes: removes.map((id) => ({ id })),
})

/** Files a reader would see, and the hidden ones (spools, renders). */
async function listing(directory = join(dataDir, 'exports')) {
  const names = (await readdir(directory).catch(() => [] as string[])).sort()
  return { visible: names.filter((n) => !n.startsWith('.')), hidden: names.filter((n) => n.startsWith('.')) }
}

async function onlyFile(directory = join(dataDir, 'exports')): Promise<string> {
  const { visible, hidden } = await listing(directory)
  expect(hidden).toEqual([])
  expect(visible).toHaveLength(1)
  return readFile(join(directory, visible[0]!), 'utf8')
}

/** A strict RFC 4180 reader: CRLF records, quoted fields, doubled quotes; bare CR or LF outside quotes is an error. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = []
  let row: string[] = []
  let field = ''
  let quoted = false
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!
    if (quoted) {
      if (ch !== '"') field += ch
      else if (text[i + 1] === '"') {
        field += '"'
        i++
      } else quoted = false
    } else if (ch === '"' && field === '') quoted = true
    else if (ch === ',') {
      row.push(field)
      field = ''
    } else if (ch === '\r' && text[i + 1] === '\n') {
      row.push(field)
      rows.push(row)
      row = []
      field = ''
      i++
    } else if (ch === '\r' || ch === '\n' || ch === '"')
      throw new Error(`unquoted ${JSON.stringify(ch)} at ${i}`)
    else field += ch
  }
  if (quoted || field !== '' || row.length > 0) throw new Error('the last record is not terminated by CRLF')
  return rows
}

describe('file export: CSV', () => {
  it('quotes per RFC 4180 and reads back exactly', async () => {
    const tricky = {
      plain: 'Ada',
      comma: 'Lovelace, Ada',
      quote: 'She said "hi"',
      crlf: 'line one\r\nline two',
      lf: 'a\nb',
      cr: 'a\rb',
      spaces: '  padded ',
      unicode: 'Zoë 東京 🚀',
      empty: '',
      nothing: null,
      count: 3,
      ratio: 0.25,
      active: false,
      tags: ['a', 'b,c'],
      address: { city: 'Paris', zip: '75001' },
      big: 12345678901234567890n,
      when: new Date('2024-01-02T03:04:05.000Z'),
      skipped: undefined,
    }
    await run({}, [batch([upsert('p1', tricky)])])
    const rows = parseCsv(await onlyFile())
    const header = rows[0]!
    expect(header).toEqual(['_op', 'id', ...Object.keys(tricky).filter((k) => k !== 'skipped')])
    const row = Object.fromEntries(header.map((name, i) => [name, rows[1]![i]]))
    expect(row).toEqual({
      _op: 'upsert',
      id: 'p1',
      plain: 'Ada',
      comma: 'Lovelace, Ada',
      quote: 'She said "hi"',
      crlf: 'line one\r\nline two',
      lf: 'a\nb',
      cr: 'a\rb',
      spaces: '  padded ',
      unicode: 'Zoë 東京 🚀',
      empty: '',
      nothing: '',
      count: '3',
      ratio: '0.25',
      active: 'false',
      tags: '["a","b,c"]',
      address: '{"city":"Paris","zip":"75001"}',
      big: '12345678901234567890',
      when: '2024-01-02T03:04:05.000Z',
    })
  })

  it('writes the exact bytes expected', async () => {
    await run({}, [
      batch([upsert('a', { name: 'x,y', note: 'say "no"' }), upsert('b', { name: 'z' })], ['c']),
    ])
    expect(await onlyFile()).toBe(
      '_op,id,name,note\r\nupsert,a,"x,y","say ""no"""\r\nupsert,b,z,\r\nremove,c,,\r\n',
    )
  })

  it('uses the union of fields over all batches as the header, in first-seen order', async () => {
    await run({}, [
      batch([upsert('1', { email: 'a@x.io', name: 'A' })]),
      batch([upsert('2', { name: 'B', plan: 'pro' })], ['3']),
      batch([upsert('4', { email: 'd@x.io', score: 9 })]),
    ])
    expect(parseCsv(await onlyFile())).toEqual([
      ['_op', 'id', 'email', 'name', 'plan', 'score'],
      ['upsert', '1', 'a@x.io', 'A', '', ''],
      ['upsert', '2', '', 'B', 'pro', ''],
      ['remove', '3', '', '', '', ''],
      ['upsert', '4', 'd@x.io', '', '', '9'],
    ])
  })

  it('keeps _op and id first even when a field shares their name', async () => {
    await run({}, [batch([upsert('p1', { id: 'crm-9', _op: 'x', '7': 'seven' })])])
    expect(parseCsv(await onlyFile())).toEqual([
      ['_op', 'id', '7', 'field:id', 'field:_op'],
      ['upsert', 'p1', 'seven', 'crm-9', 'x'],
    ])
  })
})

describe('file export: JSON Lines', () => {
  it('writes one object per row, _op and id first', async () => {
    await run({ format: 'jsonl' }, [
      batch([upsert('p1', { '2': 'two', name: 'Ada', tags: ['x'], gone: undefined, n: null })]),
      batch([], ['p2']),
    ])
    const text = await onlyFile()
    expect(text.endsWith('\n')).toBe(true)
    const lines = text.trimEnd().split('\n')
    expect(lines).toEqual([
      '{"_op":"upsert","id":"p1","2":"two","name":"Ada","tags":["x"],"n":null}',
      '{"_op":"remove","id":"p2"}',
    ])
    expect(lines.map((line) => JSON.parse(line))).toEqual([
      { _op: 'upsert', id: 'p1', 2: 'two', name: 'Ada', tags: ['x'], n: null },
      { _op: 'remove', id: 'p2' },
    ])
  })
})

describe('file export: files and acknowledgements', () => {
  it('acknowledges each batch with what it wrote', async () => {
    const acks = await run({}, [
      batch([upsert('a', { x: 1 }), upsert('b', { x: 2 })]),
      batch([], []),
      batch([upsert('c', { x: 3 })], ['d', 'e']),
    ])
    expect(acks).toEqual([
      { delivered: ['a', 'b'], removed: [], rejected: [] },
      { delivered: [], removed: [], rejected: [] },
      { delivered: ['c'], removed: ['d', 'e'], rejected: [] },
    ])
  })

  it('names the file after the prefix, the run time and a random suffix, in the configured folder', async () => {
    await run({ directory: 'exports/crm', filePrefix: 'profiles', format: 'jsonl' }, [
      batch([upsert('a', {})]),
    ])
    const { visible } = await listing(join(dataDir, 'exports/crm'))
    expect(visible).toEqual([expect.stringMatching(/^profiles-2024-05-01T12-34-56-789Z-[0-9a-f]{6}\.jsonl$/)])
  })

  it('gives every run its own file', async () => {
    await run({}, [batch([upsert('a', {})])])
    await run({}, [batch([upsert('b', {})])])
    expect((await listing()).visible).toHaveLength(2)
  })

  it('shows no file until the run is complete', async () => {
    const acks = write(context({}), feed([batch([upsert('a', { n: 1 })]), batch([upsert('b', { n: 2 })])]))
    const iterator = acks[Symbol.asyncIterator]()
    expect((await iterator.next()).done).toBe(false)
    let seen = await listing()
    expect(seen.visible).toEqual([])
    expect(seen.hidden).toEqual([expect.stringMatching(/^\.export-.*\.csv\.j[0-9a-f]{12}\.tmp$/)])
    expect((await iterator.next()).done).toBe(false)
    expect((await listing()).visible).toEqual([])
    expect((await iterator.next()).done).toBe(true)
    seen = await listing()
    expect(seen.hidden).toEqual([])
    expect(seen.visible).toHaveLength(1)
  })

  it('writes no file when no batch arrives, or only empty ones', async () => {
    expect(await run({}, [])).toEqual([])
    expect(await run({}, [batch([]), batch([])])).toHaveLength(2)
    expect(await listing()).toEqual({ visible: [], hidden: [] })
  })
})

describe('file export: stopping early', () => {
  it('deletes the spool when aborted before anything was acknowledged', async () => {
    const controller = new AbortController()
    // The abort lands while the batch is being written: after it is on disk, before its ack.
    const fields = {
      get name() {
        controller.abort()
        return 'Ada'
      },
    }
    const acks: WriteAck[] = []
    for await (const ack of write(
      context({}, { signal: controller.signal }),
      feed([batch([upsert('a', fields)])]),
    )) {
      acks.push(ack)
    }
    expect(acks).toEqual([])
    expect(await listing()).toEqual({ visible: [], hidden: [] })
  })

  it('publishes only the acknowledged batches when aborted later', async () => {
    const controller = new AbortController()
    const acks: WriteAck[] = []
    const batches = feed([batch([upsert('a', { n: 1 })]), batch([upsert('b', { n: 2, extra: 'x' })])])
    for await (const ack of write(context({}, { signal: controller.signal }), batches)) {
      acks.push(ack)
      controller.abort()
    }
    expect(acks.map((ack) => ack.delivered)).toEqual([['a']])
    expect(parseCsv(await onlyFile())).toEqual([
      ['_op', 'id', 'n'],
      ['upsert', 'a', '1'],
    ])
  })

  it('cuts off a batch the abort interrupted, its new columns too', async () => {
    const controller = new AbortController()
    const interrupting = {
      get late() {
        controller.abort()
        return 'never published'
      },
    }
    const batches = feed([batch([upsert('a', { n: 1 })]), batch([upsert('b', interrupting)])])
    const acks: WriteAck[] = []
    for await (const ack of write(context({}, { signal: controller.signal }), batches)) acks.push(ack)
    expect(acks.map((ack) => ack.delivered)).toEqual([['a']])
    expect(await onlyFile()).toBe('_op,id,n\r\nupsert,a,1\r\n')
  })

  it('does nothing at all when aborted before starting', async () => {
    const controller = new AbortController()
    controller.abort()
    for await (const _ of write(
      context({}, { signal: controller.signal }),
      feed([batch([upsert('a', {})])]),
    )) {
      expect.unreachable()
    }
    expect(await readdir(dataDir)).toEqual([])
  })

  it('publishes what was acknowledged when the executor stops reading', async () => {
    const iterator = write(
      context({ format: 'jsonl' }),
      feed([batch([upsert('a', {})]), batch([upsert('b', {})])]),
    )[Symbol.asyncIterator]()
    await iterator.next()
    await iterator.return?.()
    expect(await onlyFile()).toBe('{"_op":"upsert","id":"a"}\n')
  })

  it('publishes what was acknowledged when the batch source fails', async () => {
    async function* failing(): AsyncGenerator<ExportBatch> {
      yield batch([upsert('a', {})])
      throw new Error('profile query failed')
    }
    const acks: WriteAck[] = []
    await expect(async () => {
      for await (const ack of write(context({ format: 'jsonl' }), failing())) acks.push(ack)
    }).rejects.toThrow('profile query failed')
    expect(acks).toHaveLength(1)
    expect(await onlyFile()).toBe('{"_op":"upsert","id":"a"}\n')
  })

  it('recovers a crashed CSV run with the header its rows need', async () => {
    const crashed = write(context({}), feed([batch([upsert('a', { x: 1 }), upsert('b', { y: 'q"' })])]))[
      Symbol.asyncIterator
    ]()
    await crashed.next()
    await run({ format: 'jsonl' }, [])
    expect(await onlyFile()).toBe('_op,id,x,y\r\nupsert,a,1,\r\nupsert,b,,"q"""\r\n')
    await crashed.return?.()
    expect((await listing()).visible).toHaveLength(1)
  })

  it("publishes a crashed run's acknowledged batches at the job's next run", async () => {
    // A run that acknowledged one batch and then was never resumed, as if its process died.
    const crashed = write(
      context({ format: 'jsonl' }),
      feed([batch([upsert('a', {})]), batch([upsert('b', {})])]),
    )[Symbol.asyncIterator]()
    await crashed.next()
    // Another job's spool in the same folder is not this job's to publish.
    const other = write(
      context({ format: 'jsonl' }, { jobId: 'job-other' }),
      feed([batch([upsert('z', {})])]),
    )[Symbol.asyncIterator]()
    await other.next()

    await run({ format: 'jsonl' }, [batch([upsert('c', {})])])
    const { visible, hidden } = await listing()
    expect(hidden).toHaveLength(1)
    const contents = await Promise.all(
      visible.map((name) => readFile(join(dataDir, 'exports', name), 'utf8')),
    )
    expect(contents.sort()).toEqual(['{"_op":"upsert","id":"a"}\n', '{"_op":"upsert","id":"c"}\n'])

    // The stalled run wakes up later: it must not publish a second copy or fail noisily.
    await crashed.return?.()
    await other.return?.()
    expect((await listing()).visible).toHaveLength(3)
    expect((await listing()).hidden).toEqual([])
  })
})

describe('file export: confinement to the data folder', () => {
  it.each([
    ['../x', /\.\./],
    ['/etc', /absolute/],
    ['a/../../b', /\.\./],
    ['..', /\.\./],
    ['exports\\..\\x', /backslash/],
    ['C:/exports', /absolute/],
    ['', /name a folder/],
    ['a\u0000b', /control/],
  ])('rejects directory %j in the schema', (directory, message) => {
    const result = fileExportConfig.safeParse({ directory })
    expect(result.success).toBe(false)
    expect(result.error?.issues[0]?.message).toMatch(message)
  })

  it.each(['exports', 'exports/crm', './out', 'a/b/c', 'exports/2024-05'])(
    'accepts directory %j',
    (directory) => {
      expect(fileExportConfig.parse({ directory }).directory).toBe(directory)
    },
  )

  it('rejects unsafe file prefixes', () => {
    for (const filePrefix of ['', '../x', 'a/b', '.hidden', 'a b', 'x'.repeat(65)]) {
      expect(fileExportConfig.safeParse({ filePrefix }).success, filePrefix).toBe(false)
    }
  })

  it.each(['../x', '/etc', 'a/../../b'])(
    'refuses %j in the connector even if the schema was skipped',
    async (directory) => {
      const ctx = context({ directory, format: 'csv', filePrefix: 'export' }, { parse: false })
      await expect(
        write(ctx, feed([batch([upsert('a', {})])]))
          [Symbol.asyncIterator]()
          .next(),
      ).rejects.toSatisfy((error) => error instanceof ConnectorError && error.kind === 'config')
      expect((await readdir(root)).sort()).toEqual(['data'])
    },
  )

  it('refuses a symbolic link that leads out of the data folder, creating nothing outside', async () => {
    const outside = join(root, 'outside')
    await mkdir(outside)
    await symlink(outside, join(dataDir, 'link'))
    const ctx = context({ directory: 'link/sub' })
    await expect(
      write(ctx, feed([batch([upsert('a', {})])]))
        [Symbol.asyncIterator]()
        .next(),
    ).rejects.toThrow(/outside the data folder/)
    expect(await readdir(outside)).toEqual([])
    expect(await fileExportConnector.check({ ...ctx, config: { directory: 'link' } })).toMatchObject({
      ok: false,
    })
  })
})

describe('file export: check', () => {
  const checkContext = (config: Record<string, unknown> | null) => {
    const { jobId: _, ...ctx } = context({})
    return { ...ctx, config }
  }

  it('creates the folder and proves it can write there, leaving nothing behind', async () => {
    const result = await fileExportConnector.check(checkContext({ directory: 'exports/new' }))
    expect(result).toEqual({ ok: true, message: expect.stringContaining('exports/new') })
    expect(await readdir(join(dataDir, 'exports/new'))).toEqual([])
  })

  it('uses the defaults without a config', async () => {
    expect(await fileExportConnector.check(checkContext(null))).toMatchObject({ ok: true })
    expect(await readdir(dataDir)).toEqual(['exports'])
  })

  it('answers, never throws, for a bad config or an unwritable folder', async () => {
    expect(await fileExportConnector.check(checkContext({ directory: '../x' }))).toMatchObject({
      ok: false,
      message: expect.stringContaining('..'),
    })
    await writeFile(join(dataDir, 'blocked'), 'a file, not a folder')
    expect(await fileExportConnector.check(checkContext({ directory: 'blocked/sub' }))).toMatchObject({
      ok: false,
      message: expect.stringContaining('blocked/sub'),
    })
  })
})
