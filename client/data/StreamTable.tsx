import { Link } from 'react-router'
import { formatDateTime, formatNumber, formatRelative, plural } from '../format.ts'
import type { Stream } from './types.ts'

export const streamPath = (name: string) => `/data/streams/${encodeURIComponent(name)}`

export function retentionText(days: number | null): string {
  return days === null ? 'Keep all' : plural(days, 'day')
}

export function StreamTable({ streams }: { streams: Stream[] }) {
  return (
    <div className="table-wrap">
      <table className="table">
        <thead>
          <tr>
            <th scope="col">Stream</th>
            <th scope="col" className="numeric">
              Messages
            </th>
            <th scope="col">Last message</th>
            <th scope="col">Retention</th>
          </tr>
        </thead>
        <tbody>
          {streams.map((stream) => (
            <tr key={stream.name}>
              <td>
                <Link className="row-title" to={streamPath(stream.name)}>
                  {stream.name}
                </Link>
              </td>
              <td className="numeric">{formatNumber(stream.messageCount)}</td>
              <td className="muted">
                {stream.lastMessageAt ? (
                  <time dateTime={stream.lastMessageAt} title={formatDateTime(stream.lastMessageAt)}>
                    {formatRelative(stream.lastMessageAt)}
                  </time>
                ) : (
                  'Never'
                )}
              </td>
              <td className="muted">{retentionText(stream.retentionDays)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  )
}
