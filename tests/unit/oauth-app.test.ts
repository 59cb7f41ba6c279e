import { expect, it } from 'vitest'
import { z } from 'zod'
import { SECRET } from '../../nodes/define.ts'
import { generateKeyText, parseKeyText, VaultError } from '../../server/vault/cipher.ts'
import { openAppFields, resealAppSecrets, sealAppFields } from '../../server/vault/oauth-app.ts'
import { createVault } from '../../server/vault/vault.ts'

const method = {
  id: 'oauth2' as const,
  title: 'Connect',
  schema: z.strictObject({}),
  appFields: z.strictObject({ developerToken: z.string().meta(SECRET), team: z.string().optional() }),
}

it("re-seals an OAuth app's secret fields under a new master key, leaving plain ones as they are", () => {
  const oldKey = parseKeyText(generateKeyText())!
  const newKey = parseKeyText(generateKeyText())!
  const before = createVault(oldKey)
  const sealed = sealAppFields(before, 'ads', method, { developerToken: 'dev-123456', team: 'growth' }, {})
  expect(JSON.stringify(sealed)).not.toContain('dev-123456')
  const rotating = createVault(newKey, [oldKey])
  const resealed = JSON.parse(resealAppSecrets(rotating, 'ads', JSON.stringify({ scopes: ['x'], ...sealed })))
  expect(resealed.scopes).toEqual(['x'])
  // Only the new key is needed now; the old key alone no longer opens it.
  expect(openAppFields(createVault(newKey), 'ads', resealed)).toEqual({
    fields: { team: 'growth' },
    secrets: { developerToken: 'dev-123456' },
  })
  expect(() => openAppFields(before, 'ads', resealed)).toThrow(VaultError)
  // Sealed for one provider, it does not open as another's.
  expect(() => openAppFields(createVault(newKey), 'other', resealed)).toThrow(VaultError)
})
