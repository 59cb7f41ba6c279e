import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { createApp } from '../../server/app.ts'
import { openDeps } from '../../server/bootstrap.ts'
import { loadConfig } from '../../server/config.ts'
import { runExportUnit } from '../../server/executor/export-unit.ts'
import { claimDue } from '../../server/executor/leases.ts'
import { createLogger } from '../../server/log.ts'

/**
 * Export delta computation plus File export delivery of N profiles (default 1,000,000) in one run
 * (SQLite), against writing the same rows to a file from a bare SELECT in the same run.
 * Target: rows/s at least 0.3 of the bare path's.
 */
const PROFILES = Number(process.env.BENCH_PROFILES ?? 1_000_000)
const TARGET = 0.3

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-bench-'))
const config = loadConfig({
  SLUICE_DATA_DIR: dataDir,
  SLUICE_ADMIN_EMAIL: 'bench@example.com',
  SLUICE_ADMIN_PASSWORD: 'bench-password',
})
const { deps, close } = await openDeps(config, createLogger({ level: 'silent' }))
const app = createApp(deps)
const headers = { 'content-type': 'application/json', origin: 'http://localhost:8080' }
const login = await app.request('/api/auth/login', {
  method: 'POST',
  headers,
  body: JSON.stringify({ email: 'bench@example.com', password: 'bench-password' }),
})
const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0]!
const call = async (url: string, body: unknown) =>
  (await (
    await app.request(url, { method: 'POST', headers: { ...headers, cookie }, body: JSON.stringify(body) })
  ).json()) as {
    id: string
    jobs: { nodeId: string; jobId: string }[]
  }

try {
  const at = '2026-01-01T00:00:00.000Z'
  for (let start = 0; start < PROFILES; start += 5000) {
    const rows = []
    for (let n = start; n < Math.min(PROFILES, start + 5000); n++) {
      const attribute = (value: unknown) => [value, at, n, 'sample.events']
      rows.push({
        id: `p${String(n).padStart(8, '0')}`,
        attributes: JSON.stringify({
          email: attribute(`person${n}@example.com`),
          first_name: attribute(`Person ${n}`),
          plan: attribute(['free', 'pro', 'team'][n % 3]),
          visits: attribute(n % 100),
        }),
        streams: '["sample.events"]',
        created_at: at,
        updated_at: at,
      })
    }
    await deps.db.insertInto('profiles').values(rows).execute()
    process.stdout.write(`\r  ${start + rows.length} profiles`)
  }
  process.stdout.write('\n')

  // Bare: the same rows, flattened, from one ordered SELECT to a JSON Lines file.
  const bareFile = path.join(dataDir, 'bare.jsonl')
  let began = performance.now()
  const out = fs.createWriteStream(bareFile)
  let after = ''
  for (;;) {
    const page = await deps.db
      .selectFrom('profiles')
      .select(['id', 'attributes'])
      .where('id', '>', after)
      .orderBy('id')
      .limit(1000)
      .execute()
    if (page.length === 0) break
    after = page.at(-1)!.id
    const lines = page.map((row) => {
      const values = Object.fromEntries(
        Object.entries(JSON.parse(row.attributes) as Record<string, [unknown]>).map(([k, [v]]) => [k, v]),
      )
      return JSON.stringify({ op: 'upsert', id: values.email, ...values })
    })
    if (!out.write(`${lines.join('\n')}\n`))
      await new Promise<void>((resolve) => out.once('drain', () => resolve()))
  }
  await new Promise<void>((resolve) => out.end(() => resolve()))
  const bareSeconds = (performance.now() - began) / 1000

  const document = {
    version: 1,
    nodes: [
      {
        id: 'src',
        kind: 'source',
        provider: 'sample',
        jobType: 'events',
        name: 'Sample',
        position: { x: 0, y: 0 },
        data: { config: {}, cadence: { every: '1h' } },
      },
      {
        id: 'dst',
        kind: 'destination',
        provider: 'file-export',
        jobType: 'file',
        name: 'File',
        position: { x: 0, y: 0 },
        data: { config: { format: 'jsonl' }, cadence: { every: '1h' } },
      },
    ],
    edges: [{ id: 'e', source: 'src', target: 'dst' }],
  }
  const pipeline = await call('/api/pipelines', { name: 'Bench', document })
  const jobId = (await call(`/api/pipelines/${pipeline.id}/deploy`, {})).jobs.find(
    (job) => job.nodeId === 'dst',
  )!.jobId
  await deps.db.updateTable('jobs').set({ status: 'paused' }).where('id', '!=', jobId).execute()
  const [job] = await claimDue(deps.db, { owner: 'bench', ttlMs: 600_000, now: new Date(), limit: 1 })
  began = performance.now()
  const outcome = await runExportUnit(deps, job!, 'bench')
  const ourSeconds = (performance.now() - began) / 1000
  const run = await deps.db
    .selectFrom('job_runs')
    .selectAll()
    .where('job_id', '=', jobId)
    .executeTakeFirstOrThrow()
  const ratio = bareSeconds / ourSeconds
  console.log(`  bare SELECT → file: ${(PROFILES / bareSeconds).toFixed(0)} rows/s`)
  console.log(
    `  delta + File export: ${(PROFILES / ourSeconds).toFixed(0)} rows/s (${outcome}, ${run.added} delivered), ratio ${ratio.toFixed(2)} (target ≥ ${TARGET})`,
  )
  console.log(ratio >= TARGET && run.added === PROFILES ? 'target met' : 'target missed')
  process.exitCode = ratio >= TARGET && run.added === PROFILES ? 0 : 1
} finally {
  await close()
  fs.rmSync(dataDir, { recursive: true, force: true })
}
