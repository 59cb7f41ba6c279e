import { execFileSync, spawnSync } from 'node:child_process'
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'

/** Where Debian keeps the server binaries (not on PATH): /usr/lib/postgresql/<major>/bin. */
export function findPostgresBin(): string | null {
  const base = '/usr/lib/postgresql'
  if (!fs.existsSync(base)) return null
  const majors = fs
    .readdirSync(base)
    .filter((name) => fs.existsSync(path.join(base, name, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a))
  return majors[0] ? path.join(base, majors[0], 'bin') : null
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo
      server.close(() => resolve(port))
    })
  })
}

export interface PostgresServer {
  url: string
  stop(): void
}

/**
 * Starts a throwaway PostgreSQL from the Debian binaries in a temp folder (TOOLCHAIN.md).
 * initdb refuses to run as root, so as root it runs as the `postgres` user.
 */
/**
 * `extra`: more `-c name=value` server options (a benchmark's extension, say). `password`: TCP
 * connections must then give it (SCRAM) — for tests of wrong passwords and missing privileges.
 */
export async function startPostgres(
  bin: string,
  extra = '',
  login: { password?: string } = {},
): Promise<PostgresServer> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-pg-'))
  const asRoot = process.getuid?.() === 0
  const run = (command: string, args: string[]) => {
    const [file, argv] = asRoot
      ? ['runuser', ['-u', 'postgres', '--', path.join(bin, command), ...args]]
      : [path.join(bin, command), args]
    const result = spawnSync(file, argv as string[], { encoding: 'utf8' })
    if (result.status !== 0) throw new Error(`${command} failed: ${result.stderr || result.stdout}`)
  }
  if (asRoot) execFileSync('chown', ['postgres:postgres', dir])
  const data = path.join(dir, 'data')
  const auth = ['--auth=trust']
  if (login.password !== undefined) {
    const pwfile = path.join(dir, 'pwfile')
    fs.writeFileSync(pwfile, login.password)
    if (asRoot) execFileSync('chown', ['postgres:postgres', pwfile])
    auth.splice(0, 1, '--auth-local=trust', '--auth-host=scram-sha-256', `--pwfile=${pwfile}`)
  }
  run('initdb', ['-D', data, '-U', 'postgres', ...auth, '-E', 'UTF8', '--locale=C.UTF-8'])
  const port = await freePort()
  const options = `-c listen_addresses=127.0.0.1 -p ${port} -k ${dir} -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200 ${extra}`
  run('pg_ctl', ['-D', data, '-l', path.join(dir, 'log'), '-w', '-o', options, 'start'])
  return {
    url: `postgres://postgres${login.password === undefined ? '' : `:${encodeURIComponent(login.password)}`}@127.0.0.1:${port}/postgres`,
    stop() {
      try {
        run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop'])
      } finally {
        fs.rmSync(dir, { recursive: true, force: true })
      }
    },
  }
}
