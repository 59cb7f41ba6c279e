import Form from '@rjsf/core'
import type { RJSFSchema, UiSchema } from '@rjsf/utils'
import { useMemo } from 'react'
import { formValidator } from './validator.ts'

/** Strings longer than this are edited in a text area (queries, templates). */
const LONG_TEXT = 1000

/**
 * Widgets and hints derived from the schema itself, never written per provider: our `placeholder`
 * keyword, `secret` fields as password inputs, long strings as text areas.
 */
export function uiSchemaFor(schema: Record<string, unknown>): UiSchema {
  const properties = (schema.properties ?? {}) as Record<string, Record<string, unknown>>
  const ui: UiSchema = { 'ui:submitButtonOptions': { norender: true } }
  for (const [name, field] of Object.entries(properties)) {
    const options: Record<string, unknown> = {}
    if (typeof field.placeholder === 'string') options['ui:placeholder'] = field.placeholder
    if (field.secret === true)
      Object.assign(options, { 'ui:widget': 'password', 'ui:autocomplete': 'new-password' })
    else if (field.type === 'string' && typeof field.maxLength === 'number' && field.maxLength > LONG_TEXT)
      options['ui:widget'] = 'textarea'
    if (Object.keys(options).length) ui[name] = options
  }
  return ui
}

/**
 * A form generated from a JSON Schema (the catalogue's job-type and auth-method schemas), with
 * errors shown inline as the user types.
 */
export function SchemaForm({
  schema,
  value,
  onChange,
  idPrefix,
}: {
  schema: Record<string, unknown>
  value: Record<string, unknown>
  /** `field`: the id of the input that changed, when the form knows it. */
  onChange: (value: Record<string, unknown>, field?: string) => void
  /** Keeps the ids of two forms on one page apart. */
  idPrefix: string
}) {
  const uiSchema = useMemo(() => uiSchemaFor(schema), [schema])
  return (
    <Form
      className="schema-form"
      tagName="div"
      schema={schema as RJSFSchema}
      uiSchema={uiSchema}
      formData={value}
      validator={formValidator}
      idPrefix={idPrefix}
      liveValidate="onChange"
      showErrorList={false}
      noHtml5Validate
      onChange={(event, field) => onChange((event.formData ?? {}) as Record<string, unknown>, field)}
    />
  )
}
