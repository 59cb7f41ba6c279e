import { gzipSync } from 'node:zlib'
import { expect, it } from 'vitest'
import { useTestApp } from '../support/app.ts'
import { describeEachDialect } from '../support/dialects.ts'

describeEachDialect('collect API: bulk uploads through staging', (dialect) => {
  const t = useTestApp(dialect)
  let admin = ''
  let key = ''

  /** POSTs a file body as is (text, bytes or a stream) to /collect/bulk. */
  async function upload(
    stream: string,
    body: string | Uint8Array | ReadableStream<Uint8Array>,
    type: string,
    query = '',
    headers: Record<string, string> = {},
  ) {
    const response = await t().app.request(
      `/collect/bulk/${stream}${query}`,
      {
        method: 'POST',
        headers: { authorization: key, 'content-type': type, ...headers },
        body,
        ...(body instanceof ReadableStream ? { duplex: 'half' } : {}),
      } as RequestInit,
      { incoming: { socket: { remoteAddress: '127.0.0.1' } } },
    )
    const text = await response.text()
    // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON answers
    return { status: response.status, json: JSON.parse(text) as any }
  }
  const get = async (path: string) => (await t().send('GET', path, { cookie: admin })).json
  const payloads = async (stream: string) =>
    (await get(`/api/streams/${stream}/messages?limit=1000`))
      .map((m: { payload: unknown }) => m.payload)
      .reverse()

  it('stores a CSV upload, publishes it at once and unifies it in the bulk lane', async () => {
    admin = await t().setupAdmin()
    key = (await t().send('POST', '/api/data-keys', { cookie: admin, body: { name: 'files' } })).json.key
    const csv = 'email,first_name,plan\nann@example.com,Ann,pro\nbo@example.com,Bo,free\n'
    const answer = await upload('crm', csv, 'text/csv', '?filename=leads.csv')
    expect(answer.status).toBe(200)
    expect(answer.json).toEqual({
      status: 200,
      message: 'success',
      data: {
        message_count: 2,
        rejected_count: 0,
        duplicate_count: 0,
        dryrun: false,
        droperrors: false,
        timestamp_field: null,
        filename: 'leads.csv',
        upload_id: expect.any(String),
        errors: [],
      },
    })
    const id = answer.json.data.upload_id
    expect(await payloads('crm')).toEqual([
      { email: 'ann@example.com', first_name: 'Ann', plan: 'pro' },
      { email: 'bo@example.com', first_name: 'Bo', plan: 'free' },
    ])
    await t().deps.unifier.drain()
    expect(await get(`/api/uploads/${id}`)).toMatchObject({
      status: 'unified',
      rowsRead: 2,
      stored: 2,
      rejected: 0,
      unified: 2,
      filename: 'leads.csv',
      format: 'csv',
    })
    const [ann] = await get('/api/profiles?q=ann@example.com')
    expect((await get(`/api/profiles/${ann.id}`)).attributes.plan).toMatchObject({
      value: 'pro',
      stream: 'crm',
    })
    const messages = await get('/api/streams/crm/messages')
    expect(messages[0]).toMatchObject({ lane: 'bulk', uploadId: id, unifiedAt: expect.any(String) })
    expect((await get('/api/uploads?stream=crm')).map((u: { id: string }) => u.id)).toEqual([id])
    expect((await get('/api/uploads?q=leads')).map((u: { id: string }) => u.id)).toEqual([id])
    expect(await get('/api/uploads?status=failed')).toEqual([])
  })

  it('reads gzipped CSV by Content-Encoding or by a gzip type with a .csv.gz filename', async () => {
    const zipped = gzipSync('email,n\ngz1@example.com,1\ngz2@example.com,2\n')
    const encoded = await upload('gz', new Uint8Array(zipped), 'text/csv', '', { 'content-encoding': 'gzip' })
    expect(encoded.json.data.message_count).toBe(2)
    const typed = await upload('gz', new Uint8Array(zipped), 'application/gzip', '?filename=more.csv.gz')
    expect(typed.json.data).toMatchObject({ message_count: 2, duplicate_count: 0, filename: 'more.csv.gz' })
    expect(await payloads('gz')).toHaveLength(4)
  })

  it('reads a JSON array and NDJSON by content type', async () => {
    const json = await upload(
      'js',
      JSON.stringify([{ email: 'j1@example.com' }, { email: 'j2@example.com', n: 2 }]),
      'application/json',
    )
    expect(json.json.data.message_count).toBe(2)
    const ndjson = await upload(
      'js',
      '{"email":"j3@example.com"}\n\n{"email":"j4@example.com","tags":["a"]}\n',
      'application/x-ndjson',
    )
    expect(ndjson.json.data.message_count).toBe(2)
    expect(await payloads('js')).toEqual([
      { email: 'j1@example.com' },
      { email: 'j2@example.com', n: 2 },
      { email: 'j3@example.com' },
      { email: 'j4@example.com', tags: ['a'] },
    ])
  })

  it('honours timestamp_field, headers, delimiter and append', async () => {
    const tab = await upload(
      'params',
      'p1@example.com\t2026-01-02T03:04:05+02:00\tgold\np2@example.com\t1767225600\tsilver\n',
      'text/csv',
      `?headers=email,ts,tier&delimiter=t&timestamp_field=ts&append=${encodeURIComponent('{"source":"import","tier":"override"}')}`,
    )
    expect(tab.json.data).toMatchObject({ message_count: 2, timestamp_field: 'ts' })
    const pipe = await upload('params', 'email|note\np3@example.com|a,b\n', 'text/csv', '?delimiter=|')
    expect(pipe.json.data.message_count).toBe(1)
    const messages = (await get('/api/streams/params/messages')).reverse()
    expect(messages.map((m: { payload: unknown }) => m.payload)).toEqual([
      { email: 'p1@example.com', ts: '2026-01-02T03:04:05+02:00', tier: 'override', source: 'import' },
      { email: 'p2@example.com', ts: '1767225600', tier: 'override', source: 'import' },
      { email: 'p3@example.com', note: 'a,b' },
    ])
    expect(messages.map((m: { eventTime: string }) => m.eventTime).slice(0, 2)).toEqual([
      '2026-01-02T01:04:05.000Z',
      '2026-01-01T00:00:00.000Z',
    ])
  })

  it('counts a dryrun truly and stores nothing, not even an upload', async () => {
    const answer = await upload(
      'dry',
      'email,ts\nd1@example.com,2026-01-01\nd2@example.com,nope\n',
      'text/csv',
      '?dryrun=true&timestamp_field=ts&droperrors=true',
    )
    expect(answer.json.data).toMatchObject({
      message_count: 1,
      rejected_count: 1,
      dryrun: true,
      upload_id: null,
      errors: [{ row: 3, reason: 'ts is "nope", which is not a date' }],
    })
    expect((await t().send('GET', '/api/streams/dry/messages', { cookie: admin })).status).toBe(404)
    expect(await get('/api/uploads?stream=dry')).toEqual([])
  })

  it('publishes nothing when a row is bad without droperrors, and leaves no staged row behind', async () => {
    const csv = 'email,plan\nok@example.com,pro\n"broken@example.com,pro\nthird@example.com,a,b\n'
    const answer = await upload('strict', csv, 'text/csv')
    expect(answer.status).toBe(400)
    expect(answer.json.error.code).toBe('RowsRejected')
    const { upload_id: id, errors } = answer.json.error.details
    expect(errors.map((e: { row: number }) => e.row)).toEqual([3, 4])
    expect(errors[1].reason).toBe('row 4 has 3 fields, expected 2')
    expect((await t().send('GET', '/api/streams/strict/messages', { cookie: admin })).status).toBe(404)
    expect(await get(`/api/uploads/${id}`)).toMatchObject({ status: 'rejected', stored: 0, rejected: 2 })
    const staged = await t()
      .database.db.selectFrom('raw_messages')
      .select('seq')
      .where('upload_id', '=', id)
      .execute()
    expect(staged).toEqual([])
  })

  it('publishes the good rows with droperrors and lists each bad one with its row and reason', async () => {
    const lines = ['{"email":"n1@example.com"}', '{"email":', '[1]', '{"email":"n2@example.com"}']
    const answer = await upload('lenient', lines.join('\n'), 'application/x-ndjson', '?droperrors=true')
    expect(answer.json.data).toMatchObject({ message_count: 2, rejected_count: 2 })
    expect(answer.json.data.errors.map((e: { row: number }) => e.row)).toEqual([2, 3])
    expect(answer.json.data.errors[0].reason).toMatch(/^line 2 is not valid JSON/)
    expect(await payloads('lenient')).toEqual([{ email: 'n1@example.com' }, { email: 'n2@example.com' }])
    const upload_ = await get(`/api/uploads/${answer.json.data.upload_id}`)
    // Published, and perhaps already unified by the background unifier: both are live.
    expect(upload_).toMatchObject({
      status: expect.stringMatching(/^(published|unified)$/),
      stored: 2,
      rejected: 2,
    })
    expect(upload_.errors).toHaveLength(2)
  })

  it('lists only the first 100 rejects but counts them all', async () => {
    const rows = Array.from({ length: 150 }, (_, n) =>
      n % 2 ? `r${n}@example.com,x` : `r${n}@example.com,x,extra`,
    )
    const answer = await upload('many', `email,v\n${rows.join('\n')}\n`, 'text/csv', '?droperrors=true')
    expect(answer.json.data).toMatchObject({ message_count: 75, rejected_count: 75 })
    expect(answer.json.data.errors).toHaveLength(75)
    const more = Array.from({ length: 250 }, (_, n) => `q${n}@example.com,x,extra`)
    const big = await upload('many', `email,v\n${more.join('\n')}\n`, 'text/csv', '?droperrors=true')
    expect(big.json.data).toMatchObject({ message_count: 0, rejected_count: 250 })
    expect(big.json.data.errors).toHaveLength(100)
  })

  it('keeps staged rows invisible while the file streams in, with progress on the upload', async () => {
    let push!: ReadableStreamDefaultController<Uint8Array>
    const body = new ReadableStream<Uint8Array>({
      start: (controller) => {
        push = controller
      },
    })
    const head = `email,n\n${Array.from({ length: 8000 }, (_, n) => `s${n}@example.com,${n}`).join('\n')}\n`
    push.enqueue(new TextEncoder().encode(head))
    const pending = upload('staged', body, 'text/csv')
    let id = ''
    for (let tries = 0; tries < 200 && !id; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 10))
      const [row] = await get('/api/uploads?stream=staged')
      if (row?.rowsRead >= 5000) id = row.id
    }
    expect(id).not.toBe('')
    expect(await get(`/api/uploads/${id}`)).toMatchObject({
      status: 'receiving',
      stored: expect.any(Number),
      unified: 0,
    })
    expect((await t().send('GET', '/api/streams/staged/messages', { cookie: admin })).status).toBe(404)
    push.enqueue(new TextEncoder().encode('last@example.com,9999\n'))
    push.close()
    const answer = await pending
    expect(answer.json.data.message_count).toBe(8001)
    expect(await get(`/api/uploads/${id}`)).toMatchObject({
      status: 'published',
      stored: 8001,
      rowsRead: 8001,
    })
    await t().deps.unifier.drain()
    expect(await get(`/api/uploads/${id}`)).toMatchObject({ status: 'unified', unified: 8001 })
  })

  it('deduplicates messageIds against visible messages only: a staged copy never shadows a live one', async () => {
    // A live message first; an upload repeating it stores the rest and counts the repeat.
    const live = { messageId: 'dup-live', email: 'dl@example.com' }
    await t().send('POST', '/collect/json/dedup', { body: live, headers: { authorization: key } })
    const lines = [
      live,
      { messageId: 'dup-new', email: 'dn@example.com' },
      { messageId: 'dup-new', email: 'dn@example.com' },
    ]
    const answer = await upload(
      'dedup',
      lines.map((l) => JSON.stringify(l)).join('\n'),
      'application/x-ndjson',
    )
    await t().deps.unifier.drain()
    expect(await get(`/api/uploads/${answer.json.data.upload_id}`)).toMatchObject({
      status: 'unified',
      stored: 1,
      duplicates: 2,
      unified: 1,
    })
    expect((await payloads('dedup')).map((p: { messageId: string }) => p.messageId)).toEqual([
      'dup-live',
      'dup-new',
    ])

    // An upload still streaming in holds a messageId that a realtime sender then uses; the upload
    // fails, and the realtime copy must be the one that stays.
    let push!: ReadableStreamDefaultController<Uint8Array>
    const body = new ReadableStream<Uint8Array>({
      start: (controller) => {
        push = controller
      },
    })
    const rows = [
      { messageId: 'shadow', email: 'sh@example.com' },
      ...Array.from({ length: 3000 }, (_, n) => ({ n, email: `f${n}@example.com` })),
    ]
    push.enqueue(new TextEncoder().encode(`${rows.map((r) => JSON.stringify(r)).join('\n')}\n`))
    const pending = upload('dedup', body, 'application/x-ndjson')
    for (let tries = 0; tries < 200; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 10))
      const [row] = await get('/api/uploads?stream=dedup&status=receiving')
      if (row?.stored >= 1000) break
    }
    const realtime = await t().send('POST', '/collect/json/dedup', {
      body: { messageId: 'shadow', email: 'sh@example.com', via: 'realtime' },
      headers: { authorization: key },
    })
    expect(realtime.json.data).toMatchObject({ message_count: 1, duplicate_count: 0 })
    push.enqueue(new TextEncoder().encode('not json\n'))
    push.close()
    expect((await pending).status).toBe(400)
    await t().deps.unifier.drain()
    const shadows = (await payloads('dedup')).filter((p: { messageId?: string }) => p.messageId === 'shadow')
    expect(shadows).toEqual([{ messageId: 'shadow', email: 'sh@example.com', via: 'realtime' }])
  })

  it('never lets an older backfill row overwrite a newer live value', async () => {
    await t().send('POST', '/collect/json/live?timestamp_field=ts', {
      body: { user_id: 'bf-1', plan: 'live-new', ts: '2026-02-01T00:00:00Z' },
      headers: { authorization: key },
    })
    const csv =
      'user_id,plan,ts\nbf-1,backfill-old,2025-06-01T00:00:00Z\nbf-2,only-backfill,2025-06-01T00:00:00Z\n'
    await upload('backfill', csv, 'text/csv', '?timestamp_field=ts')
    await t().deps.unifier.drain()
    const [one] = await get('/api/profiles?q=bf-1')
    expect((await get(`/api/profiles/${one.id}`)).attributes.plan.value).toBe('live-new')
    await upload(
      'backfill',
      'user_id,plan,ts\nbf-1,backfill-newer,2026-03-01T00:00:00-05:00\n',
      'text/csv',
      '?timestamp_field=ts',
    )
    await t().deps.unifier.drain()
    expect((await get(`/api/profiles/${one.id}`)).attributes.plan).toEqual({
      value: 'backfill-newer',
      at: '2026-03-01T05:00:00.000Z',
      stream: 'backfill',
    })
  })

  it('answers bad uploads with clear errors, never a 500', async () => {
    const type = await upload('bad', '<xml/>', 'application/xml')
    expect(type.status).toBe(415)
    expect(type.json.error.message).toMatch(/text\/csv/)
    const gzip = await upload('bad', 'plain text', 'text/csv', '', { 'content-encoding': 'gzip' })
    expect(gzip.status).toBe(400)
    expect(gzip.json.error).toMatchObject({ code: 'InvalidBulkFile', message: 'the body is not valid gzip' })
    const header = await upload('bad', 'id,id\n1,2\n', 'text/csv')
    expect(header.status).toBe(400)
    expect(header.json.error.message).toMatch(/names "id" twice/)
    const json = await upload('bad', '[{"a":1} {"a":2}]', 'application/json')
    expect(json.status).toBe(400)
    expect(json.json.error.code).toBe('InvalidBulkFile')
    expect((await upload('bad', 'a\n1\n', 'text/csv', '?delimiter=;')).status).toBe(400)
    expect((await upload('not a stream', 'a\n1\n', 'text/csv')).status).toBe(400)
    // PostgreSQL text cannot hold NUL: such a row is a counted reject, flat or nested.
    const nul = await upload('nul', 'a,b\n1,x\u0000y\n2,ok\n', 'text/csv', '?droperrors=true')
    expect(nul.json.data).toMatchObject({ message_count: 1, rejected_count: 1 })
    expect(nul.json.data.errors[0]).toEqual({ row: 2, reason: 'b must not contain the NUL character' })
    const nested = await upload(
      'nul',
      '{"a":{"b":["\\u0000"]}}\n',
      'application/x-ndjson',
      '?droperrors=true',
    )
    expect(nested.json.data.errors[0].reason).toBe('a.b.0 must not contain the NUL character')
    const saved = key
    key = 'sdk_unknown'
    expect((await upload('bad', 'a\n1\n', 'text/csv')).status).toBe(401)
    key = saved
    for (const failed of await get('/api/uploads?stream=bad')) {
      expect(failed.status).toBe('failed')
      expect(failed.error).toEqual(expect.any(String))
    }
    expect((await t().send('GET', '/api/streams/bad/messages', { cookie: admin })).status).toBe(404)
    expect((await t().send('GET', '/api/uploads/nope', { cookie: admin })).status).toBe(404)
  })
})
