import { Writable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { createApp } from '../../server/app.ts'
import { buildDeps } from '../../server/bootstrap.ts'
import { manualClock } from '../../server/clock.ts'
import { loadConfig } from '../../server/config.ts'
import { migrateToLatest, openDatabase } from '../../server/db/database.ts'
import { createLogger, safeUrl } from '../../server/log.ts'

function capture() {
  const lines: string[] = []
  const destination = new Writable({
    write(chunk, _encoding, done) {
      lines.push(...String(chunk).split('\n').filter(Boolean))
      done()
    },
  })
  return { lines, logger: createLogger({ level: 'debug', destination }) }
}

describe('logs', () => {
  it('censors credentials wherever they appear in a log object', () => {
    const { lines, logger } = capture()
    logger.info(
      {
        password: 'hunter2',
        user: { token: 'slc_abc', name: 'ok' },
        req: { headers: { authorization: 'Bearer x', cookie: 's=1' } },
      },
      'x',
    )
    const text = lines.join('\n')
    for (const secret of ['hunter2', 'slc_abc', 'Bearer x', 's=1']) expect(text).not.toContain(secret)
    expect(JSON.parse(lines[0]!)).toMatchObject({ msg: 'x', user: { name: 'ok', token: '[redacted]' } })
  })

  it('strips access tokens from logged URLs', () => {
    expect(safeUrl('/collect/json/web?access_token=sekrit&dryrun=true')).toBe(
      '/collect/json/web?access_token=[redacted]&dryrun=true',
    )
    // Encoded names reach the router decoded; keys sent under other names are credentials too.
    expect(safeUrl('/collect/json/web?access%5Ftoken=sekrit&writeKey=k2&apikey=k3&filename=a.csv#x')).toBe(
      '/collect/json/web?access%5Ftoken=[redacted]&writeKey=[redacted]&apikey=[redacted]&filename=a.csv#x',
    )
    expect(safeUrl('/v1/batch?%E0%A4%A=sekrit')).toBe('/v1/batch?%E0%A4%A=[redacted]')
    expect(safeUrl('/api/health')).toBe('/api/health')
  })

  it('logs each API request as one JSON line with a request id and never the password sent', async () => {
    const { lines, logger } = capture()
    const database = openDatabase(':memory:')
    await migrateToLatest(database.db)
    const app = createApp(
      buildDeps({
        db: database.db,
        dialect: 'sqlite',
        config: loadConfig({ SLUICE_DATA_DIR: '/nonexistent-sluice-test' }),
        clock: manualClock(),
        logger,
        version: 'test',
      }),
    )
    const response = await app.request('/api/auth/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'who@example.com', password: 'p4ssw0rd-in-body' }),
    })
    expect(response.status).toBe(401)
    const requestLine = lines.map((line) => JSON.parse(line)).find((entry) => entry.msg === 'request')
    expect(requestLine).toMatchObject({
      method: 'POST',
      status: 401,
      requestId: response.headers.get('x-request-id'),
    })
    expect(lines.join('\n')).not.toContain('p4ssw0rd-in-body')
    await database.close()
  })
})
