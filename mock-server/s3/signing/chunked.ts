import { createHash, type Hash } from 'node:crypto';
import { S3Error } from '../errors.js';
import {
  chunkStringToSign,
  emptySha256Hex,
  hmacHex,
  signaturesEqual,
  trailerStringToSign,
  type ChunkSigningContext,
} from './sigv4.js';

/**
 * A push parser for `Content-Encoding: aws-chunked` bodies. It is fed raw bytes in whatever pieces TCP delivers
 * (a chunk header may be split anywhere) and returns the decoded bytes of each piece; it never holds more than one
 * header or trailer line. Chunk signatures (signed modes) are checked as each chunk closes; the trailer signature
 * (signed-trailer mode) when the trailer ends.
 *
 *   chunk   = hex-size [";chunk-signature=" 64HEX] CRLF data CRLF
 *   final   = "0" [";chunk-signature=" 64HEX] CRLF *(trailer CRLF) [CRLF]
 *   trailer = name ":" value   (x-amz-trailer-signature last, signed-trailer mode only)
 */
export interface BodyDecoder {
  /** Decoded bytes carried by this piece of raw input. Throws S3Error on bad framing or a bad signature. */
  write(raw: Buffer): Buffer[];
  /** The raw input has ended. Throws S3Error when the framing is incomplete. */
  end(): void;
  /** Trailer headers (lower-case names), complete once end() has returned. */
  readonly trailers: ReadonlyMap<string, string>;
}

export interface ChunkedOptions {
  /** Present for STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]: chunk signatures are required and checked. */
  readonly signing: ChunkSigningContext | null;
  /** Signed-trailer mode: the trailer must end with a valid x-amz-trailer-signature. */
  readonly signedTrailer: boolean;
}

/** Longest chunk-header or trailer line accepted; real ones are under 100 bytes. */
const maxLineBytes = 4096;
const maxTrailerLines = 16;

type State = 'size' | 'data' | 'dataCr' | 'dataLf' | 'trailer' | 'done';

function framingError(detail: string): S3Error {
  return new S3Error('InvalidRequest', `Malformed aws-chunked body: ${detail}`);
}

function chunkSignatureError(): S3Error {
  return new S3Error('SignatureDoesNotMatch', 'The chunk signature we calculated does not match the signature you provided.');
}

export class AwsChunkedDecoder implements BodyDecoder {
  private state: State = 'size';
  private line: Buffer[] = [];
  private lineBytes = 0;
  private remaining = 0;
  private chunkHash: Hash | null = null;
  private chunkSignature: string | null = null;
  private previousSignature: string;
  private trailerLines = 0;
  private trailerSignature: string | null = null;
  private canonicalTrailers = '';
  private readonly trailerMap = new Map<string, string>();

  constructor(private readonly options: ChunkedOptions) {
    this.previousSignature = options.signing?.seedSignature ?? '';
  }

  get trailers(): ReadonlyMap<string, string> {
    return this.trailerMap;
  }

  write(raw: Buffer): Buffer[] {
    const out: Buffer[] = [];
    let i = 0;
    while (i < raw.length) {
      switch (this.state) {
        case 'size':
        case 'trailer': {
          const lf = raw.indexOf(0x0a, i);
          const end = lf < 0 ? raw.length : lf;
          this.appendLine(raw.subarray(i, end));
          i = end;
          if (lf >= 0) {
            i = lf + 1;
            const text = this.takeLine();
            if (this.state === 'size') this.onSizeLine(text);
            else this.onTrailerLine(text);
          }
          break;
        }
        case 'data': {
          const take = Math.min(this.remaining, raw.length - i);
          const piece = raw.subarray(i, i + take);
          this.chunkHash?.update(piece);
          out.push(piece);
          this.remaining -= take;
          i += take;
          if (this.remaining === 0) this.state = 'dataCr';
          break;
        }
        case 'dataCr':
          if (raw[i] !== 0x0d) throw framingError('chunk data is longer than its declared size.');
          i++;
          this.state = 'dataLf';
          break;
        case 'dataLf':
          if (raw[i] !== 0x0a) throw framingError('chunk data is longer than its declared size.');
          i++;
          this.closeChunk();
          this.state = 'size';
          break;
        case 'done':
          // Only stray line breaks may follow the end of the body.
          if (raw[i] !== 0x0d && raw[i] !== 0x0a) throw framingError('data after the final chunk.');
          i++;
          break;
      }
    }
    return out;
  }

