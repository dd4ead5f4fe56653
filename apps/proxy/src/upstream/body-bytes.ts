// A request body as bytes for the upstream: one buffer, or pieces written in order. An agent's
// history edited in one place (the model name, the skeleton's strings put back) goes out as pieces
// of the client's own buffer: copying a megabyte costs its time and, worse, a megabyte more for the
// garbage collector, which runs a full collection for every few tens of megabytes allocated.

export type BodyBytes = Buffer | readonly Buffer[];

/** Bodies smaller than this are joined: one write costs less than several, and the copy is short. */
const PIECES_FROM_BYTES = 256 * 1024;
/** Pieces at least this long are written as they are; the runs of shorter ones between are joined. */
const OWN_WRITE_BYTES = 32 * 1024;

/** `pieces` as one buffer when small; when large, its long pieces as they are and the rest joined. */
export function piecewise(pieces: Buffer[]): BodyBytes {
  let n = 0;
  for (const p of pieces) n += p.length;
  if (n < PIECES_FROM_BYTES) return Buffer.concat(pieces, n);
  const out: Buffer[] = [];
  let run: Buffer[] = [];
  for (const p of pieces) {
    if (p.length < OWN_WRITE_BYTES) {
      run.push(p);
      continue;
    }
    if (run.length) out.push(run.length === 1 ? run[0]! : Buffer.concat(run));
    run = [];
    out.push(p);
  }
  if (run.length) out.push(run.length === 1 ? run[0]! : Buffer.concat(run));
  return out.length === 1 ? out[0]! : out;
}

export function bodyByteLength(body: BodyBytes): number {
  if (Buffer.isBuffer(body)) return body.length;
  let n = 0;
  for (const p of body as readonly Buffer[]) n += p.length;
  return n;
}

/** The body as one buffer (a backend that reads it, not only writes it). */
export function joinedBody(body: BodyBytes): Buffer {
  return Buffer.isBuffer(body) ? body : Buffer.concat(body as readonly Buffer[]);
}
