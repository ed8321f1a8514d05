import { singleUploadChecksum } from '../../../spec/index.js';
import { sendXml } from '../xml.js';
import { S3Error } from '../errors.js';
import { refusalError } from '../object-checksums.js';
import { parseChecksumAlgorithm } from '../signing/checksums.js';
import { checkKey, metadataFromHeaders, quoted, requireBucket, objectUrl, sendEmpty, type Controller } from './common.js';

/**
 * Browser form upload (POST policy). Authentication (s3/signing) has checked the policy and its conditions and hands
 * over the key, the form fields and the file as a verified stream; here the object is stored and the response is
 * shaped by success_action_redirect / success_action_status, as S3 does.
 */
export const postObject: Controller = async (call) => {
  const upload = call.form;
  if (upload === null) throw new S3Error('InvalidRequest', 'A browser POST upload needs its form.');
  const key = upload.key;
  checkKey(key);
  const bucket = requireBucket(call);
  const metadata = metadataFromHeaders(upload.fields, 'form', upload.fileContentType);
  // The checksum a field declared (verified as the file arrives); else the algorithm x-amz-checksum-algorithm names,
  // or S3's default, computed.
  const algorithmField = upload.fields['x-amz-checksum-algorithm'];
  const named = algorithmField === undefined || algorithmField.trim() === '' ? null : parseChecksumAlgorithm(algorithmField);
  const declared = upload.file.declaredChecksum;
  if (named !== null && declared !== null && named !== declared) throw refusalError('part-algorithm-mismatch', { algorithm: named, declared });
  upload.file.computeChecksum(singleUploadChecksum(declared ?? named).algorithm);
  const object = await call.storage.putObject({ bucket, key, body: upload.file, metadata });
  const etag = quoted(object.etag);
  const location = objectUrl(call, bucket.name, key);
  call.res.setHeader('ETag', etag);
  call.res.setHeader('Location', location);

  const redirect = upload.fields['success_action_redirect'] ?? upload.fields['redirect'];
  if (redirect) {
    let target: URL | null = null;
    try {
      target = new URL(redirect);
    } catch {
      target = null;
    }
    if (target && (target.protocol === 'http:' || target.protocol === 'https:')) {
      target.searchParams.set('bucket', bucket.name);
      target.searchParams.set('key', key);
      target.searchParams.set('etag', etag);
      call.res.setHeader('Location', target.toString());
      sendEmpty(call.res, 303);
      return;
    }
  }
  const status = upload.fields['success_action_status'];
  if (status === '201') {
    sendXml(call.res, 201, 'PostResponse', { Location: location, Bucket: bucket.name, Key: key, ETag: etag });
    return;
  }
  // S3 answers 204 for any value other than 200 and 201, and when there is none.
  sendEmpty(call.res, status === '200' ? 200 : 204);
};
