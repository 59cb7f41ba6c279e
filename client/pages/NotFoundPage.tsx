import { Link } from 'react-router'
import { EmptyState } from '../components/EmptyState.tsx'

export function NotFoundPage() {
  return (
    <div className="page">
      <title>Page not found · Sluice</title>
      <EmptyState
        title="Page not found"
        actions={
          <Link className="button button-primary" to="/pipelines">
            Go to Pipelines
          </Link>
        }
      >
        <p>There is nothing at this address.</p>
      </EmptyState>
    </div>
  )
}
