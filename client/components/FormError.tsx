import { errorMessage } from '../lib/api.ts'

/** The error of a form or dialog, said where it happened; nothing while there is none. */
export function FormError({ error }: { error: unknown }) {
  if (!error) return null
  return (
    <p className="form-error" role="alert">
      {typeof error === 'string' ? error : errorMessage(error)}
    </p>
  )
}
