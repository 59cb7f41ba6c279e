import { describe, expect, it } from 'vitest'
import {
  connect,
  fragmentOf,
  moveNodes,
  parseFragment,
  pasteFragment,
  removeElements,
  uniqueId,
  wireAuthorization,
} from '../../client/canvas/document-ops.ts'
import { autoLayout } from '../../client/canvas/layout.ts'
import type { PipelineDocument, PipelineNode } from '../../nodes/pipeline.ts'

const job = (id: string, kind: 'source' | 'destination', provider: string, x = 0): PipelineNode => ({
  id,
  kind,
  provider,
  jobType: kind === 'source' ? 'rows' : 'table',
  name: id,
  position: { x, y: 0 },
  data: { config: {} },
})

const doc = (nodes: PipelineNode[], edges: PipelineDocument['edges'] = []): PipelineDocument => ({
  version: 1,
  nodes,
  edges,
})

describe('the editor’s document operations', () => {
  it('makes ids no node or edge has', () => {
    const base = doc([job('postgres', 'source', 'postgres'), job('postgres-2', 'destination', 'postgres')])
    expect(uniqueId(base, 'postgres')).toBe('postgres-3')
    expect(uniqueId(base, 'Sample data!')).toBe('Sample-data')
  })

  it('connects by the shared edge rules and says why it will not', () => {
    const base = doc([job('src', 'source', 'postgres'), job('dst', 'destination', 's3')])
    const wired = connect(base, 'src', 'dst')
    expect(wired.ok && wired.doc.edges).toEqual([{ id: 'src-dst', source: 'src', target: 'dst' }])
    const backwards = connect(base, 'dst', 'src')
    expect(backwards).toMatchObject({ ok: false, code: 'EdgeNotAllowed' })
    expect(base.edges).toEqual([])
  })

  it('removes nodes with their edges, and moves nodes to whole pixels', () => {
    const base = doc(
      [job('a', 'source', 'p'), job('b', 'destination', 'p'), job('c', 'destination', 'p')],
      [
        { id: 'ab', source: 'a', target: 'b' },
        { id: 'ac', source: 'a', target: 'c' },
      ],
    )
    const left = removeElements(base, ['b'])
    expect(left.nodes.map((node) => node.id)).toEqual(['a', 'c'])
    expect(left.edges.map((edge) => edge.id)).toEqual(['ac'])
    expect(removeElements(base, [], ['ac']).edges.map((edge) => edge.id)).toEqual(['ab'])
    expect(removeElements(base, [])).toBe(base)
    const moved = moveNodes(base, new Map([['a', { x: 10.6, y: -3.2 }]]))
    expect(moved.nodes[0]!.position).toEqual({ x: 11, y: -3 })
    expect(moved.nodes[1]).toBe(base.nodes[1])
    expect(moveNodes(moved, new Map([['a', { x: 11, y: -3 }]]))).toBe(moved)
  })

  it('pastes a copied fragment with fresh ids, its inner edges following, shifted', async () => {
    const base = doc(
      [job('src', 'source', 'p', 100), job('dst', 'destination', 'p', 400)],
      [{ id: 'src-dst', source: 'src', target: 'dst' }],
    )
    const copied = fragmentOf(base, ['src', 'dst'])
    const text = JSON.stringify(copied)
    const fragment = (await parseFragment(text))!
    const pasted = pasteFragment(base, fragment, { x: 40, y: 40 })
    expect(pasted.nodeIds).toEqual(['src-2', 'dst-2'])
    expect(pasted.doc.nodes.find((node) => node.id === 'src-2')!.position).toEqual({ x: 140, y: 40 })
    expect(pasted.doc.edges.at(-1)).toEqual({ id: 'src-2-dst-2', source: 'src-2', target: 'dst-2' })
    // Only one end copied: the edge stays behind.
    expect(fragmentOf(base, ['src']).edges).toEqual([])
  })

  it('reads only real fragments from the clipboard', async () => {
    expect(await parseFragment('hello')).toBeNull()
    expect(
      await parseFragment(JSON.stringify({ sluice: 'pipeline-fragment', nodes: [{ id: 'x' }], edges: [] })),
    ).toBeNull()
    expect(await parseFragment(JSON.stringify({ nodes: [], edges: [] }))).toBeNull()
  })

  it('wires an authorization into a job node: placed to its left, re-pointed when already wired', () => {
    const base = doc([job('dst', 'destination', 'postgres', 500)])
    const first = wireAuthorization(base, 'dst', { id: 'auth_1', name: 'Warehouse', provider: 'postgres' })
    const auth = first.nodes.find((node) => node.kind === 'authorization')!
    expect(auth).toMatchObject({
      id: 'postgres-auth',
      name: 'Warehouse',
      data: { authorizationId: 'auth_1' },
    })
    expect(auth.position.x).toBeLessThan(500)
    expect(first.edges).toEqual([{ id: 'postgres-auth-dst', source: 'postgres-auth', target: 'dst' }])
    const second = wireAuthorization(first, 'dst', { id: 'auth_2', name: 'Mart', provider: 'postgres' })
    expect(second.nodes.filter((node) => node.kind === 'authorization')).toHaveLength(1)
    expect(second.nodes.find((node) => node.id === 'postgres-auth')).toMatchObject({
      name: 'Mart',
      data: { authorizationId: 'auth_2' },
    })
    expect(second.edges).toHaveLength(1)
  })

  it('lays the graph out left to right in the direction data flows', () => {
    const base = doc(
      [job('dst', 'destination', 'p', 0), job('src', 'source', 'p', 900)],
      [{ id: 'e', source: 'src', target: 'dst' }],
    )
    const positions = autoLayout(base)
    expect(positions.get('src')!.x).toBeLessThan(positions.get('dst')!.x)
  })
})
