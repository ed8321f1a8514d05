import { S3Error } from '../errors.js';
import { refuseControlCharacters } from '../header-values.js';
import { malformedXml, parseXmlBody, xmlRead, type XmlTree } from '../xml.js';

/**
 * Bucket configurations (CORS, lifecycle, default encryption): parsed from the client's XML, validated, normalised
 * to the elements S3 defines (in S3's order) and stored as JSON; rendered back from that JSON.
 */

type Node = Record<string, unknown>;

const corsMethods = new Set(['GET', 'PUT', 'HEAD', 'POST', 'DELETE']);

function required(node: Node, name: string): string {
  const value = xmlRead.trimmed(node, name);
  if (value === undefined || value === '') throw malformedXml();
  return value;
}

function nonNegativeInteger(value: string | undefined, what: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new S3Error('InvalidArgument', `${what} must be a non-negative integer`);
  return Number(value);
}

function positiveInteger(value: string | undefined, what: string): number | undefined {
  const parsed = nonNegativeInteger(value, what);
  if (parsed === 0) throw new S3Error('InvalidArgument', `'${what}' must be a positive integer`);
  return parsed;
}

function optionalId(node: Node): string | undefined {
  const id = xmlRead.text(node, 'ID');
  if (id !== undefined && id.length > 255) throw new S3Error('InvalidArgument', 'ID length should not exceed allowed limit of 255');
  return id;
}

export function corsFromXml(body: Buffer): string {
  const config = parseXmlBody(body, 'CORSConfiguration', ['CORSRule', 'AllowedMethod', 'AllowedOrigin', 'AllowedHeader', 'ExposeHeader']);
  const rules = xmlRead.elements(config, 'CORSRule');
  if (rules.length === 0 || rules.length > 100) throw malformedXml();
  const normalised = rules.map((rule): XmlTree => {
    const methods = xmlRead.texts(rule, 'AllowedMethod');
    const origins = xmlRead.texts(rule, 'AllowedOrigin');
    if (methods.length === 0 || origins.length === 0) throw malformedXml();
    for (const method of methods) {
      if (!corsMethods.has(method)) {
        throw new S3Error('InvalidRequest', `Found unsupported HTTP method in CORS config. Unsupported method is ${method}`);
      }
    }
    for (const origin of origins) {
      if ((origin.match(/\*/g) ?? []).length > 1) {
        throw new S3Error('InvalidRequest', `AllowedOrigin "${origin}" can not have more than one wildcard.`);
      }
    }
    // Header names a browser will be sent back, in Access-Control-Expose-Headers and -Allow-Headers.
    for (const name of ['AllowedHeader', 'ExposeHeader']) {
      for (const value of xmlRead.texts(rule, name)) refuseControlCharacters(name, value);
    }
    return {
      ID: optionalId(rule),
      AllowedHeader: xmlRead.texts(rule, 'AllowedHeader'),
      AllowedMethod: methods,
      AllowedOrigin: origins,
      ExposeHeader: xmlRead.texts(rule, 'ExposeHeader'),
      MaxAgeSeconds: nonNegativeInteger(xmlRead.trimmed(rule, 'MaxAgeSeconds'), 'MaxAgeSeconds'),
    };
  });
  return JSON.stringify(normalised);
}

export function corsToXml(json: string): XmlTree {
  return { CORSRule: JSON.parse(json) as XmlTree[] };
}

export interface CorsRule {
  readonly ID?: string;
  readonly AllowedHeader: readonly string[];
  readonly AllowedMethod: readonly string[];
  readonly AllowedOrigin: readonly string[];
  readonly ExposeHeader: readonly string[];
  readonly MaxAgeSeconds?: number;
}

export function corsRules(json: string): readonly CorsRule[] {
  return JSON.parse(json) as CorsRule[];
}

const isoMidnight = /^\d{4}-\d{2}-\d{2}T00:00:00(?:\.000)?Z$/;

function lifecycleDate(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (!isoMidnight.test(value) || Number.isNaN(Date.parse(value))) {
    throw new S3Error('InvalidArgument', "'Date' must be at midnight GMT");
  }
  return value;
}

function tag(node: Node): XmlTree {
  return { Key: required(node, 'Key'), Value: xmlRead.text(node, 'Value') ?? '' };
}

function lifecycleFilter(filter: Node): XmlTree {
  const and = xmlRead.element(filter, 'And');
  const tags = xmlRead.elements(filter, 'Tag');
  const present = [
    filter.Prefix !== undefined,
    tags.length > 0,
    and !== undefined,
    filter.ObjectSizeGreaterThan !== undefined,
    filter.ObjectSizeLessThan !== undefined,
  ].filter(Boolean).length;
  if (present > 1 || tags.length > 1) throw malformedXml();
  const size = (node: Node) => ({
    ObjectSizeGreaterThan: nonNegativeInteger(xmlRead.trimmed(node, 'ObjectSizeGreaterThan'), 'ObjectSizeGreaterThan'),
    ObjectSizeLessThan: positiveInteger(xmlRead.trimmed(node, 'ObjectSizeLessThan'), 'ObjectSizeLessThan'),
  });
  return {
    Prefix: xmlRead.text(filter, 'Prefix'),
    Tag: tags[0] ? tag(tags[0]) : undefined,
    And: and
      ? { Prefix: xmlRead.text(and, 'Prefix'), Tag: xmlRead.elements(and, 'Tag').map(tag), ...size(and) }
      : undefined,
    ...size(filter),
  };
}

