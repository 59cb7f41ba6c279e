/**
 * Papaparse's rules for where a CSV record ends, restated for the records it cannot be trusted
 * with: ones holding a bad quote (so reading must resume on the line after it) and ones over the
 * size limit (so they must be skipped without being held). Both work in linear time however the
 * quotes are arranged; re-running papaparse from each line after a bad quote would not.
 *
 * The rules: a field that starts with a quote is quoted. Inside it `""` is a literal quote, and a
 * quote followed by the delimiter or a line feed, optionally after whitespace (as String#trim
 * sees it), closes it. Any other quote is invalid — papaparse reports it and reads on — and the
 * field goes on until a quote that does close it, or to the end of the body. Unquoted fields end at
 * the next delimiter or line feed.
 */

const LF = 10
const QUOTE = 34

/** Whitespace as String#trim sees it: what papaparse allows between a closing quote and a delimiter. */
export function isSpace(code: number): boolean {
  if (code <= 32) return code === 32 || (code >= 9 && code <= 13)
  if (code < 160) return false
  return (
    code === 160 ||
    code === 5760 ||
    (code >= 8192 && code <= 8202) ||
    code === 8232 ||
    code === 8233 ||
    code === 8239 ||
    code === 8287 ||
    code === 12288 ||
    code === 65279
  )
}

/** Where a record ends and what is wrong with its quotes. */
export interface Extent {
  /** Index of the line feed that ends the record, or the text's length when the body ends it. */
  end: number
  /** A quoted field in it never closes, so the record runs to the end of the body. */
  endless: boolean
  /** Index of the opening quote of its first bad field, or -1 when its quotes are fine. */
  bad: number
  /** That field is bad for never closing, rather than for an invalid quote inside it. */
  badOpen: boolean
}

/**
 * Record extents over one text in memory, from a single backward pass: for each position, where a
 * quoted field whose content starts there would close, and the next delimiter or line feed.
 */
export class QuoteMap {
  /** 2 × index of the delimiter or line feed closing a quoted field starting at i (+1 if it met an invalid quote); -1: never. */
  private readonly close: Int32Array
  /** Index of the first delimiter or line feed at or after i; -1: none. */
  private readonly next: Int32Array
  /** UTF-8 bytes of text[i, n): sizes of records that overlap (after a bad quote) in constant time. */
  private readonly bytesFrom: Int32Array

  /** `final`: the text runs to the end of the body, so what is still open there never closes. */
  constructor(
    private readonly text: string,
    delimiter: number,
    private readonly final: boolean,
  ) {
    const n = text.length
    const close = new Int32Array(n + 1)
    const next = new Int32Array(n + 1)
    const bytesFrom = new Int32Array(n + 1)
    let bytes = 0
    // The three states inside a quoted field, as of position i + 1: plain content, just after a
    // quote, and in whitespace after a quote. A quote as the body's last character closes.
    let inside = -1
    let afterQuote = final ? 2 * n : -1
    let inSpace = -1
    let boundary = -1
    close[n] = -1
    next[n] = -1
    for (let i = n - 1; i >= 0; i--) {
      const code = text.charCodeAt(i)
      if (code === QUOTE) {
        const quoted = inside
        inside = afterQuote
        inSpace = afterQuote | 1 // the quote before the whitespace was invalid; this one may close
        afterQuote = quoted // a doubled quote
      } else if (code === delimiter || code === LF) {
        afterQuote = inSpace = 2 * i
        boundary = i
      } else if (isSpace(code)) {
        afterQuote = inSpace
      } else {
        afterQuote = inSpace = inside | 1 // -1 | 1 is still -1
      }
      close[i] = inside
      next[i] = boundary
      // Decoded text has no lone surrogates: each half of a pair is 2 of its 4 bytes.
      bytes += code < 0x80 ? 1 : code < 0x800 || (code >= 0xd800 && code <= 0xdfff) ? 2 : 3
      bytesFrom[i] = bytes
    }
    this.close = close
    this.next = next
    this.bytesFrom = bytesFrom
  }

  /** UTF-8 bytes of text[from, to). */
  size(from: number, to: number): number {
    return this.bytesFrom[from]! - this.bytesFrom[to]!
  }

  /** The record starting at `start`; undefined when it runs past a text that is not final. */
  record(start: number): Extent | undefined {
    const { text, close, next, final } = this
    const n = text.length
    let bad = -1
    let badOpen = false
    for (let i = start; ; ) {
      if (i >= n) return final ? { end: n, endless: false, bad, badOpen } : undefined
      if (text.charCodeAt(i) === QUOTE) {
        const closing = close[i + 1]!
        if (closing === -1) {
          if (!final) return undefined
          if (bad < 0) {
            bad = i
            badOpen = true
          }
          return { end: n, endless: true, bad, badOpen }
        }
        if (closing & 1 && bad < 0) bad = i
        const at = closing >> 1
        if (at === n || text.charCodeAt(at) === LF) return { end: at, endless: false, bad, badOpen }
        i = at + 1
      } else {
        const at = next[i]!
        if (at === -1) return final ? { end: n, endless: false, bad, badOpen } : undefined
        if (text.charCodeAt(at) === LF) return { end: at, endless: false, bad, badOpen }
        i = at + 1
      }
    }
  }
}

const START = 0
const PLAIN = 1
const QUOTED = 2
const AFTER_QUOTE = 3
const SPACE = 4

/** Follows one record through text fed piece by piece, holding nothing, to find where it ends. */
export class RecordSkipper {
  private state = START
  /** Line feeds seen so far, the one ending the record included. */
  lines = 0

  constructor(private readonly delimiter: number) {}

  /** Index just past the line feed ending the record, or -1 when it goes on past this text. */
  feed(text: string): number {
    const n = text.length
    const delimiter = this.delimiter
    let state = this.state
    for (let i = 0; i < n; i++) {
      const code = text.charCodeAt(i)
      if (code === LF) this.lines++
      if (state === QUOTED) {
        if (code === QUOTE) state = AFTER_QUOTE
        continue
      }
      if (code === LF) {
        this.state = START
        return i + 1
      }
      if (state === AFTER_QUOTE || state === SPACE) {
        if (code === delimiter) state = START
        else if (code === QUOTE) state = state === AFTER_QUOTE ? QUOTED : AFTER_QUOTE
        else if (isSpace(code)) state = SPACE
        else state = QUOTED
      } else if (code === delimiter) state = START
      else if (state === START && code === QUOTE) state = QUOTED
      else state = PLAIN
    }
    this.state = state
    return -1
  }

  /** At the end of the body: a quoted field is still open, so the record never ended. */
  get open(): boolean {
    return this.state === QUOTED || this.state === SPACE
  }
}
