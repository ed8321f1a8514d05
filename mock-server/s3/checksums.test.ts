import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListPartsCommand,
  PutObjectCommand,
  UploadPartCommand,
  UploadPartCopyCommand,
  type CompletedPart,
  type S3Client,
} from '@aws-sdk/client-s3';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  checksumAlgorithmRules,
  checksumAlgorithms,
  checksumCells,
  multipartLimits,
  partReadChecksum,
  uploadChecksums,
  type ChecksumAlgorithm,
  type ChecksumCell,
  type ChecksumSetting,
  type UploadChecksum,
} from '../../spec/index.js';
import { plainMetadata } from '../store/test/fixtures.js';
import { multipartChecksum } from './object-checksums.js';
import { referenceChecksum, referenceDigest, referenceMultipartChecksum } from './test/reference-checksums.js';
import { failure, postPolicyForm, signedFetch, startTestS3, verifiedBody, type Credentials, type TestS3 } from './test/test-s3.js';

/**
 * Spec's checksum table, cell by cell, through the real @aws-sdk/client-s3 (and a browser form for POST): each cell's
 * request against the mock, its answer and what the object then carries, every value against an independent
 * computation (test/reference-checksums.ts). Then properties over bodies and part layouts.
 */

let s3: TestS3;
let credentials: Credentials;
/** Computes and sends the checksums it is asked for (ChecksumAlgorithm), and validates full-object ones on GET. */
let client: S3Client;
/** Sends no checksum unless the operation requires one: the requests that name nothing. */
let plain: S3Client;
const bucket = 'checksum-table';
const minPart = multipartLimits.value.minPartBytes;
/** A full-size first part shared by the multipart cells (its content does not matter, only that it is random). */
const firstPart = randomBytes(minPart);

beforeAll(async () => {
  s3 = await startTestS3();
  credentials = s3.token();
  client = s3.client(credentials);
  plain = s3.client(credentials, { requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' });
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
});
afterAll(async () => {
  await s3?.close();
});

const field = (algorithm: ChecksumAlgorithm) => `Checksum${algorithm}` as const;
type ChecksumFields = Partial<Record<`Checksum${ChecksumAlgorithm}`, string>> & { ChecksumType?: string };

/** The one checksum an SDK output carries (null for none): several would be a fault. */
function checksumIn(output: ChecksumFields): { algorithm: ChecksumAlgorithm; value: string } | null {
  const present = checksumAlgorithms.filter((algorithm) => output[field(algorithm)] !== undefined);
  expect(present.length, JSON.stringify(output)).toBeLessThanOrEqual(1);
  const [algorithm] = present;
  return algorithm === undefined ? null : { algorithm, value: output[field(algorithm)] as string };
}

/** What HeadObject with x-amz-checksum-mode: ENABLED says of an object's checksum. */
async function headChecksum(key: string) {
  const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key, ChecksumMode: 'ENABLED' }));
  return { ...checksumIn(head), type: head.ChecksumType };
}

const name = (value: unknown): string => (value === null ? 'none' : typeof value === 'string' ? value : JSON.stringify(value));
const cellsOf = <O extends ChecksumCell['operation']>(operation: O) =>
  checksumCells.filter((cell): cell is ChecksumCell & { readonly operation: O } => cell.operation === operation);
const uploadName = (upload: UploadChecksum) => (upload.named ? `${upload.algorithm} ${upload.type}` : 'named none');

/** A multipart upload made with `setting` (an upload that named none sends no checksum headers). */
function createUpload(key: string, setting: UploadChecksum) {
  return client.send(
    new CreateMultipartUploadCommand({
      Bucket: bucket,
      Key: key,
      ...(setting.named ? { ChecksumAlgorithm: setting.algorithm, ChecksumType: setting.type } : {}),
    }),
  );
}

/**
 * Uploads a part carrying `declared`, which the SDK computes and sends as a header (a Buffer body) or an aws-chunked
 * trailer (a stream), or no checksum at all.
 */
function uploadPart(key: string, uploadId: string, partNumber: number, data: Buffer, declared: ChecksumAlgorithm | null, transport: 'header' | 'trailer' = 'header') {
  const input = { Bucket: bucket, Key: key, UploadId: uploadId, PartNumber: partNumber, Body: data };
  if (declared === null) return plain.send(new UploadPartCommand(input));
  const body = transport === 'header' ? data : Readable.from([data]);
  return client.send(new UploadPartCommand({ ...input, Body: body, ContentLength: data.length, ChecksumAlgorithm: declared }));
}

