import { spawnSync } from 'node:child_process'
import { expect, it } from 'vitest'
import { openDeps } from '../../server/bootstrap.ts'
import { loadConfig } from '../../server/config.ts'
import { listUsers } from '../../server/db/users.repo.ts'
import { createLogger } from '../../server/log.ts'
import { describeEachDialect, openTestDatabase } from '../support/dialects.ts'
import { TEST_SECRET_KEY } from '../support/server.ts'

const runScript = (script: string, env: Record<string, string>) =>
  spawnSync(process.execPath, ['--import', 'tsx', script], {
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: 60_000,
  })

describeEachDialect('start-up', (dialect) => {
  it('creates the first admin from SLUICE_ADMIN_EMAIL / SLUICE_ADMIN_PASSWORD once', async () => {
    const database = await openTestDatabase(dialect)
    const env = {
      SLUICE_DATA_DIR: database.dataDir,
      SLUICE_DB: database.url,
      SLUICE_SECRET_KEY: TEST_SECRET_KEY,
      SLUICE_ADMIN_EMAIL: 'Ops@Example.com',
      SLUICE_ADMIN_PASSWORD: 'from-the-env',
    }
    for (let start = 0; start < 2; start++) {
      const { deps, close } = await openDeps(loadConfig(env), createLogger({ level: 'silent' }))
      const users = await listUsers(deps.db)
      expect(users.map((user) => [user.email, user.role])).toEqual([['ops@example.com', 'admin']])
      await close()
    }
    await expect(
      openDeps(loadConfig({ ...env, SLUICE_ADMIN_PASSWORD: '' }), createLogger({ level: 'silent' })),
    ).rejects.toThrow(/SLUICE_ADMIN_EMAIL and SLUICE_ADMIN_PASSWORD/)
    await database.close()
  })

  it('migrates with `npm run migrate` and is idempotent', async () => {
    const database = await openTestDatabase(dialect, { migrate: false })
    const first = runScript('server/migrate.ts', { SLUICE_DB: database.url })
    expect(first.status, first.stderr).toBe(0)
    expect(first.stdout).toMatch(/applied 0001-foundation/)
    const second = runScript('server/migrate.ts', { SLUICE_DB: database.url })
    expect(second.stdout).toMatch(/up to date/)
    expect(await database.db.selectFrom('jobs').selectAll().execute()).toEqual([])
    await database.close()
  })
})

it('refuses to start on an unusable setting, naming it', () => {
  const result = runScript('server/index.ts', {
    SLUICE_FAIL_AFTER: 'ten hours',
    SLUICE_SKIP_CLIENT_BUILD: '1',
  })
  expect(result.status).toBe(1)
  expect(result.stderr).toMatch(/Sluice cannot start: SLUICE_FAIL_AFTER="ten hours" is not a duration/)
})
