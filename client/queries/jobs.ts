import type { JobStatus, JobSummary } from '../types.ts'
import { useCursorList } from './list.ts'

export type JobFilter = {
  type: 'import' | 'export'
  q: string
  status: JobStatus | ''
}

export function useJobs(filter: JobFilter) {
  return useCursorList<JobSummary>(['jobs'], '/api/jobs', filter)
}