/** A completed multipart object of `parts` under `setting`, listing each part's checksum when the upload named one. */
async function multipartObject(key: string, setting: UploadChecksum, parts: readonly Buffer[]) {
  const { UploadId } = await createUpload(key, setting);
  const listed: CompletedPart[] = [];
  for (const [index, data] of parts.entries()) {
    const declared = setting.named ? setting.algorithm : null;
    const uploaded = await uploadPart(key, UploadId as string, index + 1, data, declared);
    listed.push({ PartNumber: index + 1, ETag: uploaded.ETag, ...(declared ? { [field(declared)]: uploaded[field(declared)] } : {}) });
  }
  return client.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId, MultipartUpload: { Parts: listed } }));
}

describe('checksum table: PutObject', () => {
  it.each(cellsOf('PutObject').map((cell) => [name(cell.named), cell] as const))('named %s', async (_name, cell) => {
    const data = randomBytes(1_000);
    // A named algorithm goes once as a header (a Buffer body) and once as an aws-chunked trailer (a stream).
    for (const transport of cell.named === null ? (['none'] as const) : (['header', 'trailer'] as const)) {
      const key = `put/${name(cell.named)}/${transport}`;
      const put =
        cell.named === null
          ? await plain.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: data }))
          : await client.send(
              new PutObjectCommand({
                Bucket: bucket,
                Key: key,
                Body: transport === 'header' ? data : Readable.from([data]),
                ContentLength: data.length,
                ChecksumAlgorithm: cell.named,
              }),
            );
      const expected = { algorithm: cell.outcome.algorithm, value: referenceChecksum(cell.outcome.algorithm, data) };
      expect(checksumIn(put), transport).toEqual(expected);
      expect(put.ChecksumType).toBe(cell.outcome.type);
      expect(await headChecksum(key)).toEqual({ ...expected, type: cell.outcome.type });
      expect(s3.storage.getObject(bucket, key)?.checksums).toEqual({ [expected.algorithm]: expected.value });
    }
  });
});

describe('checksum table: PostObject', () => {
  it.each(cellsOf('PostObject').map((cell) => [name(cell.named), cell] as const))('named %s', async (_name, cell) => {
    const data = randomBytes(700);
    const key = `post/${name(cell.named)}`;
    const fields = cell.named === null ? {} : { [`x-amz-checksum-${cell.named.toLowerCase()}`]: referenceChecksum(cell.named, data) };
    const form = postPolicyForm(credentials, { bucket, key, body: data, nowMs: s3.clock.nowMs(), fields });
    const response = await fetch(`${s3.endpoint}/${bucket}`, { method: 'POST', body: form });
    expect(response.status, await response.text()).toBe(204);
    expect(await headChecksum(key)).toEqual({ algorithm: cell.outcome.algorithm, value: referenceChecksum(cell.outcome.algorithm, data), type: cell.outcome.type });
  });
});

/** Copy sources by their checksum, made once each: a single-part object, a composite multipart one, or one without. */
const sources = new Map<string, Promise<{ key: string; data: Buffer }>>();
function sourceFor(setting: ChecksumSetting | null): Promise<{ key: string; data: Buffer }> {
  const id = setting === null ? 'none' : `${setting.algorithm}-${setting.type}`;
  let source = sources.get(id);
  if (!source) {
    const key = `copy-source/${id}`;
    source = (async () => {
      if (setting === null) {
        // Data stored before the mock kept checksums: straight into the store, without any.
        const data = randomBytes(900);
        await s3.storage.putObject({ bucket, key, body: verifiedBody(data), metadata: plainMetadata });
        return { key, data };
      }
      if (setting.type === 'FULL_OBJECT') {
        const data = randomBytes(900);
        await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: data, ChecksumAlgorithm: setting.algorithm }));
        return { key, data };
      }
      const parts = [firstPart, randomBytes(900)];
      await multipartObject(key, { ...setting, named: true }, parts);
      return { key, data: Buffer.concat(parts) };
    })();
    sources.set(id, source);
  }
  return source;
}

