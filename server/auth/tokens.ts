import { createHash } from 'node:crypto'

/** Session ids, API tokens and data keys are stored as sha256: a database leak yields no live credential. */
export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex')
}
