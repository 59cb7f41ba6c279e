import { expect, it } from 'vitest'
import { useTestApp } from '../support/app.ts'
import { describeEachDialect } from '../support/dialects.ts'
import { sampleToFile } from '../support/documents.ts'

interface Entry {
  id: number
  actor: { id: string; name: string } | null
  action: string
  entityType: string
  entityId: string
  entityName: string
  details: Record<string, unknown> | null
}

describeEachDialect('the audit trail', (dialect) => {
  const t = useTestApp(dialect)

  it('records who created, changed, deployed, paused, resumed and deleted what, for admins to list', async () => {
    const admin = await t().setupAdmin()
    const editor = await t().addUser(admin, 'editor')
    const as = editor.cookie
    const send = async (method: string, path: string, body?: unknown, cookie = as) => {
      const response = await t().send(method, path, { cookie, ...(body === undefined ? {} : { body }) })
      expect(response.status, `${method} ${path}: ${response.text}`).toBeLessThan(300)
      return response.json
    }
    const pipeline = await send('POST', '/api/pipelines', { name: 'Trail', document: sampleToFile() })
    await send('PUT', `/api/pipelines/${pipeline.id}`, { version: pipeline.version, name: 'Trail 2' })
    const deployed = await send('POST', `/api/pipelines/${pipeline.id}/deploy`, {})
    const jobId = deployed.jobs[0].jobId as string
    await send('POST', `/api/jobs/${jobId}/pause`)
    await send('POST', `/api/jobs/${jobId}/resume`)
    await send('POST', `/api/jobs/${jobId}/run`)
    await send('PATCH', `/api/jobs/${jobId}`, { name: 'Renamed job' })
    const authorization = await send('POST', '/api/authorizations', {
      name: 'None',
      provider: 'sample',
      method: 'none',
    })
    await send('DELETE', `/api/authorizations/${authorization.id}`)
    const rule = await send('POST', '/api/alerts', {
      name: 'Failures',
      condition: { kind: 'failed' },
      targets: [{ type: 'webhook', url: 'https://hooks.example.com/x' }],
    })
    await send('PATCH', `/api/alerts/${rule.id}`, { enabled: false })
    await send('DELETE', `/api/alerts/${rule.id}`)
    const audience = await send('POST', '/api/audiences', { name: 'All', filter: { stream: 'web' } })
    await send('DELETE', `/api/audiences/${audience.id}`)
    await send('DELETE', `/api/pipelines/${pipeline.id}`)
    const user = await send(
      'POST',
      '/api/users',
      { email: 'new@example.com', name: 'New', password: 'password-123', role: 'viewer' },
      admin,
    )
    await send('PATCH', `/api/users/${user.id}`, { role: 'editor' }, admin)
    await send('DELETE', `/api/users/${user.id}`, undefined, admin)
    const token = await send('POST', '/api/tokens', { name: 'CI' }, admin)
    await send('DELETE', `/api/tokens/${token.id}`, undefined, admin)
    const key = await send('POST', '/api/data-keys', { name: 'Web' }, admin)
    await send('DELETE', `/api/data-keys/${key.id}`, undefined, admin)

    const trail = (await send('GET', '/api/audit?limit=1000', undefined, admin)) as Entry[]
    const story = trail
      .filter((entry) => entry.entityType !== 'user' || entry.entityName === 'new@example.com')
      .reverse()
      .map(
        (entry) =>
          `${entry.actor?.name ?? 'Sluice'}: ${entry.action} ${entry.entityType} ${entry.entityName}`,
      )
    expect(story).toEqual([
      'editor user: created pipeline Trail',
      'editor user: renamed pipeline Trail 2',
      'editor user: deployed pipeline Trail 2',
      'editor user: paused job Sample src',
      'editor user: resumed job Sample src',
      'editor user: ran job Sample src',
      'editor user: renamed job Renamed job',
      'editor user: created authorization None',
      'editor user: deleted authorization None',
      'editor user: created alert Failures',
      'editor user: changed alert Failures',
      'editor user: deleted alert Failures',
      'editor user: created audience All',
      'editor user: deleted audience All',
      'editor user: deleted pipeline Trail 2',
      'Ada Admin: created user new@example.com',
      'Ada Admin: role changed user new@example.com',
      'Ada Admin: deleted user new@example.com',
      'Ada Admin: created token CI',
      'Ada Admin: revoked token CI',
      'Ada Admin: created data-key Web',
      'Ada Admin: deleted data-key Web',
    ])
    const deploy = trail.find((entry) => entry.action === 'deployed')!
    expect(deploy.details).toMatchObject({ version: 1, created: 2, updated: 0, removed: 0 })
    expect(trail.find((entry) => entry.action === 'role changed')!.details).toMatchObject({
      from: 'viewer',
      to: 'editor',
    })

    // Filters and paging.
    const ofJob = (await send(
      'GET',
      `/api/audit?entityType=job&entityId=${jobId}`,
      undefined,
      admin,
    )) as Entry[]
    expect(ofJob.map((entry) => entry.action)).toEqual(['renamed', 'ran', 'resumed', 'paused'])
    const byEditor = (await send(
      'GET',
      `/api/audit?actorId=${editor.user.id}&action=deleted`,
      undefined,
      admin,
    )) as Entry[]
    expect(byEditor.map((entry) => entry.entityType)).toEqual([
      'pipeline',
      'audience',
      'alert',
      'authorization',
    ])
    expect(((await send('GET', '/api/audit?q=failures', undefined, admin)) as Entry[]).length).toBe(3)
    const first = (await send('GET', '/api/audit?limit=2', undefined, admin)) as Entry[]
    const next = (await send('GET', `/api/audit?limit=2&before=${first[1]!.id}`, undefined, admin)) as Entry[]
    expect(next[0]!.id).toBeLessThan(first[1]!.id)
    expect((await t().send('GET', '/api/audit?entityType=bogus', { cookie: admin })).status).toBe(400)
    expect((await t().send('GET', '/api/audit', { cookie: as })).status).toBe(403)

    // The job's own log shows the same user actions.
    const logs = await send('GET', `/api/jobs/${jobId}/logs`)
    const events = logs.map((entry: { event: string }) => entry.event)
    expect(events).toEqual(
      expect.arrayContaining(['Deployed', 'Paused', 'Resumed', 'RunRequested', 'Renamed', 'Removed']),
    )
    expect(logs.find((entry: { event: string }) => entry.event === 'RunRequested').message).toBe(
      'Run now requested by editor user',
    )
  })
})
