import { type FileHandle, mkdir, open, readdir, realpath, rename, rm, stat } from 'node:fs/promises'
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path'
import { createInterface } from 'node:readline'
import { ConnectorError } from '../define.ts'
import { cellText, csvLine, LEAD_COLUMNS } from './file-export.format.ts'
import { directoryProblem } from './file-export.node.ts'

/**
 * The file side of the file export: confining paths to the data folder, and turning a run's spool
 * (JSON lines, fsynced per batch) into the published file by writing a sibling and renaming it.
 */

export type ExportFormat = 'csv' | 'jsonl'

/** Suffix of a run's spool and of the file being rendered from it; both are hidden dot files. */
export const SPOOL_SUFFIX = '.tmp'
export const RENDER_SUFFIX = '.render'

const WRITE_CHUNK = 1 << 20

function isInside(root: string, path: string): boolean {
  const rel = relative(root, path)
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel))
}

export async function exists(path: string): Promise<boolean> {
  try {
    await stat(path)
    return true
  } catch {
    return false
  }
}

/**
 * Creates `directory` inside the data folder and returns its real path. Refuses anything that would
 * land outside it — `..`, absolute paths, and symbolic links pointing out — checking before `mkdir`
 * so nothing is created outside either.
 */
export async function resolveExportDirectory(dataDir: string, directory: string): Promise<string> {
  const problem = directoryProblem(directory)
  if (problem) throw new ConnectorError('config', `directory ${problem}`)
  const root = resolve(dataDir)
  const target = resolve(root, directory)
  const message = `directory "${directory}" leads outside the data folder (through a symbolic link?)`
  const outside = () => new ConnectorError('config', message)
  if (!isInside(root, target)) throw outside()
  try {
    await mkdir(root, { recursive: true })
    const realRoot = await realpath(root)
    let existing = target
    while (!(await exists(existing))) existing = dirname(existing)
    if (!isInside(realRoot, await realpath(existing))) throw outside()
    await mkdir(target, { recursive: true })
    const realTarget = await realpath(target)
    if (!isInside(realRoot, realTarget)) throw outside()
    return realTarget
  } catch (error) {
    if (error instanceof ConnectorError) throw error
    const reason = error instanceof Error ? error.message : String(error)
    const message = `cannot create directory "${directory}" in the data folder: ${reason}`
    throw new ConnectorError('config', message, { cause: error })
  }
}

/** Writes all of `data` at `position`: a single write may be partial. */
export async function writeAll(handle: FileHandle, data: Buffer, position: number): Promise<void> {
  let offset = 0
  while (offset < data.length) {
    const { bytesWritten } = await handle.write(data, offset, data.length - offset, position + offset)
    offset += bytesWritten
  }
}

/** Makes a rename durable. Best effort: some platforms cannot open a directory for fsync. */
async function syncDirectory(directory: string): Promise<void> {
  try {
    const handle = await open(directory, 'r')
    try {
      await handle.sync()
    } finally {
      await handle.close()
    }
  } catch {
    // Windows refuses; the rename itself is still atomic there.
  }
}

/** Rows of a spool with their raw line. A torn last line (crash mid-write) does not parse and is skipped. */
async function* spoolRows(spool: FileHandle): AsyncGenerator<{ line: string; row: Record<string, unknown> }> {
  const input = spool.createReadStream({ start: 0, encoding: 'utf8', autoClose: false })
  for await (const line of createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY })) {
    if (line === '') continue
    let row: unknown
    try {
      row = JSON.parse(line)
    } catch {
      continue
    }
    if (row !== null && typeof row === 'object' && !Array.isArray(row)) {
      yield { line, row: row as Record<string, unknown> }
    }
  }
}

async function scanColumns(spool: FileHandle): Promise<string[]> {
  const columns = new Set<string>()
  for await (const { row } of spoolRows(spool)) {
    for (const name of Object.keys(row)) {
      if (!(LEAD_COLUMNS as readonly string[]).includes(name)) columns.add(name)
    }
  }
  return [...columns]
}

/**
 * Where a finished run's file goes under its final name: renamed into the export folder, or
 * uploaded. Must be safe to repeat (a crash between delivering and deleting the spool repeats it).
 */
export type Deliver = (file: string, finalName: string) => Promise<void>

