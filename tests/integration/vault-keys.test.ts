import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import SQLite from 'better-sqlite3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { generateKeyText, parseKeyText } from '../../server/vault/cipher.ts'
import { CRASH_ENV } from '../support/crash.ts'
import { type KeyedApi, startKeyedApi } from '../support/keyed-api.ts'
import { type RunningSluice, signInRemote, startSluice } from '../support/server.ts'

const API_KEY = 'canary-key-5d1f0b7a9e'

/** Runs a server script to its end (start-up that must refuse, or a command). */
const run = (script: string, env: Record<string, string>) =>
  spawnSync(
    process.execPath,
    ['--import', 'tsx', '--import', './tests/support/register-scripted.ts', `server/${script}.ts`],
    { env: { ...process.env, ...CRASH_ENV, PORT: '0', ...env }, encoding: 'utf8', timeout: 90_000 },
  )

/** Key ids named by the stored secrets, read from the SQLite file itself. */
function storedKeys(dir: string): string[] {
  const db = new SQLite(path.join(dir, 'sluice.db'), { readonly: true })
  try {
    const rows = db.prepare('select secrets, key_id from authorizations').all() as {
      secrets: string
      key_id: string
    }[]
    const rules = db.prepare('select targets from alert_rules').all() as { targets: string }[]
    const ids = rows.flatMap((row) => [
      row.key_id,
      ...Object.values(JSON.parse(row.secrets) as Record<string, string>).map((v) => v.split('.')[1]!),
    ])
    for (const rule of rules)
      for (const target of JSON.parse(rule.targets) as { url: string; secret: string }[])
        ids.push(target.url.split('.')[1]!, target.secret.split('.')[1]!)
    return [...new Set(ids)]
  } finally {
    db.close()
  }
}

