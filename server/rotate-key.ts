import fs from 'node:fs'
import path from 'node:path'
import { loadConfig } from './config.ts'
import { recordAudit } from './db/audit.repo.ts'
import { storedKeyIds } from './db/authorizations.repo.ts'
import { migrateToLatest, openDatabase } from './db/database.ts'
import { createLogger } from './log.ts'
import { generateKeyText, parseKeyText } from './vault/cipher.ts'
import { loadMasterKey, NEXT_KEY_FILE, replaceKeyFile } from './vault/master-key.ts'
import { resealStale } from './vault/reseal.ts'
import { createVault } from './vault/vault.ts'

/**
 * `npm run rotate-key`: re-encrypts every stored secret under a new master key, in one
 * transaction. With the data folder's key file, a new key is generated and replaces the file (the
 * old one kept beside it as `secret.key.<id>.old` for backups made before). With
 * SLUICE_SECRET_KEY, give the new key as SLUICE_NEW_SECRET_KEY, then restart with it as
 * SLUICE_SECRET_KEY. Stop every Sluice process first: one still running holds the old key.
 */
async function main(): Promise<void> {
  const config = loadConfig()
  const logger = createLogger({ level: 'warn' })
  const database = openDatabase(config.db)
  try {
    await migrateToLatest(database.db)
    const current = loadMasterKey({
      envKey: config.secretKey,
      dataDir: config.dataDir,
      storedKeyIds: await storedKeyIds(database.db),
      logger,
    })
    const givenNext = process.env.SLUICE_NEW_SECRET_KEY
    if (config.secretKey && !givenNext)
      throw new Error(
        'SLUICE_SECRET_KEY is set: give the new key as SLUICE_NEW_SECRET_KEY (generate one with `openssl rand -base64 32`)',
      )
    const next = parseKeyText(givenNext ?? generateKeyText())
    if (!next) throw new Error('SLUICE_NEW_SECRET_KEY is not a 32-byte key in base64 or hex')
    if (next.id === current.id) throw new Error('the new key is the current key: give a different one')
    // The new key is on disk before any secret depends on it; start-up finishes a rotation cut short.
    if (!config.secretKey)
      fs.writeFileSync(path.join(config.dataDir, NEXT_KEY_FILE), `${next.key.toString('base64')}\n`, {
        mode: 0o600,
      })
    const counts = await resealStale(database.db, createVault(next, [current]))
    if (!config.secretKey) replaceKeyFile(config.dataDir, current)
    await recordAudit(database.db, {
      actor: null,
      action: 'rotated',
      entityType: 'vault',
      entityId: next.id,
      entityName: 'master key',
      details: { from: current.id, to: next.id, ...counts },
      at: new Date().toISOString(),
    })
    console.log(
      `re-encrypted ${counts.authorizations} authorizations, ${counts.oauthClients} OAuth clients and ` +
        `${counts.alertRules} alert rules from key ${current.id} to ${next.id}.`,
    )
    console.log(
      config.secretKey
        ? 'Now set SLUICE_SECRET_KEY to the new key (SLUICE_NEW_SECRET_KEY) and start Sluice.'
        : `The data folder's secret.key holds the new key; back it up now. The old one is kept as secret.key.${current.id}.old.`,
    )
  } finally {
    await database.close()
  }
}

main().catch((error: unknown) => {
  console.error(`rotate-key failed: ${(error as Error).message}`)
  process.exit(1)
})
