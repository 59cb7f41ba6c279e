/**
 * A provider's catalogue icon. The SVG markup is trusted, but an <img> with a data URL renders it
 * without innerHTML and keeps any script in it inert.
 */
export function ProviderIcon({ svg, size = 24 }: { svg: string | undefined; size?: number }) {
  if (!svg)
    return (
      <span
        className="provider-icon provider-icon-blank"
        style={{ width: size, height: size }}
        aria-hidden="true"
      />
    )
  return (
    <img
      className="provider-icon"
      src={`data:image/svg+xml;utf8,${encodeURIComponent(svg)}`}
      width={size}
      height={size}
      alt=""
      draggable={false}
    />
  )
}
