import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import SQLite from 'better-sqlite3'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { CRASH_ENV, deployScripted, until } from '../support/crash.ts'
import { openTestDatabase } from '../support/dialects.ts'
import { type KeyedApi, startKeyedApi } from '../support/keyed-api.ts'
import { type RunningSluice, signInRemote, startSluice } from '../support/server.ts'

const script = (name: string, args: string[], env: Record<string, string>) =>
  spawnSync(process.execPath, ['--import', 'tsx', `server/${name}.ts`, ...args], {
    env: { ...process.env, ...env },
    encoding: 'utf8',
  })

/** What a user sees of a deployment, through the API. */
async function snapshot(base: string) {
  const admin = await signInRemote(base)
  const pipelines = (await admin.call('GET', '/api/pipelines')).json
  const jobs = []
  for (const job of (await admin.call('GET', '/api/jobs?sort=name')).json) {
    const detail = (await admin.call('GET', `/api/jobs/${job.id}`)).json
    const runs = (await admin.call('GET', `/api/jobs/${job.id}/runs`)).json
    const logs = (await admin.call('GET', `/api/jobs/${job.id}/logs`)).json
    jobs.push({ ...detail, runs, logs })
  }
  const profiles = []
  for (const { id } of (await admin.call('GET', '/api/profiles?limit=1000')).json)
    profiles.push((await admin.call('GET', `/api/profiles/${id}`)).json)
  profiles.sort((x, y) => (x.id < y.id ? -1 : 1))
  return {
    pipelines,
    jobs,
    profiles,
    audiences: (await admin.call('GET', '/api/audiences')).json,
    streams: (await admin.call('GET', '/api/streams')).json,
    alerts: (await admin.call('GET', '/api/alerts')).json,
    authorizations: (await admin.call('GET', '/api/authorizations')).json,
    dataKeys: (await admin.call('GET', '/api/data-keys')).json,
    // Signing in to look moves the last sign-in time: who the users are is what must carry over.
    users: (await admin.call('GET', '/api/users')).json.map((user: Record<string, unknown>) => ({
      id: user.id,
      email: user.email,
      role: user.role,
    })),
  }
}

describe.skipIf(!inject('pgUrl'))('migrate-to: a SQLite deployment moved into PostgreSQL', () => {
  let database: Awaited<ReturnType<typeof openTestDatabase>>
  const processes: RunningSluice[] = []
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-migrate-'))
  let keyedApi: KeyedApi
  beforeAll(async () => {
    database = await openTestDatabase('postgres', { migrate: false })
    keyedApi = await startKeyedApi(['migrated-key-123'])
  })
  afterAll(async () => {
    await keyedApi?.close()
    for (const sluice of processes) await sluice.stop()
    fs.rmSync(dir, { recursive: true, force: true })
    await database?.close()
  })

  it('copies users, pipelines, jobs with checkpoints, messages, profiles and alerts; start:api serves the same', async () => {
    const sqlite = await startSluice({ ...CRASH_ENV }, { dataDir: dir, scripted: true })
    processes.push(sqlite)
    const admin = await signInRemote(sqlite.base)
    const job = await deployScripted(sqlite.base, { records: 40, batchSize: 10, total: 40 }, 'once')
    const key = (await admin.call('POST', '/api/data-keys', { name: 'Web' })).json.key as string
    for (const body of [
      { email: 'ann@example.com', plan: 'pro' },
      { email: 'ann@example.com', user_id: 'u1', city: 'Oslo' },
      { email: 'bo@example.com', plan: 'free' },
    ]) {
      const sent = await fetch(`${sqlite.base}/collect/json/web`, {
        method: 'POST',
        headers: { authorization: key, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      })
      expect(sent.status).toBe(200)
    }
    expect(
      (
        await admin.call('POST', '/api/audiences', {
          name: 'Pros',
          filter: { field: 'plan', op: 'eq', value: 'pro' },
        })
      ).status,
    ).toBe(201)
    expect(
      (
        await admin.call('POST', '/api/alerts', {
          name: 'Failed',
          condition: { kind: 'failed' },
          targets: [
            { type: 'webhook', url: 'https://hooks.example.com/x', secret: 'sixteen-characters-at-least' },
          ],
        })
      ).status,
    ).toBe(201)
    const keyed = await admin.call('POST', '/api/authorizations', {
      name: 'Keyed',
      provider: 'keyed',
      method: 'apikey',
      credentials: { baseUrl: keyedApi.url, apiKey: 'migrated-key-123' },
    })
    expect(keyed.status).toBe(201)
    await until(
      'the import to complete',
      async () => (await admin.call('GET', `/api/jobs/${job}`)).json.status === 'completed',
    )
    const before = await snapshot(sqlite.base)
    expect(before.jobs.find((j) => j.id === job).checkpoint).toEqual({ offset: 40 })
    await sqlite.stop()

    const env = { SLUICE_DATA_DIR: dir, SLUICE_DB: '' }
    const bad = script('migrate-to', ['mysql://nope'], env)
    expect(bad.status).toBe(1)
    expect(bad.stderr).toMatch(/give the PostgreSQL database to copy into/)
    const moved = script('migrate-to', [database.url], env)
    expect(moved.status, moved.stderr).toBe(0)
    expect(moved.stdout).toMatch(/raw_messages: 43 rows/)
    expect(moved.stdout).toMatch(/done: \d+ tables, [\d,]+ rows, every count checked/)
    // Twice into the same database: refused, nothing touched.
    const again = script('migrate-to', [database.url], env)
    expect(again.status).toBe(1)
    expect(again.stderr).toMatch(/already holds Sluice data/)

    const api = await startSluice(
      { ...CRASH_ENV, SLUICE_DB: database.url },
      { dataDir: dir, scripted: true, mode: 'api' },
    )
    processes.push(api)
    expect(await snapshot(api.base)).toEqual(before)
    // The sealed credentials moved with their key: they still open and work.
    const remote = await signInRemote(api.base)
    expect((await remote.call('POST', `/api/authorizations/${keyed.json.id}/test`, {})).json).toEqual({
      ok: true,
      message: 'connected to Acme',
    })
    // It carries on: the data key collects, with ingest sequences after the copied ones.
    const sent = await fetch(`${api.base}/collect/json/web`, {
      method: 'POST',
      headers: { authorization: key, 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'cy@example.com' }),
    })
    expect(sent.status, await sent.text()).toBe(200)
    const count = await database.db
      .selectFrom('raw_messages')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow()
    expect(Number(count.n)).toBe(44)
  }, 180_000)
})

