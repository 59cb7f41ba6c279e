import type { TestProject } from 'vitest/node'
import { ROOT } from '../../server/bootstrap.ts'
import { ensureClientBuilt } from '../../server/client-build.ts'
import { findPostgresBin, type PostgresServer, startPostgres } from './postgres.ts'

declare module 'vitest' {
  export interface ProvidedContext {
    /** Admin URL of the throwaway PostgreSQL, or null when it is not installed (outside CI). */
    pgUrl: string | null
  }
}

let server: PostgresServer | undefined

/** One PostgreSQL for the whole run; each test file makes its own database in it. */
export default async function setup(project: TestProject) {
  // Built once before any suite: servers started by tests find it current instead of racing to build.
  ensureClientBuilt(ROOT, (message) => console.log(message))
  const bin = findPostgresBin()
  if (!bin) {
    if (process.env.CI) {
      throw new Error('PostgreSQL is not installed but CI requires its suites: apt-get install -y postgresql')
    }
    console.warn(
      'PostgreSQL is not installed: skipping the PostgreSQL suites (apt-get install -y postgresql to run them)',
    )
    project.provide('pgUrl', null)
    return
  }
  server = await startPostgres(bin)
  project.provide('pgUrl', server.url)
  return () => server?.stop()
}
