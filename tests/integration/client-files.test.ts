import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, expect, it } from 'vitest'
import { createApp } from '../../server/app.ts'
import { useTestApp } from '../support/app.ts'
import { describeEachDialect } from '../support/dialects.ts'

describeEachDialect('client files', (dialect) => {
  const t = useTestApp(dialect)
  const clientDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-client-'))
  fs.mkdirSync(path.join(clientDir, 'assets'))
  fs.writeFileSync(path.join(clientDir, 'index.html'), '<!doctype html><div id="root"></div>')
  fs.writeFileSync(path.join(clientDir, 'assets', 'main-Ab12Cd34.js'), 'console.log(1)')
  afterAll(() => fs.rmSync(clientDir, { recursive: true, force: true }))

  it('lets browsers keep hashed assets for good and always revalidate the app shell', async () => {
    const app = createApp(t().deps, { clientDir })
    const asset = await app.request('/assets/main-Ab12Cd34.js')
    expect(asset.status).toBe(200)
    expect(await asset.text()).toBe('console.log(1)')
    expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable')
    // A client route gets the shell, which names the assets of the current build: never kept stale.
    const shell = await app.request('/pipelines/p1')
    expect(await shell.text()).toContain('id="root"')
    expect(shell.headers.get('cache-control')).toBe('no-cache')
    const missing = await app.request('/assets/missing-00000000.js')
    expect(missing.status).toBe(404)
    expect(missing.headers.get('cache-control')).toBeNull()
  })

  it('answers the catalogue as JSON, the same on every call', async () => {
    const cookie = await t().setupAdmin()
    const first = await t().send('GET', '/api/providers', { cookie })
    const second = await t().send('GET', '/api/providers', { cookie })
    expect(first.status).toBe(200)
    expect(first.headers.get('content-type')).toMatch(/^application\/json/)
    expect(second.json).toEqual(first.json)
    expect(first.json.length).toBeGreaterThan(10)
  })
})
