import fs from 'node:fs'
import path from 'node:path'
import { ConfigError } from '../config.ts'
import type { Logger } from '../log.ts'
import { generateKeyText, type MasterKey, parseKeyText } from './cipher.ts'

/** The key file written on first start when SLUICE_SECRET_KEY is not set. */
export const KEY_FILE = 'secret.key'
/** A rotation's new key, written before the secrets are re-encrypted under it (rotate-key.ts). */
export const NEXT_KEY_FILE = 'secret.key.next'

const KEY_HELP = 'generate one with `openssl rand -base64 32`'

/**
 * The master key (DESIGN.md §6): SLUICE_SECRET_KEY, else the data folder's key file, else — only
 * while nothing is encrypted yet — a new key written there (mode 0600) with a warning to back it
 * up. Never a new key over existing secrets: they would be lost for good.
 * @throws ConfigError for a malformed key, or a missing one when secrets exist
 */
export function loadMasterKey(options: {
  envKey: string | undefined
  dataDir: string
  /** Key ids the database's sealed values name (empty on a new install). */
  storedKeyIds: readonly string[]
  /**
   * False on PostgreSQL: processes there share one database from several machines, and each
   * generating its own key would seal what the others cannot open.
   */
  mayGenerate?: boolean
  logger: Logger
}): MasterKey {
  const file = path.join(options.dataDir, KEY_FILE)
  const key = options.envKey
    ? parseOrThrow(options.envKey, 'SLUICE_SECRET_KEY is not a 32-byte key in base64 or hex')
    : fs.existsSync(file)
      ? parseOrThrow(fs.readFileSync(file, 'utf8'), `${KEY_FILE} in the data folder is not a 32-byte key`)
      : null
  if (key && !options.envKey) {
    const promoted = finishRotation(options.dataDir, key, options.storedKeyIds)
    if (promoted) return promoted
  }
  if (key) {
    const foreign = options.storedKeyIds.filter((id) => id !== key.id)
    if (foreign.length)
      throw new ConfigError(
        `the stored credentials were encrypted with key ${foreign.join(', ')}, but the configured key is ${key.id}: ` +
          `set SLUICE_SECRET_KEY to the key they were written with (or restore the data folder's ${KEY_FILE})`,
      )
    return key
  }
  if (options.storedKeyIds.length)
    throw new ConfigError(
      `SLUICE_SECRET_KEY is not set and the data folder has no ${KEY_FILE}, but the database holds ` +
        `credentials encrypted with key ${options.storedKeyIds.join(', ')}: set SLUICE_SECRET_KEY to that key`,
    )
  if (options.mayGenerate === false)
    throw new ConfigError(
      'on PostgreSQL every Sluice process needs the same master key: set SLUICE_SECRET_KEY in each ' +
        `(generate one with \`openssl rand -base64 32\`), or put it in the data folder's ${KEY_FILE}`,
    )
  const text = generateKeyText()
  // `wx`: two processes starting at once must not both write (the loser reads the winner's key).
  try {
    fs.writeFileSync(file, `${text}\n`, { mode: 0o600, flag: 'wx' })
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
    return parseOrThrow(fs.readFileSync(file, 'utf8'), `${KEY_FILE} in the data folder is not a 32-byte key`)
  }
  const generated = parseKeyText(text)!
  options.logger.warn(
    { keyId: generated.id, file },
    `GENERATED A NEW MASTER KEY in ${KEY_FILE}: back it up now — without it every stored credential is lost. ` +
      'In production set SLUICE_SECRET_KEY instead.',
  )
  return generated
}

/**
 * A rotation that committed but stopped before replacing the key file: the secrets name the next
 * key. Finish it (the old key kept beside, as the rotation does) and use the next key.
 */
function finishRotation(
  dataDir: string,
  current: MasterKey,
  storedKeyIds: readonly string[],
): MasterKey | null {
  const nextFile = path.join(dataDir, NEXT_KEY_FILE)
  if (!fs.existsSync(nextFile)) return null
  const next = parseKeyText(fs.readFileSync(nextFile, 'utf8'))
  if (!next || storedKeyIds.length === 0 || !storedKeyIds.every((id) => id === next.id)) return null
  replaceKeyFile(dataDir, current)
  return next
}

/** Keeps the current key file as `secret.key.<id>.old` and puts the next key file in its place. */
export function replaceKeyFile(dataDir: string, current: MasterKey): void {
  const file = path.join(dataDir, KEY_FILE)
  fs.copyFileSync(file, path.join(dataDir, `${KEY_FILE}.${current.id}.old`))
  fs.renameSync(path.join(dataDir, NEXT_KEY_FILE), file)
}

function parseOrThrow(text: string, message: string): MasterKey {
  const key = parseKeyText(text)
  if (!key) throw new ConfigError(`${message}; ${KEY_HELP}`)
  return key
}
