import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { freePort } from './postgres.ts'

export const SSHD = '/usr/sbin/sshd'
/** The account tests log in as: chrooted, SFTP only. Created once on the machine (tests run as root). */
export const SFTP_USER = 'sluice-sftp'

/** True when SFTP suites can run (sshd installed, running as root); CI requires them. */
export function sshdAvailable(): boolean {
  const ok = fs.existsSync(SSHD) && process.getuid?.() === 0
  if (ok) return true
  if (process.env.CI)
    throw new Error(
      `CI requires the SFTP suites: apt-get install -y openssh-server, and run the tests as root`,
    )
  console.warn(
    'sshd is not installed (or not root): skipping the SFTP suites (apt-get install -y openssh-server)',
  )
  return false
}

export interface SftpServer {
  port: number
  password: string
  /** The user's private key (OpenSSH format), whose public half the server accepts. */
  privateKey: string
  /** The host key's fingerprint as OpenSSH prints it: `SHA256:…`. */
  fingerprint: string
  /** The chroot on this machine: what the user sees as `/`. */
  root: string
  /** Credentials of an SFTP authorization for this server. */
  credentials(overrides?: Record<string, unknown>): Record<string, unknown>
  /** Writes a file as the user would own it, with a modification time. */
  put(file: string, body: string | Buffer, modified?: Date): void
  stop(): Promise<void>
}

const run = (command: string, args: string[], input?: string) => {
  const result = spawnSync(command, args, { encoding: 'utf8', ...(input ? { input } : {}) })
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${result.stderr}`)
  return result.stdout
}

/**
 * Debian's sshd on a loopback port with its own host key (TOOLCHAIN.md): password and key logins
 * for a user chrooted to a folder under /srv (sshd refuses a chroot under world-writable /tmp)
 * holding `upload/` (the user's), `readonly/` (root's, readable) and `private/` (root's, 0700).
 */
export async function startSftp(): Promise<SftpServer> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-sshd-'))
  fs.chmodSync(dir, 0o755)
  const root = fs.mkdtempSync('/srv/sluice-sftp-')
  fs.chmodSync(root, 0o755)
  if (spawnSync('id', [SFTP_USER]).status !== 0)
    run('useradd', ['--no-create-home', '--shell', '/usr/sbin/nologin', SFTP_USER])
  const password = `pw-${randomBytes(8).toString('hex')}`
  run('chpasswd', [], `${SFTP_USER}:${password}\n`)
  const uid = Number(run('id', ['-u', SFTP_USER]).trim())
  const gid = Number(run('id', ['-g', SFTP_USER]).trim())
  for (const [name, mode, owned] of [
    ['upload', 0o755, true],
    ['readonly', 0o755, false],
    ['private', 0o700, false],
  ] as const) {
    fs.mkdirSync(path.join(root, name))
    fs.chmodSync(path.join(root, name), mode)
    if (owned) fs.chownSync(path.join(root, name), uid, gid)
  }
  run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(dir, 'host_key')])
  run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(dir, 'user_key')])
  const keys = path.join(dir, 'keys')
  fs.mkdirSync(keys, { mode: 0o755 })
  fs.copyFileSync(path.join(dir, 'user_key.pub'), path.join(keys, SFTP_USER))
  fs.chmodSync(path.join(keys, SFTP_USER), 0o644)
  const hostKey = fs.readFileSync(path.join(dir, 'host_key.pub'), 'utf8').split(' ')[1]!
  const fingerprint = `SHA256:${createHash('sha256').update(Buffer.from(hostKey, 'base64')).digest('base64').replace(/=+$/, '')}`
  const port = await freePort()
  const config = path.join(dir, 'sshd_config')
  fs.writeFileSync(
    config,
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${path.join(dir, 'host_key')}`,
      `PidFile ${path.join(dir, 'sshd.pid')}`,
      'UsePAM no',
      'PasswordAuthentication yes',
      'KbdInteractiveAuthentication no',
      'PubkeyAuthentication yes',
      `AuthorizedKeysFile ${keys}/%u`,
      'StrictModes no',
      'PermitRootLogin no',
      'Subsystem sftp internal-sftp',
      `Match User ${SFTP_USER}`,
      `  ChrootDirectory ${root}`,
      '  ForceCommand internal-sftp',
      '  AllowTcpForwarding no',
      '',
    ].join('\n'),
  )
  fs.mkdirSync('/run/sshd', { recursive: true })
  const daemon: ChildProcess = spawn(SSHD, ['-D', '-e', '-f', config], {
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  let log = ''
  daemon.stderr?.on('data', (chunk) => {
    log += chunk
  })
  await new Promise<void>((resolve, reject) => {
    const deadline = Date.now() + 10_000
    const probe = () => {
      if (log.includes('Server listening')) return resolve()
      if (daemon.exitCode !== null || Date.now() > deadline)
        return reject(new Error(`sshd did not start: ${log}`))
      setTimeout(probe, 20)
    }
    probe()
  })
  const privateKey = fs.readFileSync(path.join(dir, 'user_key'), 'utf8')
  return {
    port,
    password,
    privateKey,
    fingerprint,
    root,
    credentials: (overrides = {}) => ({
      host: '127.0.0.1',
      port,
      username: SFTP_USER,
      password,
      hostKey: fingerprint,
      ...overrides,
    }),
    put(file, body, modified) {
      const target = path.join(root, file)
      fs.mkdirSync(path.dirname(target), { recursive: true })
      fs.writeFileSync(target, body)
      execFileSync('chown', [`${uid}:${gid}`, target])
      if (modified) fs.utimesSync(target, modified, modified)
    },
    async stop() {
      const exited = new Promise((resolve) => daemon.once('exit', resolve))
      daemon.kill('SIGTERM')
      await exited
      fs.rmSync(dir, { recursive: true, force: true })
      fs.rmSync(root, { recursive: true, force: true })
    },
  }
}
