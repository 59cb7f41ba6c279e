import { create } from 'zustand'

export type ToastKind = 'error' | 'success' | 'info'

export interface Toast {
  id: number
  kind: ToastKind
  message: string
}

interface ToastState {
  toasts: Toast[]
  push: (kind: ToastKind, message: string) => void
  dismiss: (id: number) => void
}

/** Errors stay longer: they usually say what to fix. */
const LIFETIME: Record<ToastKind, number> = { error: 8_000, success: 4_000, info: 5_000 }
let nextId = 1

export const useToasts = create<ToastState>()((set, get) => ({
  toasts: [],
  push: (kind, message) => {
    const id = nextId++
    // The same message twice in a row (e.g. two failing queries) shows once.
    if (get().toasts.some((toast) => toast.message === message)) return
    set((state) => ({ toasts: [...state.toasts.slice(-3), { id, kind, message }] }))
    setTimeout(() => get().dismiss(id), LIFETIME[kind])
  },
  dismiss: (id) => set((state) => ({ toasts: state.toasts.filter((toast) => toast.id !== id) })),
}))

/** Callable from outside React (query cache callbacks). */
export const toast = {
  error: (message: string) => useToasts.getState().push('error', message),
  success: (message: string) => useToasts.getState().push('success', message),
  info: (message: string) => useToasts.getState().push('info', message),
}
