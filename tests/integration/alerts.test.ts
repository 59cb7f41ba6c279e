import { createHmac } from 'node:crypto'
import { simpleParser } from 'mailparser'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { evaluateAlerts } from '../../server/events/alert-evaluator.ts'
import { useTestApp } from '../support/app.ts'
import { describeEachDialect } from '../support/dialects.ts'
import { deployPipeline, deployRecorderExport, runExport } from '../support/pipelines.ts'
import { smtpReceiver, webhookReceiver } from '../support/receivers.ts'
import { registerRecorder } from '../support/scripted-destination.ts'
import { registerScriptedSource, type ScriptedConfig, scriptedSource } from '../support/scripted-source.ts'

registerScriptedSource()
registerRecorder()

describeEachDialect('alerts: rules, episodes, webhook and email deliveries with retry', (dialect) => {
  let hook: Awaited<ReturnType<typeof webhookReceiver>>
  let mail: Awaited<ReturnType<typeof smtpReceiver>>
  beforeAll(async () => {
    hook = await webhookReceiver()
    mail = await smtpReceiver()
  })
  afterAll(async () => {
    await hook?.stop()
    await mail?.stop()
  })
  const t = useTestApp(dialect, () => ({
    SLUICE_SMTP_URL: mail.url(),
    SLUICE_SMTP_FROM: 'Sluice Alerts <alerts@sluice.test>',
    SLUICE_FAIL_AFTER: '5m',
    SLUICE_RETRY_BASE: '1m',
  }))
  let admin = ''

  const deployScripted = async (name: string, config: Partial<ScriptedConfig>) =>
    (
      await deployPipeline(t(), admin, name, {
        version: 1,
        nodes: [{ ...scriptedSource('s', config), name }],
        edges: [],
      })
    ).jobOf('s')
  /** Moves the clock to the job's next run and runs what is due. */
  const runDue = async (jobId: string) => {
    const job = (await t().send('GET', `/api/jobs/${jobId}`, { cookie: admin })).json
    t().clock.set(new Date(Math.max(Date.parse(job.nextRunAt), t().clock.now().getTime()) + 1))
    await t().deps.dispatcher.tick()
  }
  const runNow = async (jobId: string) => {
    t().clock.advance(1000)
    expect((await t().send('POST', `/api/jobs/${jobId}/run`, { cookie: admin })).status).toBe(200)
    await t().deps.dispatcher.tick()
  }
  const createRule = async (rule: Record<string, unknown>) => {
    const created = await t().send('POST', '/api/alerts', { cookie: admin, body: rule })
    expect(created.status, created.text).toBe(201)
    return created.json as { id: string; signingSecrets: { target: number; secret: string }[] }
  }
  const deliveries = async (ruleId: string) =>
    (await t().send('GET', `/api/alerts/${ruleId}/deliveries`, { cookie: admin })).json as {
      status: string
      kind: string
      attempts: number
      lastError: string | null
      episodeId: string
      nextAttemptAt: string | null
    }[]

  it('creates, lists, reads and changes rules without ever showing a webhook URL path or secret', async () => {
    admin = await t().setupAdmin()
    const created = await createRule({
      name: 'Anything failed',
      condition: { kind: 'failed' },
      targets: [
        { type: 'webhook', url: `${hook.url('/T000/B000/XXXXSECRETPATH')}` },
        { type: 'email', to: ['Ops@Example.com'] },
      ],
    })
    expect(created.signingSecrets).toEqual([{ target: 0, secret: expect.stringMatching(/^whsec_/) }])
    const read = await t().send('GET', `/api/alerts/${created.id}`, { cookie: admin })
    expect(read.json).toMatchObject({
      name: 'Anything failed',
      jobId: null,
      enabled: true,
      openEpisodes: 0,
      targets: [
        {
          type: 'webhook',
          url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/…$/),
          secret: { set: true },
        },
        { type: 'email', to: ['ops@example.com'] },
      ],
    })
    expect(read.text).not.toContain('XXXXSECRETPATH')
    expect(read.text).not.toContain(created.signingSecrets[0]!.secret)
    const listed = await t().send('GET', '/api/alerts?q=anything', { cookie: admin })
    expect(listed.json.map((rule: { id: string }) => rule.id)).toEqual([created.id])
    expect(listed.text).not.toContain('XXXXSECRETPATH')
    const renamed = await t().send('PATCH', `/api/alerts/${created.id}`, {
      cookie: admin,
      body: { name: 'Any job failed', enabled: false },
    })
    expect(renamed.json).toMatchObject({ name: 'Any job failed', enabled: false, signingSecrets: [] })
    expect((await t().send('DELETE', `/api/alerts/${created.id}`, { cookie: admin })).status).toBe(204)
    expect((await t().send('GET', `/api/alerts/${created.id}`, { cookie: admin })).status).toBe(404)
  })

  it('refuses rules it cannot act on, saying what to fix', async () => {
    const bad = async (body: unknown, status: number, code: string, message: RegExp) => {
      const answer = await t().send('POST', '/api/alerts', { cookie: admin, body })
      expect(answer.status, answer.text).toBe(status)
      expect(answer.json.error.code).toBe(code)
      expect(answer.json.error.message).toMatch(message)
    }
    const webhook = [{ type: 'webhook', url: hook.url() }]
    await bad(
      { name: 'x', condition: { kind: 'bored' }, targets: webhook },
      400,
      'ValidationFailed',
      /condition/,
    )
    await bad(
      { name: 'x', condition: { kind: 'error_streak' }, targets: webhook },
      400,
      'ValidationFailed',
      /errors/,
    )
    await bad(
      { name: 'x', condition: { kind: 'sleeping', longerThan: 'a while' }, targets: webhook },
      400,
      'ValidationFailed',
      /duration/,
    )
    await bad({ name: 'x', condition: { kind: 'failed' }, targets: [] }, 400, 'ValidationFailed', /targets/)
    await bad(
      { name: 'x', condition: { kind: 'failed' }, targets: [{ type: 'webhook', url: 'ftp://example.com' }] },
      400,
      'ValidationFailed',
      /http/,
    )
    await bad(
      { name: 'x', condition: { kind: 'failed' }, targets: webhook, jobId: 'nope' },
      422,
      'UnknownJob',
      /jobId/,
    )
    await bad(
      { name: 'x', condition: { kind: 'failed' }, targets: webhook, createdBy: 'mallory' },
      400,
      'ValidationFailed',
      /createdBy/,
    )
    const config = t().deps.config as { smtpUrl: string | undefined }
    const smtp = config.smtpUrl
    config.smtpUrl = undefined
    await bad(
      { name: 'x', condition: { kind: 'failed' }, targets: [{ type: 'email', to: ['a@example.com'] }] },
      422,
      'EmailNotConfigured',
      /SLUICE_SMTP_URL/,
    )
    config.smtpUrl = smtp
    const viewer = (await t().addUser(admin, 'viewer')).cookie
    const refused = await t().send('POST', '/api/alerts', {
      cookie: viewer,
      body: { name: 'x', condition: { kind: 'failed' }, targets: webhook },
    })
    expect(refused.status).toBe(403)
  })

  it('fires once per rule and episode, to a signed webhook and over SMTP, and again for a new episode', async () => {
    const job = await deployScripted('Flaky CRM import', {
      steps: ['transient', 'transient', 'transient', 'ok', 'transient', 'transient'],
    })
    const streak = await createRule({
      name: 'Two errors in a row',
      jobId: job,
      condition: { kind: 'error_streak', errors: 2 },
      targets: [
        { type: 'webhook', url: hook.url('/streak'), secret: 'a-signing-secret-of-mine' },
        { type: 'email', to: ['ops@example.com'] },
      ],
    })
    const failed = await createRule({
      name: 'Failed',
      condition: { kind: 'failed' },
      targets: [{ type: 'webhook', url: hook.url('/failed') }],
    })
    const hooks = (path: string) => hook.received.filter((request) => request.path === path)
    await runNow(job)
    expect(await t().deps.alerts.tick()).toMatchObject({ opened: 0 })
    await runDue(job)
    expect(await t().deps.alerts.tick()).toMatchObject({ opened: 1, attempted: 2 })
    expect(hooks('/streak')).toHaveLength(1)
    expect(mail.received).toHaveLength(1)
    // Still failing, and ticked again: no second alert for the same episode.
    expect(await t().deps.alerts.tick()).toMatchObject({ opened: 0, attempted: 0 })
    const request = hooks('/streak')[0]!
    const body = JSON.parse(request.body)
    expect(body.text).toMatch(
      /Sluice alert “Two errors in a row”: “Flaky CRM import” has failed 2 times in a row/,
    )
    expect(body.text).toContain(`http://localhost:8080/jobs/${job}`)
    expect(body.blocks[0]).toMatchObject({ type: 'section', text: { type: 'mrkdwn' } })
    expect(body.sluice).toMatchObject({ rule: { id: streak.id }, job: { id: job, name: 'Flaky CRM import' } })
    const [, t0, v1] = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(String(request.headers['x-sluice-signature']))!
    expect(v1).toBe(
      createHmac('sha256', 'a-signing-secret-of-mine').update(`${t0}.${request.body}`).digest('hex'),
    )
    expect(request.headers['x-sluice-delivery']).toBe(body.sluice.deliveryId)
    expect(mail.received[0]).toMatchObject({ from: 'alerts@sluice.test', to: ['ops@example.com'] })
    const parsed = await simpleParser(mail.received[0]!.raw)
    expect(parsed.subject).toBe('Sluice alert “Two errors in a row”: Flaky CRM import')
    expect(parsed.text).toContain('“Flaky CRM import” has failed 2 times in a row')
    expect(parsed.text).toContain(`http://localhost:8080/jobs/${job}`)

    // Past SLUICE_FAIL_AFTER: failed. The failure rule fires; the streak rule stays quiet.
    t().clock.advance(6 * 60_000)
    await runDue(job)
    expect((await t().send('GET', `/api/jobs/${job}`, { cookie: admin })).json.status).toBe('failed')
    expect(await t().deps.alerts.tick()).toMatchObject({ opened: 1 })
    expect(hooks('/failed')).toHaveLength(1)
    expect(JSON.parse(hooks('/failed')[0]!.body).text).toMatch(/“Flaky CRM import” failed: HTTP 503/)
    expect(hooks('/streak')).toHaveLength(1)
    expect((await t().send('GET', `/api/alerts/${failed.id}`, { cookie: admin })).json.openEpisodes).toBe(1)

    // Resumed and recovered: both episodes end. Two new errors make a new streak episode.
    expect((await t().send('POST', `/api/jobs/${job}/resume`, { cookie: admin })).status).toBe(200)
    await runDue(job)
    expect(await t().deps.alerts.tick()).toMatchObject({ closed: 2 })
    await runDue(job)
    await runDue(job)
    expect(await t().deps.alerts.tick()).toMatchObject({ opened: 1 })
    expect(hooks('/streak')).toHaveLength(2)
    expect(mail.received).toHaveLength(2)
    const log = await deliveries(streak.id)
    expect(log).toHaveLength(4)
    expect(new Set(log.map((d) => d.episodeId)).size).toBe(2)
    expect(log.every((d) => d.status === 'sent' && d.attempts === 1)).toBe(true)
  })

  it('retries deliveries while the webhook and the SMTP server are down, and gives up on a 4xx', async () => {
    const job = await deployScripted('Always down', { steps: ['transient'] })
    const rule = await createRule({
      name: 'Down',
      jobId: job,
      condition: { kind: 'error_streak', errors: 1 },
      targets: [
        { type: 'webhook', url: hook.url('/down') },
        { type: 'email', to: ['oncall@example.com'] },
      ],
    })
    await hook.stop()
    await mail.stop()
    const mails = mail.received.length
    await runNow(job)
    expect(await t().deps.alerts.tick()).toMatchObject({ opened: 1, attempted: 2 })
    let log = await deliveries(rule.id)
    expect(log.map((d) => d.status)).toEqual(['pending', 'pending'])
    expect(log.find((d) => d.kind === 'webhook')!.lastError).toMatch(/could not be reached \(ECONNREFUSED\)/)
    expect(log.find((d) => d.kind === 'email')!.lastError).toMatch(/SMTP|ECONNREFUSED|connect/i)
    // Not due yet: nothing is attempted before the back-off (SLUICE_RETRY_BASE, 1 min here).
    t().clock.advance(50_000)
    expect((await t().deps.alerts.tick()).attempted).toBe(0)
    await hook.start()
    await mail.start()
    t().clock.advance(11_000)
    expect((await t().deps.alerts.tick()).attempted).toBe(2)
    log = await deliveries(rule.id)
    expect(log.map((d) => [d.status, d.attempts])).toEqual([
      ['sent', 2],
      ['sent', 2],
    ])
    expect(hook.received.filter((request) => request.path === '/down')).toHaveLength(1)
    expect(mail.received.length).toBe(mails + 1)

    // A 404 will not mend itself: failed at once, with what to check.
    const wrong = await createRule({
      name: 'Wrong URL',
      jobId: job,
      condition: { kind: 'error_streak', errors: 1 },
      targets: [{ type: 'webhook', url: hook.url('/gone') }],
    })
    hook.answer(404)
    await t().deps.alerts.tick()
    hook.answer(200)
    const [gone] = await deliveries(wrong.id)
    expect(gone).toMatchObject({ status: 'failed', attempts: 1, nextAttemptAt: null })
    expect(gone!.lastError).toMatch(/HTTP 404.*check its URL/)
    // The test button reports each target's answer at once.
    const tested = await t().send('POST', `/api/alerts/${rule.id}/test`, { cookie: admin })
    expect(tested.json.results).toEqual([
      { target: 0, type: 'webhook', ok: true, error: null },
      { target: 1, type: 'email', ok: true, error: null },
    ])
    expect(JSON.parse(hook.received.at(-1)!.body).sluice.test).toBe(true)
  })

  it('fires for a job sleeping past its limit and for a run that omitted too much', async () => {
    const limited = await deployScripted('Rate limited', { steps: ['rate_limited'], retryAfterSeconds: 3600 })
    const sleepy = await createRule({
      name: 'Rate-limited for 10 minutes',
      jobId: limited,
      condition: { kind: 'sleeping', longerThan: '10m', reasons: ['rate_limit'] },
      targets: [{ type: 'webhook', url: hook.url('/sleepy') }],
    })
    await runNow(limited)
    expect((await t().send('GET', `/api/jobs/${limited}`, { cookie: admin })).json.sleepReason).toBe(
      'rate_limit',
    )
    t().clock.advance(9 * 60_000)
    expect((await t().deps.alerts.tick()).opened).toBe(0)
    t().clock.advance(2 * 60_000)
    expect((await t().deps.alerts.tick()).opened).toBe(1)
    expect(JSON.parse(hook.received.at(-1)!.body).text).toMatch(
      /has been sleeping \(rate-limited\) for 11 min/,
    )
    expect((await deliveries(sleepy.id))[0]!.status).toBe('sent')

    const key = (await t().send('POST', '/api/data-keys', { cookie: admin, body: { name: 'web' } })).json.key
    for (const email of ['a@x.example', 'b@x.example', 'c@x.example'])
      await t().send('POST', '/collect/json/alerted', {
        body: { email, tier: 'gold' },
        headers: { authorization: key },
      })
    const audienceId = (
      await t().send('POST', '/api/audiences', {
        cookie: admin,
        body: { name: 'Gold', filter: { field: 'tier', op: 'eq', value: 'gold' } },
      })
    ).json.id
    const exportJob = await deployRecorderExport(t(), admin, {
      name: 'gold',
      stream: 'alerted',
      audienceId,
      config: { reject: ['b@x.example', 'c@x.example'] },
    })
    const omitted = await createRule({
      name: 'Omitted over half',
      condition: { kind: 'omitted', percent: 50 },
      targets: [{ type: 'webhook', url: hook.url('/omitted') }],
    })
    await runExport(t(), admin, exportJob)
    expect((await t().deps.alerts.tick()).opened).toBeGreaterThanOrEqual(1)
    const alerted = hook.received
      .filter((request) => request.path === '/omitted')
      .map((r) => JSON.parse(r.body))
    expect(alerted.map((body) => body.sluice.job.id)).toEqual([exportJob])
    expect(alerted[0].text).toMatch(/last run omitted 2 of 3 profiles \(67%, over 50%\)/)
    expect((await t().send('GET', `/api/alerts/${omitted.id}`, { cookie: admin })).json.openEpisodes).toBe(1)
  })

  it('opens one episode however many evaluators race for it', async () => {
    const job = await deployScripted('Raced', { steps: ['transient'] })
    const rule = await createRule({
      name: 'Raced',
      jobId: job,
      condition: { kind: 'error_streak', errors: 1 },
      targets: [{ type: 'webhook', url: hook.url('/raced') }],
    })
    await runNow(job)
    await Promise.all(Array.from({ length: 4 }, () => evaluateAlerts(t().database.db, t().clock.now())))
    const episodes = await t()
      .database.db.selectFrom('alert_episodes')
      .select('id')
      .where('rule_id', '=', rule.id)
      .execute()
    expect(episodes).toHaveLength(1)
    expect(await deliveries(rule.id)).toHaveLength(1)
  })
})
