import { fork } from 'node:child_process'
import fs from 'node:fs'
import http from 'node:http'
import os from 'node:os'
import path from 'node:path'
import SQLite from 'better-sqlite3'
import { deployScripted } from '../support/crash.ts'
import { ADMIN_ENV, signInRemote, startSluice } from '../support/server.ts'

/**
 * SSE fan-out (issue 6): 1,000 clients on GET /api/events of a Sluice process (SQLite, as
 * `npm start` runs it) while a job's status changes 20 times a second, against a plain node:http
 * broadcaster sending the same rate to the same number of clients in the same run. Targets: p99
 * delivery latency (commit to client) ≤ 250 ms, and server CPU per event ≤ 2× the baseline's.
 */
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 1000)
const RATE = 20
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10)
const P99_LIMIT_MS = 250
const CPU_RATIO_LIMIT = 2
/** Status changes carry their send time in nextRunAt, a day ahead so the job never falls due. */
const AHEAD_MS = 86_400_000

function cpuMs(pid: number): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
  return (Number(fields[11]) + Number(fields[12])) * 10
}

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? Number.NaN
}

/** `CLIENTS` SSE connections to `url`, each recording every event's latency from its stamp. */
async function fleet(url: string, headers: Record<string, string>, offsetMs: number) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: Number.POSITIVE_INFINITY })
  const latencies: number[] = []
  const received = new Array<number>(CLIENTS).fill(0)
  const requests: http.ClientRequest[] = []
  await Promise.all(
    Array.from(
      { length: CLIENTS },
      (_, n) =>
        new Promise<void>((resolve, reject) => {
          const request = http.get(url, { agent, headers }, (response) => {
            if (response.statusCode !== 200) return reject(new Error(`SSE answered ${response.statusCode}`))
            response.setEncoding('utf8')
            let buffer = ''
            response.on('data', (chunk: string) => {
              buffer += chunk
              let end = buffer.indexOf('\n\n')
              while (end >= 0) {
                const stamp = /"nextRunAt":"([^"]+)"/.exec(buffer.slice(0, end))
                if (stamp) {
                  latencies.push(Date.now() - (Date.parse(stamp[1]!) - offsetMs))
                  received[n]!++
                }
                buffer = buffer.slice(end + 2)
                end = buffer.indexOf('\n\n')
              }
            })
            resolve()
          })
          request.on('error', reject)
          requests.push(request)
        }),
    ),
  )
  return {
    latencies,
    received,
    close() {
      for (const request of requests) request.destroy()
      agent.destroy()
    },
  }
}

async function sluice() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-sse-bench-'))
  const server = await startSluice(
    { ...ADMIN_ENV, SLUICE_LOG_LEVEL: 'warn', SLUICE_SKIP_CLIENT_BUILD: '1' },
    { dataDir: dir, scripted: true },
  )
  try {
    const jobId = await deployScripted(server.base, { records: 0 }, { every: '1h' })
    const admin = await signInRemote(server.base)
    // Its first run (due at deploy) is over before the clients come.
    for (
      let n = 0;
      n < 100 && (await admin.call('GET', `/api/jobs/${jobId}`)).json.status !== 'sleeping';
      n++
    )
      await new Promise((resolve) => setTimeout(resolve, 50))
    const clients = await fleet(`${server.base}/api/events?jobs=${jobId}`, { cookie: admin.cookie }, AHEAD_MS)
    // Another connection to the same SQLite file changes the job, as a worker's commit would.
    const writer = new SQLite(path.join(dir, 'sluice.db'))
    writer.pragma('busy_timeout = 5000')
    const change = writer.prepare('update jobs set next_run_at = ? where id = ?')
    const before = cpuMs(server.process.pid!)
    let sent = 0
    await new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        change.run(new Date(Date.now() + AHEAD_MS).toISOString(), jobId)
        if (++sent >= RATE * SECONDS) {
          clearInterval(timer)
          resolve()
        }
      }, 1000 / RATE)
    })
    await new Promise((resolve) => setTimeout(resolve, 500))
    const cpu = cpuMs(server.process.pid!) - before
    clients.close()
    writer.close()
    return { sent, cpu, ...clients }
  } finally {
    await server.stop()
    fs.rmSync(dir, { recursive: true, force: true })
  }
}

async function plain() {
  const child = fork(path.join(import.meta.dirname, 'support', 'plain-broadcaster.ts'), [], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, RATE: String(RATE) },
  })
  try {
    const port = await new Promise<number>((resolve) =>
      child.once('message', (m: { port: number }) => resolve(m.port)),
    )
    const clients = await fleet(`http://127.0.0.1:${port}/`, {}, 0)
    const before = cpuMs(child.pid!)
    child.send('start')
    await new Promise((resolve) => setTimeout(resolve, SECONDS * 1000 + 25))
    const sent = Math.round(SECONDS * RATE)
    await new Promise((resolve) => setTimeout(resolve, 500))
    const cpu = cpuMs(child.pid!) - before
    clients.close()
    return { sent, cpu, ...clients }
  } finally {
    child.kill()
  }
}

const base = await plain()
const ours = await sluice()
const perEvent = (run: { cpu: number; sent: number }) => run.cpu / run.sent
const ratio = perEvent(ours) / perEvent(base)
const p99 = percentile(ours.latencies, 0.99)
const complete = ours.received.filter((n) => n === ours.sent).length
console.log(
  `plain node:http broadcaster: ${base.sent} events to ${CLIENTS} clients, ${perEvent(base).toFixed(2)} ms CPU per event, ` +
    `p50 ${percentile(base.latencies, 0.5)} ms, p99 ${percentile(base.latencies, 0.99)} ms`,
)
console.log(
  `Sluice GET /api/events: ${ours.sent} events to ${CLIENTS} clients (${complete} got every one), ` +
    `${perEvent(ours).toFixed(2)} ms CPU per event (ratio ${ratio.toFixed(2)}, limit ${CPU_RATIO_LIMIT}), ` +
    `p50 ${percentile(ours.latencies, 0.5)} ms, p99 ${p99} ms (limit ${P99_LIMIT_MS})`,
)
const met = ratio <= CPU_RATIO_LIMIT && p99 <= P99_LIMIT_MS && complete === CLIENTS
console.log(met ? 'targets met' : 'target missed')
process.exit(met ? 0 : 1)
