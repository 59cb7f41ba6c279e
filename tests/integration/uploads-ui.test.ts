import { expect, it } from 'vitest'
import { ORIGIN, useTestApp } from '../support/app.ts'
import { describeEachDialect } from '../support/dialects.ts'

/** The UI's upload, `POST /api/streams/:stream/uploads`: a signed-in editor's bulk file. */
describeEachDialect('uploads from the UI', (dialect) => {
  const t = useTestApp(dialect)

  const post = async (cookie: string, path: string, body: string, type = 'text/csv') => {
    const response = await t().app.request(
      path,
      { method: 'POST', headers: { cookie, origin: ORIGIN, 'content-type': type }, body },
      { incoming: { socket: { remoteAddress: '127.0.0.1' } } },
    )
    // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON answers
    return { status: response.status, json: JSON.parse(await response.text()) as any }
  }

  it('takes a file over 1 MB from an editor, drops bad rows on request and reports them', async () => {
    const admin = await t().setupAdmin()
    const editor = (await t().addUser(admin, 'editor')).cookie
    const viewer = (await t().addUser(admin, 'viewer')).cookie
    const rows = Array.from({ length: 20_000 }, (_, i) =>
      i === 7
        ? `x${i}@example.com,not a date,Row ${i}`
        : `p${i}@example.com,2026-01-0${(i % 9) + 1}T00:00:00Z,Row ${i} ${'x'.repeat(40)}`,
    )
    const csv = `email,signed_up,name\n${rows.join('\n')}\n`
    expect(csv.length).toBeGreaterThan(1024 * 1024)
    const query = '?timestamp_field=signed_up&droperrors=true&filename=signups.csv'
    const answer = await post(editor, `/api/streams/signups/uploads${query}`, csv)
    expect(answer.status, JSON.stringify(answer.json)).toBe(200)
    expect(answer.json.data).toMatchObject({
      message_count: 19_999,
      rejected_count: 1,
      droperrors: true,
      timestamp_field: 'signed_up',
      filename: 'signups.csv',
      errors: [{ row: 9, reason: expect.stringMatching(/signed_up/) }],
    })
    const upload = await t().send('GET', `/api/uploads/${answer.json.data.upload_id}`, { cookie: viewer })
    expect(upload.json).toMatchObject({ stream: 'signups', rowsRead: 20_000, stored: 19_999, rejected: 1 })

    // Viewers may look but not upload; a bad stream name or file type says what to fix.
    expect((await post(viewer, `/api/streams/signups/uploads${query}`, csv)).status).toBe(403)
    const badStream = await post(editor, '/api/streams/no%20spaces/uploads', 'a\n1\n')
    expect(badStream.status).toBe(400)
    expect(badStream.json.error.message).toMatch(/stream/)
    const badType = await post(editor, '/api/streams/signups/uploads', '<xml/>', 'application/xml')
    expect(badType.status).toBe(415)
    // Everywhere else in the API the JSON rule and the 1 MB limit still hold.
    expect((await post(editor, '/api/pipelines', csv)).status).toBe(413)
    expect((await post(editor, '/api/pipelines', 'a,b\n')).status).toBe(415)
  })
})