describe('checksum table: CopyObject', () => {
  it.each(cellsOf('CopyObject').map((cell) => [name(cell.named), name(cell.source), cell] as const))(
    'named %s, source %s',
    async (_named, _source, cell) => {
      const source = await sourceFor(cell.source);
      const sourceChecksum = checksumIn(await client.send(new HeadObjectCommand({ Bucket: bucket, Key: source.key, ChecksumMode: 'ENABLED' })));
      const key = `copy/${name(cell.named)}/${name(cell.source)}`;
      const copied = await plain.send(
        new CopyObjectCommand({ Bucket: bucket, Key: key, CopySource: `${bucket}/${source.key}`, ...(cell.named ? { ChecksumAlgorithm: cell.named } : {}) }),
      );
      const expected = { algorithm: cell.outcome.algorithm, value: referenceChecksum(cell.outcome.algorithm, source.data) };
      if (cell.outcome.keepsSourceValue) expect(expected).toEqual(sourceChecksum);
      expect(checksumIn(copied.CopyObjectResult ?? {})).toEqual(expected);
      expect(copied.CopyObjectResult?.ChecksumType).toBe(cell.outcome.type);
      expect(await headChecksum(key)).toEqual({ ...expected, type: cell.outcome.type });
    },
  );
});

describe('checksum table: CreateMultipartUpload', () => {
  it.each(cellsOf('CreateMultipartUpload').map((cell) => [name(cell.named), name(cell.namedType), cell] as const))(
    'named %s, type %s',
    async (_named, _type, cell) => {
      const key = `create/${name(cell.named)}/${name(cell.namedType)}`;
      const send = () =>
        client.send(
          new CreateMultipartUploadCommand({
            Bucket: bucket,
            Key: key,
            ...(cell.named ? { ChecksumAlgorithm: cell.named } : {}),
            ...(cell.namedType ? { ChecksumType: cell.namedType } : {}),
          }),
        );
      if (!cell.outcome.ok) {
        expect(await failure(send())).toEqual({ code: 'InvalidRequest', status: 400 });
        return;
      }
      const setting = cell.outcome.value;
      const created = await send();
      expect([created.ChecksumAlgorithm, created.ChecksumType]).toEqual(setting.named ? [setting.algorithm, setting.type] : [undefined, undefined]);
      const listed = await client.send(new ListPartsCommand({ Bucket: bucket, Key: key, UploadId: created.UploadId }));
      expect([listed.ChecksumAlgorithm, listed.ChecksumType]).toEqual([setting.algorithm, setting.type]);
      await client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: created.UploadId }));
    },
  );
});

describe('checksum table: UploadPart', () => {
  it.each(cellsOf('UploadPart').map((cell) => [uploadName(cell.upload), name(cell.declared), cell] as const))(
    'upload %s, part declares %s',
    async (_upload, _declared, cell) => {
      const key = `part/${uploadName(cell.upload)}/${name(cell.declared)}`;
      const { UploadId } = await createUpload(key, cell.upload);
      const transports = cell.declared === null ? (['header'] as const) : (['header', 'trailer'] as const);
      for (const [index, transport] of transports.entries()) {
        const partNumber = index + 1;
        const data = randomBytes(600);
        const send = () => uploadPart(key, UploadId as string, partNumber, data, cell.declared, transport);
        if (!cell.outcome.ok) {
          expect(await failure(send()), transport).toEqual({ code: 'InvalidRequest', status: 400 });
          expect(s3.storage.listParts(UploadId as string, 0, 10).parts).toEqual([]);
          continue;
        }
        const uploaded = await send();
        // The answer echoes what the part declared, else the upload's algorithm when the upload named one.
        const echoed = cell.declared ?? (cell.upload.named ? cell.upload.algorithm : null);
        expect(checksumIn(uploaded), transport).toEqual(echoed === null ? null : { algorithm: echoed, value: referenceChecksum(echoed, data) });
        const stored = s3.storage.listParts(UploadId as string, partNumber - 1, 1).parts[0]?.checksums;
        expect(stored).toEqual(Object.fromEntries(cell.outcome.value.map((algorithm) => [algorithm, referenceChecksum(algorithm, data)])));
        const listed = await client.send(new ListPartsCommand({ Bucket: bucket, Key: key, UploadId, PartNumberMarker: String(partNumber - 1) }));
        expect(checksumIn(listed.Parts?.[0] ?? {})).toEqual({ algorithm: cell.upload.algorithm, value: referenceChecksum(cell.upload.algorithm, data) });
      }
      await client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId }));
    },
  );
});

