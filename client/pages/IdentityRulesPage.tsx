import { PageHeader } from '../components/PageHeader.tsx'
import { LoadError, Loading } from '../components/QueryStates.tsx'
import { IdentityRulesForm } from '../data/IdentityRulesForm.tsx'
import { IdentityRulesTable } from '../data/IdentityRulesTable.tsx'
import { RebuildPanel } from '../data/RebuildPanel.tsx'
import { useHasRole } from '../queries/auth.ts'
import { useIdentityRules } from '../queries/identity-rules.ts'

/** Which fields identify a person, strongest first. Everyone sees them; admins change them. */
export function IdentityRulesPage() {
  const rules = useIdentityRules()
  const admin = useHasRole('admin')

  return (
    <>
      <PageHeader
        title="Identity rules"
        subtitle="The fields that tell Sluice two messages are the same person, strongest first (priority 1)."
      />
      <div className="callout callout-plain">
        <p>
          Messages that share a value of one of these fields join the same profile. Changes apply to data
          unified from now on; existing profiles keep their shape until they are rebuilt (below).
        </p>
      </div>
      {rules.isPending ? (
        <Loading label="Loading identity rules…" />
      ) : rules.isError ? (
        <LoadError error={rules.error} onRetry={() => void rules.refetch()} />
      ) : admin ? (
        // Remounts with the saved rules, so the form shows them as the server stored them (sorted).
        <IdentityRulesForm key={JSON.stringify(rules.data)} fields={rules.data.fields} />
      ) : (
        <IdentityRulesTable fields={rules.data.fields} />
      )}
      <RebuildPanel admin={admin} />
    </>
  )
}
