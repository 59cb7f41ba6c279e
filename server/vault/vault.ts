import { type MasterKey, type SealedPlace, seal, unseal } from './cipher.ts'
import { addKnownSecret } from './scrubber.ts'

/**
 * The process's sealing service over its master key. Every value it opens is registered with
 * the log scrubber first, so a connector that echoes a credential into an error cannot log it.
 */
export interface Vault {
  /** The id of the key new values are sealed with. */
  readonly keyId: string
  seal(place: SealedPlace, plaintext: string): string
  /** @throws VaultError (damaged, foreign key, failed integrity check) */
  unseal(place: SealedPlace, sealed: string): string
}

/** `previous` keys still open values during a rotation; new values always use `key`. */
export function createVault(key: MasterKey, previous: readonly MasterKey[] = []): Vault {
  const keys = [key, ...previous]
  return {
    keyId: key.id,
    seal(place, plaintext) {
      addKnownSecret(plaintext)
      return seal(key, place, plaintext)
    },
    unseal(place, sealed) {
      const plaintext = unseal(keys, place, sealed)
      addKnownSecret(plaintext)
      return plaintext
    },
  }
}