describe('checksum table: CompleteMultipartUpload', () => {
  it.each(cellsOf('CompleteMultipartUpload').map((cell) => [uploadName(cell.upload), cell] as const))('upload %s', async (_upload, cell) => {
    const key = `complete/${uploadName(cell.upload)}`;
    const parts = [firstPart, randomBytes(1_234)];
    const completed = await multipartObject(key, cell.upload, parts);
    const expected = { algorithm: cell.outcome.algorithm, value: referenceMultipartChecksum(cell.outcome.algorithm, cell.outcome.type, parts) };
    expect(checksumIn(completed)).toEqual(expected);
    expect(completed.ChecksumType).toBe(cell.outcome.type);
    expect(await headChecksum(key)).toEqual({ ...expected, type: cell.outcome.type });
    // The SDK checks a full-object checksum against the bytes it receives (a composite one it cannot).
    const got = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key, ChecksumMode: 'ENABLED' }));
    expect(Buffer.from(await got.Body!.transformToByteArray()).equals(Buffer.concat(parts))).toBe(true);
  });
});

/** How an object of the GetObjectPart cells is made: by the SDK, or straight into the store as older versions did. */
type Made = 'PutObject' | 'CompleteMultipartUpload' | 'older data';

/** The ways an object carrying `setting` (null: none) as `parts` parts comes to be. */
function waysToMake(setting: ChecksumSetting | null, parts: number): readonly Made[] {
  if (setting === null) return ['older data'];
  if (parts > 1 || setting.type === 'COMPOSITE') return ['CompleteMultipartUpload'];
  // A one-part full-object checksum comes from PutObject and, where the algorithm allows, from a one-part upload.
  return checksumAlgorithmRules.value[setting.algorithm].multipartTypes.includes('FULL_OBJECT') ? ['PutObject', 'CompleteMultipartUpload'] : ['PutObject'];
}

async function makeObject(made: Made, key: string, setting: ChecksumSetting | null, parts: readonly Buffer[]) {
  if (made === 'PutObject' && setting !== null) {
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: parts[0], ChecksumAlgorithm: setting.algorithm }));
  } else if (made === 'CompleteMultipartUpload' && setting !== null) {
    await multipartObject(key, { ...setting, named: true }, parts);
  } else if (parts.length === 1) {
    await s3.storage.putObject({ bucket, key, body: verifiedBody(parts[0] as Buffer), metadata: plainMetadata });
  } else {
    // Parts and object without any checksum, as a version that kept none stored them.
    const upload = s3.storage.createUpload(bucket, key, plainMetadata, null);
    const stored = [];
    for (const [index, data] of parts.entries()) stored.push(await s3.storage.putPart(upload, index + 1, verifiedBody(data)));
    await s3.storage.completeUpload(upload, stored.map((part) => ({ partNumber: part.partNumber, etag: part.etag })));
  }
}

describe('checksum table: GetObjectPart', () => {
  it.each(cellsOf('GetObjectPart').map((cell) => [name(cell.object), cell.parts, cell] as const))('object %s, %d part(s)', async (_object, _parts, cell) => {
    const parts = cell.parts === 1 ? [randomBytes(1_100)] : [firstPart, randomBytes(1_100)];
    for (const made of waysToMake(cell.object, cell.parts)) {
      const key = `part-read/${name(cell.object)}/${cell.parts}/${made}`;
      await makeObject(made, key, cell.object, parts);
      for (const [index, data] of parts.entries()) {
        const expected =
          cell.outcome === 'none' || cell.object === null
            ? { checksum: null, type: undefined }
            : cell.outcome === 'part'
              ? { checksum: { algorithm: cell.object.algorithm, value: referenceChecksum(cell.object.algorithm, data) }, type: 'COMPOSITE' }
              : { checksum: { algorithm: cell.object.algorithm, value: referenceMultipartChecksum(cell.object.algorithm, cell.object.type, parts) }, type: cell.object.type };
        const input = { Bucket: bucket, Key: key, PartNumber: index + 1, ChecksumMode: 'ENABLED' as const };
        const head = await client.send(new HeadObjectCommand(input));
        expect({ checksum: checksumIn(head), type: head.ChecksumType }, `HEAD part ${index + 1} of ${made}`).toEqual(expected);
        // The SDK checks a checksum it gets against the bytes it receives: the part's bytes here.
        const got = await client.send(new GetObjectCommand(input));
        expect(Buffer.from(await got.Body!.transformToByteArray()).equals(data)).toBe(true);
        const { Body: _body, ...gotFields } = got;
        expect({ checksum: checksumIn(gotFields), type: got.ChecksumType }, `GET part ${index + 1} of ${made}`).toEqual(expected);
        const start = parts.slice(0, index).reduce((sum, part) => sum + part.length, 0);
        const total = parts.reduce((sum, part) => sum + part.length, 0);
        expect([got.PartsCount, got.ContentRange]).toEqual([cell.parts, `bytes ${start}-${start + data.length - 1}/${total}`]);
        // Without checksum mode, no checksum at all.
        const unasked = await plain.send(new HeadObjectCommand({ Bucket: bucket, Key: key, PartNumber: index + 1 }));
        expect([checksumIn(unasked), unasked.ChecksumType]).toEqual([null, undefined]);
      }
    }
  });
});

