import { Readable } from 'node:stream';
import { S3Error } from '../errors.js';
import type { BodyDecoder } from './chunked.js';
import type { BodyVerifier } from './checksums.js';
import type { BodyDigests, VerifiedBody } from './types.js';

/**
 * The one place where request bytes flow: source → decoder (aws-chunked or a multipart file part) → verifier →
 * the stream controllers read. Nothing is read from the socket until the controller starts reading, so a request
 * refused before its body is touched leaves the body to Node (which discards it). Backpressure is kept: when the
 * consumer is slow, the source is paused, so a 5 GiB upload never sits in memory.
 */
export interface VerifiedBodyInput {
  readonly source: Readable;
  /** Null: the raw bytes are the body. */
  readonly decoder: BodyDecoder | null;
  readonly verifier: BodyVerifier;
  readonly declaredLength: number | null;
  /** Decoded bytes already taken from the source before this body was created (POST policy uploads). */
  readonly initial?: readonly Buffer[];
  /** Called with the source's end, before the final checks; throws S3Error to fail the body (POST policy). */
  readonly beforeFinish?: () => void;
}

const truncated = (): S3Error => new S3Error('IncompleteBody', 'The request body ended before the length it declared.');

export function createVerifiedBody(input: VerifiedBodyInput): VerifiedBody {
  const { source, decoder, verifier } = input;
  let started = false;
  let settled = false;
  let resolveDigests!: (digests: BodyDigests) => void;
  let rejectDigests!: (error: unknown) => void;
  const digests = new Promise<BodyDigests>((resolve, reject) => {
    resolveDigests = resolve;
    rejectDigests = reject;
  });
  // Callers that only read the stream must not crash the process with an unhandled rejection.
  digests.catch(() => undefined);

  const onData = (raw: Buffer): void => {
    if (settled) return;
    try {
      const pieces = decoder ? decoder.write(raw) : [raw];
      let wantMore = true;
      for (const piece of pieces) {
        if (piece.length === 0) continue;
        verifier.update(piece);
        wantMore = stream.push(piece) && wantMore;
      }
      if (!wantMore) source.pause();
    } catch (error) {
      fail(error);
    }
  };
  const onEnd = (): void => {
    if (settled) return;
    try {
      decoder?.end();
      input.beforeFinish?.();
      const result = verifier.finish(decoder?.trailers ?? new Map());
      settled = true;
      detach();
      resolveDigests(result);
      stream.push(null);
    } catch (error) {
      fail(error);
    }
  };
  // 'aborted'/'error'/'close' before 'end': the client went away mid-body (or lied about its length).
  const onAbort = (): void => fail(truncated());
  const onClose = (): void => {
    if (!source.readableEnded) fail(truncated());
  };

  function attach(): void {
    source.on('data', onData);
    source.on('end', onEnd);
    source.on('error', onAbort);
    source.on('aborted', onAbort);
    source.on('close', onClose);
  }
  function detach(): void {
    source.off('data', onData);
    source.off('end', onEnd);
    source.off('aborted', onAbort);
    source.off('close', onClose);
    // The 'error' listener stays so that a late socket error cannot become an uncaught exception.
  }

  function fail(error: unknown): void {
    if (settled) return;
    settled = true;
    detach();
    const s3Error = error instanceof S3Error ? error : truncated();
    rejectDigests(s3Error);
    stream.destroy(s3Error);
    // Let the rest of the body drain so the connection can still carry the error response.
    if (!source.destroyed && !source.readableEnded) source.resume();
  }

  const stream = new Readable({
    highWaterMark: 64 * 1024,
    read() {
      if (!started) {
        started = true;
        try {
          for (const piece of input.initial ?? []) {
            if (piece.length === 0) continue;
            verifier.update(piece);
            stream.push(piece);
          }
        } catch (error) {
          fail(error);
          return;
        }
        if (source.readableEnded) {
          onEnd();
          return;
        }
        attach();
      }
      if (!settled) source.resume();
    },
    destroy(error, callback) {
      if (!settled) fail(error instanceof S3Error ? error : new S3Error('IncompleteBody', 'The request body was abandoned before it ended.'));
      callback(error);
    },
  });
  // The stream reports failures to whoever reads it; this listener only keeps an unread failure from crashing.
  stream.on('error', () => undefined);

  return {
    stream,
    declaredLength: input.declaredLength,
    declaredChecksum: verifier.declared,
    computeChecksum: (algorithm) => verifier.compute(algorithm),
    digests,
    async buffer(maxBytes: number): Promise<Buffer> {
      if (input.declaredLength !== null && input.declaredLength > maxBytes) {
        const error = new S3Error('MaxMessageLengthExceeded', `Your request was too big (at most ${maxBytes} bytes).`);
        stream.destroy(error);
        throw error;
      }
      const pieces: Buffer[] = [];
      let total = 0;
      for await (const piece of stream as AsyncIterable<Buffer>) {
        total += piece.length;
        if (total > maxBytes) {
          const error = new S3Error('MaxMessageLengthExceeded', `Your request was too big (at most ${maxBytes} bytes).`);
          stream.destroy(error);
          throw error;
        }
        pieces.push(piece);
      }
      await digests;
      return Buffer.concat(pieces, total);
    },
  };
}
