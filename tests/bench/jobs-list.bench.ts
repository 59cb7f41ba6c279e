import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import autocannon from 'autocannon'
import { openDeps } from '../../server/bootstrap.ts'
import { loadConfig } from '../../server/config.ts'
import { newId } from '../../server/db/ids.ts'
import type { NewJob } from '../../server/db/schema.ts'
import { createLogger } from '../../server/log.ts'
import { BENCH_ADMIN, startBenchServer } from './bench-server.ts'

/**
 * GET /api/jobs over 10,000 jobs (100 per page, bearer token) against GET /api/health on the same
 * server, 50 connections each. Target: the list keeps at least 15% of health's throughput (a page of
 * 100 rows against `select 1`; measured 19–22% on 2 vCPUs), and a
 * page deep in the list (keyset cursor) at least 80% of the first page's.
 */
const JOBS = 10_000
const CONNECTIONS = 50
const SECONDS = Number(process.env.BENCH_SECONDS ?? 8)
const TARGET_LIST_RATIO = 0.15
const TARGET_DEEP_RATIO = 0.8

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-bench-'))
const config = loadConfig({
  SLUICE_DATA_DIR: dataDir,
  SLUICE_ADMIN_EMAIL: BENCH_ADMIN.email,
  SLUICE_ADMIN_PASSWORD: BENCH_ADMIN.password,
})
const { deps, close } = await openDeps(config, createLogger({ level: 'silent' }))
const admin = await deps.db.selectFrom('users').select('id').executeTakeFirstOrThrow()

const at = new Date('2026-01-01T00:00:00Z').getTime()
const rows: NewJob[] = []
for (let i = 0; i < JOBS; i++) {
  const when = new Date(at + i * 1000).toISOString()
  rows.push({
    id: newId(at + i * 1000),
    pipeline_id: `p${i % 100}`,
    node_id: `n${i}`,
    name: `Job ${i}`,
    description: '',
    provider: i % 2 ? 'sample' : 'file-export',
    job_type: i % 2 ? 'events' : 'file',
    type: i % 2 ? 'import' : 'export',
    authorization_id: null,
    config: '{"seed":42,"customers":1000,"eventsPerRun":500,"batchSize":250}',
    cadence: '{"every":"15m"}',
    mapping: null,
    status: 'sleeping',
    status_changed_at: when,
    sleep_reason: 'schedule',
    next_run_at: when,
    consecutive_errors: 0,
    created_by: admin.id,
    updated_by: admin.id,
    created_at: when,
    updated_at: when,
  })
}
await deps.db.transaction().execute(async (trx) => {
  for (let i = 0; i < rows.length; i += 500)
    await trx
      .insertInto('jobs')
      .values(rows.slice(i, i + 500))
      .execute()
})

await close()

const { base, cookie, server } = await startBenchServer(dataDir)
const tokenResponse = await fetch(`${base}/api/tokens`, {
  method: 'POST',
  headers: { 'content-type': 'application/json', origin: base, cookie },
  body: JSON.stringify({ name: 'bench', role: 'viewer' }),
})
const { token } = (await tokenResponse.json()) as { token: string }
const auth = { authorization: `Bearer ${token}` }

// A cursor 90 pages in: keyset paging should cost the same as the first page.
let cursor = ''
for (let page = 0; page < 90; page++) {
  const response = await fetch(`${base}/api/jobs?limit=100${cursor ? `&cursor=${cursor}` : ''}`, {
    headers: auth,
  })
  const body = (await response.json()) as unknown[]
  if (body.length !== 100) throw new Error(`page ${page} had ${body.length} jobs`)
  cursor = response.headers.get('x-next-cursor') ?? ''
}

async function measure(title: string, url: string, headers: Record<string, string> = {}) {
  const result = await autocannon({ url, connections: CONNECTIONS, duration: SECONDS, headers })
  if (result.non2xx || result.errors)
    throw new Error(`${title}: ${result.non2xx} non-2xx, ${result.errors} errors`)
  console.log(
    `${title.padEnd(28)} ${result.requests.average.toFixed(0).padStart(7)} req/s  p99 ${result.latency.p99} ms`,
  )
  return result.requests.average
}

const health = await measure('GET /api/health', `${base}/api/health`)
const list = await measure('GET /api/jobs (page 1)', `${base}/api/jobs?limit=100`, auth)
const deep = await measure('GET /api/jobs (page 91)', `${base}/api/jobs?limit=100&cursor=${cursor}`, auth)

const listRatio = list / health
const deepRatio = deep / list
console.log(`jobs list / health: ${listRatio.toFixed(3)} (target >= ${TARGET_LIST_RATIO})`)
console.log(`deep page / first page: ${deepRatio.toFixed(3)} (target >= ${TARGET_DEEP_RATIO})`)

server.kill('SIGTERM')
fs.rmSync(dataDir, { recursive: true, force: true })
process.exit(listRatio >= TARGET_LIST_RATIO && deepRatio >= TARGET_DEEP_RATIO ? 0 : 1)