describe('checksums over any body and any part layout', () => {
  it('PutObject: the object carries the checksum of its bytes, for any body and any algorithm or none', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 20_000 }), fc.constantFrom(...checksumAlgorithms, null), async (bytes, algorithm) => {
        const data = Buffer.from(bytes);
        const put = algorithm === null
          ? await plain.send(new PutObjectCommand({ Bucket: bucket, Key: 'property/put', Body: data }))
          : await client.send(new PutObjectCommand({ Bucket: bucket, Key: 'property/put', Body: data, ChecksumAlgorithm: algorithm }));
        const stored = algorithm ?? 'CRC64NVME';
        expect(checksumIn(put)).toEqual({ algorithm: stored, value: referenceChecksum(stored, data) });
      }),
      { numRuns: 25 },
    );
  });

  it('the combination of part checksums equals the reference for any split, every upload setting', () => {
    const split = fc.tuple(fc.uint8Array({ maxLength: 3_000 }), fc.array(fc.nat(), { minLength: 0, maxLength: 5 })).map(([bytes, cuts]) => {
      const data = Buffer.from(bytes);
      const points = [...new Set(cuts.map((cut) => cut % (data.length + 1)))].sort((a, b) => a - b);
      return [...points, data.length].map((point, index, all) => data.subarray(index === 0 ? 0 : (all[index - 1] as number), point));
    });
    fc.assert(
      fc.property(split, fc.constantFrom(...uploadChecksums), (parts, setting) => {
        const stored = parts.map((part) => ({ size: part.length, checksums: { [setting.algorithm]: referenceChecksum(setting.algorithm, part) } }));
        expect(multipartChecksum(setting, stored)).toEqual({ [setting.algorithm]: referenceMultipartChecksum(setting.algorithm, setting.type, parts) });
      }),
    );
  });

  it('CompleteMultipartUpload: the object checksum equals the reference for any part layout and upload setting', async () => {
    const layout = fc.tuple(fc.array(fc.integer({ min: 0, max: 4096 }), { maxLength: 2 }), fc.integer({ min: 0, max: 50_000 }));
    await fc.assert(
      fc.asyncProperty(layout, fc.constantFrom(...uploadChecksums), async ([extras, lastSize], setting) => {
        const parts = [...extras.map((extra) => Buffer.concat([firstPart, randomBytes(extra)])), randomBytes(lastSize)];
        const completed = await multipartObject('property/multipart', setting, parts);
        expect(checksumIn(completed)).toEqual({ algorithm: setting.algorithm, value: referenceMultipartChecksum(setting.algorithm, setting.type, parts) });
      }),
      { numRuns: 6 },
    );
  });

  it('UploadPartCopy: the part gets the upload\'s checksum, computed over the bytes copied', async () => {
    const source = randomBytes(5_000);
    await plain.send(new PutObjectCommand({ Bucket: bucket, Key: 'property/copy-source', Body: source }));
    for (const setting of uploadChecksums) {
      const key = `part-copy/${uploadName(setting)}`;
      const { UploadId } = await createUpload(key, setting);
      const copied = await client.send(
        new UploadPartCopyCommand({ Bucket: bucket, Key: key, UploadId, PartNumber: 1, CopySource: `${bucket}/property/copy-source`, CopySourceRange: 'bytes=100-3099' }),
      );
      const bytes = source.subarray(100, 3100);
      const value = referenceChecksum(setting.algorithm, bytes);
      expect(checksumIn(copied.CopyPartResult ?? {})).toEqual(setting.named ? { algorithm: setting.algorithm, value } : null);
      const listed = await client.send(new ListPartsCommand({ Bucket: bucket, Key: key, UploadId }));
      expect(checksumIn(listed.Parts?.[0] ?? {})).toEqual({ algorithm: setting.algorithm, value });
      const completed = await client.send(
        new CompleteMultipartUploadCommand({
          Bucket: bucket,
          Key: key,
          UploadId,
          MultipartUpload: { Parts: [{ PartNumber: 1, ETag: copied.CopyPartResult?.ETag, ...(setting.named ? { [field(setting.algorithm)]: value } : {}) }] },
        }),
      );
      expect(checksumIn(completed)?.value).toBe(referenceMultipartChecksum(setting.algorithm, setting.type, [bytes]));
    }
  });

  it('GetObject/HeadObject with any partNumber and x-amz-checksum-mode: the part with the checksum spec says, or a 4xx, never a 500', async () => {
    const objects = [
      { key: 'property/part-read-composite', setting: { algorithm: 'CRC32C', type: 'COMPOSITE' }, parts: [firstPart, randomBytes(700)] },
      { key: 'property/part-read-full', setting: { algorithm: 'CRC32', type: 'FULL_OBJECT' }, parts: [firstPart, randomBytes(900)] },
      { key: 'property/part-read-single', setting: { algorithm: 'SHA256', type: 'FULL_OBJECT' }, parts: [randomBytes(1_000)] },
    ] as const satisfies readonly { key: string; setting: ChecksumSetting; parts: readonly Buffer[] }[];
    for (const object of objects) await makeObject(waysToMake(object.setting, object.parts.length)[0] as Made, object.key, object.setting, object.parts);
    const printable = (value: string) => /^[\x20-\x7e]*$/.test(value);
    const partNumber = fc.oneof(fc.integer({ min: -1, max: 4 }).map(String), fc.constantFrom('01', '10000', '10001', '1.0', ''), fc.string({ maxLength: 8 }).filter(printable));
    const mode = fc.oneof(fc.constantFrom('ENABLED', 'enabled', 'DISABLED', null), fc.string({ maxLength: 10 }).filter(printable));
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: objects.length - 1 }), partNumber, mode, fc.constantFrom('GET', 'HEAD'), async (which, raw, modeValue, method) => {
        const object = objects[which] as (typeof objects)[number];
        const headers: Record<string, string> = modeValue === null ? {} : { 'x-amz-checksum-mode': modeValue };
        const response = await signedFetch(s3, credentials, method, `/${bucket}/${object.key}?partNumber=${encodeURIComponent(raw)}`, { headers });
        const context = `${method} ${object.key} partNumber=${JSON.stringify(raw)} mode=${JSON.stringify(modeValue)}: ${response.status} ${response.text}`;
        const number = /^\d+$/.test(raw) ? Number(raw) : NaN;
        if (!(number >= 1 && number <= multipartLimits.value.maxParts)) {
          expect(response.status, context).toBe(400);
          if (method === 'GET') expect(response.text, context).toContain('<Code>InvalidArgument</Code>');
          return;
        }
        if (number > object.parts.length) {
          expect(response.status, context).toBe(416);
          if (method === 'GET') expect(response.text, context).toContain('<Code>InvalidPartNumber</Code>');
          return;
        }
        expect(response.status, context).toBe(206);
        const data = object.parts[number - 1] as Buffer;
        expect(response.headers.get('content-length'), context).toBe(String(data.length));
        const sent = checksumAlgorithms.filter((algorithm) => response.headers.get(`x-amz-checksum-${algorithm.toLowerCase()}`) !== null);
        const outcome = modeValue?.trim().toUpperCase() === 'ENABLED' ? partReadChecksum(object.setting, object.parts.length) : 'none';
        if (outcome === 'none') {
          expect([sent, response.headers.get('x-amz-checksum-type')], context).toEqual([[], null]);
          return;
        }
        const { algorithm } = object.setting;
        const value = outcome === 'part' ? referenceChecksum(algorithm, data) : referenceMultipartChecksum(algorithm, object.setting.type, [...object.parts]);
        expect([response.headers.get(`x-amz-checksum-${algorithm.toLowerCase()}`), response.headers.get('x-amz-checksum-type')], context).toEqual([
          value,
          outcome === 'part' ? 'COMPOSITE' : object.setting.type,
        ]);
      }),
      { numRuns: 80 },
    );
  });

  it('(the reference digests are what S3 would send: base64 of the big-endian digest)', () => {
    expect(referenceDigest('CRC32', Buffer.from('123456789')).toString('hex')).toBe('cbf43926');
  });
});
