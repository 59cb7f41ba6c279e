import { toast } from './toast-store.ts'

/** Copies `text` to the clipboard and says whether it worked. */
export function CopyButton({ text, what, label = 'Copy' }: { text: string; what: string; label?: string }) {
  // navigator.clipboard is missing outside secure contexts; the promise chain turns that into a toast.
  const copy = () =>
    Promise.resolve()
      .then(() => navigator.clipboard.writeText(text))
      .then(() => toast.success(`${what} copied to the clipboard.`))
      .catch(() => toast.error(`Could not copy: select the ${what.toLowerCase()} and copy it by hand.`))
  return (
    <button type="button" className="button button-small" onClick={() => void copy()}>
      {label}
    </button>
  )
}
