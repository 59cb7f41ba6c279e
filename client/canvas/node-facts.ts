import { create } from 'zustand'
import type { NodeStatus, ProviderInfo, ValidationProblem, ValidationResult } from '../types.ts'

/**
 * What node cards show beside their document: the deployed jobs' status, the last validation's
 * problems and the catalogue. A store of its own, apart from the canvas store, because every
 * card reads its slice with a selector: in the canvas store those thousands of selectors ran on
 * every pointer move of a drag (measured at 1,000 nodes: about a tenth of the drag's script time),
 * while these facts change only when a poll, a validation or the catalogue answers.
 */
interface NodeFacts {
  statusByNode: Record<string, NodeStatus>
  problemsByNode: Record<string, ValidationProblem[]>
  providers: ReadonlyMap<string, ProviderInfo>
  setStatuses: (statuses: Record<string, NodeStatus>) => void
  setProviders: (providers: readonly ProviderInfo[]) => void
  setProblems: (validation: ValidationResult | null) => void
  reset: () => void
}

const EMPTY = {
  statusByNode: {},
  problemsByNode: {},
  providers: new Map<string, ProviderInfo>(),
} satisfies Partial<NodeFacts>

function byNode(validation: ValidationResult | null): Record<string, ValidationProblem[]> {
  const grouped: Record<string, ValidationProblem[]> = {}
  for (const error of validation?.errors ?? []) {
    if (!error.nodeId) continue
    grouped[error.nodeId] = [...(grouped[error.nodeId] ?? []), error]
  }
  return grouped
}

export const useNodeFacts = create<NodeFacts>()((set) => ({
  ...EMPTY,
  setStatuses: (statusByNode) => set({ statusByNode }),
  setProviders: (list) => set({ providers: new Map(list.map((provider) => [provider.id, provider])) }),
  setProblems: (validation) => set({ problemsByNode: byNode(validation) }),
  reset: () => set(EMPTY),
}))