/** Delivery into a local folder: a rename, made durable, so readers only ever see whole files. */
export function deliverInto(directory: string): Deliver {
  return async (file, finalName) => {
    await rename(file, join(directory, finalName))
    await syncDirectory(directory)
  }
}

/**
 * Renders a spool into the run's file and hands it to `deliver`, then deletes the spool. Returns
 * false, delivering nothing, when the spool holds no rows. CSV columns are the union of field names
 * in first-seen order; pass them when known to save a pass.
 */
export async function publish(
  spoolPath: string,
  finalName: string,
  format: ExportFormat,
  deliver: Deliver,
  knownColumns?: readonly string[],
): Promise<boolean> {
  if (format === 'jsonl') {
    // A JSON Lines spool is already the file, fsynced batch by batch.
    // stat first: when another run already published this spool, fail before touching anything.
    if ((await stat(spoolPath)).size === 0) {
      await rm(spoolPath, { force: true })
      return false
    }
    await deliver(spoolPath, finalName)
    await rm(spoolPath, { force: true })
    return true
  }
  // Opened first: when another run already published this spool, fail before creating anything.
  const spool = await open(spoolPath, 'r')
  const renderPath = `${spoolPath}${RENDER_SUFFIX}`
  let rows = 0
  try {
    const columns = format === 'csv' ? (knownColumns ?? (await scanColumns(spool))) : []
    rows = await render(spool, renderPath, format, [...LEAD_COLUMNS, ...columns])
  } catch (error) {
    await rm(renderPath, { force: true })
    throw error
  } finally {
    await spool.close()
  }
  if (rows > 0) await deliver(renderPath, finalName)
  await rm(renderPath, { force: true })
  await rm(spoolPath, { force: true })
  return rows > 0
}

/** Writes the rows of a spool to `path` in `format`, fsynced; returns how many rows it wrote. */
async function render(
  spool: FileHandle,
  path: string,
  format: ExportFormat,
  header: string[],
): Promise<number> {
  const out = await open(path, 'w')
  try {
    let rows = 0
    let position = 0
    let pending: string[] = []
    let pendingLength = 0
    const flush = async () => {
      const data = Buffer.from(pending.join(''))
      await writeAll(out, data, position)
      position += data.length
      pending = []
      pendingLength = 0
    }
    const push = async (text: string) => {
      pending.push(text)
      pendingLength += text.length
      if (pendingLength >= WRITE_CHUNK) await flush()
    }
    if (format === 'csv') await push(csvLine(header))
    for await (const { line, row } of spoolRows(spool)) {
      rows++
      await push(format === 'csv' ? csvLine(header.map((name) => cellText(row[name]))) : `${line}\n`)
    }
    await flush()
    await out.sync()
    return rows
  } finally {
    await out.close()
  }
}

/**
 * Publishes spools a crashed run of the same job left in `spoolDir`: their batches were
 * acknowledged, so dropping them would lose deliveries. Runs of one job never overlap (leases), so
 * the spools tagged with this job are all orphans; should a stalled run wake up after all, its
 * spool is gone, so it publishes nothing and its late writes land in the unlinked file.
 * `delivered` tells a spool whose file went out just before the crash. Returns how many it published.
 */
export async function recoverOrphans(
  spoolDir: string,
  tag: string,
  deliver: Deliver,
  delivered: (finalName: string) => Promise<boolean> = async () => false,
): Promise<number> {
  const spoolEnd = `.${tag}${SPOOL_SUFFIX}`
  let published = 0
  const names = await readdir(spoolDir)
  for (const name of names) {
    if (name.startsWith('.') && name.endsWith(`${spoolEnd}${RENDER_SUFFIX}`)) {
      await rm(join(spoolDir, name), { force: true })
    }
  }
  for (const name of names) {
    if (!name.startsWith('.') || !name.endsWith(spoolEnd)) continue
    const finalName = name.slice(1, -spoolEnd.length)
    const format = (['csv', 'jsonl'] as const).find((ext) => finalName.endsWith(`.${ext}`))
    if (format === undefined) continue
    const spoolPath = join(spoolDir, name)
    if (await delivered(finalName)) await rm(spoolPath, { force: true })
    else if (await publish(spoolPath, finalName, format, deliver)) published++
  }
  return published
}
