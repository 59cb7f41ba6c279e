import pino from 'pino'
import { scrubSecrets } from './vault/scrubber.ts'

/**
 * Structured JSON logs. Credentials never reach a log line: these paths are censored wherever
 * they appear, and known secret values the Vault registered are scrubbed from each line (scrubber.ts).
 */
const REDACT = [
  'password',
  'token',
  'secret',
  'authorization',
  'cookie',
  'credentials',
  '*.password',
  '*.token',
  '*.secret',
  '*.authorization',
  '*.cookie',
  '*.credentials',
  '*.headers.authorization',
  '*.headers.cookie',
  '*.headers["set-cookie"]',
]

export type Logger = pino.Logger

export function createLogger(options: { level?: string; destination?: pino.DestinationStream } = {}): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      base: { app: 'sluice' },
      redact: { paths: REDACT, censor: '[redacted]' },
      // Last line of defence: known secret values wherever they ended up in the line.
      hooks: { streamWrite: scrubSecrets },
    },
    options.destination,
  )
}

/** Query names whose values are credentials, however a sender spells or encodes them. */
const SECRET_NAME = /token|key|secret|password|passwd|auth|signature|credential/i

/**
 * Strips credential-like query values from a URL before it is logged. Names are compared decoded
 * (`access%5Ftoken` is `access_token` to the router, so it must be to the redactor too).
 */
export function safeUrl(url: string): string {
  const at = url.indexOf('?')
  if (at === -1) return url
  const hash = url.indexOf('#', at)
  const query = url.slice(at + 1, hash === -1 ? undefined : hash)
  const parts = query.split('&').map((part) => {
    const eq = part.indexOf('=')
    const rawName = eq === -1 ? part : part.slice(0, eq)
    let name = rawName
    try {
      name = decodeURIComponent(rawName.replace(/\+/g, ' '))
    } catch {
      // A malformed escape is logged as sent, and redacted if it could hide a credential.
      return `${rawName}=[redacted]`
    }
    return eq !== -1 && SECRET_NAME.test(name) ? `${rawName}=[redacted]` : part
  })
  return `${url.slice(0, at)}?${parts.join('&')}${hash === -1 ? '' : url.slice(hash)}`
}
