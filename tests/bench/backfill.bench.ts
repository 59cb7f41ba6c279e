import fs from 'node:fs'
import http from 'node:http'
import os from 'node:os'
import path from 'node:path'
import SQLite from 'better-sqlite3'
import Papa from 'papaparse'
import { openDeps } from '../../server/bootstrap.ts'
import { loadConfig } from '../../server/config.ts'
import { createLogger } from '../../server/log.ts'
import { BENCH_ADMIN, startBenchServer } from './bench-server.ts'

/**
 * A 1,000,000-row, 10-column CSV (~100 MB; one person per row) through POST /collect/bulk of a
 * server started as `npm start` runs it, against a bare pipeline on the same file in the same run:
 * papaparse streamed into one prepared better-sqlite3 insert in one transaction. Targets: rows/s
 * until the upload is answered (stored) >= 0.5 of the bare rate, until every row is unified into
 * profiles >= 0.25, and the server's peak RSS <= 300 MB. Then realtime POST /collect/json
 * requests are timed alone and while a second backfill runs: their p99 must stay <= 2x the p99
 * with no backfill and <= 50 ms.
 */
const ROWS = Number(process.env.BENCH_ROWS ?? 1_000_000)
const STORED_TARGET = 0.5
const UNIFIED_TARGET = 0.25
const RSS_LIMIT_MB = 300
const P99_RATIO_TARGET = 2
const P99_LIMIT_MS = 50

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-backfill-bench-'))
const file = path.join(dir, 'people.csv')

async function generate(): Promise<void> {
  const out = fs.createWriteStream(file)
  const plans = ['free', 'pro', 'team']
  let buffer = 'user_id,email,first_name,last_name,city,country,plan,score,signed_up_at,note\n'
  for (let i = 0; i < ROWS; i++) {
    const day = String((i % 28) + 1).padStart(2, '0')
    const note = i % 10 === 0 ? '"said ""hi"", then left"' : 'plain note text'
    buffer += `u${i},user${i}@example.com,First${i % 977},Last${i % 1013},City ${i % 101},DE,${plans[i % 3]},${(i * 7) % 1000},2024-01-${day}T10:00:00Z,${note}\n`
    if (buffer.length > 1 << 16) {
      if (!out.write(buffer)) await new Promise<void>((resolve) => out.once('drain', () => resolve()))
      buffer = ''
    }
  }
  await new Promise<void>((resolve, reject) => out.end(buffer, () => resolve()).once('error', reject))
}

/** The bare pipeline: the fastest streaming parser into a prepared insert, one transaction. */
async function bare(): Promise<number> {
  const dbFile = path.join(dir, 'bare.db')
  const db = new SQLite(dbFile)
  db.pragma('journal_mode = WAL')
  db.pragma('synchronous = NORMAL')
  db.exec('create table raw (seq integer primary key, stream text, event_time text, payload text)')
  const insert = db.prepare('insert into raw (stream, event_time, payload) values (?, ?, ?)')
  const started = performance.now()
  let header: string[] | null = null
  let rows = 0
  db.exec('begin')
  const parser = new Papa.Parser({
    delimiter: ',',
    newline: '\n',
    quoteChar: '"',
    step: undefined,
  } as Papa.ParseConfig)
  const decoder = new TextDecoder()
  let tail = ''
  const take = (data: string[][]) => {
    for (const row of data) {
      if (!header) {
        header = row
        continue
      }
      if (row.length !== header.length) continue
      const record: Record<string, string> = {}
      for (let i = 0; i < row.length; i++) record[header[i]!] = row[i]!
      insert.run('people', record.signed_up_at, JSON.stringify(record))
      rows++
    }
  }
  for await (const chunk of fs.createReadStream(file, { highWaterMark: 1 << 16 })) {
    const text = tail + decoder.decode(chunk as Buffer, { stream: true })
    const result = parser.parse(text, 0, true)
    take(result.data as string[][])
    tail = text.slice(result.meta.cursor)
  }
  take(parser.parse(tail + decoder.decode(), 0, false).data as string[][])
  db.exec('commit')
  const seconds = (performance.now() - started) / 1000
  db.close()
  return rows / seconds
}

/** Peak resident set of a process, from the kernel's high-water mark. */
function peakRssMb(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8')
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)![1]) / 1024
}

function post(
  url: string,
  headers: Record<string, string>,
  body: fs.ReadStream,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const request = http.request(url, { method: 'POST', headers }, (response) => {
      let text = ''
      response.setEncoding('utf8')
      response.on('data', (chunk: string) => {
        text += chunk
      })
      response.on('end', () => resolve({ status: response.statusCode ?? 0, text }))
    })
    request.on('error', reject)
    body.pipe(request)
  })
}

const p99 = (samples: number[]) => {
  const sorted = [...samples].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))]!
}

