import { expect, it } from 'vitest'
import { useTestApp } from '../support/app.ts'
import { describeEachDialect } from '../support/dialects.ts'
import { edge, fileDestination, sampleSource, sampleToFile } from '../support/documents.ts'

describeEachDialect('pipelines', (dialect) => {
  const t = useTestApp(dialect)
  let admin = ''

  async function create(document: unknown = sampleToFile(), name = 'Customers to CSV') {
    const response = await t().send('POST', '/api/pipelines', { cookie: admin, body: { name, document } })
    expect(response.status, response.text).toBe(201)
    return response.json as { id: string; version: number }
  }
  const save = (id: string, version: number, document: unknown) =>
    t().send('PUT', `/api/pipelines/${id}`, { cookie: admin, body: { document, version } })

  it('creates, reads, lists and searches pipelines, recording who made them', async () => {
    admin = await t().setupAdmin()
    const document = sampleToFile()
    const created = await create(document)
    expect(created.version).toBe(1)
    const read = await t().send('GET', `/api/pipelines/${created.id}`, { cookie: admin })
    expect(read.json).toMatchObject({ name: 'Customers to CSV', version: 1, deployedVersion: null, document })
    const me = await t().send('GET', '/api/auth/me', { cookie: admin })
    expect(read.json.createdBy).toBe(me.json.id)
    await create(undefined, 'Second 100% pipeline')
    const found = await t().send('GET', '/api/pipelines?q=100%25', { cookie: admin })
    expect(found.json.map((p: { name: string }) => p.name)).toEqual(['Second 100% pipeline'])
    const none = await t().send('GET', '/api/pipelines?q=zzz', { cookie: admin })
    expect(none.json).toEqual([])
  })

  it('pages pipelines with a keyset cursor', async () => {
    for (let i = 0; i < 5; i++) await create(undefined, `Paged ${i}`)
    const seen: string[] = []
    let cursor: string | null = null
    do {
      const query: string = `/api/pipelines?sort=name&limit=2${cursor ? `&cursor=${cursor}` : ''}`
      const page = await t().send('GET', query, { cookie: admin })
      expect(page.status).toBe(200)
      expect(page.json.length).toBeLessThanOrEqual(2)
      seen.push(...page.json.map((p: { name: string }) => p.name))
      cursor = page.headers.get('x-next-cursor')
    } while (cursor)
    expect(seen).toEqual([...seen].sort())
    expect(new Set(seen).size).toBe(seen.length)
    expect(seen.filter((name) => name.startsWith('Paged'))).toHaveLength(5)
    expect((await t().send('GET', '/api/pipelines?cursor=garbage', { cookie: admin })).status).toBe(400)
    expect((await t().send('GET', '/api/pipelines?sort=password', { cookie: admin })).json.error.code).toBe(
      'InvalidSort',
    )
  })

  it('saves drafts with optimistic versions and answers 409 VersionConflict when stale', async () => {
    const { id } = await create()
    const doc = sampleToFile()
    const first = await save(id, 1, {
      ...doc,
      nodes: doc.nodes.map((n) => ({ ...n, position: { x: 5, y: 5 } })),
    })
    expect(first.status).toBe(200)
    expect(first.json.version).toBe(2)
    const stale = await save(id, 1, doc)
    expect(stale.status).toBe(409)
    expect(stale.json.error.code).toBe('VersionConflict')
    expect((await t().send('GET', `/api/pipelines/${id}`, { cookie: admin })).json.version).toBe(2)
  })

  it('reports every problem of an invalid document at once, naming nodes and edges', async () => {
    const doc = {
      version: 1,
      nodes: [
        sampleSource('a', { customers: -5 }),
        { ...sampleSource('ghost'), provider: 'nope' },
        fileDestination('b'),
        fileDestination('lonely'),
        {
          id: 'auth',
          kind: 'authorization',
          provider: 'acme-crm',
          name: 'MC',
          position: { x: 0, y: 0 },
          data: { authorizationId: 'x' },
        },
      ],
      edges: [edge('a', 'b'), edge('b', 'a'), edge('b', 'b'), edge('auth', 'a')],
    }
    const { id } = await create(doc)
    const result = await t().send('POST', `/api/pipelines/${id}/validate`, { cookie: admin })
    expect(result.status).toBe(200)
    expect(result.json.ok).toBe(false)
    const codes = result.json.errors.map(
      (e: { code: string; nodeId?: string; edgeId?: string }) => `${e.code}:${e.nodeId ?? e.edgeId}`,
    )
    expect(codes).toEqual(
      expect.arrayContaining([
        'InvalidConfig:a',
        'UnknownProvider:ghost',
        'UnknownProvider:auth',
        'NoUpstreamSource:lonely',
        'Cycle:b->a',
        'SelfEdge:b->b',
        'ProviderMismatch:auth->a',
      ]),
    )
    const configError = result.json.errors.find((e: { code: string }) => e.code === 'InvalidConfig')
    expect(configError.message).toMatch(/config\.customers/)
    const deploy = await t().send('POST', `/api/pipelines/${id}/deploy`, { cookie: admin, body: {} })
    expect(deploy.status).toBe(422)
    expect(deploy.json.error.code).toBe('InvalidPipeline')
    expect(deploy.json.error.details.errors.length).toBe(result.json.errors.length)
    const jobs = await t().send('GET', `/api/jobs?pipelineId=${id}`, { cookie: admin })
    expect(jobs.json).toEqual([])
  })

  it('refuses a malformed document on save, naming the node, and writes nothing', async () => {
    const { id, version } = await create()
    const broken = { version: 1, nodes: [{ ...sampleSource('x'), kind: 'teleporter' }], edges: [] }
    const response = await save(id, version, broken)
    expect(response.status).toBe(422)
    expect(response.json.error.details.errors[0]).toMatchObject({ nodeId: 'x', code: 'InvalidDocument' })
    const unknownField = await save(id, version, { ...sampleToFile(), extra: true })
    expect(unknownField.status).toBe(422)
    expect(unknownField.json.error.message).toMatch(/extra/)
    expect((await t().send('GET', `/api/pipelines/${id}`, { cookie: admin })).json.version).toBe(version)
  })

  it('needs a wired authorization where the job type requires one (checked structurally)', async () => {
    const doc = {
      version: 1,
      nodes: [
        sampleSource('s'),
        {
          id: 'auth',
          kind: 'authorization',
          provider: 'sample',
          name: 'Unpicked',
          position: { x: 0, y: 0 },
          data: { authorizationId: null },
        },
      ],
      edges: [edge('auth', 's')],
    }
    const { id } = await create(doc)
    const result = await t().send('POST', `/api/pipelines/${id}/validate`, { cookie: admin })
    expect(result.json.errors).toEqual([
      expect.objectContaining({ nodeId: 'auth', code: 'AuthorizationNotSelected' }),
    ])
  })

  it('deploys: jobs start sleeping and due now, or paused; a second deploy changes nothing', async () => {
    const { send, clock } = t()
    const { id } = await create()
    const plan = await send('POST', `/api/pipelines/${id}/plan`, { cookie: admin })
    expect(plan.json.create.map((c: { nodeId: string }) => c.nodeId).sort()).toEqual(['dst', 'src'])
    const first = await send('POST', `/api/pipelines/${id}/deploy`, { cookie: admin, body: {} })
    expect(first.status).toBe(200)
    expect(first.json.version).toBe(1)
    expect(first.json.jobs.map((j: { action: string }) => j.action)).toEqual(['created', 'created'])
    const source = first.json.jobs.find((j: { nodeId: string }) => j.nodeId === 'src')
    const detail = await send('GET', `/api/jobs/${source.jobId}`, { cookie: admin })
    expect(detail.json).toMatchObject({
      status: 'sleeping',
      sleepReason: 'schedule',
      type: 'import',
      nextRunAt: clock.now().toISOString(),
    })
    expect(detail.json.config).toMatchObject({ seed: expect.any(Number) })
    const logs = await send('GET', `/api/jobs/${source.jobId}/logs`, { cookie: admin })
    expect(logs.json.map((l: { event: string }) => l.event)).toEqual(['Deployed'])
    expect(logs.json[0].message).toMatch(/Ada Admin/)

    const before = await send('GET', `/api/jobs/${source.jobId}`, { cookie: admin })
    clock.advance(60_000)
    const second = await send('POST', `/api/pipelines/${id}/deploy`, { cookie: admin, body: {} })
    expect(second.json).toMatchObject({ changed: false, version: 1 })
    expect(second.json.jobs.every((j: { action: string }) => j.action === 'unchanged')).toBe(true)
    expect((await send('GET', `/api/jobs/${source.jobId}`, { cookie: admin })).json).toEqual(before.json)
    expect((await send('GET', `/api/jobs/${source.jobId}/logs`, { cookie: admin })).json).toHaveLength(1)
    expect((await send('GET', `/api/pipelines/${id}/versions`, { cookie: admin })).json).toHaveLength(1)

    const paused = await create()
    const deployPaused = await send('POST', `/api/pipelines/${paused.id}/deploy`, {
      cookie: admin,
      body: { startPaused: true },
    })
    const pausedJob = await send('GET', `/api/jobs/${deployPaused.json.jobs[0].jobId}`, { cookie: admin })
    expect(pausedJob.json).toMatchObject({ status: 'paused', nextRunAt: null })
    expect(pausedJob.json.purgesAt).not.toBeNull()
  })

  it('keeps a job id across config updates and flags checkpoint resets; removing a node removes its job', async () => {
    const { send } = t()
    const { id } = await create()
    const deployed = await send('POST', `/api/pipelines/${id}/deploy`, { cookie: admin, body: {} })
    const srcJob = deployed.json.jobs.find((j: { nodeId: string }) => j.nodeId === 'src').jobId
    const dstJob = deployed.json.jobs.find((j: { nodeId: string }) => j.nodeId === 'dst').jobId
    const current = await send('GET', `/api/pipelines/${id}`, { cookie: admin })

    const reseeded = sampleToFile()
    reseeded.nodes[0] = sampleSource('src', { seed: 7, batchSize: 50 })
    await save(id, current.json.version, reseeded)
    const plan = await send('POST', `/api/pipelines/${id}/plan`, { cookie: admin })
    expect(plan.json.create).toEqual([])
    expect(plan.json.update).toEqual([
      expect.objectContaining({
        jobId: srcJob,
        nodeId: 'src',
        resetsCheckpoint: true,
        changes: expect.arrayContaining([expect.objectContaining({ field: 'config.seed', after: 7 })]),
      }),
    ])
    const applied = await send('POST', `/api/pipelines/${id}/deploy`, { cookie: admin, body: {} })
    expect(applied.json.jobs).toContainEqual({ nodeId: 'src', jobId: srcJob, action: 'updated' })
    const logs = await send('GET', `/api/jobs/${srcJob}/logs?event=Updated`, { cookie: admin })
    expect(logs.json[0].message).toMatch(/checkpoint was reset/)

    const batchOnly = sampleToFile()
    batchOnly.nodes[0] = sampleSource('src', { seed: 7, batchSize: 10 })
    const v = (await send('GET', `/api/pipelines/${id}`, { cookie: admin })).json.version
    await save(id, v, batchOnly)
    const plan2 = await send('POST', `/api/pipelines/${id}/plan`, { cookie: admin })
    expect(plan2.json.update[0]).toMatchObject({ jobId: srcJob, resetsCheckpoint: false })

    const withoutDst = { version: 1, nodes: [sampleSource('src', { seed: 7, batchSize: 10 })], edges: [] }
    await save(id, v + 1, withoutDst)
    const plan3 = await send('POST', `/api/pipelines/${id}/plan`, { cookie: admin })
    expect(plan3.json.remove).toEqual([expect.objectContaining({ jobId: dstJob, nodeId: 'dst' })])
    await send('POST', `/api/pipelines/${id}/deploy`, { cookie: admin, body: {} })
    expect((await send('GET', `/api/jobs/${dstJob}`, { cookie: admin })).json.status).toBe('removed')
    const listed = await send('GET', `/api/jobs?pipelineId=${id}`, { cookie: admin })
    expect(listed.json.map((j: { id: string }) => j.id)).toEqual([srcJob])
    const status = await send('GET', `/api/pipelines/${id}/status`, { cookie: admin })
    expect(Object.keys(status.json.nodes)).toEqual(['src'])
    expect(status.json.nodes.src).toMatchObject({
      jobId: srcJob,
      status: 'sleeping',
      lastEvent: { event: 'Updated' },
    })

    // Re-adding the node revives the same job with its history.
    await save(id, v + 2, {
      ...sampleToFile(),
      nodes: [sampleSource('src', { seed: 7, batchSize: 10 }), fileDestination()],
    })
    const revived = await send('POST', `/api/pipelines/${id}/deploy`, { cookie: admin, body: {} })
    expect(revived.json.jobs).toContainEqual({ nodeId: 'dst', jobId: dstJob, action: 'updated' })
    expect((await send('GET', `/api/jobs/${dstJob}`, { cookie: admin })).json.status).toBe('sleeping')
  })

  it('re-plans a job whose cadence moves between realtime and a schedule', async () => {
    const { send, clock } = t()
    const realtime = {
      version: 1,
      nodes: [{ ...sampleSource('rt'), data: { config: {}, cadence: 'realtime' } }],
      edges: [],
    }
    const { id } = await create(realtime)
    const deployed = await send('POST', `/api/pipelines/${id}/deploy`, { cookie: admin, body: {} })
    const jobId = deployed.json.jobs[0].jobId
    expect((await send('GET', `/api/jobs/${jobId}`, { cookie: admin })).json).toMatchObject({
      status: 'running',
      nextRunAt: null,
    })
    await save(id, 1, {
      ...realtime,
      nodes: [{ ...realtime.nodes[0]!, data: { config: {}, cadence: { every: '5m' } } }],
    })
    await send('POST', `/api/pipelines/${id}/deploy`, { cookie: admin, body: {} })
    const scheduled = (await send('GET', `/api/jobs/${jobId}`, { cookie: admin })).json
    expect(scheduled).toMatchObject({
      status: 'sleeping',
      sleepReason: 'schedule',
      nextRunAt: clock.now().toISOString(),
    })
    await save(id, 2, realtime)
    await send('POST', `/api/pipelines/${id}/deploy`, { cookie: admin, body: {} })
    expect((await send('GET', `/api/jobs/${jobId}`, { cookie: admin })).json).toMatchObject({
      status: 'running',
      nextRunAt: null,
    })
  })

  it('rolls back: an earlier deployed version becomes the draft', async () => {
    const { send } = t()
    const { id } = await create()
    await send('POST', `/api/pipelines/${id}/deploy`, { cookie: admin, body: {} })
    const changed = { ...sampleToFile(), nodes: [sampleSource('src', { seed: 99 }), fileDestination()] }
    await save(id, 1, changed)
    await send('POST', `/api/pipelines/${id}/deploy`, { cookie: admin, body: {} })
    const versions = await send('GET', `/api/pipelines/${id}/versions`, { cookie: admin })
    expect(versions.json.map((v: { version: number }) => v.version)).toEqual([2, 1])
    const rolled = await send('POST', `/api/pipelines/${id}/rollback`, {
      cookie: admin,
      body: { version: 1 },
    })
    expect(rolled.status).toBe(200)
    expect(rolled.json.document.nodes[0].data.config).toEqual({})
    expect(rolled.json.deployedVersion).toBe(2)
    expect(
      (await send('POST', `/api/pipelines/${id}/rollback`, { cookie: admin, body: { version: 9 } })).status,
    ).toBe(404)
    const plan = await send('POST', `/api/pipelines/${id}/plan`, { cookie: admin })
    expect(plan.json.update[0].changes).toContainEqual(
      expect.objectContaining({ field: 'config.seed', before: 99 }),
    )
  })

  it('deleting a pipeline marks its jobs removed and hides it', async () => {
    const { send } = t()
    const { id } = await create()
    const deployed = await send('POST', `/api/pipelines/${id}/deploy`, { cookie: admin, body: {} })
    expect((await send('DELETE', `/api/pipelines/${id}`, { cookie: admin })).status).toBe(204)
    expect((await send('GET', `/api/pipelines/${id}`, { cookie: admin })).status).toBe(404)
    for (const job of deployed.json.jobs) {
      expect((await send('GET', `/api/jobs/${job.jobId}`, { cookie: admin })).json.status).toBe('removed')
    }
    expect((await send('DELETE', `/api/pipelines/${id}`, { cookie: admin })).status).toBe(404)
  })

  it('lets viewers read but not change pipelines', async () => {
    const { send, addUser } = t()
    const viewer = await addUser(admin, 'viewer')
    const { id } = await create()
    expect((await send('GET', `/api/pipelines/${id}`, { cookie: viewer.cookie })).status).toBe(200)
    expect((await send('POST', `/api/pipelines/${id}/validate`, { cookie: viewer.cookie })).status).toBe(200)
    const deploy = await send('POST', `/api/pipelines/${id}/deploy`, { cookie: viewer.cookie, body: {} })
    expect(deploy.status).toBe(403)
    expect(deploy.json.error.message).toMatch(/editor role/)
    expect(
      (await send('PUT', `/api/pipelines/${id}`, { cookie: viewer.cookie, body: { version: 1, name: 'x' } }))
        .status,
    ).toBe(403)
    expect((await send('GET', '/api/pipelines/does-not-exist', { cookie: viewer.cookie })).status).toBe(404)
  })
})
