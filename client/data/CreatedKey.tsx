import { useId } from 'react'
import { CopyButton } from '../components/CopyButton.tsx'
import { SendDataSnippet } from './SendDataSnippet.tsx'
import type { NewDataKey } from './types.ts'

/** A key right after creation: the one time its value is on screen. */
export function CreatedKey({ created }: { created: NewDataKey }) {
  const id = useId()
  return (
    <div className="created-key">
      <p className="warning-box" role="status">
        <strong>Copy this key now.</strong> It won't be shown again: Sluice keeps only a hash of it. If you
        lose it, delete it and create a new one.
      </p>
      <div className="field">
        <label htmlFor={id} className="field-label">
          Data key “{created.name}”
        </label>
        <div className="inline-fields">
          <input
            id={id}
            className="input code-input"
            readOnly
            value={created.key}
            onFocus={(event) => event.currentTarget.select()}
          />
          <CopyButton text={created.key} what="Key" />
        </div>
      </div>
      <SendDataSnippet dataKey={created.key} stream={created.stream ?? 'web'} />
    </div>
  )
}
