import { useNow } from '../../components/use-now.ts'
import { formatNumber, formatRelative } from '../../format.ts'
import type { NodeStatus } from '../../types.ts'

/** The countdown that matters most for a job in this state, if any. */
export function countdownOf(status: NodeStatus, now: number): string | null {
  const at = (iso: string) => formatRelative(iso, now)
  if (status.failsAt) return `fails ${at(status.failsAt)} unless a retry succeeds`
  if (status.purgesAt) return `purged ${at(status.purgesAt)}`
  if (status.status === 'sleeping' && status.nextRunAt) {
    if (status.sleepReason === 'rate_limit') return `rate-limited, resumes ${at(status.nextRunAt)}`
    if (status.sleepReason === 'retry') return `retries ${at(status.nextRunAt)}`
    return `next run ${at(status.nextRunAt)}`
  }
  return null
}

/** A deployed job node's last run (added / removed / omitted) and its countdown. */
export function JobFacts({ status }: { status: NodeStatus }) {
  const now = useNow()
  const countdown = countdownOf(status, now)
  const run = status.lastRun
  return (
    <div className="flow-node-facts">
      {run && (
        <span title={`Last run ${formatRelative(run.endedAt, now)}: ${run.outcome}`}>
          +{formatNumber(run.added)} · −{formatNumber(run.removed)} · {formatNumber(run.omitted)} omitted
        </span>
      )}
      {countdown && <span className="flow-node-countdown">{countdown}</span>}
    </div>
  )
}
