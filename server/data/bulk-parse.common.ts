import { createGunzip, type Gunzip } from 'node:zlib'
import { ApiError } from '../errors.ts'

/** Rows per yielded batch. */
export const BATCH_ROWS = 1000
/** The most one row (a CSV record, an NDJSON line, a JSON element) may hold, in UTF-8 bytes. */
export const MAX_ROW_BYTES = 1024 * 1024

/** A body the caller can fix: bad gzip, a broken header row, a broken JSON structure. */
export class BulkFormatError extends ApiError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(400, 'InvalidBulkFile', message, options)
    this.name = 'BulkFormatError'
  }
}

/** Where parsers put what they read; the entry point cuts it into batches. */
export interface Sink {
  row(row: number, data: Record<string, unknown>): void
  reject(row: number, reason: string): void
}

/** True when the bytes start with gzip's magic number (1f 8b). */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b
}

/**
 * Sets a field as an own data property: a plain assignment of `__proto__` would set (or, for a
 * string, silently skip) the prototype instead.
 */
export function setField(data: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(data, key, { value, writable: true, enumerable: true, configurable: true })
  } else {
    data[key] = value
  }
}

/** Adds the append fields to a row; they win over the row's own. */
export function addFields(data: Record<string, unknown>, append: [string, unknown][]): void {
  for (const [key, value] of append) setField(data, key, value)
}

/** A view of the same memory as a Buffer, for its fast indexOf and UTF-8 decoding. */
export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}

/** Counts line feeds in text[from, to); cheap when a line feed follows `to` closely. */
export function countLf(text: string, from: number, to: number): number {
  let count = 0
  for (let at = text.indexOf('\n', from); at !== -1 && at < to; at = text.indexOf('\n', at + 1)) count++
  return count
}

/**
 * The body as plain bytes: counts what the source sends, gunzips when asked to or when the body
 * starts with gzip's magic number, and drops a UTF-8 byte order mark. Errors from the source pass
 * through as they are; stopping early closes the source.
 */
export class Body {
  /** Bytes received from the source so far, compressed when the body is gzip. */
  bytesRead = 0

  constructor(
    private readonly source: AsyncIterable<Uint8Array> | ReadableStream<Uint8Array>,
    private readonly gzip: boolean,
  ) {}

  async *chunks(): AsyncGenerator<Uint8Array> {
    let head: Uint8Array | undefined = new Uint8Array(0)
    for await (const chunk of decompress(this.received(), this.gzip)) {
      if (!head) {
        yield chunk
        continue
      }
      // Held until three bytes are in hand: the body may come one byte at a time.
      head = head.length ? Buffer.concat([head, chunk]) : chunk
      if (head.length < 3) continue
      const rest = withoutBom(head)
      head = undefined
      if (rest.length) yield rest
    }
    if (head?.length) yield withoutBom(head)
  }

  private async *received(): AsyncGenerator<Uint8Array> {
    const source = this.source
    if (!('getReader' in source)) {
      for await (const chunk of source) {
        this.bytesRead += chunk.length
        yield chunk
      }
      return
    }
    const reader = source.getReader()
    try {
      for (;;) {
        const { done, value } = await reader.read()
        if (done) return
        this.bytesRead += value.length
        yield value
      }
    } finally {
      // Cancelling a finished or failed stream is harmless; its own error is already on its way.
      await reader.cancel().catch(() => undefined)
    }
  }
}

function withoutBom(bytes: Uint8Array): Uint8Array {
  return bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? bytes.subarray(3) : bytes
}

async function* decompress(chunks: AsyncIterable<Uint8Array>, gzip: boolean): AsyncGenerator<Uint8Array> {
  // The first two bytes decide; they may come in two pieces.
  let head: Uint8Array | undefined = new Uint8Array(0)
  let inflater: Inflater | undefined
  try {
    for await (const chunk of chunks) {
      let bytes = chunk
      if (head) {
        head = head.length ? Buffer.concat([head, chunk]) : chunk
        if (head.length < 2) continue
        if (gzip || isGzip(head)) inflater = new Inflater()
        bytes = head
        head = undefined
      }
      if (inflater) yield* inflater.feed(bytes)
      else yield bytes
    }
    if (head?.length) {
      if (!gzip) {
        yield head
        return
      }
      inflater = new Inflater()
      yield* inflater.feed(head)
    }
    // An empty body stays empty, gzip or not.
    if (inflater) yield* inflater.feed(undefined)
  } finally {
    inflater?.close()
  }
}

/** zlib's output is bounded by what one piece can inflate to: about 1,000 times its size. */
const INFLATE_PIECE = 4096

/**
 * Gunzips piece by piece, pulled by the reader: nothing is read from the source while the output of
 * the last piece is still being parsed, and a gzip bomb inflates only one small piece at a time.
 */
class Inflater {
  private readonly zlib: Gunzip = createGunzip()
  private failure: Error | undefined
  private ended = false
  private wake: (() => void) | undefined

  constructor() {
    this.zlib.on('error', (error) => {
      this.failure = error
    })
    this.zlib.on('end', () => {
      this.ended = true
    })
  }

  /** Inflates the bytes, or finishes the stream when given undefined, and yields what comes out. */
  async *feed(bytes: Uint8Array | undefined): AsyncGenerator<Buffer> {
    if (!bytes) {
      this.zlib.end()
      yield* this.settle(() => this.ended)
      return
    }
    for (let at = 0; at < bytes.length; at += INFLATE_PIECE) {
      let written = false
      this.zlib.write(bytes.subarray(at, at + INFLATE_PIECE), () => {
        written = true
        this.wake?.()
      })
      yield* this.settle(() => written)
    }
  }

  close(): void {
    this.zlib.destroy()
  }

  private async *settle(done: () => boolean): AsyncGenerator<Buffer> {
    for (;;) {
      const out: Buffer[] = []
      for (let piece: Buffer | null = this.zlib.read(); piece !== null; piece = this.zlib.read()) {
        out.push(piece)
      }
      if (this.failure) throw new BulkFormatError('the body is not valid gzip', { cause: this.failure })
      if (out.length) {
        // zlib may make progress while the reader holds us; look again before waiting.
        yield* out
        continue
      }
      // Nothing left to read once the write is done (or the stream has ended): all output is out.
      if (done()) return
      await this.event()
    }
  }

  /** Resolves on the next sign of progress: output, the end, an error or a finished write. */
  private event(): Promise<void> {
    const zlib = this.zlib
    return new Promise((resolve) => {
      const events = ['readable', 'end', 'error', 'close'] as const
      const done = () => {
        for (const name of events) zlib.off(name, done)
        this.wake = undefined
        resolve()
      }
      for (const name of events) zlib.on(name, done)
      this.wake = done
    })
  }
}
