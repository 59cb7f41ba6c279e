import '@xyflow/react/dist/style.css'
import { applyNodeChanges, type Edge, type Node, type NodeChange, ReactFlow } from '@xyflow/react'
import { useState } from 'react'
import { createRoot } from 'react-dom/client'
import { benchGraph } from '../canvas-graph.ts'

/** The baseline: React Flow's own default nodes, controlled the way its docs show, nothing else. */
const n = Number(new URL(location.href).searchParams.get('n') ?? 500)
const graph = benchGraph(n)
const initialNodes: Node[] = graph.nodes.map((node) => ({
  id: node.id,
  position: { x: node.x, y: node.y },
  data: { label: node.id },
}))
const edges: Edge[] = graph.edges

function Bare() {
  const [nodes, setNodes] = useState(initialNodes)
  const onNodesChange = (changes: NodeChange[]) => setNodes((current) => applyNodeChanges(changes, current))
  // fitView and minZoom as the editor sets them, so both pages show the whole graph at one zoom.
  return <ReactFlow nodes={nodes} edges={edges} onNodesChange={onNodesChange} fitView minZoom={0.1} />
}

createRoot(document.getElementById('root')!).render(<Bare />)
