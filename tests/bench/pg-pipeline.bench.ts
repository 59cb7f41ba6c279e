import { type ChildProcess, spawn } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import pg from 'pg'
import { createApp } from '../../server/app.ts'
import { openDeps } from '../../server/bootstrap.ts'
import { loadConfig } from '../../server/config.ts'
import type { Job } from '../../server/db/schema.ts'
import { runExportUnit } from '../../server/executor/export-unit.ts'
import { runImportUnit } from '../../server/executor/import-unit.ts'
import { claimDue } from '../../server/executor/leases.ts'
import { readAhead } from '../../server/executor/read-ahead.ts'
import { connectorFor } from '../../server/executor/run-lifecycle.ts'
import { createLogger } from '../../server/log.ts'
import { findPostgresBin, startPostgres } from '../support/postgres.ts'

/**
 * PostgreSQL source → Sluice → PostgreSQL destination (issue 8): N rows (default 1,000,000) read
 * from a table, stored as raw messages, unified into profiles (one per row) and delivered to a
 * table Sluice creates — against `COPY (…) TO STDOUT` piped into `COPY … FROM STDIN` between the
 * same two databases in the same run (two psql processes and a pipe). Sluice's store is SQLite,
 * as `npm start` runs it, or with BENCH_STORE=pg a third database on the same server. Target:
 * rows/s at least 0.2 of the pipe's (Airbyte publishes ~0.05).
 *
 * For reference it also prints what the two connectors reach piped straight into each other,
 * with no store, unification or delivery state in between: the part of the gap that is reading
 * and writing through the driver, which no change to the data plane can win back. And the other
 * bound: this process's CPU time beyond the connectors', the rate Sluice's own work allows even if
 * reading and writing were free.
 */
const ROWS = Number(process.env.BENCH_ROWS ?? 1_000_000)
const TARGET = 0.2
const STORE = process.env.BENCH_STORE === 'pg' ? 'PostgreSQL' : 'SQLite'

const bin = findPostgresBin()
if (!bin) throw new Error('PostgreSQL is not installed: apt-get install -y postgresql')
const server = await startPostgres(bin)
const url = (database: string) => server.url.replace(/\/postgres$/, `/${database}`)
const admin = new pg.Client({ connectionString: server.url })
await admin.connect()
await admin.query('CREATE DATABASE crm')
await admin.query('CREATE DATABASE mart')
await admin.query('CREATE DATABASE store')
const crm = new pg.Client({ connectionString: url('crm') })
await crm.connect()
const mart = new pg.Client({ connectionString: url('mart') })
await mart.connect()
await crm.query(`
  CREATE TABLE contacts (id int PRIMARY KEY, email text NOT NULL, first_name text, plan text,
    country text, visits int, updated_at timestamptz NOT NULL);
  INSERT INTO contacts SELECT n, 'p' || n || '@bench.example', 'Person ' || n,
    (ARRAY['free', 'pro', 'team'])[1 + n % 3], (ARRAY['US', 'GB', 'DE', 'FR'])[1 + n % 4], n % 100,
    '2026-01-01T00:00:00Z'::timestamptz + n * interval '1 millisecond'
    FROM generate_series(1, ${ROWS}) AS n;
  CREATE INDEX ON contacts (updated_at, id);
  ANALYZE contacts;`)

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-bench-pg-'))
const config = loadConfig({
  SLUICE_DATA_DIR: dataDir,
  // A PostgreSQL store wants the master key every process shares; any fixed one does here.
  ...(STORE === 'PostgreSQL'
    ? { SLUICE_DB: url('store'), SLUICE_SECRET_KEY: Buffer.alloc(32, 7).toString('base64') }
    : {}),
  SLUICE_ADMIN_EMAIL: 'bench@example.com',
  SLUICE_ADMIN_PASSWORD: 'bench-password',
  SLUICE_ALLOW_PRIVATE_NETWORK: '1',
})
const { deps, close } = await openDeps(config, createLogger({ level: 'silent' }))

