import { useState } from 'react'
import { AlertRuleRow } from '../alerts/AlertRuleRow.tsx'
import { NewAlertDialog } from '../alerts/NewAlertDialog.tsx'
import { AlertIcon } from '../components/icons.tsx'
import { PageHeader } from '../components/PageHeader.tsx'
import { QueryList } from '../components/QueryList.tsx'
import { SearchField } from '../components/SearchField.tsx'
import { useDebouncedValue } from '../hooks/useDebouncedValue.ts'
import { useAlertRules } from '../queries/alerts.ts'
import { useHasRole } from '../queries/auth.ts'
import { useCursorList } from '../queries/list.ts'
import type { JobSummary } from '../types.ts'

/** Alert rules (DESIGN.md §7): when a job needs a person, tell them by webhook or email, once. */
export function AlertsPage() {
  const [search, setSearch] = useState('')
  const q = useDebouncedValue(search.trim())
  const rules = useAlertRules(q)
  const canEdit = useHasRole('editor')
  const [creating, setCreating] = useState(false)
  // Names for the jobs rules watch.
  const jobs = useCursorList<JobSummary>(['jobs', 'list', 'alert-names'], '/api/jobs', { limit: 1000 })
  const nameOf = (id: string) => jobs.items.find((job) => job.id === id)?.name
  const create = canEdit && (
    <button type="button" className="button button-primary" onClick={() => setCreating(true)}>
      + New alert rule
    </button>
  )
  return (
    <div className="page">
      <PageHeader
        title="Alerts"
        subtitle="Hear about a failing or stuck job without watching: by Slack-compatible webhook or email."
        actions={create}
      />
      <div className="toolbar">
        <SearchField label="Search alert rules" value={search} onChange={setSearch} />
      </div>
      <QueryList
        query={rules}
        noun="alert rules"
        searched={q !== ''}
        icon={<AlertIcon size={28} />}
        firstText="A rule watches one job or every job and fires once when it fails, keeps erroring, sleeps too long or omits too many profiles."
        firstActions={create}
        columns={['Rule', 'Targets', 'Now', 'Enabled', '']}
        row={(rule) => (
          <AlertRuleRow
            key={rule.id}
            rule={rule}
            jobName={rule.jobId ? nameOf(rule.jobId) : undefined}
            canEdit={canEdit}
          />
        )}
      />
      {creating && <NewAlertDialog onClose={() => setCreating(false)} />}
    </div>
  )
}
