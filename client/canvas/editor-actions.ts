import { toast } from '../components/toast-store.ts'
import {
  addNode,
  connect,
  type Fragment,
  fragmentOf,
  fragmentShaped,
  moveNodes,
  parseFragment,
  pasteFragment,
} from './document-ops.ts'
import type { PaletteItem } from './palette-items.ts'
import { selectedNodeIds, useCanvasStore } from './store.ts'

/**
 * What the toolbar, the shortcuts and the palette do to the pipeline being edited. Each is one
 * undo step; each reads the store at call time, so React components need not re-render for them.
 */

const state = () => useCanvasStore.getState()

/** Adds a palette item's node at `position` (flow coordinates) and selects it. */
export function addItem(item: PaletteItem, position: { x: number; y: number }): string {
  const { document, commit } = state()
  const node = item.make(document, position)
  commit(addNode(document, node), [node.id])
  return node.id
}

/** Wires two nodes, or says why the edge rules refuse it. */
export function connectNodes(source: string, target: string): boolean {
  const { document, commit } = state()
  const result = connect(document, source, target)
  if (!result.ok) {
    refuseConnection(result.message)
    return false
  }
  commit(result.doc)
  return true
}

export function refuseConnection(message: string) {
  toast.error(`Cannot connect: ${message}.`)
}

/** The selection as clipboard text; null when nothing is selected. */
export function copySelection(): string | null {
  const ids = selectedNodeIds(state())
  if (ids.length === 0) return null
  return JSON.stringify(fragmentOf(state().document, ids), null, 2)
}

/** How far each paste lands from what was copied, so copies do not hide their originals. */
const PASTE_OFFSET = { x: 40, y: 40 }

/**
 * Pastes clipboard text when it is a copied fragment; true when it has a fragment's shape (the
 * caller then keeps the browser's own paste away). Its nodes are checked before they land; a
 * fragment that fails the check is refused with a message.
 */
export function pasteText(text: string): boolean {
  if (!fragmentShaped(text)) return false
  void parseFragment(text).then((fragment) => {
    if (fragment) pasteNodes(fragment)
    else toast.error('Cannot paste: the copied nodes are not valid pipeline nodes.')
  })
  return true
}

function pasteNodes(fragment: Fragment) {
  const { document, commit } = state()
  const pasted = pasteFragment(document, fragment, PASTE_OFFSET)
  commit(pasted.doc, pasted.nodeIds)
  toast.info(pasted.nodeIds.length === 1 ? 'Pasted 1 node.' : `Pasted ${pasted.nodeIds.length} nodes.`)
}

export function duplicateSelection() {
  const ids = selectedNodeIds(state())
  if (ids.length) pasteNodes(fragmentOf(state().document, ids))
}

export function deleteSelection() {
  const { nodes, edges, deleteElements } = state()
  deleteElements(
    nodes.filter((node) => node.selected).map((node) => node.id),
    edges.filter((edge) => edge.selected).map((edge) => edge.id),
  )
}

/** Auto-layout: every connected node placed by dagre (loaded on first use), one undo step. */
export async function layoutAll() {
  const { autoLayout } = await import('./layout.ts')
  const { document, nodes, commit } = state()
  const sizes = new Map(
    nodes.flatMap((node) =>
      node.measured?.width && node.measured.height
        ? [[node.id, { width: node.measured.width, height: node.measured.height }] as const]
        : [],
    ),
  )
  commit(moveNodes(document, autoLayout(document, sizes)))
}
