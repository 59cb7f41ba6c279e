import { addFields, asBuffer, BulkFormatError, MAX_ROW_BYTES, type Sink } from './bulk-parse.common.ts'
import type { BulkOptions } from './bulk-parse.ts'

const LF = 10
const QUOTE = 34
const BACKSLASH = 92

/**
 * Collects one row's bytes across pieces; past the limit it stops holding them and only counts, so
 * an oversized row costs no memory.
 */
class RowBytes {
  private parts: Buffer[] = []
  private size = 0

  get empty(): boolean {
    return this.size === 0
  }

  get over(): boolean {
    return this.size > MAX_ROW_BYTES
  }

  add(bytes: Buffer, from: number, to: number): void {
    if (to <= from) return
    this.size += to - from
    if (this.over) this.parts = []
    // Copied: a source may reuse its buffers once it has yielded them.
    else this.parts.push(Buffer.from(bytes.subarray(from, to)))
  }

  /** The row as text, or undefined when it was over the limit; empties the holder. */
  take(): string | undefined {
    const text = this.over ? undefined : Buffer.concat(this.parts).toString('utf8')
    this.parts = []
    this.size = 0
    return text
  }
}

/** Checks one parsed value and hands it on as a row, or rejects it, naming it `what` ("line 3"). */
function deliver(
  sink: Sink,
  append: [string, unknown][] | undefined,
  row: number,
  what: string,
  text: string,
) {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (error) {
    sink.reject(row, `${what} is not valid JSON: ${(error as Error).message}`)
    return
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    sink.reject(row, `${what} is ${describe(value)}, expected a JSON object`)
    return
  }
  const data = value as Record<string, unknown>
  if (append) addFields(data, append)
  sink.row(row, data)
}

function describe(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  return `a ${typeof value}`
}

/** One JSON object per line, numbered by line; blank lines are skipped. */
export class NdjsonParser {
  private readonly append: [string, unknown][] | undefined
  private readonly held = new RowBytes()
  private line = 1

  constructor(
    options: BulkOptions,
    private readonly sink: Sink,
  ) {
    this.append = options.append && Object.entries(options.append)
  }

  write(bytes: Uint8Array): void {
    const buffer = asBuffer(bytes)
    for (let at = 0; ; ) {
      const lf = buffer.indexOf(LF, at)
      if (lf === -1) {
        this.held.add(buffer, at, buffer.length)
        return
      }
      if (this.held.empty) this.take(lf - at > MAX_ROW_BYTES ? undefined : buffer.toString('utf8', at, lf))
      else {
        this.held.add(buffer, at, lf)
        this.take(this.held.take())
      }
      at = lf + 1
      this.line++
    }
  }

  end(): void {
    if (!this.held.empty) this.take(this.held.take())
  }

  private take(text: string | undefined): void {
    const line = this.line
    if (text === undefined) this.sink.reject(line, `line ${line} is over 1 MB, the most one line may hold`)
    else if (text.charCodeAt(0) === 123 || text.trim())
      deliver(this.sink, this.append, line, `line ${line}`, text)
  }
}

// Where the JSON reader is between elements.
const START = 0
const ARRAY_OPEN = 1 // after "["
const ARRAY_COMMA = 2 // after ","
const ARRAY_AFTER = 3 // after an element
const ARRAY_CLOSED = 4
const OBJECTS = 5 // after a top-level object
const ELEMENT = 6

/**
 * A top-level array of objects, or objects one after another, read element by element: an element
 * is held only until its end is found, then parsed. Rows are numbered by element.
 */
export class JsonParser {
  private readonly append: [string, unknown][] | undefined
  private readonly held = new RowBytes()
  private state = START
  private array = false
  private count = 0
  // Inside an element: brackets open, in a string, after a backslash, a bare scalar.
  private depth = 0
  private inString = false
  private escaped = false
  private scalar = false

  constructor(
    options: BulkOptions,
    private readonly sink: Sink,
  ) {
    this.append = options.append && Object.entries(options.append)
  }

  write(bytes: Uint8Array): void {
    const buffer = asBuffer(bytes)
    const n = buffer.length
    for (let i = 0; i < n; ) {
      if (this.state === ELEMENT) {
        i = this.scan(buffer, i)
        continue
      }
      const code = buffer[i]!
      if (code === 32 || code === LF || code === 13 || code === 9) {
        i++
        continue
      }
      this.between(code)
      if (this.state === ELEMENT) this.begin(code)
      else i++
    }
  }

