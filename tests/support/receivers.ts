import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { SMTPServer } from 'smtp-server'

export interface ReceivedRequest {
  method: string
  path: string
  headers: http.IncomingHttpHeaders
  body: string
}

/**
 * A webhook endpoint on loopback that records what it is sent. `answer` sets the status it
 * replies with; `stop()` closes it (the target is down) and `start()` reopens it on the same port.
 */
export async function webhookReceiver() {
  const received: ReceivedRequest[] = []
  let status = 200
  let port = 0
  let server: http.Server | null = null
  const start = () =>
    new Promise<void>((resolve) => {
      server = http.createServer((request, response) => {
        let body = ''
        request.setEncoding('utf8')
        request.on('data', (chunk) => {
          body += chunk
        })
        request.on('end', () => {
          received.push({
            method: request.method ?? '',
            path: request.url ?? '',
            headers: request.headers,
            body,
          })
          response.writeHead(status, { 'content-type': 'text/plain' }).end(status < 300 ? 'ok' : 'no_service')
        })
      })
      server.listen(port, '127.0.0.1', () => {
        port = (server!.address() as AddressInfo).port
        resolve()
      })
    })
  const stop = () =>
    new Promise<void>((resolve) => {
      if (!server) return resolve()
      server.closeAllConnections()
      server.close(() => resolve())
      server = null
    })
  await start()
  return {
    received,
    url: (path = '/hook') => `http://127.0.0.1:${port}${path}`,
    answer: (next: number) => {
      status = next
    },
    start,
    stop,
  }
}

export interface ReceivedMail {
  from: string
  to: string[]
  raw: string
}

/** A real SMTP server (the `smtp-server` package) on loopback, with login, recording each message. */
export async function smtpReceiver() {
  const received: ReceivedMail[] = []
  let port = 0
  let server: SMTPServer | null = null
  const start = () =>
    new Promise<void>((resolve, reject) => {
      server = new SMTPServer({
        authOptional: false,
        allowInsecureAuth: true,
        disabledCommands: ['STARTTLS'],
        onAuth: (auth, _session, callback) =>
          auth.username === 'alerts' && auth.password === 'smtp-secret'
            ? callback(null, { user: auth.username })
            : callback(new Error('Invalid username or password')),
        onData: (stream, session, callback) => {
          let raw = ''
          stream.setEncoding('utf8')
          stream.on('data', (chunk) => {
            raw += chunk
          })
          stream.on('end', () => {
            received.push({
              from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
              to: session.envelope.rcptTo.map((rcpt) => rcpt.address),
              raw,
            })
            callback()
          })
        },
      })
      server.on('error', reject)
      server.listen(port, '127.0.0.1', () => {
        port = (server!.server.address() as AddressInfo).port
        resolve()
      })
    })
  const stop = () =>
    new Promise<void>((resolve) => {
      if (!server) return resolve()
      server.close(() => resolve())
      server = null
    })
  await start()
  return { received, url: () => `smtp://alerts:smtp-secret@127.0.0.1:${port}`, start, stop }
}
