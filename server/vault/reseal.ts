import { serialize } from '../db/locks.ts'
import type { Executor } from '../db/schema.ts'
import { openTargets, type StoredTarget, sealTarget } from '../events/alert-rules.ts'
import { sealedKeyId } from './cipher.ts'
import { resealAppSecrets } from './oauth-app.ts'
import type { Vault } from './vault.ts'

export interface ResealCounts {
  authorizations: number
  oauthClients: number
  alertRules: number
}

/**
 * Re-seals, in one transaction, every stored secret that is not under the vault's current key:
 * all of them during a key rotation (the vault then holds the old key as a previous one), and at
 * start-up any alert target written before webhooks were sealed. A value that cannot be opened
 * aborts the whole pass: nothing is half re-encrypted. OAuth2 flows in progress are dropped
 * (they last minutes; the user starts again).
 */
export async function resealStale(db: Executor, vault: Vault): Promise<ResealCounts> {
  return db.transaction().execute(async (trx) => {
    await serialize(trx, 'sluice.reseal')
    const counts: ResealCounts = { authorizations: 0, oauthClients: 0, alertRules: 0 }
    const authorizations = await trx
      .selectFrom('authorizations')
      .select(['id', 'secrets'])
      .where('key_id', 'is not', null)
      .where('key_id', '!=', vault.keyId)
      .execute()
    for (const row of authorizations) {
      const sealed = JSON.parse(row.secrets) as Record<string, string>
      const resealed = Object.fromEntries(
        Object.entries(sealed).map(([field, value]) => {
          const place = { owner: row.id, field }
          return [field, vault.seal(place, vault.unseal(place, value))]
        }),
      )
      await trx
        .updateTable('authorizations')
        .set({ secrets: JSON.stringify(resealed), key_id: vault.keyId })
        .where('id', '=', row.id)
        .execute()
      counts.authorizations++
    }
    const clients = await trx
      .selectFrom('oauth_clients')
      .select(['provider', 'client_secret', 'settings'])
      .where('key_id', '!=', vault.keyId)
      .execute()
    for (const client of clients) {
      const place = { owner: `oauth-client:${client.provider}`, field: 'clientSecret' }
      await trx
        .updateTable('oauth_clients')
        .set({
          client_secret: vault.seal(place, vault.unseal(place, client.client_secret)),
          settings: resealAppSecrets(vault, client.provider, client.settings),
          key_id: vault.keyId,
        })
        .where('provider', '=', client.provider)
        .execute()
      counts.oauthClients++
    }
    if (authorizations.length || clients.length) await trx.deleteFrom('oauth_states').execute()
    const rules = await trx.selectFrom('alert_rules').select(['id', 'targets']).execute()
    for (const rule of rules) {
      const stored = JSON.parse(rule.targets) as StoredTarget[]
      const stale = stored.some(
        (target) => target.type === 'webhook' && sealedKeyId(target.url) !== vault.keyId,
      )
      if (!stale) continue
      const resealed = openTargets(vault, rule.id, rule.targets).map((target, index) =>
        sealTarget(vault, rule.id, index, target),
      )
      await trx
        .updateTable('alert_rules')
        .set({ targets: JSON.stringify(resealed) })
        .where('id', '=', rule.id)
        .execute()
      counts.alertRules++
    }
    return counts
  })
}
