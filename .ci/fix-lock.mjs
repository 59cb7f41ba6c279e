// The registry this project installs from serves only Biome's Linux glibc binaries. `npm install`
// then writes a lock without Biome's other platform packages, and `npm ci` refuses that lock as
// "out of sync". This adds those optional entries back (with os/cpu/libc, so npm skips them here).
// Run `npm run fix-lock` after any `npm install` that rewrote package-lock.json.
import fs from 'node:fs'

const file = new URL('../package-lock.json', import.meta.url)
const lock = JSON.parse(fs.readFileSync(file, 'utf8'))
const biome = lock.packages['node_modules/@biomejs/biome']
let added = 0
for (const [name, range] of Object.entries(biome?.optionalDependencies ?? {})) {
  const key = `node_modules/${name}`
  if (lock.packages[key]) continue
  const [, os, cpu, libc] = /cli-(\w+)-(\w+?)(?:-(musl))?$/.exec(name) ?? []
  if (!os || !cpu) throw new Error(`cannot tell the platform of ${name}`)
  lock.packages[key] = {
    version: range,
    cpu: [cpu],
    dev: true,
    license: biome.license,
    optional: true,
    os: [os],
    ...(libc ? { libc: [libc] } : {}),
    engines: biome.engines,
  }
  added++
}
fs.writeFileSync(file, `${JSON.stringify(lock, null, 2)}\n`)
console.log(
  added
    ? `added ${added} platform entries for Biome`
    : 'package-lock.json already lists every Biome platform',
)
