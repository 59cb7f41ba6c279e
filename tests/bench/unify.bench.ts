import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import SQLite from 'better-sqlite3'
import { openDeps } from '../../server/bootstrap.ts'
import { loadConfig } from '../../server/config.ts'
import { insertRawMessages } from '../../server/db/raw-messages.repo.ts'
import type { NewRawMessage } from '../../server/db/schema.ts'
import { createLogger } from '../../server/log.ts'

/**
 * Profile unification: messages/s applied to 100,000 existing profiles (identity lookup, last-writer-
 * wins per attribute, the message's profile recorded) by the bulk lane, against a bare SQLite
 * upsert loop over the same messages in the same run (one prepared upsert of the profile's JSON,
 * keyed by email, in one transaction). Target: ratio >= 0.4.
 */
const PROFILES = Number(process.env.BENCH_PROFILES ?? 100_000)
const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 200_000)
const TARGET = 0.4

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-unify-bench-'))
const plans = ['free', 'pro', 'team', 'enterprise']
// A deterministic spread over the pool: each message names one existing person by email.
const person = (n: number) => (n * 7919) % PROFILES
const record = (n: number, i: number) => ({
  email: `user${i}@example.com`,
  plan: plans[n % 4],
  score: n % 1000,
  last_page: `/products/${n % 500}`,
  ts: new Date(Date.UTC(2026, 0, 1) + n * 1000).toISOString(),
})

function bare(): number {
  const db = new SQLite(path.join(dir, 'bare.db'))
  db.pragma('journal_mode = WAL')
  db.pragma('synchronous = NORMAL')
  db.exec('create table profiles (email text primary key, attributes text)')
  const seed = db.prepare('insert into profiles values (?, ?)')
  db.transaction(() => {
    for (let i = 0; i < PROFILES; i++) seed.run(`user${i}@example.com`, JSON.stringify(record(i, i)))
  })()
  const upsert = db.prepare(
    'insert into profiles values (?, ?) on conflict (email) do update set attributes = excluded.attributes',
  )
  const started = performance.now()
  db.transaction(() => {
    for (let n = 0; n < MESSAGES; n++) {
      const row = record(n, person(n))
      upsert.run(row.email, JSON.stringify(row))
    }
  })()
  const rate = MESSAGES / ((performance.now() - started) / 1000)
  db.close()
  return rate
}

const messages = (from: number, to: number, make: (n: number) => Record<string, unknown>) => {
  const rows: NewRawMessage[] = []
  for (let n = from; n < to; n++) {
    const payload = make(n)
    rows.push({
      stream: 'bench',
      event_time: payload.ts as string,
      received_at: '2026-01-01T00:00:00.000Z',
      lane: 'job',
      job_id: null,
      upload_id: null,
      record_key: null,
      message_id: null,
      payload: JSON.stringify(payload),
      unified_at: null,
      profile_id: null,
    })
  }
  return rows
}

const bareRate = bare()
console.log(`bare upsert loop: ${bareRate.toFixed(0)} messages/s`)

const config = loadConfig({ SLUICE_DATA_DIR: path.join(dir, 'data') })
const { deps, close } = await openDeps(config, createLogger({ level: 'silent' }))
// Pending messages the bulk lane applies, as after a published upload: first the people, then the bench.
async function load(rows: NewRawMessage[]) {
  for (let i = 0; i < rows.length; i += 5000) {
    await deps.db.transaction().execute((trx) => insertRawMessages(trx, rows.slice(i, i + 5000)))
  }
}
await load(messages(0, PROFILES, (i) => record(i, i)))
await deps.unifier.drain()
const profiles = await deps.db
  .selectFrom('profiles')
  .select((eb) => eb.fn.countAll<number>().as('n'))
  .executeTakeFirstOrThrow()
if (Number(profiles.n) !== PROFILES) throw new Error(`expected ${PROFILES} profiles, found ${profiles.n}`)
await load(messages(0, MESSAGES, (n) => record(n, person(n))))
const started = performance.now()
await deps.unifier.drain()
const ours = MESSAGES / ((performance.now() - started) / 1000)
const after = await deps.db
  .selectFrom('profiles')
  .select((eb) => eb.fn.countAll<number>().as('n'))
  .executeTakeFirstOrThrow()
await close()
fs.rmSync(dir, { recursive: true, force: true })
if (Number(after.n) !== PROFILES) throw new Error(`messages about known people created profiles: ${after.n}`)
const ratio = ours / bareRate
console.log(`unification into ${PROFILES} profiles: ${ours.toFixed(0)} messages/s`)
console.log(`ratio: ${ratio.toFixed(3)} (target >= ${TARGET})`)
process.exit(ratio >= TARGET ? 0 : 1)
