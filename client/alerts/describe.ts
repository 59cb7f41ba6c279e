import type { AlertCondition } from '../queries/alerts.ts'

const REASONS = { schedule: 'its schedule', retry: 'a retry', rate_limit: 'a rate limit' } as const

/** A rule's condition in words: "fails", "errors 3 times in a row for longer than 1h", … */
export function describeCondition(condition: AlertCondition): string {
  switch (condition.kind) {
    case 'failed':
      return 'the job fails'
    case 'error_streak': {
      const parts = [
        condition.errors !== undefined ? `${condition.errors} errors in a row` : null,
        condition.longerThan ? `failing for longer than ${condition.longerThan}` : null,
      ].filter(Boolean)
      return parts.join(', ')
    }
    case 'sleeping':
      return `sleeping longer than ${condition.longerThan} (for ${(
        condition.reasons ?? ['retry', 'rate_limit']
      )
        .map((reason) => REASONS[reason])
        .join(' or ')})`
    case 'omitted':
      return `a run omits more than ${condition.percent}% of profiles`
  }
}
