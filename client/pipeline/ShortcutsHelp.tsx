import { Dialog } from '../components/Dialog.tsx'

const SHORTCUTS: [keys: string, what: string][] = [
  ['/ or double-click', 'Search and add a node'],
  ['Drag from the palette', 'Place a node where you drop it'],
  ['Drag from a handle', 'Connect two nodes'],
  ['Ctrl+Z', 'Undo'],
  ['Ctrl+Shift+Z or Ctrl+Y', 'Redo'],
  ['Ctrl+C · Ctrl+X · Ctrl+V', 'Copy, cut and paste nodes (also between pipelines)'],
  ['Ctrl+D', 'Duplicate the selection'],
  ['Ctrl+A', 'Select all'],
  ['Shift+drag', 'Box select'],
  ['Ctrl+click', 'Add to the selection'],
  ['Delete or Backspace', 'Delete the selection'],
  ['?', 'This help'],
]

/** The editor's keyboard shortcuts (`?`). On macOS, Cmd works wherever Ctrl is listed. */
export function ShortcutsHelp({ onClose }: { onClose: () => void }) {
  return (
    <Dialog title="Keyboard shortcuts" onClose={onClose}>
      <dl className="shortcuts">
        {SHORTCUTS.map(([keys, what]) => (
          <div key={keys}>
            <dt>
              <kbd>{keys}</kbd>
            </dt>
            <dd>{what}</dd>
          </div>
        ))}
      </dl>
      <div className="dialog-actions">
        <button type="button" className="button button-primary" onClick={onClose}>
          Close
        </button>
      </div>
    </Dialog>
  )
}
