import { describe, expect, it } from 'vitest'
import { canConnect, edgeProblems, type NodeKind } from '../../nodes/pipeline.ts'

const node = (id: string, kind: NodeKind, provider?: string) => ({
  id,
  kind,
  ...(provider ? { provider } : {}),
  name: id,
})

const nodes = [
  node('auth', 'authorization', 'mailchimp'),
  node('auth2', 'authorization', 'mailchimp'),
  node('hub', 'authorization', 'hubspot'),
  node('src', 'source', 'mailchimp'),
  node('src2', 'source', 'sample'),
  node('aud', 'audience'),
  node('enr', 'enrichment', 'geoip'),
  node('dst', 'destination', 'mailchimp'),
  node('note', 'note'),
]

describe('edge rules (DESIGN.md §2)', () => {
  it.each([
    ['auth', 'src'],
    ['auth', 'dst'],
    ['src', 'dst'],
    ['src', 'aud'],
    ['src', 'enr'],
    ['enr', 'aud'],
    ['enr', 'dst'],
    ['aud', 'dst'],
  ])('allows %s -> %s', (source, target) => {
    expect(canConnect(nodes, [], { source, target })).toEqual({ ok: true })
  })

  it.each([
    ['dst', 'src', 'EdgeNotAllowed'],
    ['aud', 'src', 'EdgeNotAllowed'],
    ['src', 'src2', 'EdgeNotAllowed'],
    ['note', 'dst', 'EdgeNotAllowed'],
    ['src', 'note', 'EdgeNotAllowed'],
    ['auth', 'aud', 'EdgeNotAllowed'],
    ['src', 'src', 'SelfEdge'],
    ['hub', 'src', 'ProviderMismatch'],
    ['auth', 'src2', 'ProviderMismatch'],
    ['src', 'missing', 'UnknownNode'],
  ])('refuses %s -> %s with %s and a reason', (source, target, code) => {
    const verdict = canConnect(nodes, [], { source, target })
    expect(verdict).toMatchObject({ ok: false, code })
    if (!verdict.ok) expect(verdict.message.length).toBeGreaterThan(10)
  })

  it('allows one authorization per job node and no duplicate edges', () => {
    const edges = [{ source: 'auth', target: 'src' }]
    expect(canConnect(nodes, edges, { source: 'auth2', target: 'src' })).toMatchObject({
      code: 'TooManyAuthorizations',
    })
    expect(canConnect(nodes, edges, { source: 'auth', target: 'src' })).toMatchObject({
      code: 'DuplicateEdge',
    })
  })

  it('refuses an edge that closes a cycle, saying so', () => {
    const edges = [
      { source: 'src', target: 'enr' },
      { source: 'enr', target: 'aud' },
    ]
    expect(canConnect(nodes, edges, { source: 'aud', target: 'src' })).toMatchObject({
      ok: false,
      code: 'Cycle',
    })
    expect(canConnect(nodes, edges, { source: 'dst', target: 'src' })).toMatchObject({
      ok: false,
      code: 'EdgeNotAllowed',
    })
  })

  it('reports each offending edge of a document, in order', () => {
    const problems = edgeProblems({
      nodes,
      edges: [
        { id: 'e1', source: 'auth', target: 'src' },
        { id: 'e2', source: 'auth2', target: 'src' },
        { id: 'e3', source: 'dst', target: 'src' },
        { id: 'e4', source: 'src', target: 'dst' },
      ],
    })
    expect(problems.map((p) => `${p.edgeId}:${p.code}`)).toEqual([
      'e2:TooManyAuthorizations',
      'e3:EdgeNotAllowed',
    ])
  })
})
