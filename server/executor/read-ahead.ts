/**
 * Asks for the next item while the caller works on the current one, so waiting on the network and
 * working the CPU overlap; at most one item waits ahead. An import reads its source's next batch
 * while it commits this one (measured on a 100,000-row PostgreSQL import, pg-pipeline.bench.ts:
 * reading had taken a sixth of the run); an export computes its next batch while the destination
 * writes this one. A batch read ahead and never committed is read again from the checkpoint next
 * time. An error producing it surfaces when its turn comes.
 */
export async function* readAhead<T>(
  source: AsyncIterable<T>,
  /** Called when the caller stops early, before waiting for the read in flight: unblock it. */
  onStop?: () => void,
): AsyncGenerator<T> {
  const iterator = source[Symbol.asyncIterator]()
  const ask = () => {
    const next = iterator.next()
    next.catch(() => {})
    return next
  }
  let pending = ask()
  let finished = false
  try {
    for (;;) {
      const result = await pending
      if (result.done) {
        finished = true
        return
      }
      pending = ask()
      yield result.value
    }
  } finally {
    // Stopped early: the source closes once the read in flight settles.
    if (!finished) {
      onStop?.()
      await iterator.return?.(undefined)?.catch(() => {})
    }
  }
}
