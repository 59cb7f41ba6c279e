import { generateKeyText, parseKeyText } from '../../server/vault/cipher.ts'
import { createVault, type Vault } from '../../server/vault/vault.ts'

/** A vault under a fresh random key, as a new install generates one. */
export function freshVault(): Vault {
  return createVault(parseKeyText(generateKeyText())!)
}
