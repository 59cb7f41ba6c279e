import { useState } from 'react'
import { Link } from 'react-router'
import { DataIcon } from '../components/icons.tsx'
import { PageHeader } from '../components/PageHeader.tsx'
import { QueryList } from '../components/QueryList.tsx'
import { RelativeTime } from '../components/RelativeTime.tsx'
import { SearchField } from '../components/SearchField.tsx'
import { useDebouncedValue } from '../hooks/useDebouncedValue.ts'
import { useAudiences } from '../queries/audiences.ts'
import { useHasRole } from '../queries/auth.ts'

/** Saved audiences, newest change first, searchable by name and description. */
export function AudiencesPage() {
  const [search, setSearch] = useState('')
  const q = useDebouncedValue(search.trim())
  const audiences = useAudiences(q)
  const canEdit = useHasRole('editor')
  const create = canEdit && (
    <Link className="button button-primary" to="/data/audiences/new">
      New audience
    </Link>
  )
  return (
    <>
      <PageHeader
        title="Audiences"
        subtitle="Saved filters over profiles, with a live count; audience nodes send their members on."
        actions={create}
      />
      <div className="toolbar">
        <SearchField label="Search audiences" value={search} onChange={setSearch} />
      </div>
      <QueryList
        query={audiences}
        noun="audiences"
        searched={q !== ''}
        icon={<DataIcon size={28} />}
        firstText="An audience picks people by their attributes and the streams they came from — say, everyone on the pro plan who signed up this year."
        firstActions={create}
        columns={['Name', 'Description', 'Last changed']}
        row={(audience) => (
          <tr key={audience.id}>
            <td className="row-title">
              <Link to={`/data/audiences/${encodeURIComponent(audience.id)}`}>{audience.name}</Link>
            </td>
            <td className="muted">{audience.description}</td>
            <td className="muted">
              <RelativeTime iso={audience.updatedAt} />
            </td>
          </tr>
        )}
      />
    </>
  )
}