describe('backup: a consistent SQLite copy while Sluice runs', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-backup-'))
  let sluice: RunningSluice | undefined
  afterAll(async () => {
    await sluice?.stop()
    fs.rmSync(dir, { recursive: true, force: true })
  })

  it('writes a checked copy under live traffic, and Sluice starts on it', async () => {
    sluice = await startSluice({ ...CRASH_ENV }, { dataDir: dir })
    const admin = await signInRemote(sluice.base)
    const key = (await admin.call('POST', '/api/data-keys', { name: 'Web' })).json.key as string
    let sending = true
    let sent = 0
    const traffic = (async () => {
      while (sending) {
        const response = await fetch(`${sluice!.base}/collect/json/web`, {
          method: 'POST',
          headers: { authorization: key, 'content-type': 'application/json' },
          body: JSON.stringify({ email: `p${sent}@example.com`, n: sent }),
        })
        if (response.status === 200) sent++
      }
    })()
    await until('some traffic', () => sent >= 200)
    const file = path.join(dir, 'copies', 'first.db')
    const backup = script('backup', [file], { SLUICE_DATA_DIR: dir, SLUICE_DB: '' })
    const during = sent
    sending = false
    await traffic
    expect(backup.status, backup.stderr).toBe(0)
    expect(backup.stdout).toMatch(/backup written to .*first\.db \([\d.]+ MB, \d+ ms, integrity ok\)/)
    // A snapshot of one instant: every stored message counted in its stream, and unified to a person.
    const copy = new SQLite(file, { readonly: true })
    const messages = (copy.prepare('select count(*) as n from raw_messages').get() as { n: number }).n
    const counted = (copy.prepare('select sum(message_count) as n from streams').get() as { n: number }).n
    const people = (copy.prepare('select count(*) as n from profiles').get() as { n: number }).n
    copy.close()
    expect(messages).toBeGreaterThanOrEqual(200)
    expect(messages).toBeLessThanOrEqual(during + 1)
    expect(counted).toBe(messages)
    expect(people).toBe(messages)
    const refused = script('backup', [file], { SLUICE_DATA_DIR: dir, SLUICE_DB: '' })
    expect(refused.status).toBe(1)
    expect(refused.stderr).toMatch(/exists already/)
    await sluice.stop()
    sluice = undefined

    const restored = path.join(dir, 'restored')
    fs.mkdirSync(restored)
    fs.copyFileSync(file, path.join(restored, 'sluice.db'))
    sluice = await startSluice({ ...CRASH_ENV }, { dataDir: restored })
    const back = await signInRemote(sluice.base)
    const streams = (await back.call('GET', '/api/streams')).json
    expect(streams).toMatchObject([{ name: 'web', messageCount: messages }])
  }, 120_000)
})
