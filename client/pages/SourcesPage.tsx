import { SourcesIcon } from '../components/icons.tsx'
import { JobsPage } from './JobsPage.tsx'

export function SourcesPage() {
  return (
    <JobsPage
      type="import"
      title="Sources"
      subtitle="Import jobs that bring customer records into Sluice, from every pipeline."
      noun="source"
      icon={<SourcesIcon size={28} />}
    />
  )
}
