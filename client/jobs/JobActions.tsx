import { toast } from '../components/toast-store.ts'
import { errorMessage } from '../lib/api.ts'
import { useJobAction } from '../queries/job-logs.ts'
import type { JobStatus } from '../types.ts'

/** Pause or Resume, and Run now, as the job's status allows (the server refuses the rest with 409). */
export function JobActions({
  jobId,
  status,
  pipelineId,
}: {
  jobId: string
  status: JobStatus
  pipelineId: string | null
}) {
  const action = useJobAction(pipelineId)
  const act = (name: 'pause' | 'resume' | 'run', done: string) =>
    action.mutate(
      { jobId, action: name },
      { onSuccess: () => toast.success(done), onError: (error) => toast.error(errorMessage(error)) },
    )
  return (
    <div className="button-row">
      {status === 'paused' ? (
        <button type="button" className="button" onClick={() => act('resume', 'Job resumed.')}>
          Resume
        </button>
      ) : (
        <button
          type="button"
          className="button"
          onClick={() => act('pause', 'Job paused.')}
          disabled={status === 'completed' || status === 'removed'}
        >
          Pause
        </button>
      )}
      <button
        type="button"
        className="button"
        onClick={() => act('run', 'Run requested.')}
        disabled={status !== 'sleeping'}
      >
        Run now
      </button>
    </div>
  )
}
