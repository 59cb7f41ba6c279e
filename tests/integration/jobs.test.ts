import { expect, it } from 'vitest'
import { useTestApp } from '../support/app.ts'
import { describeEachDialect } from '../support/dialects.ts'
import { edge, fileDestination, sampleSource } from '../support/documents.ts'

describeEachDialect('jobs', (dialect) => {
  const t = useTestApp(dialect)
  let admin = ''
  let pipelineId = ''

  it('lists deployed jobs with filters, search and sort', async () => {
    const { send, setupAdmin, clock } = t()
    admin = await setupAdmin()
    const nodes = []
    for (let i = 0; i < 60; i++)
      nodes.push({ ...sampleSource(`s${i}`), name: `Source ${String(i).padStart(2, '0')}` })
    nodes.push({ ...fileDestination('out'), name: 'Warehouse CSV' })
    const created = await send('POST', '/api/pipelines', {
      cookie: admin,
      body: { name: 'Many', document: { version: 1, nodes, edges: [edge('s0', 'out')] } },
    })
    pipelineId = created.json.id
    clock.advance(1000)
    expect(
      (await send('POST', `/api/pipelines/${pipelineId}/deploy`, { cookie: admin, body: {} })).status,
    ).toBe(200)

    const all = await send('GET', '/api/jobs?limit=1000', { cookie: admin })
    expect(all.json).toHaveLength(61)
    expect(all.json[0]).toEqual({
      id: expect.any(String),
      name: expect.any(String),
      authorization: null,
      provider: expect.any(String),
      jobType: expect.any(String),
      type: expect.stringMatching(/import|export/),
      status: 'sleeping',
      pipelineId,
      nodeId: expect.any(String),
      createdAt: clock.now().toISOString(),
      updatedAt: clock.now().toISOString(),
    })
    const exports = await send('GET', '/api/jobs?type=export', { cookie: admin })
    expect(exports.json.map((j: { name: string }) => j.name)).toEqual(['Warehouse CSV'])
    const byProvider = await send('GET', '/api/jobs?provider=sample&limit=1000', { cookie: admin })
    expect(byProvider.json).toHaveLength(60)
    const search = await send('GET', '/api/jobs?q=warehouse', { cookie: admin })
    expect(search.json).toHaveLength(1)
    const sorted = await send('GET', '/api/jobs?sort=-name&type=import&limit=3', { cookie: admin })
    expect(sorted.json.map((j: { name: string }) => j.name)).toEqual(['Source 59', 'Source 58', 'Source 57'])
    const byJobType = await send('GET', '/api/jobs?jobType=file&limit=1000', { cookie: admin })
    expect(byJobType.json.map((j: { name: string }) => j.name)).toEqual(['Warehouse CSV'])
    const byJobTypeSort = await send('GET', '/api/jobs?sort=-jobType&limit=1', { cookie: admin })
    expect(byJobTypeSort.json[0].jobType).toBe(
      all.json
        .map((j: { jobType: string }) => j.jobType)
        .sort()
        .at(-1),
    )
    const paused = await send('GET', '/api/jobs?status=paused,failed', { cookie: admin })
    expect(paused.json).toEqual([])
    const badStatus = await send('GET', '/api/jobs?status=exploded', { cookie: admin })
    expect(badStatus.status).toBe(400)
    expect(badStatus.json.error.message).toMatch(/query\.status/)
    expect((await send('GET', '/api/jobs?limit=5000', { cookie: admin })).status).toBe(400)
    expect((await send('GET', '/api/jobs?colour=red', { cookie: admin })).status).toBe(400)
  })

  it('pages with a stable keyset cursor, even when jobs are added between pages', async () => {
    const { send } = t()
    const seen: string[] = []
    let cursor: string | null = null
    let pages = 0
    do {
      const page = await send('GET', `/api/jobs?sort=name&limit=25${cursor ? `&cursor=${cursor}` : ''}`, {
        cookie: admin,
      })
      seen.push(...page.json.map((j: { name: string }) => j.name))
      cursor = page.headers.get('x-next-cursor')
      pages++
      if (pages === 1) {
        // An insert that sorts before the cursor must not shift later pages.
        const extra = await send('POST', '/api/pipelines', {
          cookie: admin,
          body: {
            name: 'Extra',
            document: { version: 1, nodes: [{ ...sampleSource('aa'), name: 'AAA first' }], edges: [] },
          },
        })
        await send('POST', `/api/pipelines/${extra.json.id}/deploy`, { cookie: admin, body: {} })
      }
    } while (cursor)
    expect(pages).toBe(3)
    expect(seen).toHaveLength(61)
    expect(new Set(seen).size).toBe(61)
    expect(seen).not.toContain('AAA first')
  })

  it('pages through ties in descending order without skipping or repeating', async () => {
    const { send } = t()
    const all = (await send('GET', '/api/jobs?limit=1000', { cookie: admin })).json as {
      id: string
      provider: string
    }[]
    const expected = [...all]
      .sort((a, b) => (a.provider === b.provider ? (a.id < b.id ? 1 : -1) : a.provider < b.provider ? 1 : -1))
      .map((job) => job.id)
    const seen: string[] = []
    let cursor: string | null = null
    do {
      const page = await send('GET', `/api/jobs?sort=-provider&limit=7${cursor ? `&cursor=${cursor}` : ''}`, {
        cookie: admin,
      })
      seen.push(...page.json.map((job: { id: string }) => job.id))
      cursor = page.headers.get('x-next-cursor')
    } while (cursor)
    expect(seen).toEqual(expected)
  })

  it('shows a job in detail and renames it with a Renamed log entry', async () => {
    const { send } = t()
    const [job] = (await send('GET', '/api/jobs?q=warehouse', { cookie: admin })).json
    const renamed = await send('PATCH', `/api/jobs/${job.id}`, {
      cookie: admin,
      body: { name: 'Nightly CSV', description: 'for finance' },
    })
    expect(renamed.status).toBe(200)
    expect(renamed.json).toMatchObject({
      name: 'Nightly CSV',
      description: 'for finance',
      createdByName: 'Ada Admin',
      updatedByName: 'Ada Admin',
      failsAt: null,
      purgesAt: null,
      cadence: { after: 'upstream' },
    })
    const logs = await send('GET', `/api/jobs/${job.id}/logs`, { cookie: admin })
    expect(logs.json.map((l: { event: string }) => l.event)).toEqual(['Deployed', 'Renamed', 'Updated'])
    const after = await send('GET', `/api/jobs/${job.id}/logs?after=${logs.json[0].id}&event=Renamed`, {
      cookie: admin,
    })
    expect(after.json.map((l: { event: string }) => l.event)).toEqual(['Renamed'])
    // The newest entries first (a live tail), then older ones on demand, each page oldest first.
    const tail = await send('GET', `/api/jobs/${job.id}/logs?newest=true&limit=2`, { cookie: admin })
    expect(tail.json.map((l: { event: string }) => l.event)).toEqual(['Renamed', 'Updated'])
    const older = await send('GET', `/api/jobs/${job.id}/logs?before=${tail.json[0].id}&limit=2`, {
      cookie: admin,
    })
    expect(older.json.map((l: { event: string }) => l.event)).toEqual(['Deployed'])
    expect((await send('GET', `/api/jobs/${job.id}/logs?newest=yes`, { cookie: admin })).status).toBe(400)
    const file = await send('GET', `/api/jobs/${job.id}/logs/download`, { cookie: admin })
    expect(file.status).toBe(200)
    expect(file.headers.get('content-disposition')).toBe(`attachment; filename="Nightly-CSV-${job.id}.log"`)
    const lines = file.text.trimEnd().split('\n')
    expect(lines.map((line: string) => line.split('\t')[1])).toEqual(['Deployed', 'Renamed', 'Updated'])
    expect(lines[0]).toMatch(/^\d{4}-\d\d-\d\dT[^\t]+\tDeployed\t\S/)
    expect((await send('GET', '/api/jobs/missing/logs/download', { cookie: admin })).status).toBe(404)
    const status = await send('PATCH', `/api/jobs/${job.id}`, { cookie: admin, body: { status: 'running' } })
    expect(status.status).toBe(400)
    expect(status.json.error.message).toMatch(/status/)
    expect((await send('PATCH', `/api/jobs/${job.id}`, { cookie: admin, body: { name: '' } })).status).toBe(
      400,
    )
    expect((await send('PATCH', '/api/jobs/missing', { cookie: admin, body: { name: 'x' } })).status).toBe(
      404,
    )
    expect((await send('GET', `/api/jobs/${job.id}`, { cookie: admin })).json.name).toBe('Nightly CSV')
  })

  it('carries a rename into the pipeline draft, so the next deploy keeps it', async () => {
    const { send } = t()
    const [job] = (await send('GET', '/api/jobs?q=nightly', { cookie: admin })).json
    const pipeline = (await send('GET', `/api/pipelines/${pipelineId}`, { cookie: admin })).json
    expect(pipeline.document.nodes.find((node: { id: string }) => node.id === job.nodeId).name).toBe(
      'Nightly CSV',
    )
    const plan = await send('POST', `/api/pipelines/${pipelineId}/plan`, { cookie: admin })
    expect(plan.json.update).toEqual([])
    await send('POST', `/api/pipelines/${pipelineId}/deploy`, { cookie: admin, body: {} })
    expect((await send('GET', `/api/jobs/${job.id}`, { cookie: admin })).json.name).toBe('Nightly CSV')
  })

  it('serves run history and hourly or daily metrics', async () => {
    const { send, database } = t()
    const [job] = (await send('GET', '/api/jobs?q=nightly', { cookie: admin })).json
    expect((await send('GET', `/api/jobs/${job.id}/runs`, { cookie: admin })).json).toEqual([])
    await database.db
      .insertInto('job_metrics')
      .values([
        { job_id: job.id, bucket: '2026-03-01T09:00:00.000Z', added: 5, removed: 1, omitted: 0 },
        { job_id: job.id, bucket: '2026-03-01T10:00:00.000Z', added: 7, removed: 0, omitted: 2 },
        { job_id: job.id, bucket: '2026-02-28T10:00:00.000Z', added: 1, removed: 0, omitted: 0 },
      ])
      .execute()
    const hourly = await send('GET', `/api/jobs/${job.id}/metrics`, { cookie: admin })
    expect(hourly.json).toEqual([
      { t: '2026-02-28T10:00:00.000Z', added: 1, removed: 0, omitted: 0 },
      { t: '2026-03-01T09:00:00.000Z', added: 5, removed: 1, omitted: 0 },
      { t: '2026-03-01T10:00:00.000Z', added: 7, removed: 0, omitted: 2 },
    ])
    const daily = await send('GET', `/api/jobs/${job.id}/metrics?bucket=day&from=2026-03-01T00:00:00Z`, {
      cookie: admin,
    })
    expect(daily.json).toEqual([{ t: '2026-03-01T00:00:00.000Z', added: 12, removed: 1, omitted: 2 }])
    expect((await send('GET', `/api/jobs/${job.id}/metrics?from=yesterday`, { cookie: admin })).status).toBe(
      400,
    )
  })

  it('lets viewers read jobs but not rename them', async () => {
    const { send, addUser } = t()
    const viewer = await addUser(admin, 'viewer')
    const [job] = (await send('GET', '/api/jobs?q=nightly', { cookie: viewer.cookie })).json
    expect(job).toBeDefined()
    expect(
      (await send('PATCH', `/api/jobs/${job.id}`, { cookie: viewer.cookie, body: { name: 'x' } })).status,
    ).toBe(403)
  })
})
