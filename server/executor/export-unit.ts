import { ConnectorError, type ExportBatch, type WriteAck } from '../../nodes/define.ts'
import { findJobType } from '../../nodes/index.ts'
import { applyAck, type DeltaBatch, exportDelta, exportPlan } from '../data/export-delta.ts'
import { counter } from '../db/counters.repo.ts'
import { appendLog } from '../db/jobs.repo.ts'
import { addMetrics } from '../db/metrics.repo.ts'
import type { Executor, Job } from '../db/schema.ts'
import { readAhead } from './read-ahead.ts'
import {
  commitBatch,
  connectorFor,
  runUnit,
  type UnitDeps,
  type UnitResult,
  type UnitStop,
} from './run-lifecycle.ts'

/** People per batch unless the destination's job type asks for fewer or more. */
const BATCH = 500

/** An export job's checkpoint: how far in the change sequence, under which plan and generation. */
interface ExportCheckpoint {
  changeSeq?: number
  plan?: string
  generation?: number
  deliveredAt?: string
  reconciledAt?: string
}

/** Where the change sequence stands, read once when a run begins. */
async function position(db: Executor) {
  return {
    upTo: await counter(db, 'profile_change'),
    generation: await counter(db, 'generation'),
    floor: await counter(db, 'tombstone_floor'),
  }
}

/**
 * One unit of work of a claimed export job (DESIGN.md §4, §5): the delta between the audience now
 * and what the destination acknowledged goes out in batches; each acknowledgement commits, with
 * the fencing renewal first, its delivery state, metrics and run counts in one transaction. A
 * crash between delivery and acknowledgement leaves that batch's state untouched, so the next run
 * sends exactly that batch again (deliveries are upserts keyed by the destination's identifier).
 */
export async function runExportUnit(
  deps: UnitDeps,
  job: Job,
  owner: string,
  { stop, interrupt }: UnitStop = {},
): Promise<UnitResult> {
  const { db } = deps
  return runUnit(deps, job, owner, interrupt, async (run) => {
    const { connector, ctx } = await connectorFor(deps, job, 'export', run.signal)
    // No checkpoint: new, or reset by a deploy (another folder, another format): send everyone again.
    if (job.state === null) await db.deleteFrom('export_deliveries').where('job_id', '=', job.id).execute()
    const at = await position(db)
    const plan = await exportPlan(db, job)
    const previous = (job.state ? JSON.parse(job.state) : {}) as ExportCheckpoint
    // Incremental only from a checkpoint of this plan and generation whose tombstones are all kept.
    const since =
      previous.changeSeq !== undefined &&
      previous.plan === plan.key &&
      previous.generation === at.generation &&
      previous.changeSeq >= at.floor
        ? previous.changeSeq
        : null
    const sameGeneration = async (executor: Executor) =>
      (await counter(executor, 'generation')) === at.generation
    const batchSize = findJobType(job.provider, job.job_type)?.batchSize ?? BATCH
    const omitted = { count: 0 }
    const inFlight: DeltaBatch[] = []
    let sent = 0
    let acknowledged = 0
    let drained = false
    // Set when the destination stops taking batches: a batch computed ahead must not wait for it.
    let closed = false
    const waiting: { resolve: (() => void) | null } = { resolve: null }
    // Removes wait until every upsert sent so far is acknowledged and its state committed.
    const settled = async () => {
      await new Promise<void>((resolve) => {
        if (acknowledged >= sent || closed) resolve()
        else waiting.resolve = resolve
      })
      return !closed && (await sameGeneration(db))
    }
    const close = () => {
      closed = true
      waiting.resolve?.()
    }
    async function* batches(): AsyncGenerator<ExportBatch> {
      for await (const delta of exportDelta(db, job, plan, {
        batchSize,
        settled,
        omitted,
        since,
        upTo: at.upTo,
        unacknowledged: (identifier) => inFlight.some((delta) => delta.rows.has(identifier)),
        stopped: () => closed,
      })) {
        inFlight.push(delta)
        sent++
        yield delta.batch
      }
      // Cut short by a destination that stopped: people may be left unsent (removals above all).
      if (!closed) drained = true
    }
    let interrupted = false
    // The next batch is computed while the destination writes this one (see unacknowledged).
    for await (const ack of connector.write(ctx, readAhead(batches(), close))) {
      // Still in flight until its state commits: the batch computed ahead must not judge it by
      // the state before.
      const delta = inFlight[0]
      if (!delta) break
      await commitBatch(deps, job, run.runId, run.totals, async (trx, now) => {
        const counts = await applyAck(trx, job.id, delta.rows, ack, now)
        await addMetrics(trx, job.id, now, counts)
        if (ack.rejected.length)
          await appendLog(trx, {
            jobId: job.id,
            at: now,
            event: 'Rejected',
            message: rejectedSummary(ack.rejected),
          })
        // Delivery state exists now (a later run must not start from scratch), but the position
        // moves only when the whole run is through.
        return { counts, checkpoint: { ...previous, deliveredAt: now } }
      })
      inFlight.shift()
      acknowledged++
      if (acknowledged >= sent) waiting.resolve?.()
      if (stop?.aborted) {
        interrupted = true
        break
      }
    }
    if (interrupted) return run.handBack()
    // A connector that returned early — its lease lost, a shutdown, or a defect — left people
    // unsent or unacknowledged: the position must not move past them.
    if (!drained || inFlight.length > 0) {
      if (run.signal.aborted) throw run.signal.reason
      throw new ConnectorError(
        'transient',
        'the destination stopped before acknowledging every batch; the next run sends the rest',
      )
    }
    // People without the identifier the destination needs: counted once the run knows them all.
    await commitBatch(deps, job, run.runId, run.totals, async (trx, now) => {
      await addMetrics(trx, job.id, now, { omitted: omitted.count })
      // Profiles flipped to a rebuilt generation mid-run: what this run read may be stale.
      const checkpoint: ExportCheckpoint = (await sameGeneration(trx))
        ? { changeSeq: at.upTo, plan: plan.key, generation: at.generation, reconciledAt: now }
        : { ...previous, deliveredAt: now }
      return { counts: { omitted: omitted.count }, checkpoint }
    })
    return run.succeed(false)
  })
}

/**
 * What the destination refused, by reason and without who (identifiers are personal data a log
 * keeps longer than the people's own records): `2 refused by the destination: "looks fake" (1), ...`.
 */
export function rejectedSummary(rejected: WriteAck['rejected']): string {
  const reasons = new Map<string, number>()
  for (const { reason: said } of rejected) {
    // Providers name the person in the reason ("a@x.co looks fake"); grouping needs it out anyway.
    const reason = said.replace(/[^\s@"'<>(),;:]+@[^\s@"'<>(),;:]+/g, '<email>')
    reasons.set(reason, (reasons.get(reason) ?? 0) + 1)
  }
  const top = [...reasons].sort((a, b) => b[1] - a[1])
  const shown = top
    .slice(0, 5)
    .map(([reason, count]) => `${JSON.stringify(reason.slice(0, 200))} (${count})`)
    .join(', ')
  const more = top.length > 5 ? `, and ${top.length - 5} other reasons` : ''
  return `${rejected.length} refused by the destination, counted omitted: ${shown}${more}`
}
