import path from 'node:path'
import { parseDuration } from '../nodes/duration.ts'

/** Settings of DESIGN.md §9, read once from the environment. */
export interface Config {
  port: number
  host: string
  publicUrl: string
  dataDir: string
  /** A SQLite file path or a postgres:// URL. */
  db: string
  dialect: 'sqlite' | 'postgres'
  failAfterMs: number
  purgeAfterMs: number
  retryBaseMs: number
  retryMaxMs: number
  leaseTtlMs: number
  workerConcurrency: number
  mergeCap: number
  allowPrivateNetwork: boolean
  adminEmail: string | undefined
  adminPassword: string | undefined
  logLevel: string
  /** SMTP server for email alerts (`smtp://user:pass@host:587`, `smtps://...`); unset: no email. */
  smtpUrl: string | undefined
  smtpFrom: string
  /** Collect requests per second per data key (per process); past it, 429 with Retry-After. */
  collectRateLimit: number
  /** The master key as given (SLUICE_SECRET_KEY); unset: the data folder's key file. Never logged. */
  secretKey: string | undefined
}

type Env = Record<string, string | undefined>

/** Thrown for a setting that cannot be used; start-up prints it and exits. */
export class ConfigError extends Error {
  override name = 'ConfigError'
}

function duration(env: Env, name: string, fallback: string): number {
  const text = env[name] ?? fallback
  const ms = parseDuration(text)
  if (ms === null)
    throw new ConfigError(`${name}="${text}" is not a duration; use e.g. 500ms, 3s, 10m, 10h or 90d`)
  return ms
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const text = env[name]
  if (text === undefined || text === '') return fallback
  const value = Number(text)
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name}="${text}" must be a whole number from ${min} to ${max}`)
  }
  return value
}

function smtpUrl(env: Env): string | undefined {
  const text = env.SLUICE_SMTP_URL
  if (!text) return undefined
  let url: URL | null = null
  try {
    url = new URL(text)
  } catch {}
  if (!url || !['smtp:', 'smtps:'].includes(url.protocol) || !url.hostname)
    // The value may hold a password: name the setting, not the value.
    throw new ConfigError('SLUICE_SMTP_URL must look like smtp://user:password@host:587 or smtps://host:465')
  return text
}

/**
 * Reads the settings; unknown values fail loudly rather than falling back silently.
 * @example const config = loadConfig(process.env)
 */
export function loadConfig(env: Env = process.env): Config {
  const dataDir = path.resolve(env.SLUICE_DATA_DIR || './data')
  const db = env.SLUICE_DB || path.join(dataDir, 'sluice.db')
  const dialect = /^postgres(ql)?:\/\//.test(db) ? 'postgres' : 'sqlite'
  const port = integer(env, 'PORT', 8080, 0, 65535)
  return {
    port,
    host: env.HOST || '127.0.0.1',
    publicUrl: (env.SLUICE_PUBLIC_URL || `http://localhost:${port}`).replace(/\/+$/, ''),
    dataDir,
    db,
    dialect,
    failAfterMs: duration(env, 'SLUICE_FAIL_AFTER', '10h'),
    purgeAfterMs: duration(env, 'SLUICE_PURGE_AFTER', '90d'),
    retryBaseMs: duration(env, 'SLUICE_RETRY_BASE', '30s'),
    retryMaxMs: duration(env, 'SLUICE_RETRY_MAX', '30m'),
    leaseTtlMs: duration(env, 'SLUICE_LEASE_TTL', '60s'),
    workerConcurrency: integer(env, 'SLUICE_WORKER_CONCURRENCY', 4, 1, 256),
    mergeCap: integer(env, 'SLUICE_MERGE_CAP', 20, 1, 1_000_000),
    allowPrivateNetwork:
      env.SLUICE_ALLOW_PRIVATE_NETWORK === '1' || env.SLUICE_ALLOW_PRIVATE_NETWORK === 'true',
    adminEmail: env.SLUICE_ADMIN_EMAIL || undefined,
    adminPassword: env.SLUICE_ADMIN_PASSWORD || undefined,
    logLevel: env.SLUICE_LOG_LEVEL || env.LOG_LEVEL || 'info',
    smtpUrl: smtpUrl(env),
    smtpFrom: env.SLUICE_SMTP_FROM || 'Sluice <sluice@localhost>',
    secretKey: env.SLUICE_SECRET_KEY || undefined,
    collectRateLimit: integer(env, 'SLUICE_COLLECT_RATE_LIMIT', 1000, 1, 1_000_000),
  }
}
