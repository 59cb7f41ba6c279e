import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import SQLite from 'better-sqlite3'
import { afterAll, describe, expect, it } from 'vitest'
import { awaitWriteLock, deployScripted, startCrashable, until } from '../support/crash.ts'
import { type RunningSluice, signInRemote } from '../support/server.ts'

const PEOPLE = 60_000

describe('profile rebuild with real processes [sqlite]', () => {
  const processes: RunningSluice[] = []
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-rebuild-crash-'))
  afterAll(async () => {
    for (const sluice of processes) await sluice.stop()
    fs.rmSync(dir, { recursive: true, force: true })
  })
  const start = async () => {
    const sluice = await startCrashable({}, dir)
    processes.push(sluice)
    return sluice
  }

  it('kill -9 three times during a rebuild: each restart resumes from its checkpoint, and every person keeps their id', async () => {
    let sluice = await start()
    const importJob = await deployScripted(
      sluice.base,
      { records: PEOPLE, total: PEOPLE, batchSize: 2000 },
      'once',
    )
    const db = new SQLite(path.join(dir, 'sluice.db'), { timeout: 0 })
    const status = (id: string) =>
      db.prepare('select status, state from jobs where id = ?').get(id) as {
        status: string
        state: string | null
      }
    await until('the import to complete', () => status(importJob).status === 'completed', 120_000)
    /** Every person as id, creation time, stamped attributes and identities. */
    const people = () =>
      db
        .prepare(
          `select p.id, p.created_at, p.attributes, group_concat(i.key) as identities from profiles p
           join profile_identities i on i.profile_id = p.id group by p.id order by p.id`,
        )
        .all()
    const before = people()
    expect(before).toHaveLength(PEOPLE)

    const admin = await signInRemote(sluice.base)
    const started = await admin.call('POST', '/api/profiles/rebuild', {})
    expect(started.status).toBe(202)
    const rebuildJob = started.json.jobId as string
    const progress = () => {
      const state = status(rebuildJob).state
      return state ? (JSON.parse(state) as { phase: string; replayed: number; total: number }) : null
    }
    let inside = 0
    let atKill = 0
    /** Progress never goes back: a restart continues the replay, it does not begin it again. */
    const replayed = () => {
      const now = progress()?.replayed ?? 0
      expect(now).toBeGreaterThanOrEqual(atKill)
      return now
    }
    for (let kill = 1; kill <= 3; kill++) {
      // Kill points are chosen by replayed messages, then the moment a chunk's transaction is open.
      const target = kill * 15_000
      await until(`${target} replayed`, () => replayed() >= target, 120_000)
      if (await awaitWriteLock(db)) inside++
      sluice.process.kill('SIGKILL')
      expect((await sluice.exited).signal).toBe('SIGKILL')
      // Each chunk commits with its progress: the next generation holds exactly what was replayed.
      const { phase } = progress()!
      atKill = replayed()
      expect(phase).toBe('replay')
      const built = db.prepare('select count(*) as n from profiles_next').get() as { n: number }
      expect(built.n).toBe(atKill)
      // The live generation is untouched while the next one is built.
      expect(people()).toEqual(before)
      sluice = await start()
    }
    await until(
      'the rebuild to complete',
      () => replayed() >= 0 && status(rebuildJob).status === 'completed',
      120_000,
    )
    console.info(`rebuild kill -9: ${inside} of 3 kills landed while a chunk transaction was open`)
    // Every message replayed once, across four processes; every person with the same id.
    expect(progress()).toMatchObject({ phase: 'done', replayed: PEOPLE, total: PEOPLE, profiles: PEOPLE })
    expect(people()).toEqual(before)
    const leftovers = db
      .prepare(
        "select name from sqlite_master where type = 'table' and name like '%\\_next' escape '\\' or name like '%\\_old' escape '\\' or name = 'rebuild_moves'",
      )
      .all()
    expect(leftovers).toEqual([])
    const runs = (await (await signInRemote(sluice.base)).call('GET', `/api/jobs/${rebuildJob}/runs`)).json
    expect(runs).toHaveLength(1)
    expect(runs[0]).toMatchObject({ outcome: 'success', added: PEOPLE, error: null })
    db.close()
  }, 300_000)
})
