import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import Papa from 'papaparse'
import { parseBulk } from '../../server/data/bulk-parse.ts'

/**
 * parseBulk over a 1,000,000-row × 10-column CSV (~100 MB, one row in ten with a quoted field holding
 * doubled quotes) from a file stream, against papaparse's bare core parser over the same file in
 * the same run (decoding and chunking as parseBulk does, rows left as arrays). Target: parseBulk
 * keeps at least 70% of the bare parser's rows/s — what it adds (objects without empty cells, row
 * numbers, limits, batches through an async generator) must stay cheap.
 */
const ROWS = Number(process.env.BENCH_ROWS ?? 1_000_000)
const TARGET_RATIO = 0.7
const ROUNDS = 5

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-bulk-bench-'))
const file = path.join(dir, 'rows.csv')

async function generate(): Promise<void> {
  const out = fs.createWriteStream(file)
  const countries = ['US', 'DE', 'FR', 'GB']
  const plans = ['free', 'pro', 'team']
  let buffer = 'id,email,first_name,last_name,city,country,plan,score,created_at,note\n'
  for (let i = 0; i < ROWS; i++) {
    const day = String((i % 28) + 1).padStart(2, '0')
    const note = i % 10 === 0 ? '"said ""hi"", then left"' : 'plain note text'
    buffer += `${i},user${i}@example.com,First${i % 977},Last${i % 1013},City ${i % 101},${countries[i % 4]},${plans[i % 3]},${(i * 7) % 1000},2024-01-${day}T10:00:00Z,${note}\n`
    if (buffer.length > 1 << 16) {
      if (!out.write(buffer)) await new Promise<void>((resolve) => out.once('drain', () => resolve()))
      buffer = ''
    }
  }
  await new Promise<void>((resolve, reject) => out.end(buffer, () => resolve()).once('error', reject))
}

async function bare(): Promise<number> {
  const parser = new Papa.Parser({ delimiter: ',', newline: '\n', quoteChar: '"' })
  const decoder = new TextDecoder()
  let tail = ''
  let rows = 0
  for await (const chunk of fs.createReadStream(file)) {
    const text = tail + decoder.decode(chunk as Buffer, { stream: true })
    const result = parser.parse(text, 0, true)
    rows += result.data.length
    tail = text.slice(result.meta.cursor)
  }
  rows += parser.parse(tail + decoder.decode(), 0, false).data.length
  return rows - 1 // the header row
}

async function ours(): Promise<number> {
  let rows = 0
  let rejects = 0
  for await (const batch of parseBulk(fs.createReadStream(file), { format: 'csv', gzip: false })) {
    rows += batch.rows.length
    rejects += batch.rejects.length
  }
  if (rejects) throw new Error(`${rejects} rows were rejected`)
  return rows
}

async function time(
  run: () => Promise<number>,
): Promise<{ rows: number; perSecond: number; perCpuSecond: number }> {
  const started = performance.now()
  const cpu = process.cpuUsage()
  const rows = await run()
  const used = process.cpuUsage(cpu)
  return {
    rows,
    perSecond: rows / ((performance.now() - started) / 1000),
    perCpuSecond: rows / ((used.user + used.system) / 1e6),
  }
}

try {
  const started = performance.now()
  await generate()
  const megabytes = fs.statSync(file).size / 1e6
  console.log(
    `generated ${ROWS.toLocaleString()} rows, ${megabytes.toFixed(0)} MB in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  )
  let best = { bare: 0, ours: 0, bareCpu: 0, oursCpu: 0 }
  // Alternate and keep each side's best round: a noisy neighbour then costs both alike.
  for (let round = 1; round <= ROUNDS; round++) {
    const b = await time(bare)
    const o = await time(ours)
    if (b.rows !== ROWS || o.rows !== ROWS)
      throw new Error(`row counts differ: bare ${b.rows}, parseBulk ${o.rows}`)
    console.log(
      `round ${round}: papaparse core ${Math.round(b.perSecond).toLocaleString()} rows/s (${((b.perSecond * megabytes) / ROWS).toFixed(0)} MB/s), parseBulk ${Math.round(o.perSecond).toLocaleString()} rows/s (${((o.perSecond * megabytes) / ROWS).toFixed(0)} MB/s)`,
    )
    best = {
      bare: Math.max(best.bare, b.perSecond),
      ours: Math.max(best.ours, o.perSecond),
      bareCpu: Math.max(best.bareCpu, b.perCpuSecond),
      oursCpu: Math.max(best.oursCpu, o.perCpuSecond),
    }
  }
  const ratio = best.ours / best.bare
  console.log(
    `ratio ${ratio.toFixed(2)} (target ≥ ${TARGET_RATIO}); cpu ratio ${(best.oursCpu / best.bareCpu).toFixed(2)}`,
  )
  process.exitCode = ratio >= TARGET_RATIO ? 0 : 1
} finally {
  fs.rmSync(dir, { recursive: true, force: true })
}
