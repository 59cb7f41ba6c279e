import { expect, it } from 'vitest'
import type { z } from 'zod'
import { jobDetailJson, jobListItemJson, logJson } from '../../server/routes/jobs.schemas.ts'
import {
  deployJson,
  pipelineJson,
  planJson,
  statusJson,
  validateJson,
  versionJson,
} from '../../server/routes/pipelines.schemas.ts'
import { userJson } from '../../server/routes/users.schemas.ts'
import { useTestApp } from '../support/app.ts'
import { describeEachDialect } from '../support/dialects.ts'
import { sampleToFile } from '../support/documents.ts'

/** Parses with the documented schema and checks no undocumented field slipped in. */
function conforms(schema: z.ZodObject, value: unknown) {
  schema.parse(value)
  expect(Object.keys(value as object).sort()).toEqual(Object.keys(schema.shape).sort())
}

describeEachDialect('documented answers', (dialect) => {
  const t = useTestApp(dialect)

  it('answer in exactly the shapes the OpenAPI document gives', async () => {
    const { send, setupAdmin } = t()
    const admin = await setupAdmin()
    conforms(userJson, (await send('GET', '/api/users', { cookie: admin })).json[0])
    const pipeline = (
      await send('POST', '/api/pipelines', {
        cookie: admin,
        body: { name: 'Shapes', document: sampleToFile() },
      })
    ).json
    conforms(pipelineJson, pipeline)
    conforms(
      validateJson,
      (await send('POST', `/api/pipelines/${pipeline.id}/validate`, { cookie: admin })).json,
    )
    conforms(planJson, (await send('POST', `/api/pipelines/${pipeline.id}/plan`, { cookie: admin })).json)
    const deployed = (await send('POST', `/api/pipelines/${pipeline.id}/deploy`, { cookie: admin, body: {} }))
      .json
    conforms(deployJson, deployed)
    conforms(
      versionJson,
      (await send('GET', `/api/pipelines/${pipeline.id}/versions`, { cookie: admin })).json[0],
    )
    const status = (await send('GET', `/api/pipelines/${pipeline.id}/status`, { cookie: admin })).json
    conforms(statusJson, status)
    const jobId = deployed.jobs[0].jobId
    conforms(jobListItemJson, (await send('GET', '/api/jobs', { cookie: admin })).json[0])
    conforms(jobDetailJson, (await send('GET', `/api/jobs/${jobId}`, { cookie: admin })).json)
    conforms(logJson, (await send('GET', `/api/jobs/${jobId}/logs`, { cookie: admin })).json[0])

    const spec = (await send('GET', '/api/openapi.json')).json
    const detail = spec.paths['/api/jobs/{id}'].get.responses
    expect(detail['200'].content['application/json'].schema).toBeDefined()
    expect(detail['404']).toBeDefined()
    expect(JSON.stringify(detail['200'].content['application/json'].schema)).toContain('purgesAt')
  })
})
