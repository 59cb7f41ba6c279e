import { type ChildProcess, spawn } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { Kysely, PostgresDialect, sql } from 'kysely'
import pg from 'pg'
import { migrateToLatest, openDatabase } from '../../server/db/database.ts'
import { newId } from '../../server/db/ids.ts'
import type { NewJob } from '../../server/db/schema.ts'
import { findPostgresBin, startPostgres } from '../support/postgres.ts'
import { ADMIN_ENV, type RunningSluice, startSluice } from '../support/server.ts'

/**
 * Claim-and-complete throughput on PostgreSQL (issue 6): N no-op jobs due at once, run by 4 Sluice
 * worker processes (`start:worker`, 4 units each), against 4 graphile-worker processes
 * (concurrency 4 each) on the same server in the same run. Each Sluice unit is a real one — claim
 * under a lease, run row, Started and Synced logs with their outbox events, release — over a
 * source with nothing to read. Target: ≥ 0.5 of graphile-worker's jobs/s, with no job run twice.
 * Also printed: CPU per job of the workers and of PostgreSQL, from /proc. This machine's CPU time
 * per job varies by half from run to run, so both run in alternating rounds, on fresh databases,
 * and the medians are compared.
 */
const JOBS = Number(process.env.BENCH_JOBS ?? 4000)
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3)
const WORKERS = 4
const CONCURRENCY = 4
const TARGET = 0.5

const server = await startPostgres(findPostgresBin() ?? '')
const admin = new pg.Client({ connectionString: server.url })
await admin.connect()
/** A fresh database for one system's round. */
async function freshDatabase(name: string): Promise<string> {
  await admin.query(`create database ${name}`)
  return server.url.replace(/\/postgres$/, `/${name}`)
}
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

async function until(probe: () => Promise<boolean>) {
  while (!(await probe())) await sleep(20)
}

/** CPU time (ms) a process has used, from /proc; 0 once it is gone. */
function cpuMs(pid: number): number {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
    return (Number(fields[11]) + Number(fields[12])) * 10
  } catch {
    return 0
  }
}
const postgresMs = () =>
  fs
    .readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((entry) => {
      try {
        return fs.readFileSync(`/proc/${entry}/comm`, 'utf8').trim() === 'postgres'
      } catch {
        return false
      }
    })
    .reduce((sum, entry) => sum + cpuMs(Number(entry)), 0)

/** Runs `work` and returns jobs/s with the CPU per job it cost `pids` and PostgreSQL. */
async function measure(pids: number[], work: () => Promise<void>) {
  const workers0 = pids.reduce((sum, pid) => sum + cpuMs(pid), 0)
  const postgres0 = postgresMs()
  const started = performance.now()
  await work()
  const seconds = (performance.now() - started) / 1000
  const workerCpu = (pids.reduce((sum, pid) => sum + cpuMs(pid), 0) - workers0) / JOBS
  const postgresCpu = (postgresMs() - postgres0) / JOBS
  return {
    rate: JOBS / seconds,
    cpu: `CPU per job ${workerCpu.toFixed(2)} ms workers, ${postgresCpu.toFixed(2)} ms PostgreSQL`,
  }
}

const noop = (i: number, now: string): NewJob => ({
  id: newId(),
  name: `noop ${i}`,
  description: '',
  provider: 'scripted',
  job_type: 'people',
  type: 'import',
  config: JSON.stringify({ records: 0 }),
  cadence: JSON.stringify({ every: '1h' }),
  status: 'sleeping',
  status_changed_at: now,
  sleep_reason: 'schedule',
  next_run_at: now,
  consecutive_errors: 0,
  created_by: 'bench',
  updated_by: 'bench',
  created_at: now,
  updated_at: now,
})

