import { Link } from 'react-router'
import { EmptyState } from '../components/EmptyState.tsx'
import { VaultIcon } from '../components/icons.tsx'
import { PageHeader } from '../components/PageHeader.tsx'

/**
 * Authorizations live here (DESIGN.md §6). No provider shipped so far needs one, so there is
 * nothing to list or add yet; the page says so rather than showing a form that cannot work.
 */
export function VaultPage() {
  return (
    <div className="page">
      <PageHeader
        title="Vault"
        subtitle="Authorizations: the credentials Sluice uses to reach your tools, encrypted at rest."
      />
      <EmptyState
        icon={<VaultIcon size={28} />}
        title="No authorizations yet"
        actions={
          <Link className="button" to="/pipelines">
            Go to Pipelines
          </Link>
        }
      >
        <p>
          An authorization holds the API key, login or OAuth connection for one provider. Pipelines refer to
          it by an authorization node, so secrets never appear in a pipeline and are never shown again after
          you save them.
        </p>
        <p>
          The providers available so far, <strong>Sample data</strong> and <strong>File export</strong>, need
          no authorization: you can build and deploy pipelines with them right away.
        </p>
      </EmptyState>
    </div>
  )
}
