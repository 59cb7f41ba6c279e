import { Panel, useReactFlow, useStoreApi } from '@xyflow/react'
import { type PointerEvent, useEffect, useRef } from 'react'

const WIDTH = 200
const HEIGHT = 140
/** At most one redraw per this many ms while nodes move: the overview need not be exact mid-drag. */
const REDRAW_MS = 100

const COLORS: Record<string, string> = {
  authorization: '#a855f7',
  source: '#2563eb',
  destination: '#059669',
  enrichment: '#d97706',
  audience: '#db2777',
  note: '#facc15',
}

/**
 * The canvas overview (a minimap) drawn on a <canvas>: React Flow's own MiniMap re-renders an SVG
 * element per node on every change, which at hundreds of nodes doubled the frame time of a drag.
 * Click or drag on it to move the view there; the wheel zooms.
 */
export function OverviewMap() {
  const store = useStoreApi()
  const flow = useReactFlow()
  const canvas = useRef<HTMLCanvasElement>(null)
  /** Maps overview pixels back to flow coordinates; set by each draw. */
  const mapping = useRef({ scale: 1, left: 0, top: 0 })

  useEffect(() => {
    let frame = 0
    let last = 0
    let timer: ReturnType<typeof setTimeout> | undefined
    const draw = () => {
      frame = 0
      last = performance.now()
      const context = canvas.current?.getContext('2d')
      if (!context) return
      const { nodeLookup, transform, width, height } = store.getState()
      const [tx, ty, zoom] = transform
      const view = { x: -tx / zoom, y: -ty / zoom, w: width / zoom, h: height / zoom }
      let minX = view.x
      let minY = view.y
      let maxX = view.x + view.w
      let maxY = view.y + view.h
      for (const node of nodeLookup.values()) {
        const { x, y } = node.internals.positionAbsolute
        minX = Math.min(minX, x)
        minY = Math.min(minY, y)
        maxX = Math.max(maxX, x + (node.measured.width ?? 0))
        maxY = Math.max(maxY, y + (node.measured.height ?? 0))
      }
      const scale = Math.min(WIDTH / (maxX - minX || 1), HEIGHT / (maxY - minY || 1))
      const left = minX - (WIDTH / scale - (maxX - minX)) / 2
      const top = minY - (HEIGHT / scale - (maxY - minY)) / 2
      mapping.current = { scale, left, top }
      context.clearRect(0, 0, WIDTH, HEIGHT)
      context.fillStyle = 'rgb(240 242 246 / 80%)'
      context.fillRect(0, 0, WIDTH, HEIGHT)
      for (const node of nodeLookup.values()) {
        const { x, y } = node.internals.positionAbsolute
        context.fillStyle = COLORS[node.type ?? ''] ?? '#94a3b8'
        context.fillRect(
          (x - left) * scale,
          (y - top) * scale,
          Math.max(2, (node.measured.width ?? 0) * scale),
          Math.max(2, (node.measured.height ?? 0) * scale),
        )
      }
      context.strokeStyle = '#1d5fd1'
      context.lineWidth = 1.5
      context.strokeRect((view.x - left) * scale, (view.y - top) * scale, view.w * scale, view.h * scale)
    }
    const schedule = () => {
      if (frame || timer) return
      const wait = REDRAW_MS - (performance.now() - last)
      if (wait <= 0) {
        frame = requestAnimationFrame(draw)
        return
      }
      timer = setTimeout(() => {
        timer = undefined
        frame = requestAnimationFrame(draw)
      }, wait)
    }
    draw()
    const unsubscribe = store.subscribe(schedule)
    return () => {
      unsubscribe()
      cancelAnimationFrame(frame)
      clearTimeout(timer)
    }
  }, [store])

  /** Centres the view on the flow point under the pointer. */
  const moveTo = (event: PointerEvent<HTMLCanvasElement>) => {
    const box = event.currentTarget.getBoundingClientRect()
    const { scale, left, top } = mapping.current
    const x = left + (event.clientX - box.left) / scale
    const y = top + (event.clientY - box.top) / scale
    void flow.setCenter(x, y, { zoom: flow.getZoom() })
  }

  return (
    <Panel position="bottom-right" className="overview-map">
      <canvas
        ref={canvas}
        width={WIDTH}
        height={HEIGHT}
        role="img"
        aria-label="Pipeline overview: click or drag to move the view"
        onPointerDown={(event) => {
          event.currentTarget.setPointerCapture(event.pointerId)
          moveTo(event)
        }}
        onPointerMove={(event) => {
          if (event.currentTarget.hasPointerCapture(event.pointerId)) moveTo(event)
        }}
        onWheel={(event) => void (event.deltaY < 0 ? flow.zoomIn() : flow.zoomOut())}
      />
    </Panel>
  )
}