  end(): void {
    const after = this.count ? ` (after ${this.noun} ${this.count})` : ''
    if (this.state === ELEMENT) {
      throw new BulkFormatError(`the body ends inside JSON ${this.noun} ${this.count}: it was cut short`)
    }
    if (this.state === ARRAY_OPEN || this.state === ARRAY_COMMA || this.state === ARRAY_AFTER) {
      throw new BulkFormatError(`the body ends before the JSON array is closed${after}`)
    }
  }

  private get noun(): string {
    return this.array ? 'element' : 'object'
  }

  /** A non-space byte between elements: structure, or the start of the next element. */
  private between(code: number): void {
    const found = show(code)
    switch (this.state) {
      case START:
        if (code === 91) {
          this.array = true
          this.state = ARRAY_OPEN
        } else if (code === 123) this.state = ELEMENT
        else {
          throw new BulkFormatError(
            `a JSON body must be an array of objects or an object; this one starts with ${found}`,
          )
        }
        return
      case ARRAY_OPEN:
      case ARRAY_COMMA:
        if (code === 93 && this.state === ARRAY_OPEN) this.state = ARRAY_CLOSED
        else if (code === 93) {
          throw new BulkFormatError(`the JSON array has a trailing comma after element ${this.count}`)
        } else if (code === 44 || code === 58 || code === 125) {
          const after = this.count ? `element ${this.count}` : '"["'
          throw new BulkFormatError(`the JSON array needs an element after ${after}, found ${found}`)
        } else this.state = ELEMENT
        return
      case ARRAY_AFTER:
        if (code === 44) this.state = ARRAY_COMMA
        else if (code === 93) this.state = ARRAY_CLOSED
        else {
          throw new BulkFormatError(
            `the JSON array needs "," or "]" after element ${this.count}, found ${found}`,
          )
        }
        return
      case ARRAY_CLOSED:
        throw new BulkFormatError(`unexpected ${found} after the end of the JSON array`)
      case OBJECTS:
        if (code === 123) this.state = ELEMENT
        else {
          throw new BulkFormatError(
            `after JSON object ${this.count} only another object may follow, found ${found}`,
          )
        }
    }
  }

  private begin(code: number): void {
    this.count++
    this.depth = 0
    this.inString = false
    this.escaped = false
    this.scalar = code !== 123 && code !== 91 && code !== QUOTE
  }

  /** Follows the element from buffer[from]; returns where reading goes on. */
  private scan(buffer: Buffer, from: number): number {
    const n = buffer.length
    let i = from
    if (this.scalar) {
      while (i < n && !endsScalar(buffer[i]!)) i++
      return i < n ? this.finish(buffer, from, i) : this.hold(buffer, from)
    }
    let { depth, inString, escaped } = this
    for (; i < n; i++) {
      const code = buffer[i]!
      if (inString) {
        if (escaped) escaped = false
        else if (code === BACKSLASH) escaped = true
        else if (code === QUOTE) {
          inString = false
          if (depth === 0) break // a string element
        }
      } else if (code === QUOTE) inString = true
      else if (code === 123 || code === 91) depth++
      else if (code === 125 || code === 93) {
        if (--depth === 0) break
      }
    }
    this.depth = depth
    this.inString = inString
    this.escaped = escaped
    return i < n ? this.finish(buffer, from, i + 1) : this.hold(buffer, from)
  }

  private hold(buffer: Buffer, from: number): number {
    this.held.add(buffer, from, buffer.length)
    return buffer.length
  }

  /** The element ends at buffer[end]: parses it and returns `end`. */
  private finish(buffer: Buffer, from: number, end: number): number {
    let text: string | undefined
    if (this.held.empty) text = end - from > MAX_ROW_BYTES ? undefined : buffer.toString('utf8', from, end)
    else {
      this.held.add(buffer, from, end)
      text = this.held.take()
    }
    const what = `${this.noun} ${this.count}`
    if (text === undefined)
      this.sink.reject(this.count, `${what} is over 1 MB, the most one ${this.noun} may hold`)
    else deliver(this.sink, this.append, this.count, what, text)
    this.state = this.array ? ARRAY_AFTER : OBJECTS
    return end
  }
}

/** Bytes that end a bare scalar element (number, true, false, null or a typo). */
function endsScalar(code: number): boolean {
  return (
    code === 44 ||
    code === 93 ||
    code === 125 ||
    code === 91 ||
    code === 123 ||
    code === QUOTE ||
    code === 58 ||
    code === 32 ||
    code === LF ||
    code === 13 ||
    code === 9
  )
}

/** A byte for a message: printable ASCII quoted, anything else by its value (it may be part of a character). */
function show(code: number): string {
  return code > 32 && code < 127
    ? `"${String.fromCharCode(code)}"`
    : `byte 0x${code.toString(16).padStart(2, '0')}`
}
