import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { defineProvider } from '../../nodes/define.ts'
import { providers } from '../../nodes/index.ts'
import { jobSpecs, planDeploy } from '../../server/compiler/plan.ts'
import { validatePipeline } from '../../server/compiler/validate.ts'
import type { Job } from '../../server/db/schema.ts'
import { edge, fileDestination, sampleSource, sampleToFile } from '../support/documents.ts'

function jobFrom(
  spec: ReturnType<typeof jobSpecs>[number],
  id: string,
  status: Job['status'] = 'sleeping',
): Job {
  return {
    id,
    pipeline_id: 'p',
    node_id: spec.nodeId,
    name: spec.name,
    description: spec.description,
    provider: spec.provider,
    job_type: spec.jobType,
    type: spec.type,
    authorization_id: spec.authorizationId,
    config: JSON.stringify(spec.config),
    cadence: JSON.stringify(spec.cadence),
    mapping: null,
    status,
    status_changed_at: '2026-01-01T00:00:00.000Z',
    sleep_reason: 'schedule',
    next_run_at: null,
    last_run_at: null,
    last_success_at: null,
    first_error_at: null,
    consecutive_errors: 0,
    last_error: null,
    state: '{"offset":10}',
    lease_owner: null,
    lease_token: null,
    lease_expires_at: null,
    created_by: 'u',
    updated_by: 'u',
    created_at: '2026-01-01T00:00:00.000Z',
    updated_at: '2026-01-01T00:00:00.000Z',
  }
}

describe('compiling and planning', () => {
  it('compiles job nodes with defaults applied and the default cadence', () => {
    const doc = sampleToFile()
    const specs = jobSpecs(doc)
    expect(specs.map((spec) => [spec.nodeId, spec.type])).toEqual([
      ['src', 'import'],
      ['dst', 'export'],
    ])
    expect(specs[0]!.config).toMatchObject({ seed: expect.any(Number), customers: expect.any(Number) })
    expect(specs[1]!.cadence).toEqual({ after: 'upstream' })
  })

  it('plans nothing when the jobs match, and ignores key order in stored config', () => {
    const specs = jobSpecs(sampleToFile())
    const jobs = specs.map((spec, i) => {
      const job = jobFrom(spec, `j${i}`)
      const config = JSON.parse(job.config) as Record<string, unknown>
      job.config = JSON.stringify(Object.fromEntries(Object.entries(config).reverse()))
      return job
    })
    const plan = planDeploy(specs, jobs)
    expect(plan).toEqual({
      create: [],
      update: [],
      remove: [],
      unchanged: [
        { jobId: 'j0', nodeId: 'src' },
        { jobId: 'j1', nodeId: 'dst' },
      ],
    })
  })

  it('flags checkpoint resets only for the fields the job type names', () => {
    const before = jobSpecs(sampleToFile())
    const jobs = before.map((spec, i) => jobFrom(spec, `j${i}`))
    const doc = sampleToFile()
    doc.nodes[0] = sampleSource('src', { eventsPerRun: 5 })
    expect(planDeploy(jobSpecs(doc), jobs).update).toEqual([
      expect.objectContaining({
        jobId: 'j0',
        resetsCheckpoint: false,
        changes: [expect.objectContaining({ field: 'config.eventsPerRun', after: 5 })],
      }),
    ])
    doc.nodes[0] = sampleSource('src', { customers: 5 })
    expect(planDeploy(jobSpecs(doc), jobs).update[0]).toMatchObject({ resetsCheckpoint: true })
  })

  it('removes jobs whose node is gone and revives removed ones that come back', () => {
    const specs = jobSpecs(sampleToFile())
    const jobs = [jobFrom(specs[0]!, 'j0'), jobFrom(specs[1]!, 'j1', 'removed')]
    const onlySource = jobSpecs({ version: 1, nodes: [sampleSource('src')], edges: [] })
    expect(planDeploy(onlySource, jobs).remove).toEqual([])
    const plan = planDeploy(specs, jobs)
    expect(plan.update).toEqual([expect.objectContaining({ jobId: 'j1', revive: true })])
    const withoutSource = planDeploy([], [jobFrom(specs[0]!, 'j0')])
    expect(withoutSource.remove).toEqual([{ jobId: 'j0', nodeId: 'src', name: 'Sample src' }])
  })

  it('validates a good document and returns it parsed', () => {
    const { doc, problems } = validatePipeline(sampleToFile())
    expect(problems).toEqual([])
    expect(doc?.nodes).toHaveLength(2)
  })

  it('refuses an "after upstream" cadence on a source', () => {
    const doc = sampleToFile()
    doc.nodes.push({ ...sampleSource('late'), data: { config: {}, cadence: { after: 'upstream' } } })
    expect(validatePipeline(doc).problems).toEqual([
      expect.objectContaining({ nodeId: 'late', code: 'InvalidCadence' }),
    ])
  })

  it('names the node and field of a bad cron, time zone or interval', () => {
    const doc = sampleToFile()
    doc.nodes.push({ ...fileDestination('cron'), data: { config: {}, cadence: { cron: '61 * * * *' } } })
    doc.nodes.push({
      ...fileDestination('tz'),
      data: { config: {}, cadence: { cron: '0 * * * *', timezone: 'Mars/Base' } },
    })
    doc.nodes.push({ ...fileDestination('every'), data: { config: {}, cadence: { every: '1 hour' } } })
    doc.edges.push(edge('src', 'cron'), edge('src', 'tz'), edge('src', 'every'))
    expect(validatePipeline(doc).problems).toEqual([
      { nodeId: 'cron', code: 'InvalidDocument', message: expect.stringMatching(/cadence\.cron: .*minute/) },
      {
        nodeId: 'tz',
        code: 'InvalidDocument',
        message: expect.stringMatching(/cadence\.timezone: unknown time zone/),
      },
      {
        nodeId: 'every',
        code: 'InvalidDocument',
        message: expect.stringMatching(/cadence\.every: must be a duration/),
      },
    ])
  })

  it('calls out a job type with the wrong kind and an unknown job type', () => {
    const doc = sampleToFile()
    doc.nodes.push(
      { ...sampleSource('wrong'), kind: 'destination' },
      { ...sampleSource('nojt'), jobType: 'teleport' },
    )
    doc.edges.push(edge('src', 'wrong'))
    const codes = validatePipeline(doc).problems.map((p) => `${p.code}:${p.nodeId}`)
    expect(codes).toEqual(expect.arrayContaining(['KindMismatch:wrong', 'UnknownJobType:nojt']))
  })
})

