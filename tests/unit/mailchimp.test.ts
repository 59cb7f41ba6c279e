import { describe, expect, it } from 'vitest'
import { ConnectorError } from '../../nodes/define.ts'
import { apiBase, sessionOf, subscriberHash } from '../../nodes/mailchimp/mailchimp.client.ts'
import { memberOf } from '../../nodes/mailchimp/mailchimp.destination.ts'
import { mailchimpCredentials } from '../../nodes/mailchimp/mailchimp.node.ts'
import { lookBack, recordOf } from '../../nodes/mailchimp/mailchimp.source.ts'

describe('Mailchimp API base', () => {
  it("is the key's datacenter, or the API URL override with /3.0 once", () => {
    expect(apiBase({ apiKey: '0123abcd-us21' })).toBe('https://us21.api.mailchimp.com/3.0')
    expect(apiBase({ apiKey: ' 0123abcd-us6 ' })).toBe('https://us6.api.mailchimp.com/3.0')
    expect(apiBase({ apiKey: '0123abcd-us21', apiUrl: 'http://127.0.0.1:9/' })).toBe('http://127.0.0.1:9/3.0')
    expect(apiBase({ apiKey: 'x', apiUrl: 'https://sandbox.example/3.0' })).toBe(
      'https://sandbox.example/3.0',
    )
  })

  it('refuses a key without its datacenter as a config error that says what to do', () => {
    const refused = (() => {
      try {
        apiBase({ apiKey: '0123abcd' })
      } catch (error) {
        return error
      }
    })() as ConnectorError
    expect(refused).toBeInstanceOf(ConnectorError)
    expect(refused.kind).toBe('config')
    expect(refused.message).toMatch(/no datacenter ending such as -us21: copy the whole key into the Vault/)
    expect(refused.message).not.toContain('0123abcd')
    expect(mailchimpCredentials.safeParse({ apiKey: '0123abcd' }).success).toBe(false)
    expect(mailchimpCredentials.safeParse({ apiKey: '0123abcd-us21' }).success).toBe(true)
  })

  it('authenticates with basic auth, the key as the password', () => {
    const session = sessionOf({ apiKey: 'k3y-us1' })
    expect(Buffer.from(session.authorization.replace('Basic ', ''), 'base64').toString()).toBe(
      'sluice:k3y-us1',
    )
    expect(() => sessionOf({})).toThrow(/no Mailchimp API key/)
  })
})

it("hashes emails as Mailchimp's documentation does", () => {
  // The guide's example: urist.mcvankab@freddiesjokes.com → 62eeb292278cc15f5817cb78f7790b08.
  expect(subscriberHash('Urist.McVankab@freddiesjokes.com')).toBe('62eeb292278cc15f5817cb78f7790b08')
})

it('looks back one second, in the form Mailchimp writes times', () => {
  expect(lookBack('2026-02-01T09:00:00+00:00')).toBe('2026-02-01T08:59:59+00:00')
  expect(lookBack('not a time')).toBe('not a time')
})

it('keys a member by id and last change, with email, tags by name and merge fields', () => {
  const record = recordOf(
    {
      id: 'abc',
      email_address: 'ada@example.org',
      last_changed: '2026-02-01T09:00:00+00:00',
      status: 'subscribed',
      merge_fields: { FNAME: 'Ada' },
      tags: [{ id: 1, name: 'vip' }],
      vip: false,
      language: '',
    },
    'list1',
  )
  expect(record).toEqual({
    key: 'abc:2026-02-01T09:00:00+00:00',
    eventTime: '2026-02-01T09:00:00+00:00',
    data: {
      email: 'ada@example.org',
      mailchimp_id: 'abc',
      list_id: 'list1',
      status: 'subscribed',
      merge_fields: { FNAME: 'Ada' },
      tags: ['vip'],
      vip: false,
      last_changed: '2026-02-01T09:00:00+00:00',
    },
  })
})

it('maps merge fields and tags; pending asks only new people to confirm', () => {
  const row = {
    id: 'ada@example.org',
    fields: { first_name: 'Ada', score: 7, empty: '', address: { city: 'X' } },
  }
  const config = {
    mergeFields: {
      FNAME: 'first_name',
      SCORE: 'score',
      EMPTY: 'empty',
      ADDRESS: 'address',
      LNAME: 'last_name',
    },
    tags: ['sluice'],
  }
  expect(memberOf(row, { ...config, status: 'subscribed' })).toEqual({
    email_address: 'ada@example.org',
    status: 'subscribed',
    status_if_new: 'subscribed',
    merge_fields: { FNAME: 'Ada', SCORE: 7, ADDRESS: { city: 'X' } },
    tags: ['sluice'],
  })
  expect(memberOf(row, { mergeFields: {}, tags: [], status: 'pending' })).toEqual({
    email_address: 'ada@example.org',
    status_if_new: 'pending',
  })
})
