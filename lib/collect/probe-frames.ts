// Splits the probe script's output (probe-script.ts) into frames and raw bytes. A frame is
// `\0<token> <line>\n`; everything between frames is a section's bytes, passed on as they come
// (never searched again, never held whole here). Bounded: a frame line longer than
// MAX_FRAME_LINE is a protocol error, so a host cannot make the reader buffer without end.

export const MAX_FRAME_LINE = 256;

export class ProbeProtocolError extends Error {
  override name = 'ProbeProtocolError';
}

export interface FrameSink {
  frame(line: string): void;
  bytes(chunk: Buffer): void;
}

export class FrameReader {
  private readonly marker: Buffer;
  /** Bytes that may be the start of a marker or an unfinished frame line. */
  private carry = Buffer.alloc(0);

  constructor(
    token: string,
    private readonly sink: FrameSink,
  ) {
    this.marker = Buffer.from(`\0${token} `, 'latin1');
  }

  push(chunk: Buffer): void {
    const buf = this.carry.length ? Buffer.concat([this.carry, chunk]) : chunk;
    let pos = 0;
    for (;;) {
      const at = buf.indexOf(this.marker, pos);
      if (at < 0) {
        // The last marker.length - 1 bytes may be a marker cut in two: kept for the next chunk.
        const keep = Math.min(this.marker.length - 1, buf.length - pos);
        this.emit(buf.subarray(pos, buf.length - keep));
        this.carry = Buffer.from(buf.subarray(buf.length - keep));
        return;
      }
      this.emit(buf.subarray(pos, at));
      const lineStart = at + this.marker.length;
      const nl = buf.indexOf(0x0a, lineStart);
      if (nl < 0 || nl - lineStart > MAX_FRAME_LINE) {
        if (buf.length - lineStart > MAX_FRAME_LINE)
          throw new ProbeProtocolError(`a frame line longer than ${MAX_FRAME_LINE} bytes`);
        this.carry = Buffer.from(buf.subarray(at));
        return;
      }
      this.sink.frame(buf.subarray(lineStart, nl).toString('latin1'));
      pos = nl + 1;
    }
  }

  /** The bytes still held at the end of the stream (after the last frame, never a frame). */
  end(): void {
    this.emit(this.carry);
    this.carry = Buffer.alloc(0);
  }

  private emit(bytes: Buffer): void {
    if (bytes.length) this.sink.bytes(bytes);
  }
}