/** The pipe: what moving the rows costs PostgreSQL itself, with nothing in between. */
async function copyPipe(): Promise<number> {
  await mart.query(`DROP TABLE IF EXISTS piped;
    CREATE TABLE piped (id int PRIMARY KEY, email text, first_name text, plan text, country text, visits int, updated_at timestamptz)`)
  const client = path.join(bin!, 'psql')
  const began = performance.now()
  const out = spawn(
    client,
    [url('crm'), '-qc', 'COPY (SELECT * FROM contacts ORDER BY updated_at, id) TO STDOUT'],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  )
  const into = spawn(client, [url('mart'), '-qc', 'COPY piped FROM STDIN'], {
    stdio: ['pipe', 'ignore', 'inherit'],
  })
  out.stdout.pipe(into.stdin)
  const exited = (child: ChildProcess) =>
    new Promise<void>((resolve, reject) =>
      child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`psql exited with ${code}`)))),
    )
  await Promise.all([exited(out), exited(into)])
  const seconds = (performance.now() - began) / 1000
  const copied = Number((await mart.query('SELECT count(*) AS n FROM piped')).rows[0].n)
  if (copied !== ROWS) throw new Error(`the pipe copied ${copied} rows`)
  return seconds
}

/** The deployed source's batches written by the deployed destination's connector to `table`. */
async function connectorsAlone(sourceJobId: string, destinationJobId: string, table: string) {
  const job = (id: string) =>
    deps.db.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirstOrThrow()
  const signal = new AbortController().signal
  const source = await connectorFor(deps, await job(sourceJobId), 'import', signal)
  const destination = await connectorFor(deps, await job(destinationJobId), 'export', signal)
  async function* asPeople() {
    // Read ahead as an import does: the next FETCH overlaps this batch's write.
    for await (const batch of readAhead(source.connector.read(source.ctx, { checkpoint: null })))
      yield {
        upserts: batch.records.map((record) => ({ id: String(record.data.email), fields: record.data })),
        removes: [],
      }
  }
  const began = performance.now()
  const cpuBefore = process.cpuUsage()
  const ctx = { ...destination.ctx, config: { ...destination.ctx.config, table } }
  for await (const _ack of destination.connector.write(ctx, asPeople()));
  return { seconds: (performance.now() - began) / 1000, cpu: cpuSeconds(cpuBefore) }
}

/** This process's CPU time (user and system) since `before`, in seconds. */
function cpuSeconds(before: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(before)
  return (used.user + used.system) / 1e6
}

/** Runs one claimed job's unit of work to its end. */
async function runOnce(jobId: string, run: (job: Job) => Promise<unknown>) {
  await deps.db
    .updateTable('jobs')
    .set({ next_run_at: new Date(0).toISOString() })
    .where('id', '=', jobId)
    .execute()
  const [job] = await claimDue(deps.db, { owner: 'bench', ttlMs: 3_600_000, now: new Date(), limit: 1 })
  if (job?.id !== jobId) throw new Error('the job was not due')
  return run(job)
}

