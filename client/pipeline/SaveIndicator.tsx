import type { SaveState } from './useAutosave.ts'

const WORDS: Record<SaveState['kind'], string> = {
  saved: 'All changes saved',
  unsaved: 'Unsaved changes',
  saving: 'Saving…',
  failed: 'Not saved',
  conflict: 'Changed elsewhere',
}

/** The autosave state in words, always visible, announced politely when it changes. */
export function SaveIndicator({ state, onRetry }: { state: SaveState; onRetry: () => void }) {
  return (
    <span className={`save-state save-${state.kind}`} role="status" data-testid="save-state">
      {WORDS[state.kind]}
      {state.kind === 'failed' && (
        <>
          {': '}
          {state.message}{' '}
          <button type="button" className="link-button" onClick={onRetry}>
            Retry
          </button>
        </>
      )}
    </span>
  )
}
