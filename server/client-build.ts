import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'

/** Newest modification time under a folder (or of a file), 0 when it does not exist. */
function newest(target: string): number {
  if (!fs.existsSync(target)) return 0
  const stat = fs.statSync(target)
  if (!stat.isDirectory()) return stat.mtimeMs
  let latest = stat.mtimeMs
  for (const entry of fs.readdirSync(target, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue
    latest = Math.max(latest, newest(path.join(target, entry.name)))
  }
  return latest
}

/**
 * Builds the client with Vite when `dist/client` is missing or older than its sources
 * (client/, nodes/, vite.config.ts), so `npm start` on a fresh clone serves a current UI.
 */
export function ensureClientBuilt(root: string, log: (message: string) => void): string {
  const out = path.join(root, 'dist', 'client')
  const built = fs.existsSync(path.join(out, 'index.html')) ? newest(path.join(out, 'index.html')) : 0
  const sources = Math.max(
    newest(path.join(root, 'client')),
    newest(path.join(root, 'nodes')),
    newest(path.join(root, 'vite.config.ts')),
    newest(path.join(root, 'package-lock.json')),
  )
  if (built && built >= sources) return out
  log(built ? 'client sources changed; rebuilding the UI' : 'building the UI (first start)')
  const vite = path.join(root, 'node_modules', 'vite', 'bin', 'vite.js')
  const result = spawnSync(process.execPath, [vite, 'build', '--logLevel', 'warn'], {
    cwd: root,
    stdio: 'inherit',
    // Under a test runner NODE_ENV is "test", which would build React's development runtime.
    env: { ...process.env, NODE_ENV: 'production' },
  })
  if (result.status !== 0) throw new Error('building the client failed; run "npm run build" to see why')
  return out
}