try {
  const app = createApp(deps)
  const headers = { 'content-type': 'application/json', origin: 'http://localhost:8080' }
  const login = await app.request('/api/auth/login', {
    method: 'POST',
    headers,
    body: JSON.stringify({ email: 'bench@example.com', password: 'bench-password' }),
  })
  const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0]!
  const call = async (route: string, body: unknown) => {
    const answer = await app.request(route, {
      method: 'POST',
      headers: { ...headers, cookie },
      body: JSON.stringify(body),
    })
    const json = (await answer.json()) as Record<string, unknown>
    if (!answer.ok) throw new Error(`${route}: ${JSON.stringify(json)}`)
    return json
  }
  const where = new URL(server.url)
  const authorization = await call('/api/authorizations', {
    name: 'Bench PostgreSQL',
    provider: 'postgres',
    method: 'basic',
    credentials: {
      host: where.hostname,
      port: Number(where.port),
      database: 'crm',
      username: 'postgres',
      password: 'unused-with-trust',
      ssl: 'disable',
    },
  })
  const martAuthorization = await call('/api/authorizations', {
    name: 'Bench mart',
    provider: 'postgres',
    method: 'basic',
    credentials: {
      host: where.hostname,
      port: Number(where.port),
      database: 'mart',
      username: 'postgres',
      password: 'unused-with-trust',
      ssl: 'disable',
    },
  })
  const audience = await call('/api/audiences', {
    name: 'Everyone',
    filter: { field: 'email', op: 'exists' },
  })
  const node = (id: string, kind: string, jobType: string, config: Record<string, unknown>) => ({
    id,
    kind,
    provider: 'postgres',
    jobType,
    name: id,
    position: { x: 0, y: 0 },
    data: { config, cadence: { every: '1h' } },
  })
  const auth = (id: string, authorizationId: unknown) => ({
    id,
    kind: 'authorization',
    provider: 'postgres',
    name: id,
    position: { x: 0, y: 0 },
    data: { authorizationId },
  })
  const pipeline = await call('/api/pipelines', {
    name: 'Copy',
    document: {
      version: 1,
      nodes: [
        node('src', 'source', 'rows', { table: 'contacts', cursorColumn: 'updated_at', batchSize: 5000 }),
        {
          id: 'aud',
          kind: 'audience',
          name: 'Everyone',
          position: { x: 0, y: 0 },
          data: { audienceId: audience.id },
        },
        node('dst', 'destination', 'table', { table: 'copied' }),
        auth('in', authorization.id),
        auth('out', martAuthorization.id),
      ],
      edges: [
        { id: 'a', source: 'src', target: 'aud' },
        { id: 'b', source: 'aud', target: 'dst' },
        { id: 'c', source: 'in', target: 'src' },
        { id: 'd', source: 'out', target: 'dst' },
      ],
    },
  })
  const deployed = (await call(`/api/pipelines/${pipeline.id}/deploy`, {})) as {
    jobs: { nodeId: string; jobId: string }[]
  }
  const jobOf = (id: string) => deployed.jobs.find((job) => job.nodeId === id)!.jobId
  await deps.db.updateTable('jobs').set({ status: 'paused' }).execute()
  await deps.db
    .updateTable('jobs')
    .set({ status: 'sleeping' })
    .where('id', 'in', [jobOf('src'), jobOf('dst')])
    .execute()
  await deps.db.updateTable('jobs').set({ next_run_at: '9999-01-01T00:00:00.000Z' }).execute()

  const pipeSeconds = await copyPipe()
  const alone = await connectorsAlone(jobOf('src'), jobOf('dst'), 'passed')
  const began = performance.now()
  const cpuBefore = process.cpuUsage()
  await runOnce(jobOf('src'), (job) => runImportUnit(deps, job, 'bench'))
  const imported = (performance.now() - began) / 1000
  await runOnce(jobOf('dst'), (job) => runExportUnit(deps, job, 'bench'))
  const seconds = (performance.now() - began) / 1000
  const cpu = cpuSeconds(cpuBefore)
  const copied = Number((await mart.query('SELECT count(*) AS n FROM copied')).rows[0].n)
  const pipeRate = ROWS / pipeSeconds
  const ourRate = ROWS / seconds
  const ratio = ourRate / pipeRate
  console.log(`  COPY TO STDOUT | COPY FROM STDIN: ${pipeRate.toFixed(0)} rows/s`)
  const aloneRate = ROWS / alone.seconds
  console.log(
    `  reference, the two connectors piped with nothing between: ${aloneRate.toFixed(0)} rows/s, ratio ${(aloneRate / pipeRate).toFixed(3)}`,
  )
  // Sluice's own share of this process's CPU: what it spends beyond the connectors' reading and
  // writing. Even were reading and writing free and fully overlapped, it bounds the rate.
  const ownCpu = cpu - alone.cpu
  const ownRate = ROWS / ownCpu
  console.log(
    `  reference, Sluice's own work (this process's CPU beyond the connectors'): ${ownCpu.toFixed(1)} s, at most ${ownRate.toFixed(0)} rows/s, ratio ${(ownRate / pipeRate).toFixed(3)}`,
  )
  console.log(
    `  Sluice (${STORE} store): ${ourRate.toFixed(0)} rows/s end to end — import and unify ${imported.toFixed(1)} s, export ${(seconds - imported).toFixed(1)} s; ${copied} rows delivered`,
  )
  const met = ratio >= TARGET && copied === ROWS
  console.log(`  ratio ${ratio.toFixed(3)} (target ≥ ${TARGET}): ${met ? 'target met' : 'target missed'}`)
  process.exitCode = met ? 0 : 1
} finally {
  await close()
  await crm.end()
  await mart.end()
  await admin.end()
  server.stop()
  fs.rmSync(dataDir, { recursive: true, force: true })
}
