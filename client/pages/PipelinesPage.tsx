import { useState } from 'react'
import { EmptyState } from '../components/EmptyState.tsx'
import { PlusIcon, SearchIcon } from '../components/icons.tsx'
import { PageHeader } from '../components/PageHeader.tsx'
import { LoadError, Loading } from '../components/QueryStates.tsx'
import { SearchField } from '../components/SearchField.tsx'
import { toast } from '../components/toast-store.ts'
import { useDebouncedValue } from '../hooks/useDebouncedValue.ts'
import { api, errorMessage } from '../lib/api.ts'
import { DeletePipelineDialog } from '../pipelines/DeletePipelineDialog.tsx'
import { ExampleCard } from '../pipelines/ExampleCard.tsx'
import { NewPipelineDialog } from '../pipelines/NewPipelineDialog.tsx'
import { PipelineTable } from '../pipelines/PipelineTable.tsx'
import { RenamePipelineDialog } from '../pipelines/RenamePipelineDialog.tsx'
import { useCreatePipeline, usePipelines } from '../queries/pipelines.ts'
import type { Pipeline, PipelineSummary } from '../types.ts'

type OpenDialog = { kind: 'new' } | { kind: 'rename' | 'delete'; id: string } | null

export function PipelinesPage() {
  const [search, setSearch] = useState('')
  const [dialog, setDialog] = useState<OpenDialog>(null)
  const q = useDebouncedValue(search.trim())
  const list = usePipelines(q)

  // The server searches with `q`; filtering here too keeps the table in step with every keystroke.
  const term = search.trim().toLowerCase()
  const visible = term
    ? list.items.filter((pipeline) => pipeline.name.toLowerCase().includes(term))
    : list.items
  const hasNone = list.isSuccess && !list.isPlaceholderData && q === '' && list.items.length === 0
  // Dialogs read the latest row, so a refetch after a version conflict reaches them.
  const target =
    dialog && dialog.kind !== 'new' ? list.items.find((pipeline) => pipeline.id === dialog.id) : undefined
  const close = () => setDialog(null)
  const create = useCreatePipeline()

  /** A copy of the draft as a new pipeline: same nodes, no jobs until it is deployed. */
  const duplicate = async (pipeline: PipelineSummary) => {
    try {
      const source = await api.get<Pipeline>(`/api/pipelines/${encodeURIComponent(pipeline.id)}`)
      const copy = await create.mutateAsync({
        name: `${source.name.slice(0, 193)} (copy)`,
        ...(source.description ? { description: source.description } : {}),
        document: source.document,
      })
      toast.success(`Created “${copy.name}”.`)
    } catch (error) {
      toast.error(errorMessage(error))
    }
  }

  return (
    <div className="page">
      <PageHeader
        title="Pipelines"
        subtitle="Graphs of sources and destinations. Deploying one turns its nodes into jobs."
        actions={
          <button type="button" className="button button-primary" onClick={() => setDialog({ kind: 'new' })}>
            <PlusIcon />
            New pipeline
          </button>
        }
      />

      {hasNone ? (
        <ExampleCard />
      ) : (
        <>
          <div className="toolbar">
            <SearchField label="Search pipelines" value={search} onChange={setSearch} />
          </div>
          {list.isPending ? (
            <Loading label="Loading pipelines…" />
          ) : list.isError ? (
            <LoadError error={list.error} onRetry={() => void list.refetch()} />
          ) : visible.length === 0 ? (
            <EmptyState icon={<SearchIcon />} title="No pipelines match your search">
              <p>Nothing is named like “{search.trim()}”. Try another word or clear the search.</p>
            </EmptyState>
          ) : (
            <>
              <PipelineTable
                pipelines={visible}
                onRename={(pipeline) => setDialog({ kind: 'rename', id: pipeline.id })}
                onDuplicate={(pipeline) => void duplicate(pipeline)}
                onDelete={(pipeline) => setDialog({ kind: 'delete', id: pipeline.id })}
              />
              {list.hasNextPage && (
                <div className="load-more">
                  <button
                    type="button"
                    className="button"
                    onClick={() => void list.fetchNextPage()}
                    disabled={list.isFetchingNextPage}
                  >
                    Load more
                  </button>
                </div>
              )}
            </>
          )}
        </>
      )}

      {dialog?.kind === 'new' && <NewPipelineDialog onClose={close} />}
      {dialog?.kind === 'rename' && target && <RenamePipelineDialog pipeline={target} onClose={close} />}
      {dialog?.kind === 'delete' && target && <DeletePipelineDialog pipeline={target} onClose={close} />}
    </div>
  )
}