function transition(node: Node, days: 'Days' | 'NoncurrentDays'): XmlTree {
  return {
    [days]: nonNegativeInteger(xmlRead.trimmed(node, days), days),
    Date: days === 'Days' ? lifecycleDate(xmlRead.trimmed(node, 'Date')) : undefined,
    StorageClass: required(node, 'StorageClass'),
  };
}

export function lifecycleFromXml(body: Buffer): string {
  const config = parseXmlBody(body, 'LifecycleConfiguration', ['Rule', 'Tag', 'Transition', 'NoncurrentVersionTransition']);
  const rules = xmlRead.elements(config, 'Rule');
  if (rules.length === 0 || rules.length > 1000) throw malformedXml();
  const ids = new Set<string>();
  const normalised = rules.map((rule): XmlTree => {
    const status = required(rule, 'Status');
    if (status !== 'Enabled' && status !== 'Disabled') throw malformedXml();
    const id = optionalId(rule);
    if (id !== undefined) {
      if (ids.has(id)) throw new S3Error('InvalidArgument', 'Rule ID must be unique. Found same ID for more than one rule');
      ids.add(id);
    }
    const filter = xmlRead.element(rule, 'Filter');
    const legacyPrefix = xmlRead.text(rule, 'Prefix');
    if (filter !== undefined && legacyPrefix !== undefined) throw malformedXml();

    const expirationNode = xmlRead.element(rule, 'Expiration');
    let expiration: XmlTree | undefined;
    if (expirationNode) {
      const marker = xmlRead.trimmed(expirationNode, 'ExpiredObjectDeleteMarker');
      if (marker !== undefined && marker !== 'true' && marker !== 'false') throw malformedXml();
      expiration = {
        Days: positiveInteger(xmlRead.trimmed(expirationNode, 'Days'), 'Days'),
        Date: lifecycleDate(xmlRead.trimmed(expirationNode, 'Date')),
        ExpiredObjectDeleteMarker: marker,
      };
      if (Object.values(expiration).filter((value) => value !== undefined).length !== 1) throw malformedXml();
    }
    const abortNode = xmlRead.element(rule, 'AbortIncompleteMultipartUpload');
    const abort = abortNode
      ? { DaysAfterInitiation: positiveInteger(required(abortNode, 'DaysAfterInitiation'), 'DaysAfterInitiation') }
      : undefined;
    const noncurrentNode = xmlRead.element(rule, 'NoncurrentVersionExpiration');
    const noncurrent = noncurrentNode
      ? {
          NoncurrentDays: positiveInteger(required(noncurrentNode, 'NoncurrentDays'), 'NoncurrentDays'),
          NewerNoncurrentVersions: positiveInteger(xmlRead.trimmed(noncurrentNode, 'NewerNoncurrentVersions'), 'NewerNoncurrentVersions'),
        }
      : undefined;
    const transitions = xmlRead.elements(rule, 'Transition').map((node) => transition(node, 'Days'));
    const noncurrentTransitions = xmlRead.elements(rule, 'NoncurrentVersionTransition').map((node) => transition(node, 'NoncurrentDays'));
    if (!expiration && !abort && !noncurrent && transitions.length === 0 && noncurrentTransitions.length === 0) {
      throw new S3Error('InvalidRequest', 'At least one action needs to be specified in a rule');
    }
    return {
      Expiration: expiration,
      ID: id,
      Prefix: legacyPrefix,
      Filter: filter ? lifecycleFilter(filter) : undefined,
      Status: status,
      Transition: transitions,
      NoncurrentVersionTransition: noncurrentTransitions,
      NoncurrentVersionExpiration: noncurrent,
      AbortIncompleteMultipartUpload: abort,
    };
  });
  return JSON.stringify(normalised);
}

export function lifecycleToXml(json: string): XmlTree {
  return { Rule: JSON.parse(json) as XmlTree[] };
}

const sseAlgorithms = new Set(['AES256', 'aws:kms', 'aws:kms:dsse']);

export function encryptionFromXml(body: Buffer): string {
  const config = parseXmlBody(body, 'ServerSideEncryptionConfiguration', ['Rule']);
  const rules = xmlRead.elements(config, 'Rule');
  if (rules.length !== 1) throw malformedXml();
  const normalised = rules.map((rule): XmlTree => {
    const byDefault = xmlRead.element(rule, 'ApplyServerSideEncryptionByDefault');
    if (!byDefault) throw malformedXml();
    const algorithm = required(byDefault, 'SSEAlgorithm');
    if (!sseAlgorithms.has(algorithm)) throw malformedXml();
    const keyId = xmlRead.trimmed(byDefault, 'KMSMasterKeyID');
    if (keyId !== undefined && algorithm === 'AES256') {
      throw new S3Error('InvalidArgument', 'a KMSMasterKeyID is not applicable if the default sse algorithm is not aws:kms or aws:kms:dsse');
    }
    const bucketKey = xmlRead.trimmed(rule, 'BucketKeyEnabled');
    if (bucketKey !== undefined && bucketKey !== 'true' && bucketKey !== 'false') throw malformedXml();
    return {
      ApplyServerSideEncryptionByDefault: { SSEAlgorithm: algorithm, KMSMasterKeyID: keyId },
      BucketKeyEnabled: bucketKey === undefined ? undefined : bucketKey === 'true',
    };
  });
  return JSON.stringify(normalised);
}

/** Every bucket is encrypted at rest with AES256 unless configured otherwise, as on S3 since 2023. */
export function encryptionToXml(json: string | null): XmlTree {
  if (json === null) return { Rule: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' }, BucketKeyEnabled: false }] };
  return { Rule: JSON.parse(json) as XmlTree[] };
}
