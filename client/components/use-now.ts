import { useSyncExternalStore } from 'react'

/** How often countdowns move: they show minutes, so a few ticks a minute keep them honest. */
const TICK_MS = 15_000

let now = Date.now()
const listeners = new Set<() => void>()
let timer: ReturnType<typeof setInterval> | undefined

function subscribe(listener: () => void) {
  listeners.add(listener)
  // One timer for every countdown on the page, running only while one is shown.
  timer ??= setInterval(() => {
    now = Date.now()
    for (const notify of listeners) notify()
  }, TICK_MS)
  return () => {
    listeners.delete(listener)
    if (listeners.size === 0) {
      clearInterval(timer)
      timer = undefined
    }
  }
}

/** The current time, re-read every few seconds by one shared timer. */
export function useNow(): number {
  return useSyncExternalStore(subscribe, () => now)
}
