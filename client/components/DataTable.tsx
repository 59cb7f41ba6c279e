import type { ReactNode } from 'react'

/** A column header: its label, or a numeric column's (right-aligned); '' is an unlabelled actions column. */
export type Column = string | { label: string; numeric: true }

/** A scrollable table of rows under plain column headers, as every list page draws it. */
export function DataTable({
  columns,
  className,
  children,
}: {
  columns: readonly Column[]
  className?: string
  /** The rows. */
  children: ReactNode
}) {
  return (
    <div className="table-wrap">
      <table className={className ? `table ${className}` : 'table'}>
        <thead>
          <tr>
            {columns.map((column, index) => {
              const label = typeof column === 'string' ? column : column.label
              return (
                // biome-ignore lint/suspicious/noArrayIndexKey: headers are fixed per table
                <th scope="col" key={index} className={typeof column === 'string' ? undefined : 'numeric'}>
                  {label || <span className="visually-hidden">Actions</span>}
                </th>
              )
            })}
          </tr>
        </thead>
        <tbody>{children}</tbody>
      </table>
    </div>
  )
}
