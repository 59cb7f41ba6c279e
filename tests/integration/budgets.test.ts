import { expect, it } from 'vitest'
import { useTestApp } from '../support/app.ts'
import { describeEachDialect } from '../support/dialects.ts'
import { edge } from '../support/documents.ts'
import { registerScriptedSource, type ScriptedConfig, scriptedSource } from '../support/scripted-source.ts'

registerScriptedSource()

/**
 * The scripted source's budget per authorization: 2 units at once and 10 requests (one per batch)
 * a second. Each label names a Vault authorization (method none), wired to its sources by nodes.
 */
describeEachDialect('rate budgets per authorization', (dialect) => {
  const t = useTestApp(dialect)
  let admin = ''
  const vault = new Map<string, string>()

  async function authorization(label: string): Promise<string> {
    const known = vault.get(label)
    if (known) return known
    const created = await t().send('POST', '/api/authorizations', {
      cookie: admin,
      body: { name: `Key ${label}`, provider: 'scripted', method: 'none' },
    })
    expect(created.status, created.text).toBe(201)
    vault.set(label, created.json.id)
    return created.json.id
  }

  async function deploy(configs: Partial<ScriptedConfig>[], authorizations: string[]): Promise<string[]> {
    admin ||= await t().setupAdmin()
    const nodes: Record<string, unknown>[] = configs.map((config, n) => scriptedSource(`s${n}`, config))
    const edges = []
    for (const label of new Set(authorizations)) {
      nodes.push({
        id: `auth-${label}`,
        kind: 'authorization',
        provider: 'scripted',
        name: label,
        position: { x: 0, y: 0 },
        data: { authorizationId: await authorization(label) },
      })
    }
    for (const [n, label] of authorizations.entries()) edges.push(edge(`auth-${label}`, `s${n}`))
    const created = await t().send('POST', '/api/pipelines', {
      cookie: admin,
      body: { name: `Budget ${Math.random()}`, document: { version: 1, nodes, edges } },
    })
    const deployed = await t().send('POST', `/api/pipelines/${created.json.id}/deploy`, {
      cookie: admin,
      body: {},
    })
    expect(deployed.status, deployed.text).toBe(200)
    const byNode = new Map<string, string>(
      deployed.json.jobs.map((job: { nodeId: string; jobId: string }) => [job.nodeId, job.jobId]),
    )
    return configs.map((_, n) => byNode.get(`s${n}`)!)
  }
  const runs = async (id: string) =>
    (await t().send('GET', `/api/jobs/${id}/runs`, { cookie: admin })).json.length
  /** Nothing else due: each case starts alone. */
  const settle = () => t().database.db.updateTable('jobs').set({ status: 'paused' }).execute()

  it('runs at most the provider’s concurrency per authorization at once, across workers', async () => {
    const ids = await deploy([{}, {}, {}, {}], ['a1', 'a1', 'a1', 'a2'])
    await t().deps.dispatcher.tick()
    const first = await Promise.all(ids.map(runs))
    expect(first.slice(0, 3).sort()).toEqual([0, 1, 1])
    expect(first[3]).toBe(1)
    // The job left behind is still due, and runs once a slot is free.
    const waiting = ids[first.indexOf(0)]!
    expect((await t().send('GET', `/api/jobs/${waiting}`, { cookie: admin })).json.status).toBe('sleeping')
    await t().deps.dispatcher.tick()
    expect(await runs(waiting)).toBe(1)
    await settle()
    // Another worker holds a unit of a3: only one more may start here.
    const more = await deploy([{}, {}, {}], ['a3', 'a3', 'a3'])
    await t()
      .database.db.updateTable('jobs')
      .set({
        status: 'running',
        lease_owner: 'elsewhere',
        lease_token: 'held',
        lease_expires_at: '2999-01-01T00:00:00.000Z',
      })
      .where('id', '=', more[0]!)
      .execute()
    await t().deps.dispatcher.tick()
    expect(await Promise.all(more.slice(1).map(runs))).toEqual(expect.arrayContaining([0, 1]))
    await settle()
  })

  it('queues requests of jobs sharing an authorization within its rate; other keys are not slowed', async () => {
    const config = { records: 50, batchSize: 5 }
    const timed = async (ids: string[]) => {
      for (const id of ids)
        await t().database.db.updateTable('jobs').set({ status: 'sleeping' }).where('id', '=', id).execute()
      const began = performance.now()
      await t().deps.dispatcher.tick()
      return performance.now() - began
    }
    const shared = await deploy([config, config], ['r1', 'r1'])
    await settle()
    const separate = await deploy([config, config], ['r2', 'r3'])
    await settle()
    // 20 requests at 10 a second on one key: the second ten wait for the next window.
    expect(await timed(shared)).toBeGreaterThanOrEqual(900)
    expect(await timed(separate)).toBeLessThan(900)
    for (const id of [...shared, ...separate]) expect(await runs(id)).toBe(1)
  })

  it('makes previews spend the authorization’s request budget too', async () => {
    admin ||= await t().setupAdmin()
    const id = await authorization('r4')
    const preview = async () => {
      const answer = await t().send('POST', '/api/preview', {
        cookie: admin,
        body: {
          provider: 'scripted',
          jobType: 'people',
          config: { records: 5, batchSize: 5 },
          authorizationId: id,
        },
      })
      expect(answer.status, answer.text).toBe(200)
    }
    const began = performance.now()
    // Ten requests a second on one key: the eleventh preview waits for the next window.
    for (let n = 0; n < 11; n++) await preview()
    expect(performance.now() - began).toBeGreaterThanOrEqual(900)
  })
})