describe('the master key: generated once, checked at start-up, rotated by a command', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-keys-'))
  const env = { SLUICE_DATA_DIR: dir, SLUICE_ALLOW_PRIVATE_NETWORK: '1', SLUICE_SECRET_KEY: '' }
  const processes: RunningSluice[] = []
  let api: KeyedApi
  let authId = ''
  beforeAll(async () => {
    api = await startKeyedApi([API_KEY])
  })
  afterAll(async () => {
    for (const sluice of processes) await sluice.stop()
    await api.close()
    fs.rmSync(dir, { recursive: true, force: true })
  })

  const testConnection = async () => {
    const sluice = await startSluice({ ...CRASH_ENV, ...env }, { dataDir: dir, scripted: true })
    processes.push(sluice)
    const admin = await signInRemote(sluice.base)
    const result = (await admin.call('POST', `/api/authorizations/${authId}/test`, {})).json
    await sluice.stop()
    return result
  }

  it('generates a key file (0600) with a loud warning, and seals with it', async () => {
    const sluice = await startSluice({ ...CRASH_ENV, ...env }, { dataDir: dir, scripted: true })
    processes.push(sluice)
    const file = path.join(dir, 'secret.key')
    expect(fs.statSync(file).mode & 0o777).toBe(0o600)
    expect(sluice.output()).toMatch(/GENERATED A NEW MASTER KEY in secret\.key: back it up now/)
    const admin = await signInRemote(sluice.base)
    const created = await admin.call('POST', '/api/authorizations', {
      name: 'Keyed',
      provider: 'keyed',
      method: 'apikey',
      credentials: { baseUrl: api.url, apiKey: API_KEY },
    })
    expect(created.status).toBe(201)
    authId = created.json.id
    const rule = await admin.call('POST', '/api/alerts', {
      name: 'Failed',
      condition: { kind: 'failed' },
      targets: [
        {
          type: 'webhook',
          url: 'https://hooks.example.com/services/T1/B2/secret-path',
          secret: 'sixteen-characters-at-least',
        },
      ],
    })
    expect(rule.status).toBe(201)
    expect(JSON.stringify(rule.json)).not.toContain('secret-path')
    await sluice.stop()
    const keyId = parseKeyText(fs.readFileSync(file, 'utf8'))!.id
    expect(storedKeys(dir)).toEqual([keyId])
    const bytes = fs.readFileSync(path.join(dir, 'sluice.db'))
    for (const plain of [API_KEY, 'secret-path', 'sixteen-characters-at-least'])
      expect(bytes.includes(plain)).toBe(false)
  }, 240_000)

  it('refuses to start under a wrong key or with the key missing, saying which key is needed', () => {
    const keyId = storedKeys(dir)[0]!
    const wrong = run('index', { ...env, SLUICE_SECRET_KEY: generateKeyText() })
    expect(wrong.status).not.toBe(0)
    expect(wrong.stderr).toMatch(
      new RegExp(
        `Sluice cannot start: the stored credentials were encrypted with key ${keyId}, but the configured key is [0-9a-f]{16}`,
      ),
    )
    const malformed = run('index', { ...env, SLUICE_SECRET_KEY: 'not-a-key' })
    expect(malformed.stderr).toMatch(/SLUICE_SECRET_KEY is not a 32-byte key in base64 or hex/)
    const file = path.join(dir, 'secret.key')
    fs.renameSync(file, `${file}.away`)
    try {
      const missing = run('index', env)
      expect(missing.status).not.toBe(0)
      expect(missing.stderr).toMatch(
        new RegExp(`no secret\\.key, but the database holds credentials encrypted with key ${keyId}`),
      )
      // It did not write a new key over secrets it cannot open.
      expect(fs.existsSync(file)).toBe(false)
    } finally {
      fs.renameSync(`${file}.away`, file)
    }
  }, 120_000)

  it('rotates every secret to a new key file, keeping the old key beside it', async () => {
    const before = parseKeyText(fs.readFileSync(path.join(dir, 'secret.key'), 'utf8'))!
    const rotated = run('rotate-key', env)
    expect(rotated.status, rotated.stderr).toBe(0)
    expect(rotated.stdout).toMatch(/re-encrypted 1 authorizations, 0 OAuth clients and 1 alert rules/)
    const after = parseKeyText(fs.readFileSync(path.join(dir, 'secret.key'), 'utf8'))!
    expect(after.id).not.toBe(before.id)
    expect(parseKeyText(fs.readFileSync(path.join(dir, `secret.key.${before.id}.old`), 'utf8'))!.id).toBe(
      before.id,
    )
    expect(storedKeys(dir)).toEqual([after.id])
    expect(await testConnection()).toEqual({ ok: true, message: 'connected to Acme' })
  }, 240_000)

  it('finishes a rotation cut short between the commit and the key file swap', async () => {
    const current = parseKeyText(fs.readFileSync(path.join(dir, 'secret.key'), 'utf8'))!
    // As if rotate-key died after committing: the secrets name the next key, the file the old one.
    const next = generateKeyText()
    const rotated = run('rotate-key', {
      ...env,
      SLUICE_SECRET_KEY: fs.readFileSync(path.join(dir, 'secret.key'), 'utf8').trim(),
      SLUICE_NEW_SECRET_KEY: next,
    })
    expect(rotated.status, rotated.stderr).toBe(0)
    expect(rotated.stdout).toMatch(/set SLUICE_SECRET_KEY to the new key/)
    fs.writeFileSync(path.join(dir, 'secret.key.next'), `${next}\n`, { mode: 0o600 })
    expect(await testConnection()).toEqual({ ok: true, message: 'connected to Acme' })
    expect(parseKeyText(fs.readFileSync(path.join(dir, 'secret.key'), 'utf8'))!.id).toBe(
      parseKeyText(next)!.id,
    )
    expect(fs.existsSync(path.join(dir, `secret.key.${current.id}.old`))).toBe(true)
    expect(fs.existsSync(path.join(dir, 'secret.key.next'))).toBe(false)
  }, 240_000)

  it('with SLUICE_SECRET_KEY, needs the new key given and refuses the same key', () => {
    const key = fs.readFileSync(path.join(dir, 'secret.key'), 'utf8').trim()
    const none = run('rotate-key', { ...env, SLUICE_SECRET_KEY: key })
    expect(none.status).toBe(1)
    expect(none.stderr).toMatch(/give the new key as SLUICE_NEW_SECRET_KEY/)
    const same = run('rotate-key', { ...env, SLUICE_SECRET_KEY: key, SLUICE_NEW_SECRET_KEY: key })
    expect(same.stderr).toMatch(/the new key is the current key/)
  }, 120_000)
})
