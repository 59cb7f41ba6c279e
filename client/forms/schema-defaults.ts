/**
 * The value a JSON Schema gives when nothing is filled in: each property's `default`, nested
 * objects filled the same way. Small on purpose: the canvas places nodes with it before any form
 * (and the form library) has loaded.
 * @example schemaDefaults({ properties: { port: { type: 'integer', default: 5432 } } }) // { port: 5432 }
 */
export function schemaDefaults(schema: Record<string, unknown>): Record<string, unknown> {
  const filled: Record<string, unknown> = {}
  const properties = (schema.properties ?? {}) as Record<string, Record<string, unknown>>
  for (const [name, property] of Object.entries(properties)) {
    if (property.default !== undefined) filled[name] = structuredClone(property.default)
    else if (property.type === 'object' && property.properties) {
      const inner = schemaDefaults(property)
      if (Object.keys(inner).length > 0) filled[name] = inner
    }
  }
  return filled
}
