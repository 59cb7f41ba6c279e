import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { gzipSync } from 'node:zlib'
import SQLite from 'better-sqlite3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CRASH_ENV, until } from '../support/crash.ts'
import { type Bucketeer, startS3 } from '../support/s3.ts'
import { type RunningSluice, signInRemote, startSluice } from '../support/server.ts'
import { type SftpServer, sshdAvailable, startSftp } from '../support/sftp.ts'

const FILES = 6
const ROWS = 10_000
const T0 = Date.parse('2026-11-01T00:00:00Z')

/** File `n` of the drop: 10,000 people, every other file gzipped, a minute apart. */
function dropFile(n: number): { name: string; body: string; gzip: boolean; modified: Date } {
  const lines = ['id,email,plan']
  for (let i = 0; i < ROWS; i++) {
    const id = n * ROWS + i
    lines.push(`${id},p${id}@crash.example,plan${id % 5}`)
  }
  const gzip = n % 2 === 1
  return {
    name: `part-${n}.csv${gzip ? '.gz' : ''}`,
    body: `${lines.join('\n')}\n`,
    gzip,
    modified: new Date(T0 + n * 60_000),
  }
}

/**
 * A file source backfilling 60,000 rows, killed with SIGKILL three times mid-file: after each
 * restart the rows stored are exactly those its checkpoint covers, and in the end every row is
 * stored once.
 */
function crashes(
  provider: 's3' | 'sftp',
  source: () => { credentials: Record<string, unknown>; config: Record<string, unknown> },
) {
  const processes: RunningSluice[] = []
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `sluice-${provider}-crash-`))
  afterAll(async () => {
    for (const sluice of processes) await sluice.stop()
    fs.rmSync(dir, { recursive: true, force: true })
  })
  const start = async () => {
    const sluice = await startSluice(CRASH_ENV, { dataDir: dir })
    processes.push(sluice)
    return sluice
  }

  it('kill -9 mid-file: every row is stored once, each restart resumes after its last committed row', async () => {
    let sluice = await start()
    const admin = await signInRemote(sluice.base)
    const { credentials, config } = source()
    const authorization = await admin.call('POST', '/api/authorizations', {
      name: 'Landing',
      provider,
      method: provider === 's3' ? 'apikey' : 'basic',
      credentials,
    })
    expect(authorization.status).toBe(201)
    const document = {
      version: 1,
      nodes: [
        {
          id: 'src',
          kind: 'source',
          provider,
          jobType: 'files',
          name: 'Landing',
          position: { x: 0, y: 0 },
          data: { config: { ...config, batchSize: 500 }, cadence: 'once' },
        },
        {
          id: 'auth',
          kind: 'authorization',
          provider,
          name: 'Landing',
          position: { x: 0, y: 0 },
          data: { authorizationId: authorization.json.id },
        },
      ],
      edges: [{ id: 'a', source: 'auth', target: 'src' }],
    }
    const created = await admin.call('POST', '/api/pipelines', { name: 'Backfill', document })
    const deployed = await admin.call('POST', `/api/pipelines/${created.json.id}/deploy`, {})
    expect(deployed.status).toBe(200)
    const job = (deployed.json.jobs as { nodeId: string; jobId: string }[])[0]!.jobId
    const db = new SQLite(path.join(dir, 'sluice.db'), { timeout: 5000 })
    const stored = () =>
      db
        .prepare('select count(*) n, count(distinct record_key) d from raw_messages where job_id = ?')
        .get(job) as { n: number; d: number }
    for (const at of [4000, 23_000, 41_000]) {
      await until(`${at} imported rows`, () => stored().n >= at)
      sluice.process.kill('SIGKILL')
      expect((await sluice.exited).signal).toBe('SIGKILL')
      sluice = await start()
      // One read transaction: the restarted process keeps importing, so both reads must see the
      // same snapshot.
      const { after, state } = db.transaction(() => ({
        after: stored(),
        state: (db.prepare('select state from jobs where id = ?').get(job) as { state: string }).state,
      }))()
      expect(after.d).toBe(after.n)
      // Rows and checkpoint commit together: finished files plus the rows read of the current one
      // (CSV rows are numbered by line, the header being line 1) are exactly what is stored.
      const checkpoint = JSON.parse(state) as { recent: unknown[]; at: { row: number } | null }
      expect(checkpoint.recent.length * ROWS + (checkpoint.at ? checkpoint.at.row - 1 : 0)).toBe(after.n)
    }
    await until('the whole backfill', () => stored().n === FILES * ROWS, 180_000)
    expect(stored()).toEqual({ n: FILES * ROWS, d: FILES * ROWS })
    const ids = db
      .prepare("select count(distinct json_extract(payload, '$.id')) n from raw_messages where job_id = ?")
      .get(job) as { n: number }
    expect(ids.n).toBe(FILES * ROWS)
    const again = await signInRemote(sluice.base)
    await until(
      'completed',
      async () => (await again.call('GET', `/api/jobs/${job}`)).json.status === 'completed',
    )
    db.close()
  }, 300_000)
}

describe('S3 → Sluice under kill -9 [sqlite]', () => {
  let s3: Bucketeer
  beforeAll(async () => {
    s3 = await startS3(['landing'])
    for (let n = 0; n < FILES; n++) {
      const file = dropFile(n)
      await s3.put('landing', `daily/${file.name}`, file.body, file)
    }
  }, 60_000)
  afterAll(async () => s3?.stop())
  crashes('s3', () => ({ credentials: s3.credentials(), config: { bucket: 'landing', prefix: 'daily/' } }))
})

describe.runIf(sshdAvailable())('SFTP → Sluice under kill -9 [sqlite]', () => {
  let sftp: SftpServer
  beforeAll(async () => {
    sftp = await startSftp()
    for (let n = 0; n < FILES; n++) {
      const file = dropFile(n)
      sftp.put(`upload/daily/${file.name}`, file.gzip ? gzipSync(file.body) : file.body, file.modified)
    }
  }, 60_000)
  afterAll(async () => sftp?.stop())
  crashes('sftp', () => ({ credentials: sftp.credentials(), config: { folder: '/upload/daily' } }))
})
