import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import SQLite from 'better-sqlite3'
import type pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CRASH_ENV, until } from '../support/crash.ts'
import { type RunningSluice, signInRemote, startSluice } from '../support/server.ts'
import { startWarehouse, type Warehouse } from '../support/warehouse.ts'

const ROWS = 60_000

describe('PostgreSQL → Sluice → PostgreSQL under kill -9 [sqlite]', () => {
  let warehouse: Warehouse
  let crm: pg.Client
  const processes: RunningSluice[] = []
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-pg-crash-'))
  beforeAll(async () => {
    warehouse = await startWarehouse(['crm'])
    crm = await warehouse.client('crm')
    await crm.query(`
      CREATE TABLE contacts (id int PRIMARY KEY, email text NOT NULL, plan text, updated_at timestamptz NOT NULL);
      INSERT INTO contacts SELECT n, 'p' || n || '@crash.example', 'plan' || (n % 5),
        '2026-01-01T00:00:00Z'::timestamptz + (n % 997) * interval '1 second'
        FROM generate_series(1, ${ROWS}) AS n;
      CREATE INDEX ON contacts (updated_at, id);`)
  }, 60_000)
  afterAll(async () => {
    for (const sluice of processes) await sluice.stop()
    await crm?.end()
    warehouse?.stop()
    fs.rmSync(dir, { recursive: true, force: true })
  })
  const start = async () => {
    const sluice = await startSluice(CRASH_ENV, { dataDir: dir })
    processes.push(sluice)
    return sluice
  }

  it('kill -9 mid-import and mid-export: every row arrives once, each restart resumes from its checkpoint', async () => {
    let sluice = await start()
    const admin = await signInRemote(sluice.base)
    const authorization = await admin.call('POST', '/api/authorizations', {
      name: 'CRM',
      provider: 'postgres',
      method: 'basic',
      credentials: warehouse.credentials('crm'),
    })
    expect(authorization.status).toBe(201)
    const audience = await admin.call('POST', '/api/audiences', {
      name: 'Everyone',
      filter: { field: 'email', op: 'exists' },
    })
    const node = (id: string, kind: string, jobType: string, data: Record<string, unknown>) => ({
      id,
      kind,
      provider: 'postgres',
      jobType,
      name: id,
      position: { x: 0, y: 0 },
      data,
    })
    const document = {
      version: 1,
      nodes: [
        node('src', 'source', 'rows', {
          config: { table: 'contacts', cursorColumn: 'updated_at', batchSize: 500 },
          cadence: 'once',
        }),
        {
          id: 'aud',
          kind: 'audience',
          name: 'Everyone',
          position: { x: 0, y: 0 },
          data: { audienceId: audience.json.id },
        },
        node('dst', 'destination', 'table', { config: { table: 'copy' } }),
        {
          id: 'auth',
          kind: 'authorization',
          provider: 'postgres',
          name: 'CRM',
          position: { x: 0, y: 0 },
          data: { authorizationId: authorization.json.id },
        },
      ],
      edges: [
        { id: 'a', source: 'src', target: 'aud' },
        { id: 'b', source: 'aud', target: 'dst' },
        { id: 'c', source: 'auth', target: 'src' },
        { id: 'd', source: 'auth', target: 'dst' },
      ],
    }
    const created = await admin.call('POST', '/api/pipelines', { name: 'Copy', document })
    const deployed = await admin.call('POST', `/api/pipelines/${created.json.id}/deploy`, {})
    expect(deployed.status).toBe(200)
    const jobOf = (id: string) =>
      (deployed.json.jobs as { nodeId: string; jobId: string }[]).find((job) => job.nodeId === id)!.jobId
    const db = new SQLite(path.join(dir, 'sluice.db'), { timeout: 5000 })
    const stored = () =>
      db
        .prepare('select count(*) n, count(distinct record_key) d from raw_messages where job_id = ?')
        .get(jobOf('src')) as { n: number; d: number }
    const kill = async () => {
      sluice.process.kill('SIGKILL')
      expect((await sluice.exited).signal).toBe('SIGKILL')
      sluice = await start()
    }
    for (const at of [8000, 25_000, 42_000]) {
      await until(`${at} imported rows`, () => stored().n >= at)
      await kill()
      // One read transaction: the restarted process may commit its next batch between two reads.
      const { after, state } = db.transaction(() => ({
        after: stored(),
        state: (db.prepare('select state from jobs where id = ?').get(jobOf('src')) as { state: string })
          .state,
      }))()
      expect(after.d).toBe(after.n)
      // Rows and checkpoint commit together: the rows up to the checkpoint are exactly those stored.
      const { at: position } = JSON.parse(state) as { at: { cursor: string; key: string[] } }
      const upTo = await crm.query(
        'SELECT count(*)::int AS n FROM contacts WHERE (updated_at, id) <= ($1, $2)',
        [position.cursor, position.key[0]],
      )
      expect(upTo.rows[0].n).toBe(after.n)
    }
    const copied = async () =>
      Number(
        (await crm.query('SELECT count(*) AS n FROM copy').catch(() => ({ rows: [{ n: 0 }] }))).rows[0].n,
      )
    await until('part of the export', async () => (await copied()) >= 5000, 120_000)
    await kill()
    await until('the whole export', async () => (await copied()) === ROWS, 180_000)
    expect(stored()).toEqual({ n: ROWS, d: ROWS })
    const again = await signInRemote(sluice.base)
    const source = (await again.call('GET', `/api/jobs/${jobOf('src')}`)).json
    expect(source).toMatchObject({ status: 'completed', lastError: null })
    const mismatched = await crm.query(
      `SELECT count(*)::int AS n FROM contacts c FULL JOIN copy ON copy.id = c.email
        WHERE copy.id IS NULL OR c.id IS NULL OR copy.plan IS DISTINCT FROM c.plan`,
    )
    expect(mismatched.rows[0].n).toBe(0)
    db.close()
  }, 400_000)
})
