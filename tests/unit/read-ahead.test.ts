import { describe, expect, it } from 'vitest'
import { readAhead } from '../../server/executor/read-ahead.ts'

const tick = () => new Promise((resolve) => setTimeout(resolve, 5))

describe('readAhead', () => {
  it('reads the next batch while the current one is used, in order', async () => {
    const log: string[] = []
    async function* source() {
      for (let n = 0; n < 3; n++) {
        log.push(`read ${n}`)
        await tick()
        yield n
      }
    }
    const seen: number[] = []
    for await (const n of readAhead(source())) {
      log.push(`commit ${n} begins`)
      await tick()
      await tick()
      log.push(`commit ${n} ends`)
      seen.push(n)
    }
    expect(seen).toEqual([0, 1, 2])
    // Batch 1 is being read while batch 0 commits.
    expect(log.indexOf('read 1')).toBeLessThan(log.indexOf('commit 0 ends'))
    expect(log.indexOf('read 1')).toBeGreaterThan(log.indexOf('read 0'))
  })

  it('raises a failed read in its turn, after the batches before it', async () => {
    async function* source() {
      yield 1
      await tick()
      throw new Error('page 2 failed')
    }
    const seen: number[] = []
    await expect(
      (async () => {
        for await (const n of readAhead(source())) {
          await tick()
          seen.push(n)
        }
      })(),
    ).rejects.toThrow('page 2 failed')
    expect(seen).toEqual([1])
  })

  it('closes the source when the caller stops early', async () => {
    let closed = false
    async function* source() {
      try {
        for (let n = 0; ; n++) yield n
      } finally {
        closed = true
      }
    }
    for await (const n of readAhead(source())) if (n === 2) break
    expect(closed).toBe(true)
  })
})