/** Sequential realtime requests until `until` resolves; their latencies in ms. */
async function realtime(base: string, key: string, until: Promise<unknown>, minimum = 0): Promise<number[]> {
  let done = false
  until.then(
    () => {
      done = true
    },
    () => {
      done = true
    },
  )
  const samples: number[] = []
  for (let n = 0; !done || samples.length < minimum; n++) {
    const started = performance.now()
    const response = await fetch(`${base}/collect/json/live`, {
      method: 'POST',
      headers: { authorization: key, 'content-type': 'application/json' },
      body: JSON.stringify({ user_id: `live-${n % 5000}`, page: `/p/${n}`, plan: 'live' }),
    })
    await response.arrayBuffer()
    if (response.status !== 200) throw new Error(`realtime request answered ${response.status}`)
    samples.push(performance.now() - started)
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
  return samples
}

await generate()
const megabytes = fs.statSync(file).size / 1024 / 1024
console.log(`file: ${ROWS} rows, ${megabytes.toFixed(0)} MB`)
const bareRate = await bare()
console.log(`bare papaparse -> better-sqlite3: ${bareRate.toFixed(0)} rows/s`)

const dataDir = path.join(dir, 'data')
const config = loadConfig({
  SLUICE_DATA_DIR: dataDir,
  SLUICE_ADMIN_EMAIL: BENCH_ADMIN.email,
  SLUICE_ADMIN_PASSWORD: BENCH_ADMIN.password,
})
const prepared = await openDeps(config, createLogger({ level: 'silent' }))
await prepared.close()

const { base, cookie, server } = await startBenchServer(dataDir)
const admin = { 'content-type': 'application/json', origin: base, cookie }
const created = await fetch(`${base}/api/data-keys`, {
  method: 'POST',
  headers: admin,
  body: JSON.stringify({ name: 'bench' }),
})
const { key } = (await created.json()) as { key: string }

/** One backfill of the file into `stream`: when it was answered (stored) and when fully unified. */
async function backfill(stream: string) {
  const started = performance.now()
  const response = await post(
    `${base}/collect/bulk/${stream}?timestamp_field=signed_up_at&filename=people.csv`,
    { authorization: key, 'content-type': 'text/csv' },
    fs.createReadStream(file, { highWaterMark: 1 << 16 }),
  )
  const storedAt = performance.now()
  if (response.status !== 200) throw new Error(`upload answered ${response.status}: ${response.text}`)
  const uploadId = (JSON.parse(response.text) as { data: { upload_id: string } }).data.upload_id
  for (;;) {
    const upload = await fetch(`${base}/api/uploads/${uploadId}`, { headers: { cookie } })
    if (((await upload.json()) as { status: string }).status === 'unified') break
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  return { started, storedAt, unifiedAt: performance.now() }
}

// Throughput with the server to itself; then realtime alone (the baseline p99); then realtime
// while a second backfill of the same file (now updating those people) runs.
const { started, storedAt, unifiedAt } = await backfill('people')
const quiet = await realtime(base, key, new Promise((resolve) => setTimeout(resolve, 5000)))
const busy = await realtime(base, key, backfill('people_again'), 50)
const rss = peakRssMb(server.pid!)
server.kill('SIGTERM')

const storedRate = ROWS / ((storedAt - started) / 1000)
const unifiedRate = ROWS / ((unifiedAt - started) / 1000)
const storedRatio = storedRate / bareRate
const unifiedRatio = unifiedRate / bareRate
const [quietP99, busyP99] = [p99(quiet), p99(busy)]
console.log(
  `stored:  ${storedRate.toFixed(0)} rows/s, ratio ${storedRatio.toFixed(3)} (target >= ${STORED_TARGET})`,
)
console.log(
  `unified: ${unifiedRate.toFixed(0)} rows/s, ratio ${unifiedRatio.toFixed(3)} (target >= ${UNIFIED_TARGET})`,
)
console.log(`server peak RSS: ${rss.toFixed(0)} MB (limit ${RSS_LIMIT_MB} MB)`)
console.log(
  `realtime p99: ${quietP99.toFixed(1)} ms quiet (${quiet.length} requests), ${busyP99.toFixed(1)} ms during backfill (${busy.length}); ratio ${(busyP99 / quietP99).toFixed(2)} (target <= ${P99_RATIO_TARGET} and <= ${P99_LIMIT_MS} ms)`,
)
fs.rmSync(dir, { recursive: true, force: true })
const ok =
  storedRatio >= STORED_TARGET &&
  unifiedRatio >= UNIFIED_TARGET &&
  rss <= RSS_LIMIT_MB &&
  busyP99 <= P99_RATIO_TARGET * quietP99 &&
  busyP99 <= P99_LIMIT_MS
process.exit(ok ? 0 : 1)
