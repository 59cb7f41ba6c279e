/** Durations as written in settings and cadences: `500ms`, `3s`, `10m`, `10h`, `90d`. */
const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/

/**
 * Parses a duration into milliseconds, or returns `null` when the text is not one.
 * @example parseDuration('15m') // 900000
 */
export function parseDuration(text: string): number | null {
  const match = DURATION.exec(text.trim())
  if (!match) return null
  const ms = Number(match[1]) * (UNITS[match[2]!] ?? 0)
  return Number.isFinite(ms) && ms > 0 ? Math.round(ms) : null
}

/** Formats milliseconds with the largest unit that divides them: 5400000 -> `90m`. */
export function formatDuration(ms: number): string {
  for (const unit of ['d', 'h', 'm', 's'] as const) {
    const size = UNITS[unit]!
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`
  }
  return `${ms}ms`
}