describe('authorization wiring', () => {
  // A provider whose job needs credentials, declared with the real contract (the shipped ones need none yet).
  const crm = defineProvider({
    id: 'crm',
    title: 'CRM',
    category: 'source',
    icon: '<svg/>',
    description: 'A CRM that needs an API key',
    auth: [
      { id: 'apikey', title: 'API key', schema: z.strictObject({ key: z.string().meta({ secret: true }) }) },
    ],
    jobTypes: [
      {
        id: 'contacts',
        title: 'Contacts',
        direction: 'import',
        description: 'Contacts',
        config: z.strictObject({ list: z.string().default('all') }),
        requiresAuthorization: true,
        defaultCadence: { every: '1h' },
        resetsCheckpoint: ['list'],
      },
    ],
  })
  const catalogue = [...providers, crm]
  const crmSource = {
    id: 'c',
    kind: 'source',
    provider: 'crm',
    jobType: 'contacts',
    name: 'Contacts',
    position: { x: 0, y: 0 },
    data: { config: {} },
  }
  const crmAuth = (id: string, authorizationId: string | null = 'auth-1') => ({
    id,
    kind: 'authorization',
    provider: 'crm',
    name: `Key ${id}`,
    position: { x: 0, y: 0 },
    data: { authorizationId },
  })

  it('names the job whose required authorization is not wired', () => {
    const { problems } = validatePipeline({ version: 1, nodes: [crmSource], edges: [] }, { catalogue })
    expect(problems).toEqual([
      {
        nodeId: 'c',
        code: 'AuthorizationRequired',
        message: expect.stringMatching(/"Contacts" needs a CRM authorization/),
      },
    ])
  })

  it('accepts one wired authorization and compiles it into the job', () => {
    const doc = {
      version: 1,
      nodes: [crmSource, crmAuth('a')],
      edges: [{ id: 'a-c', source: 'a', target: 'c' }],
    }
    const { doc: valid, problems } = validatePipeline(doc, { catalogue })
    expect(problems).toEqual([])
    expect(valid).not.toBeNull()
  })

  it('refuses a second authorization on one job', () => {
    const doc = {
      version: 1,
      nodes: [crmSource, crmAuth('a'), crmAuth('b')],
      edges: [
        { id: 'a-c', source: 'a', target: 'c' },
        { id: 'b-c', source: 'b', target: 'c' },
      ],
    }
    expect(validatePipeline(doc, { catalogue }).problems).toEqual([
      expect.objectContaining({ edgeId: 'b-c', code: 'TooManyAuthorizations' }),
    ])
  })

  it('checks the Vault reference when a lookup is given', () => {
    const doc = {
      version: 1,
      nodes: [crmSource, crmAuth('a', 'gone')],
      edges: [{ id: 'a-c', source: 'a', target: 'c' }],
    }
    const problems = validatePipeline(doc, { catalogue, authorizationProvider: () => undefined }).problems
    expect(problems).toEqual([expect.objectContaining({ nodeId: 'a', code: 'UnknownAuthorization' })])
  })
})
