import { expect } from 'vitest'
import type { Mapping, PipelineDocument } from '../../nodes/pipeline.ts'
import type { TestApp } from './app.ts'
import { collectSource, edge } from './documents.ts'
import { received, recorderDestination } from './scripted-destination.ts'

/** An audience node referencing saved audience `audienceId`. */
export const audienceNode = (id: string, audienceId: string) => ({
  id,
  kind: 'audience' as const,
  name: 'Audience',
  position: { x: 0, y: 0 },
  data: { audienceId },
})

/**
 * Creates and deploys a pipeline as `cookie`: the deployed job of each node, and a redeploy of a
 * changed document (saved as the next version, then deployed).
 * @example const { jobOf } = await deployPipeline(t(), admin, 'Scores', document); jobOf('score')
 */
export async function deployPipeline(
  app: TestApp,
  cookie: string,
  name: string,
  document: PipelineDocument | Record<string, unknown>,
) {
  const created = await app.send('POST', '/api/pipelines', { cookie, body: { name, document } })
  expect(created.status, created.text).toBe(201)
  const id = created.json.id as string
  let version = created.json.version as number
  let jobs: { nodeId: string; jobId: string }[] = []
  const deploy = async () => {
    const deployed = await app.send('POST', `/api/pipelines/${id}/deploy`, { cookie, body: {} })
    expect(deployed.status, deployed.text).toBe(200)
    jobs = deployed.json.jobs
  }
  await deploy()
  return {
    jobOf(nodeId: string): string {
      const job = jobs.find((candidate) => candidate.nodeId === nodeId)
      if (!job) throw new Error(`no job for node ${nodeId}`)
      return job.jobId
    },
    async redeploy(next: PipelineDocument | Record<string, unknown>): Promise<void> {
      const saved = await app.send('PUT', `/api/pipelines/${id}`, {
        cookie,
        body: { version, document: next },
      })
      expect(saved.status, saved.text).toBe(200)
      version = saved.json.version
      await deploy()
    },
  }
}

/** Collect stream → saved audience → recording destination (its config and mapping). */
export const recorderExportDocument = (options: {
  name: string
  stream: string
  audienceId: string
  config?: Record<string, unknown>
  mapping?: Mapping
}) => {
  const source = `src-${options.name}`
  const destination = recorderDestination('dst', options.config)
  if (options.mapping) destination.data.mapping = options.mapping
  return {
    version: 1,
    nodes: [collectSource(source, options.stream), audienceNode('aud', options.audienceId), destination],
    edges: [edge(source, 'aud'), edge('aud', 'dst')],
  }
}

/** Deploys a recorderExportDocument; returns the export job's id. */
export async function deployRecorderExport(
  app: TestApp,
  cookie: string,
  options: Parameters<typeof recorderExportDocument>[0],
): Promise<string> {
  return (await deployPipeline(app, cookie, options.name, recorderExportDocument(options))).jobOf('dst')
}

/** Runs an export job now (a second later on the test clock); the batches it sent in this run. */
export async function runExport(app: TestApp, cookie: string, jobId: string) {
  const before = received.get(jobId)?.length ?? 0
  app.clock.advance(1000)
  const asked = await app.send('POST', `/api/jobs/${jobId}/run`, { cookie })
  expect(asked.status, asked.text).toBe(200)
  await app.deps.dispatcher.tick()
  return (received.get(jobId) ?? []).slice(before)
}

/** The identifiers a run upserted and removed, sorted. */
export const sentIds = (batches: { upserts: { id: string }[]; removes: { id: string }[] }[]) => ({
  upserts: batches.flatMap((batch) => batch.upserts.map((row) => row.id)).sort(),
  removes: batches.flatMap((batch) => batch.removes.map((row) => row.id)).sort(),
})

/**
 * Runs a job now on the in-process app (the clock moves a second so runs get distinct slots) and
 * answers its detail afterwards.
 * @example const detail = await runJobNow(t(), admin, jobOf('src')); detail.lastError
 */
export async function runJobNow(app: TestApp, cookie: string, job: string) {
  app.clock.advance(1000)
  const started = await app.send('POST', `/api/jobs/${job}/run`, { cookie })
  expect(started.status, started.text).toBe(200)
  await app.deps.dispatcher.tick()
  return (await app.send('GET', `/api/jobs/${job}`, { cookie })).json
}

/**
 * A data key for `stream` (named after it) and a function that collects one message into the
 * stream with it, expecting it accepted.
 * @example const collect = await collector(t(), admin, 'crm'); await collect({ email: 'a@x.co' })
 */
export async function collector(app: TestApp, cookie: string, stream: string) {
  const key = (await app.send('POST', '/api/data-keys', { cookie, body: { name: stream } })).json.key
  return async (body: Record<string, unknown>) =>
    expect(
      (await app.send('POST', `/collect/json/${stream}`, { body, headers: { authorization: key } })).status,
    ).toBe(200)
}

/** Saves an audience as `cookie`; its id. */
export async function saveAudience(app: TestApp, cookie: string, name: string, filter: unknown) {
  const saved = await app.send('POST', '/api/audiences', { cookie, body: { name, filter } })
  expect(saved.status, saved.text).toBe(201)
  return saved.json.id as string
}
