/** The Sluice mark: a gate holding water high on one side, letting it through on the other. */
export function LogoMark({ size = 28 }: { size?: number }) {
  return (
    <svg width={size} height={size} viewBox="0 0 32 32" aria-hidden="true" focusable="false">
      <rect width="32" height="32" rx="8" fill="var(--brand)" />
      <g fill="none" stroke="#fff" strokeWidth="2" strokeLinecap="round">
        <path d="M5 12c2 0 2-1.6 4-1.6s2 1.6 4 1.6" />
        <path d="M5 17c2 0 2-1.6 4-1.6s2 1.6 4 1.6" opacity="0.7" />
        <path d="M19 21c2 0 2-1.6 4-1.6s2 1.6 4 1.6" />
      </g>
      <rect x="14.5" y="6" width="3" height="20" rx="1.5" fill="#fff" />
    </svg>
  )
}

export function Logo() {
  return (
    <span className="logo">
      <LogoMark />
      <span className="logo-name">Sluice</span>
    </span>
  )
}
