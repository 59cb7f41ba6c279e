/** One thing wrong with a pipeline document; `validate` returns all of them at once. */
export interface Problem {
  nodeId?: string
  edgeId?: string
  code: string
  message: string
}
