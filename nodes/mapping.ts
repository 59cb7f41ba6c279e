import { toUtc } from './event-time.ts'
import type { Mapping, MappingField } from './pipeline.ts'

type Transform =
  NonNullable<MappingField['transform']> extends infer T ? (T extends readonly (infer U)[] ? U : T) : never

/** A record after its source's mapping: the attributes it sets and which of them identify a person. */
export interface Mapped {
  attributes: Record<string, unknown>
  /** Attribute names the mapping marks as identities (the identity rules add theirs). */
  identityFields: string[]
}

/** `a.b.c` into nested objects; a key that itself holds dots is found first. */
export function readPath(record: Record<string, unknown>, path: string): unknown {
  if (Object.hasOwn(record, path)) return record[path]
  let value: unknown = record
  for (const part of path.split('.')) {
    if (!value || typeof value !== 'object' || Array.isArray(value)) return undefined
    if (!Object.hasOwn(value, part)) return undefined
    value = (value as Record<string, unknown>)[part]
  }
  return value
}

const TRUE = new Set(['true', '1', 'yes', 'y', 'on'])
const FALSE = new Set(['false', '0', 'no', 'n', 'off'])

/** Pure value functions; a value a cast cannot read becomes undefined (the attribute is not set). */
export function applyTransform(value: unknown, transform: Transform): unknown {
  if (value === undefined || value === null) return value
  switch (transform) {
    case 'lowercase':
      return typeof value === 'string' ? value.toLowerCase() : value
    case 'uppercase':
      return typeof value === 'string' ? value.toUpperCase() : value
    case 'trim':
      return typeof value === 'string' ? value.trim() : value
    case 'string':
      return typeof value === 'object' ? JSON.stringify(value) : String(value)
    case 'number': {
      if (typeof value === 'number') return Number.isFinite(value) ? value : undefined
      if (typeof value !== 'string' || value.trim() === '') return undefined
      const n = Number(value.trim())
      return Number.isFinite(n) ? n : undefined
    }
    case 'boolean': {
      if (typeof value === 'boolean') return value
      const text = String(value).trim().toLowerCase()
      return TRUE.has(text) ? true : FALSE.has(text) ? false : undefined
    }
    case 'date':
      return toUtc(value) ?? undefined
  }
}

function mappedValue(record: Record<string, unknown>, field: MappingField): unknown {
  let value: unknown
  if (Array.isArray(field.from)) {
    const parts = field.from
      .map((path) => readPath(record, path))
      .filter((part) => part != null && part !== '')
    value = parts.length ? parts.map(String).join(field.separator ?? ' ') : undefined
  } else {
    value = readPath(record, field.from)
  }
  const transforms = field.transform === undefined ? [] : [field.transform].flat()
  for (const transform of transforms) value = applyTransform(value, transform)
  return value
}

function setOwn(target: Record<string, unknown>, key: string, value: unknown) {
  // Assigning __proto__ would set the prototype; every other key is an ordinary (and faster) store.
  if (key === '__proto__') {
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true })
  } else target[key] = value
}

/**
 * Applies a source's mapping (DESIGN.md §2) to a record. Without a mapping every top-level field
 * passes through; with one, named fields are renamed/cast/dropped and the rest pass through unless
 * `keepUnmapped` is false. Null and empty values set nothing: they never erase a known value.
 */
export function applyMapping(record: Record<string, unknown>, mapping: Mapping | null | undefined): Mapped {
  const attributes: Record<string, unknown> = {}
  const identityFields: string[] = []
  const consumed = new Set<string>()
  for (const field of mapping?.fields ?? []) {
    for (const from of [field.from].flat()) consumed.add(from.split('.')[0]!)
    if (field.drop || !field.to) continue
    const value = mappedValue(record, field)
    if (value !== undefined && value !== null && value !== '') setOwn(attributes, field.to, value)
    if (field.identity) identityFields.push(field.to)
  }
  if (mapping?.keepUnmapped !== false) {
    for (const [key, value] of Object.entries(record)) {
      if (consumed.has(key) || Object.hasOwn(attributes, key)) continue
      if (value !== undefined && value !== null && value !== '') setOwn(attributes, key, value)
    }
  }
  return { attributes, identityFields }
}
