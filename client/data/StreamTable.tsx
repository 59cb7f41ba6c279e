import { Link } from 'react-router'
import { DataTable } from '../components/DataTable.tsx'
import { RelativeTime } from '../components/RelativeTime.tsx'
import { formatNumber, plural } from '../format.ts'
import type { Stream } from './types.ts'

export const streamPath = (name: string) => `/data/streams/${encodeURIComponent(name)}`

export function retentionText(days: number | null): string {
  return days === null ? 'Keep all' : plural(days, 'day')
}

export function StreamTable({ streams }: { streams: Stream[] }) {
  return (
    <DataTable columns={['Stream', { label: 'Messages', numeric: true }, 'Last message', 'Retention']}>
      {streams.map((stream) => (
        <tr key={stream.name}>
          <td>
            <Link className="row-title" to={streamPath(stream.name)}>
              {stream.name}
            </Link>
          </td>
          <td className="numeric">{formatNumber(stream.messageCount)}</td>
          <td className="muted">
            <RelativeTime iso={stream.lastMessageAt} never="Never" />
          </td>
          <td className="muted">{retentionText(stream.retentionDays)}</td>
        </tr>
      ))}
    </DataTable>
  )
}
