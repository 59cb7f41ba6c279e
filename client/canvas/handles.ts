import { canConnect, NODE_KINDS, type NodeKind } from '../../nodes/edge-rules.ts'

/**
 * Which sides of a node of each kind get a handle, asked of the one edge-rules function rather
 * than restated here: a kind has an output when it may feed some kind, an input when some kind may feed it.
 */
function mayConnect(from: NodeKind, to: NodeKind): boolean {
  const nodes = [
    { id: 'from', kind: from, provider: 'any' },
    { id: 'to', kind: to, provider: 'any' },
  ]
  return canConnect(nodes, [], { source: 'from', target: 'to' }).ok
}

export const HANDLES = Object.fromEntries(
  NODE_KINDS.map((kind) => [
    kind,
    {
      input: NODE_KINDS.some((other) => mayConnect(other, kind)),
      output: NODE_KINDS.some((other) => mayConnect(kind, other)),
    },
  ]),
) as Record<NodeKind, { input: boolean; output: boolean }>
