import pino from 'pino'

/**
 * Structured JSON logs. Credentials never reach a log line: these paths are censored wherever
 * they appear, and the Vault adds known secret values to the scrubber in a later layer.
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
    },
    options.destination,
  )
}

/** Strips `access_token`-like query values from a URL before it is logged. */
export function safeUrl(url: string): string {
  return url.replace(/([?&](?:access_token|token|key|api_key)=)[^&#]*/gi, '$1[redacted]')
}
