import { createRequire } from 'node:module'
import { Worker } from 'node:worker_threads'
import type SQLite from 'better-sqlite3'

/**
 * WAL checkpoints on their own thread and connection. SQLite runs an automatic checkpoint inside
 * whichever commit crosses the WAL's size mark: that commit then copies pages back and fsyncs,
 * and on a busy disk a realtime request waits behind it for a hundred milliseconds or more.
 * A PASSIVE checkpoint never blocks writers, so here it runs every second beside them, and the
 * main connection's commits only append to the WAL.
 */
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads')
const Database = require(workerData.driver)
const db = new Database(workerData.file)
db.pragma('busy_timeout = 5000')
const tick = () => {
  try { db.pragma('wal_checkpoint(PASSIVE)') } catch (error) { parentPort.postMessage(String(error && error.message)) }
}
const timer = setInterval(tick, workerData.everyMs)
parentPort.on('message', () => { clearInterval(timer); tick(); db.close(); parentPort.close() })
`

export interface Checkpointer {
  stop(): Promise<void>
}

/** Starts checkpointing `file` in a worker and turns the connection's own checkpoints off. */
export function startCheckpointer(
  sqlite: SQLite.Database,
  file: string,
  options: { everyMs?: number; onError?: (message: string) => void } = {},
): Checkpointer {
  const driver = createRequire(import.meta.url).resolve('better-sqlite3')
  const worker = new Worker(WORKER, {
    eval: true,
    workerData: { file, driver, everyMs: options.everyMs ?? 1000 },
  })
  worker.on('message', (message: string) => options.onError?.(message))
  worker.unref()
  sqlite.pragma('wal_autocheckpoint = 0')
  let stopped: Promise<void> | null = null
  return {
    stop() {
      stopped ??= new Promise<void>((resolve) => {
        // Unreferenced while it runs, so it never holds the process open; referenced to finish.
        worker.ref()
        worker.once('exit', () => resolve())
        worker.postMessage('stop')
      }).then(() => {
        // Back to SQLite's own checkpoints for whatever this connection still writes.
        sqlite.pragma('wal_autocheckpoint = 1000')
      })
      return stopped
    },
  }
}
