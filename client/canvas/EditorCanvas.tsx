import '@xyflow/react/dist/style.css'
import {
  Background,
  type Connection,
  Controls,
  type Edge,
  type FinalConnectionState,
  getViewportForBounds,
  ReactFlow,
  useReactFlow,
  useStore,
  type Viewport,
} from '@xyflow/react'
import {
  type DragEvent,
  type MouseEvent,
  useCallback,
  useEffect,
  useLayoutEffect,
  useMemo,
  useRef,
  useState,
} from 'react'
import { canConnect } from '../../nodes/edge-rules.ts'
import type { PipelineNode } from '../../nodes/pipeline.ts'
import {
  addItem,
  connectNodes,
  copySelection,
  deleteSelection,
  duplicateSelection,
  pasteText,
  refuseConnection,
} from './editor-actions.ts'
import { nodeTypes } from './nodeTypes.ts'
import { OverviewMap } from './OverviewMap.tsx'
import { PALETTE_MIME, usePaletteItems } from './Palette.tsx'
import type { PaletteItem } from './palette-items.ts'
import { QuickAdd } from './QuickAdd.tsx'
import { useCanvasStore } from './store.ts'
import type { SluiceNode } from './types.ts'
import { FarProvider, useFarZoom } from './zoom-detail.ts'

/** Below this zoom the dots would sit a few pixels apart: painting them would cost every pan frame. */
const DOTS_MIN_ZOOM = 0.5

function CanvasBackground() {
  const near = useStore((state) => state.transform[2] >= DOTS_MIN_ZOOM)
  return near ? <Background gap={20} size={1.2} color="#d5dbe5" /> : null
}

/** Cards' size before React Flow measures them (see .flow-node in the styles). */
const CARD = { width: 240, height: 120 }
const MIN_ZOOM = 0.1

/** The viewport that shows every node of a document in a canvas of `size`. */
function fittedViewport(nodes: readonly PipelineNode[], size: { width: number; height: number }): Viewport {
  const xs = nodes.map((node) => node.position.x)
  const ys = nodes.map((node) => node.position.y)
  const bounds = {
    x: Math.min(...xs),
    y: Math.min(...ys),
    width: Math.max(...xs) - Math.min(...xs) + CARD.width,
    height: Math.max(...ys) - Math.min(...ys) + CARD.height,
  }
  return getViewportForBounds(bounds, size.width, size.height, MIN_ZOOM, 1.1, 0.25)
}

/** Keys typed into a field belong to the field, not to the canvas' shortcuts. */
function typingIn(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false
  return target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName)
}

/** The edge-rules verdict on a connection the user is drawing (from either end). */
function verdictOf(connection: { source: string; target: string }) {
  const { document } = useCanvasStore.getState()
  return canConnect(document.nodes, document.edges, connection)
}

/*
 * React Flow copies each of its props that changed into its store, one update per prop, and every
 * update runs the selectors of every node, edge and handle. The canvas re-renders on each pointer
 * move of a drag (the nodes moved), so every handler and key list below is stable: built inline,
 * they cost eight extra store updates per move (measured at 1,000 nodes: half the drag's script time).
 */
const DELETE_KEYS = ['Delete', 'Backspace']
const MULTI_SELECT_KEYS = ['Meta', 'Control']
const onNodeDragStart = () => useCanvasStore.getState().setDragging(true)
const onNodeDragStop = (_event: unknown, _node: unknown, moved: SluiceNode[]) => {
  useCanvasStore.getState().setDragging(false)
  useCanvasStore.getState().commitMoves(moved)
}
const onConnect = (connection: Connection) => connectNodes(connection.source, connection.target)
const isValidConnection = (connection: Connection | Edge) => verdictOf(connection).ok
const onDelete = ({ nodes: gone, edges: cut }: { nodes: SluiceNode[]; edges: Edge[] }) =>
  useCanvasStore.getState().deleteElements(
    gone.map((node) => node.id),
    cut.map((edge) => edge.id),
  )
const onPaneClick = () => useCanvasStore.getState().select(null)

/** A drawn connection dropped on a node that refuses it: say why instead of doing nothing. */
function onConnectEnd(_event: unknown, state: FinalConnectionState) {
  if (state.isValid !== false || !state.fromNode || !state.toNode) return
  const forward = state.fromHandle?.type !== 'target'
  const connection = forward
    ? { source: state.fromNode.id, target: state.toNode.id }
    : { source: state.toNode.id, target: state.fromNode.id }
  const verdict = verdictOf(connection)
  if (!verdict.ok) refuseConnection(verdict.message)
}

/**
 * The editable canvas: drop palette items, draw connections (checked by the shared edge rules,
 * refused with the reason), move, select, box-select (Shift+drag), delete, copy and paste, and
 * the quick-add search. `readOnly` (a viewer) keeps moving the view and selecting only.
 */
