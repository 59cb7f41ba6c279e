/**
 * Seeded randomness for the sample source. Every record draws from its own generator keyed by
 * (seed, purpose, index), so record N is identical however runs are split, and no record depends
 * on how many numbers an earlier one consumed.
 */

const TWO_32 = 4_294_967_296

/** Murmur3's finaliser: a strong 32-bit avalanche, so neighbouring keys give unrelated streams. */
function fmix32(value: number): number {
  let h = value >>> 0
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b)
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35)
  return (h ^ (h >>> 16)) >>> 0
}

/** Hashes safe integers (negative ones too) into 32 bits, using both halves of each. */
export function hashInts(...parts: number[]): number {
  let h = 0x9e3779b9
  for (const part of parts) {
    const high = Math.floor(part / TWO_32)
    const low = part - high * TWO_32
    h = fmix32(h ^ low)
    h = fmix32((h + 0x6d2b79f5) ^ (high | 0))
  }
  return h
}

/** A mulberry32 stream: tiny, fast, and good enough for fake data (not for anything secret). */
export class Rng {
  #state: number

  constructor(...key: number[]) {
    this.#state = hashInts(...key)
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) | 0
    let t = Math.imul(this.#state ^ (this.#state >>> 15), 1 | this.#state)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / TWO_32
  }

  /** Uniform 32-bit unsigned integer. */
  uint32(): number {
    return Math.floor(this.next() * TWO_32)
  }

  /** Uniform integer in [0, bound). */
  int(bound: number): number {
    return Math.floor(this.next() * bound)
  }

  chance(probability: number): boolean {
    return this.next() < probability
  }

  pick<T>(items: readonly T[]): T {
    const item = items[this.int(items.length)]
    if (item === undefined) throw new Error('pick from an empty list')
    return item
  }
}
