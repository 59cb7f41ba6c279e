import { useStore } from '@xyflow/react'
import { createContext, useContext } from 'react'

/**
 * Below this zoom a node's small print cannot be read: nodes draw only their name and status
 * colour, which keeps a canvas of hundreds of nodes quick to draw, drag and pan (semantic zoom).
 */
const DETAIL_MIN_ZOOM = 0.35

const FarContext = createContext(false)

/**
 * One subscription to the zoom for the whole canvas, handed to the cards by context: a selector
 * per card ran a thousand times on every change of React Flow's store, each pointer move included.
 */
export const FarProvider = FarContext.Provider

export const useFarZoom = () => useStore((state) => state.transform[2] < DETAIL_MIN_ZOOM)

/** Whether the canvas is zoomed out too far for a card's details. */
export const useFar = () => useContext(FarContext)
