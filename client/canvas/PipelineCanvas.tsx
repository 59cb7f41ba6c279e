import '@xyflow/react/dist/style.css'
import { Background, Controls, MiniMap, ReactFlow } from '@xyflow/react'
import { nodeTypes } from './nodeTypes.ts'
import { useCanvasStore } from './store.ts'
import type { SluiceNode } from './types.ts'

const MINIMAP_COLORS: Record<string, string> = {
  authorization: '#a855f7',
  source: '#2563eb',
  destination: '#059669',
  enrichment: '#d97706',
  audience: '#db2777',
  note: '#facc15',
}

const minimapColor = (node: SluiceNode) => MINIMAP_COLORS[node.type] ?? '#94a3b8'

/**
 * The pipeline drawn read-mostly: nodes can be moved (and the layout saved) and selected to
 * inspect them; connecting and deleting belong to the editor, so they are switched off here.
 */
export function PipelineCanvas() {
  const nodes = useCanvasStore((state) => state.nodes)
  const edges = useCanvasStore((state) => state.edges)
  const onNodesChange = useCanvasStore((state) => state.onNodesChange)
  const select = useCanvasStore((state) => state.select)

  return (
    <ReactFlow<SluiceNode>
      nodes={nodes}
      edges={edges}
      nodeTypes={nodeTypes}
      onNodesChange={onNodesChange}
      onPaneClick={() => select(null)}
      nodesConnectable={false}
      edgesFocusable={false}
      deleteKeyCode={null}
      fitView
      fitViewOptions={{ padding: 0.25, maxZoom: 1.1 }}
      minZoom={0.2}
      colorMode="light"
      aria-label="Pipeline canvas"
    >
      <Background gap={20} size={1.2} color="#d5dbe5" />
      <Controls showInteractive={false} />
      <MiniMap<SluiceNode> nodeColor={minimapColor} pannable zoomable ariaLabel="Pipeline overview" />
    </ReactFlow>
  )
}