async function sluice(round: number) {
  const url = await freshDatabase(`sluice_${round}`)
  const database = openDatabase(url)
  await migrateToLatest(database.db)
  const workers: RunningSluice[] = []
  const dirs: string[] = []
  for (let n = 0; n < WORKERS; n++) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-claim-bench-'))
    dirs.push(dir)
    const env = {
      ...ADMIN_ENV,
      SLUICE_DB: url,
      SLUICE_LOG_LEVEL: 'warn',
      SLUICE_SKIP_CLIENT_BUILD: '1',
      SLUICE_WORKER_CONCURRENCY: String(CONCURRENCY),
    }
    workers.push(await startSluice(env, { dataDir: dir, scripted: true, mode: 'worker' }))
  }
  const result = await measure(
    workers.map((worker) => worker.process.pid!),
    async () => {
      const now = new Date().toISOString()
      for (let i = 0; i < JOBS; i += 500) {
        const batch = Array.from({ length: Math.min(500, JOBS - i) }, (_, k) => noop(i + k, now))
        await database.db.insertInto('jobs').values(batch).execute()
      }
      // What autovacuum's analyze does within a minute of a bulk deploy: without it the planner
      // takes the jobs table for empty and sorts every due row at each claim.
      await sql`analyze jobs`.execute(database.db)
      await sql`select pg_notify('sluice_wake', '')`.execute(database.db)
      await until(
        async () =>
          (
            await sql<{
              n: number
            }>`select count(*)::int as n from job_runs where ended_at is not null`.execute(database.db)
          ).rows[0]!.n >= JOBS,
      )
    },
  )
  const { rows } = await sql<{ n: number; jobs: number; ok: number }>`select count(*)::int as n,
    count(distinct job_id)::int as jobs, count(*) filter (where outcome = 'success')::int as ok from job_runs`.execute(
    database.db,
  )
  const { n, jobs, ok } = rows[0]!
  if (n !== JOBS || jobs !== JOBS || ok !== JOBS)
    throw new Error(`double or failed runs: ${n} runs of ${jobs} jobs, ${ok} succeeded`)
  for (const worker of workers) await worker.stop()
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true })
  await database.close()
  return result
}

async function graphile(round: number) {
  const url = await freshDatabase(`graphile_${round}`)
  const children: ChildProcess[] = []
  const runner = path.join(import.meta.dirname, 'support', 'graphile-runner.ts')
  for (let n = 0; n < WORKERS; n++) {
    const child = spawn(process.execPath, ['--import', 'tsx', runner], {
      env: { ...process.env, GRAPHILE_DB: url, GRAPHILE_CONCURRENCY: String(CONCURRENCY) },
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    children.push(child)
    await new Promise<void>((resolve, reject) => {
      child.stdout!.on('data', (chunk) => String(chunk).includes('ready') && resolve())
      child.once('exit', (code) => reject(new Error(`graphile-worker exited with ${code}`)))
    })
  }
  const db = new Kysely<unknown>({
    dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: url }) }),
  })
  const result = await measure(
    children.map((child) => child.pid!),
    async () => {
      await sql`select graphile_worker.add_jobs(array(select json_populate_record(null::graphile_worker.job_spec,
        json_build_object('identifier', 'noop', 'payload', '{}'::json)) from generate_series(1, ${JOBS})))`.execute(
        db,
      )
      await until(
        async () =>
          (await sql<{ n: number }>`select count(*)::int as n from graphile_worker.jobs`.execute(db)).rows[0]!
            .n === 0,
      )
    },
  )
  await Promise.all(
    children.map((child) => {
      child.removeAllListeners('exit')
      const exited = new Promise((resolve) => child.once('exit', resolve))
      child.kill('SIGTERM')
      return exited
    }),
  )
  await db.destroy()
  return result
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!
try {
  const theirs: number[] = []
  const ours: number[] = []
  for (let round = 1; round <= ROUNDS; round++) {
    const g = await graphile(round)
    const s = await sluice(round)
    theirs.push(g.rate)
    ours.push(s.rate)
    console.log(
      `round ${round}: graphile-worker ${Math.round(g.rate)} jobs/s (${g.cpu}); Sluice ${Math.round(s.rate)} jobs/s, no job run twice (${s.cpu})`,
    )
  }
  const ratio = median(ours) / median(theirs)
  console.log(
    `medians (${WORKERS} processes × ${CONCURRENCY} each): graphile-worker ${Math.round(median(theirs))} jobs/s, ` +
      `Sluice ${Math.round(median(ours))} jobs/s; ratio ${ratio.toFixed(2)} (target ≥ ${TARGET}): ${ratio >= TARGET ? 'target met' : 'target missed'}`,
  )
  process.exitCode = ratio >= TARGET ? 0 : 1
} finally {
  await admin.end()
  server.stop()
}
