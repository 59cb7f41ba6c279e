import { Writable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { createApp } from '../../server/app.ts'
import { buildDeps } from '../../server/bootstrap.ts'
import { manualClock } from '../../server/clock.ts'
import { loadConfig } from '../../server/config.ts'
import { migrateToLatest, openDatabase } from '../../server/db/database.ts'
import { createLogger, safeUrl } from '../../server/log.ts'
import { addKnownSecret, forgetKnownSecret } from '../../server/vault/scrubber.ts'
import { freshVault } from '../support/vault.ts'

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

  it('scrubs known secret values in every form, at every level, wherever a message carries them', () => {
    const { lines, logger } = capture()
    const secret = 'sk_live_Zq8/+canary=&ü'
    addKnownSecret(secret)
    addKnownSecret('short')
    const forms = [
      secret,
      Buffer.from(secret).toString('base64'),
      Buffer.from(secret).toString('base64url'),
      encodeURIComponent(secret),
      new URLSearchParams({ k: secret }).toString().slice(2),
    ]
    logger.debug({ detail: `sent ${forms[1]} as basic auth` }, `key ${secret} refused`)
    logger.warn({ err: new Error(`GET /v1?key=${forms[3]} failed: 401 for ${forms[0]}`) }, 'failed')
    logger.error({ body: `grant_type=x&client_secret=${forms[4]}`, nested: { a: [forms[2]] } }, 'token')
    logger.info({ url: 'https://api.example.com/me?access_token=ya29.opaque-value&x=1' }, 'called')
    logger.info({ tokenResponse: JSON.stringify({ access_token: 'ya29.another' }) }, 'refreshed')
    logger.info('short words stay: short')
    const text = lines.join('\n')
    for (const form of forms) expect(text).not.toContain(form)
    expect(text).not.toContain('ya29.opaque-value')
    expect(text).not.toContain('ya29.another')
    expect(text).toContain('access_token=[redacted]&x=1')
    expect(text).toContain('short words stay: short')
    // Still one JSON object per line after scrubbing.
    for (const line of lines) expect(() => JSON.parse(line)).not.toThrow()
    expect(lines).toHaveLength(6)
    forgetKnownSecret(secret)
    logger.info(`after deletion ${secret}`)
    expect(lines.at(-1)).toContain(secret)
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
        vault: freshVault(),
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