export function EditorCanvas({ readOnly, onHelp }: { readOnly: boolean; onHelp: () => void }) {
  const nodes = useCanvasStore((state) => state.nodes)
  const edges = useCanvasStore((state) => state.edges)
  const onNodesChange = useCanvasStore((state) => state.onNodesChange)
  const onEdgesChange = useCanvasStore((state) => state.onEdgesChange)
  const flow = useReactFlow<SluiceNode>()
  const far = useFarZoom()
  const items = usePaletteItems()
  const area = useRef<HTMLDivElement>(null)
  const [quickAdd, setQuickAdd] = useState<{ left: number; top: number } | null>(null)
  // The first view, fitted to the document before anything is drawn: drawing at 1:1 and then
  // fitting would draw every node twice (and in full detail). An empty pipeline keeps 1:1, so
  // the first node lands where it is dropped.
  const [size, setSize] = useState<{ width: number; height: number } | null>(null)
  useLayoutEffect(() => {
    const box = area.current?.getBoundingClientRect()
    if (box) setSize({ width: box.width, height: box.height })
  }, [])
  const [opening] = useState(() => useCanvasStore.getState().document.nodes)
  const defaultViewport = useMemo(
    () => (size && opening.length > 0 ? fittedViewport(opening, size) : undefined),
    [size, opening],
  )
  const onMoveStart = useCallback(() => area.current?.classList.add('is-moving'), [])
  const onMoveEnd = useCallback(() => area.current?.classList.remove('is-moving'), [])

  /** Opens the quick-add box at a point of the canvas area (the centre when none is given). */
  const openQuickAdd = useCallback((clientX?: number, clientY?: number) => {
    const box = area.current?.getBoundingClientRect()
    if (!box) return
    setQuickAdd({
      left: (clientX ?? box.left + box.width / 2 - 150) - box.left,
      top: (clientY ?? box.top + box.height / 3) - box.top,
    })
  }, [])

  const pickQuickAdd = (item: PaletteItem) => {
    const box = area.current!.getBoundingClientRect()
    const at = quickAdd ?? { left: box.width / 2, top: box.height / 2 }
    addItem(item, flow.screenToFlowPosition({ x: box.left + at.left, y: box.top + at.top }))
    setQuickAdd(null)
  }

  useEffect(() => {
    if (readOnly) return
    const onKey = (event: KeyboardEvent) => {
      if (
        typingIn(event.target) ||
        document.querySelector('dialog[open], [role="dialog"][aria-modal="true"]')
      )
        return
      const mod = event.ctrlKey || event.metaKey
      const key = event.key.toLowerCase()
      const { undo, redo, selectAll } = useCanvasStore.getState()
      if (mod && key === 'z') event.shiftKey ? redo() : undo()
      else if (mod && key === 'y') redo()
      else if (mod && key === 'a') selectAll()
      else if (mod && key === 'd') duplicateSelection()
      else if (!mod && event.key === '/') openQuickAdd()
      else if (!mod && event.key === '?') onHelp()
      else return
      event.preventDefault()
    }
    // Copy and paste use the clipboard events: they need no permission and work across tabs.
    const onCopy = (event: ClipboardEvent) => {
      if (typingIn(event.target) || window.getSelection()?.toString()) return
      const text = copySelection()
      if (!text) return
      event.clipboardData?.setData('text/plain', text)
      event.preventDefault()
    }
    const onCut = (event: ClipboardEvent) => {
      onCopy(event)
      if (event.defaultPrevented) deleteSelection()
    }
    const onPaste = (event: ClipboardEvent) => {
      if (typingIn(event.target)) return
      if (pasteText(event.clipboardData?.getData('text/plain') ?? '')) event.preventDefault()
    }
    window.addEventListener('keydown', onKey)
    document.addEventListener('copy', onCopy)
    document.addEventListener('cut', onCut)
    document.addEventListener('paste', onPaste)
    return () => {
      window.removeEventListener('keydown', onKey)
      document.removeEventListener('copy', onCopy)
      document.removeEventListener('cut', onCut)
      document.removeEventListener('paste', onPaste)
    }
  }, [readOnly, openQuickAdd, onHelp])

  const onDrop = (event: DragEvent) => {
    const key = event.dataTransfer.getData(PALETTE_MIME)
    const item = items.find((candidate) => candidate.key === key)
    if (!item || readOnly) return
    event.preventDefault()
    addItem(item, flow.screenToFlowPosition({ x: event.clientX, y: event.clientY }))
  }

  const onDoubleClick = (event: MouseEvent) => {
    if (readOnly || !(event.target as HTMLElement).classList.contains('react-flow__pane')) return
    openQuickAdd(event.clientX, event.clientY)
  }

  return (
    // biome-ignore lint/a11y/noStaticElementInteractions: double-click is a shortcut; `/` opens the same box
    <div
      className="editor-canvas"
      ref={area}
      onDrop={onDrop}
      onDragOver={(event) => {
        if (!event.dataTransfer.types.includes(PALETTE_MIME)) return
        event.preventDefault()
        event.dataTransfer.dropEffect = 'copy'
      }}
      onDoubleClick={onDoubleClick}
    >
      {size && (
        <FarProvider value={far}>
          <ReactFlow<SluiceNode>
            nodes={nodes}
            edges={edges}
            nodeTypes={nodeTypes}
            onNodesChange={onNodesChange}
            onEdgesChange={onEdgesChange}
            onMoveStart={onMoveStart}
            onMoveEnd={onMoveEnd}
            onNodeDragStart={onNodeDragStart}
            onNodeDragStop={onNodeDragStop}
            onConnect={onConnect}
            isValidConnection={isValidConnection}
            onConnectEnd={onConnectEnd}
            onDelete={onDelete}
            onPaneClick={onPaneClick}
            nodesDraggable={!readOnly}
            nodesConnectable={!readOnly}
            deleteKeyCode={readOnly ? null : DELETE_KEYS}
            selectionKeyCode="Shift"
            multiSelectionKeyCode={MULTI_SELECT_KEYS}
            zoomOnDoubleClick={false}
            defaultViewport={defaultViewport}
            minZoom={MIN_ZOOM}
            onlyRenderVisibleElements={false}
            colorMode="light"
            aria-label="Pipeline canvas"
          >
            <CanvasBackground />
            <Controls showInteractive={false} />
            <OverviewMap />
          </ReactFlow>
        </FarProvider>
      )}
      {quickAdd && <QuickAdd at={quickAdd} onPick={pickQuickAdd} onClose={() => setQuickAdd(null)} />}
    </div>
  )
}
