import hljs from 'highlight.js/lib/core'
import json from 'highlight.js/lib/languages/json'
import { useMemo } from 'react'
import { CopyButton } from './CopyButton.tsx'

hljs.registerLanguage('json', json)

/** A value as formatted, highlighted JSON with a copy button. highlight.js escapes the text. */
export function JsonBlock({ value, title, what }: { value: unknown; title: string; what: string }) {
  const text = useMemo(() => JSON.stringify(value, null, 2), [value])
  const html = useMemo(() => hljs.highlight(text, { language: 'json' }).value, [text])
  return (
    <section className="json-block" aria-label={title}>
      <div className="section-head">
        <h3>{title}</h3>
        <CopyButton text={text} what={what} />
      </div>
      <pre className="code-block">
        {/* biome-ignore lint/security/noDangerouslySetInnerHtml: highlight.js output, its input escaped */}
        <code className="hljs language-json" dangerouslySetInnerHTML={{ __html: html }} />
      </pre>
    </section>
  )
}