  end(): void {
    if (this.state === 'done') return;
    // Some clients (the JS SDK without a checksum) end right after the last trailer line with no blank line.
    if (this.state === 'trailer' && this.lineBytes === 0) {
      this.finishTrailer();
      this.state = 'done';
      return;
    }
    throw new S3Error('IncompleteBody', 'The aws-chunked body ended before its final chunk.');
  }

  private appendLine(piece: Buffer): void {
    this.lineBytes += piece.length;
    if (this.lineBytes > maxLineBytes) throw framingError('a chunk header or trailer line is too long.');
    if (piece.length > 0) this.line.push(piece);
  }

  private takeLine(): string {
    let text = Buffer.concat(this.line).toString('latin1');
    this.line = [];
    this.lineBytes = 0;
    if (!text.endsWith('\r')) throw framingError('lines must end with CRLF.');
    text = text.slice(0, -1);
    return text;
  }

  private onSizeLine(text: string): void {
    const semicolon = text.indexOf(';');
    const sizeText = semicolon < 0 ? text : text.slice(0, semicolon);
    if (!/^[0-9a-fA-F]{1,12}$/.test(sizeText)) throw framingError(`invalid chunk size "${sizeText.slice(0, 20)}".`);
    const size = parseInt(sizeText, 16);
    const extensions = semicolon < 0 ? '' : text.slice(semicolon + 1);
    this.chunkSignature = null;
    if (this.options.signing) {
      const match = /^chunk-signature=([0-9a-f]{64})$/.exec(extensions);
      if (!match) throw framingError('each chunk must carry chunk-signature=<64 hex digits>.');
      this.chunkSignature = match[1] as string;
      this.chunkHash = createHash('sha256');
    }
    if (size === 0) {
      this.closeChunk();
      this.state = 'trailer';
      return;
    }
    this.remaining = size;
    this.state = 'data';
  }

  private closeChunk(): void {
    const signing = this.options.signing;
    if (!signing || this.chunkSignature === null) return;
    const dataHash = this.chunkHash ? this.chunkHash.digest('hex') : emptySha256Hex;
    const expected = hmacHex(signing.signingKey, chunkStringToSign(signing, this.previousSignature, dataHash));
    if (!signaturesEqual(expected, this.chunkSignature)) throw chunkSignatureError();
    this.previousSignature = this.chunkSignature;
    this.chunkHash = null;
    this.chunkSignature = null;
  }

  private onTrailerLine(text: string): void {
    if (text === '') {
      this.finishTrailer();
      this.state = 'done';
      return;
    }
    if (this.trailerSignature !== null) throw new S3Error('MalformedTrailerError', 'x-amz-trailer-signature must be the last trailer.');
    if (++this.trailerLines > maxTrailerLines) throw new S3Error('MalformedTrailerError', 'Too many trailer headers.');
    const colon = text.indexOf(':');
    if (colon <= 0) throw new S3Error('MalformedTrailerError', 'A trailer line is not of the form name:value.');
    const name = text.slice(0, colon).trim().toLowerCase();
    const value = text.slice(colon + 1).trim();
    if (name === 'x-amz-trailer-signature') {
      this.trailerSignature = value;
      return;
    }
    this.trailerMap.set(name, value);
    this.canonicalTrailers += `${name}:${value}\n`;
  }

  private finishTrailer(): void {
    const signing = this.options.signing;
    if (!this.options.signedTrailer || !signing) {
      if (this.trailerSignature !== null && !signing) {
        throw new S3Error('MalformedTrailerError', 'x-amz-trailer-signature is only valid with STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER.');
      }
      return;
    }
    // A signed-trailer body that carries no trailer at all needs no trailer signature; declared trailers are
    // required separately (BodyVerifier), so dropping one cannot pass unnoticed.
    if (this.trailerSignature === null && this.trailerMap.size === 0) return;
    if (this.trailerSignature === null || !/^[0-9a-f]{64}$/.test(this.trailerSignature)) {
      throw new S3Error('MalformedTrailerError', 'The trailer must end with x-amz-trailer-signature.');
    }
    const expected = hmacHex(signing.signingKey, trailerStringToSign(signing, this.previousSignature, this.canonicalTrailers));
    if (!signaturesEqual(expected, this.trailerSignature)) {
      throw new S3Error('SignatureDoesNotMatch', 'The trailer signature we calculated does not match the signature you provided.');
    }
  }
}
