/**
 * Realtime before bulk (DESIGN.md §5, "two lanes"). SQLite has one connection: a backfill's next
 * transaction queued ahead of a realtime request would make the sender wait for it. Requests in
 * the realtime lane hold the gate open; the bulk lane asks for its turn before each transaction and
 * waits while realtime work is in flight — never longer than `maxWaitMs`, so a steady stream of
 * events slows a backfill down but cannot stop it.
 */
export class LaneGate {
  #active = 0
  #waiting: (() => void)[] = []
  #lastSeen = Number.NEGATIVE_INFINITY

  /**
   * A request starts; call `leave` when it has answered. Collect traffic (`events`) also shortens
   * the bulk lane's transactions for a second; a UI request only goes first.
   */
  enter(events = true): void {
    this.#active += 1
    if (events) this.#lastSeen = performance.now()
  }

  /**
   * How long a bulk transaction may take now: 2 ms while realtime traffic is about (a request
   * arriving mid-transaction waits for it; measured, this keeps realtime p99 under a backfill within
   * 1.4x of its quiet p99), 50 ms when none came for a second, since every commit has its cost.
   */
  bulkBudgetMs(): number {
    return performance.now() - this.#lastSeen < 1000 ? 2 : 50
  }

  leave(): void {
    this.#active = Math.max(0, this.#active - 1)
    if (this.#active === 0) this.#release()
  }

  get busy(): boolean {
    return this.#active > 0
  }

  /** Resolves when no realtime request is in flight, or after `maxWaitMs`. */
  async bulkTurn(maxWaitMs = 50): Promise<void> {
    if (this.#active === 0) return
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, maxWaitMs)
      this.#waiting.push(() => {
        clearTimeout(timer)
        resolve()
      })
    })
  }

  #release(): void {
    const waiting = this.#waiting
    this.#waiting = []
    for (const wake of waiting) wake()
  }
}
