import { describe, expect, it } from 'vitest'
import { formatDuration, parseDuration } from '../../nodes/duration.ts'
import { hashPassword, verifyPassword } from '../../server/auth/passwords.ts'
import { ConfigError, loadConfig } from '../../server/config.ts'
import { newId } from '../../server/db/ids.ts'

describe('settings', () => {
  it('parses the documented durations', () => {
    expect(parseDuration('500ms')).toBe(500)
    expect(parseDuration('3s')).toBe(3000)
    expect(parseDuration('10m')).toBe(600_000)
    expect(parseDuration('10h')).toBe(36_000_000)
    expect(parseDuration('90d')).toBe(7_776_000_000)
    expect(parseDuration('10 hours')).toBeNull()
    expect(parseDuration('0s')).toBeNull()
    expect(formatDuration(5_400_000)).toBe('90m')
  })

  it('has the defaults of DESIGN.md §9', () => {
    const config = loadConfig({})
    expect(config).toMatchObject({
      port: 8080,
      host: '127.0.0.1',
      dialect: 'sqlite',
      failAfterMs: 36_000_000,
      purgeAfterMs: 7_776_000_000,
      retryBaseMs: 30_000,
      retryMaxMs: 1_800_000,
      leaseTtlMs: 60_000,
      workerConcurrency: 4,
      mergeCap: 20,
      allowPrivateNetwork: false,
      publicUrl: 'http://localhost:8080',
    })
    expect(config.db).toMatch(/data[\\/]sluice\.db$/)
    expect(loadConfig({ SLUICE_DB: 'postgres://u@h/db' }).dialect).toBe('postgres')
  })

  it('refuses unusable values with a message that names the setting', () => {
    expect(() => loadConfig({ SLUICE_FAIL_AFTER: 'ten hours' })).toThrow(ConfigError)
    expect(() => loadConfig({ SLUICE_FAIL_AFTER: 'ten hours' })).toThrow(/SLUICE_FAIL_AFTER/)
    expect(() => loadConfig({ PORT: '99999' })).toThrow(/PORT/)
    expect(() => loadConfig({ SLUICE_WORKER_CONCURRENCY: '0' })).toThrow(/SLUICE_WORKER_CONCURRENCY/)
    // The SMTP URL may carry a password: the message names the setting, never the value.
    const smtp = () => loadConfig({ SLUICE_SMTP_URL: 'http://mailer:hunter2@example.com' })
    expect(smtp).toThrow(/SLUICE_SMTP_URL/)
    expect(smtp).not.toThrow(/hunter2/)
    expect(loadConfig({ SLUICE_SMTP_URL: 'smtp://u:p@127.0.0.1:2525' }).smtpUrl).toBe(
      'smtp://u:p@127.0.0.1:2525',
    )
  })
})

describe('ids and passwords', () => {
  it('makes ids that sort by creation time', () => {
    const ids = [newId(1000), newId(1000), newId(2000), newId(3_000_000_000_000)]
    expect([...ids].sort()).toEqual(ids)
    expect(new Set(ids).size).toBe(4)
  })

  it('hashes passwords with scrypt and a salt', async () => {
    const a = await hashPassword('hunter2-hunter2')
    const b = await hashPassword('hunter2-hunter2')
    expect(a).toMatch(/^scrypt\$/)
    expect(a).not.toBe(b)
    expect(await verifyPassword('hunter2-hunter2', a)).toBe(true)
    expect(await verifyPassword('hunter2-hunter3', a)).toBe(false)
    expect(await verifyPassword('x', 'garbage')).toBe(false)
  })
})
