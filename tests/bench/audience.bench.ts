import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { sql } from 'kysely'
import type { AudienceFilter } from '../../nodes/audience.ts'
import { createApp } from '../../server/app.ts'
import { openDeps } from '../../server/bootstrap.ts'
import { loadConfig } from '../../server/config.ts'
import { createLogger } from '../../server/log.ts'
import { findPostgresBin, startPostgres } from '../support/postgres.ts'
import { TEST_SECRET_KEY } from '../support/server.ts'

/**
 * Audience preview (count + sample of 10) over 100,000 and 1,000,000 profiles for a
 * three-condition filter, through the HTTP app in-process, against a bare scan that reads
 * every profile's attributes once (`sum(length(attributes))`) in the same run. SQLite by default;
 * `BENCH_DB=postgres` for PostgreSQL.
 * Target: p95 ≤ 200 ms at 100,000 profiles.
 */
const SIZES = (process.env.BENCH_PROFILES ?? '100000,1000000').split(',').map(Number)
const TARGET_P95_MS = 200
const FILTER: AudienceFilter = {
  and: [
    { field: 'plan', op: 'eq', value: 'pro' },
    { field: 'visits', op: 'gt', value: 20 },
    { stream: 'shop' },
  ],
}

const PLANS = ['free', 'pro', 'team']
const CITIES = ['Berlin', 'Boston', 'Lisbon', 'Osaka', 'Lagos', 'Lima']
function attributesOf(n: number): string {
  const at = '2026-01-01T00:00:00.000Z'
  const attribute = (value: unknown) => [value, at, n, 'web']
  return JSON.stringify({
    email: attribute(`person${n}@example.com`),
    first_name: attribute(`Person ${n}`),
    plan: attribute(PLANS[n % 3]),
    visits: attribute((n * 7) % 100),
    city: attribute(CITIES[n % CITIES.length]),
    signup: attribute(`2025-${String((n % 12) + 1).padStart(2, '0')}-15`),
  })
}

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!
}

// BENCH_DB=postgres runs the same against a throwaway PostgreSQL from the Debian binaries.
const postgres = process.env.BENCH_DB === 'postgres' ? await startPostgres(findPostgresBin() ?? '') : null
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-bench-'))
const config = loadConfig({
  ...(postgres ? { SLUICE_DB: postgres.url, SLUICE_SECRET_KEY: TEST_SECRET_KEY } : {}),
  SLUICE_DATA_DIR: dataDir,
  SLUICE_ADMIN_EMAIL: 'bench@example.com',
  SLUICE_ADMIN_PASSWORD: 'bench-password',
})
const { deps, close } = await openDeps(config, createLogger({ level: 'silent' }))
const app = createApp(deps)
const login = await app.request('/api/auth/login', {
  method: 'POST',
  headers: { 'content-type': 'application/json', origin: 'http://localhost:8080' },
  body: JSON.stringify({ email: 'bench@example.com', password: 'bench-password' }),
})
const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0]!
let failed = false
let stored = 0
try {
  for (const size of SIZES) {
    while (stored < size) {
      const rows = []
      for (let n = stored; n < Math.min(size, stored + 5000); n++) {
        rows.push({
          id: `p${String(n).padStart(8, '0')}`,
          attributes: attributesOf(n),
          streams: JSON.stringify(n % 4 === 0 ? ['shop', 'web'] : ['web']),
          created_at: '2026-01-01T00:00:00.000Z',
          updated_at: new Date(Date.UTC(2026, 0, 1) + n * 1000).toISOString(),
        })
      }
      await deps.db.insertInto('profiles').values(rows).execute()
      stored += rows.length
      process.stdout.write(`\r  ${stored} profiles`)
    }
    process.stdout.write('\n')
    // What autovacuum would have done by now to a table loaded this fast.
    if (postgres) await sql`analyze profiles`.execute(deps.db)
    const runs = size >= 1_000_000 ? 7 : 25
    const preview: number[] = []
    let count = 0
    // Two untimed runs first: the first scans after a bulk insert pay for page-cache misses.
    for (let run = -2; run < runs; run++) {
      const began = performance.now()
      const answer = await app.request('/api/audiences/preview', {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin: 'http://localhost:8080', cookie },
        body: JSON.stringify({ filter: FILTER }),
      })
      count = ((await answer.json()) as { count: number }).count
      if (run >= 0) preview.push(performance.now() - began)
    }
    const bare: number[] = []
    for (let run = -2; run < runs; run++) {
      const began = performance.now()
      await sql`select sum(length(attributes)) from profiles`.execute(deps.db)
      if (run >= 0) bare.push(performance.now() - began)
    }
    const p95 = percentile(preview, 0.95)
    const bareP95 = percentile(bare, 0.95)
    const target = size === 100_000 ? ` (target ≤ ${TARGET_P95_MS} ms)` : ''
    console.log(
      `  ${size} profiles, ${count} match: preview p95 ${p95.toFixed(0)} ms, bare scan p95 ${bareP95.toFixed(0)} ms, ratio ${(p95 / bareP95).toFixed(2)}${target}`,
    )
    if (size === 100_000 && p95 > TARGET_P95_MS) failed = true
  }
} finally {
  await close()
  postgres?.stop()
  fs.rmSync(dataDir, { recursive: true, force: true })
}
console.log(failed ? 'target missed' : 'target met')
process.exit(failed ? 1 : 0)
