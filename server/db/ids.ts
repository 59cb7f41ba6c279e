import { randomBytes, randomFillSync } from 'node:crypto'

let lastMs = 0
let sequence = 0
// One kernel call per 1,024 ids: unification mints an id per new person, a million in a backfill.
const pool = Buffer.alloc(7 * 1024)
let poolAt = pool.length

function random7(): string {
  if (poolAt === pool.length) {
    randomFillSync(pool)
    poolAt = 0
  }
  poolAt += 7
  return pool.toString('hex', poolAt - 7, poolAt)
}

/**
 * Time-ordered ids (like ULID/UUIDv7): they sort by creation, which keeps keyset pages and
 * B-tree inserts in order. 11 chars of millisecond time + 3 of sequence + 10 random, base36.
 */
export function newId(now: number = Date.now()): string {
  if (now === lastMs) sequence += 1
  else {
    lastMs = now
    sequence = 0
  }
  const time = now.toString(36).padStart(11, '0')
  const seq = (sequence % 46656).toString(36).padStart(3, '0')
  const random = BigInt(`0x${random7()}`).toString(36).padStart(11, '0').slice(-10)
  return `${time}${seq}${random}`
}

/** A random opaque secret (session cookies, API tokens, data keys). */
export function newSecret(prefix: string): string {
  return `${prefix}_${randomBytes(24).toString('base64url')}`
}
