import { setImmediate as nextTurn } from 'node:timers/promises'
import {
  catchUpChunk,
  orderChunk,
  type RebuildState,
  replayChunk,
  startRebuild,
  swap,
} from '../data/rebuild.ts'
import { counter } from '../db/counters.repo.ts'
import { dropGenerationTables, nextExists } from '../db/generations.ts'
import type { Job } from '../db/schema.ts'
import type { Deps } from '../http/context.ts'
import { commitBatch, runUnit, type UnitDeps, type UnitResult, type UnitStop } from './run-lifecycle.ts'

/** Messages in the first replay transaction; later ones are sized to the lanes' time budget. */
const FIRST_CHUNK = 200
const MAX_CHUNK = 5000
/** A catch-up round that applied fewer than this leaves a tail small enough for the swap. */
const SMALL_TAIL = 500
/** Catch-up rounds before swapping anyway (a tail that keeps growing is applied in the swap). */
const MAX_ROUNDS = 10

export type RebuildDeps = UnitDeps & Partial<Pick<Deps, 'lanes'>>

/**
 * The `system` job of a profile rebuild (DESIGN.md §5): replay, catch-up and swap as batches of
 * one unit, each committing its work with the progress (the job's checkpoint) and the lease
 * fencing, so a crashed worker's rebuild resumes where it stopped. Between transactions it yields
 * to realtime traffic like the bulk lane.
 */
export async function runRebuildUnit(
  deps: RebuildDeps,
  job: Job,
  owner: string,
  { stop, interrupt }: UnitStop = {},
): Promise<UnitResult> {
  const { db } = deps
  return runUnit(deps, job, owner, interrupt, async (run) => {
    const saved = job.state ? (JSON.parse(job.state) as RebuildState) : null
    let state: RebuildState
    // A rebuild saved by a Sluice without the replay order (before 0008) starts again.
    if (saved && saved.phase !== 'done' && saved.maxSeq !== undefined && (await nextExists(db))) state = saved
    else {
      state = await startRebuild(db)
      await commitBatch(deps, job, run.runId, run.totals, async () => ({ counts: {}, checkpoint: state }))
    }
    const context = () => ({ now: deps.clock.now().toISOString(), mergeCap: deps.config.mergeCap })
    let chunk = FIRST_CHUNK
    /** One transaction of work; false once it found nothing left. */
    const step = async (work: (trx: Parameters<typeof replayChunk>[0]) => Promise<number>) => {
      if (stop?.aborted) return null
      if (run.signal.aborted) throw run.signal.reason
      await deps.lanes?.bulkTurn()
      const started = performance.now()
      let applied = 0
      await commitBatch(deps, job, run.runId, run.totals, async (trx) => {
        applied = await work(trx)
        return { counts: {}, checkpoint: state }
      })
      const took = Math.max(performance.now() - started, 0.1)
      const budget = deps.lanes?.bulkBudgetMs() ?? 50
      chunk = Math.round(Math.min(MAX_CHUNK, Math.max(20, (chunk * budget) / took)))
      await nextTurn()
      return applied
    }

    // Ordering is one insert-select per chunk: spans of ingest sequence sized like replay chunks.
    while (state.phase === 'order') {
      const covered = await step((trx) => orderChunk(trx, state, chunk * 4))
      if (covered === null) return run.handBack()
      if (covered === 0) state.phase = 'replay'
    }
    chunk = FIRST_CHUNK
    while (state.phase === 'replay') {
      const applied = await step((trx) => replayChunk(trx, state, context(), chunk))
      if (applied === null) return run.handBack()
      if (applied === 0) state.phase = 'catch-up'
    }
    for (let round = 0; state.phase === 'catch-up'; round++) {
      const upTo = await counter(db, 'profile_change')
      let inRound = 0
      for (;;) {
        const applied = await step((trx) => catchUpChunk(trx, state, context(), upTo, chunk))
        if (applied === null) return run.handBack()
        if (applied === 0) break
        inRound += applied
      }
      if (inRound < SMALL_TAIL || round + 1 >= MAX_ROUNDS) state.phase = 'swap'
    }
    await commitBatch(deps, job, run.runId, run.totals, async (trx) => {
      await swap(trx, state, context())
      return { counts: { added: state.profiles ?? 0 }, checkpoint: state }
    })
    await dropGenerationTables(db, 'old')
    return run.succeed(true)
  })
}
