import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { loadOpenApi } from '../../spec/index.js';
import { RestError, type RestErrorCode } from './errors.js';

/**
 * Validation against the schemas of spec/openapi.yaml (OpenAPI 3.1, i.e. JSON Schema 2020-12), compiled once with
 * Ajv. Request bodies go through `validateBody`; tests check responses with `schemaValidator` too.
 */

const documentId = 'urn:ibee-conformance:openapi';

let ajv: Ajv2020 | undefined;
const compiled = new Map<string, ValidateFunction>();

function instance(): Ajv2020 {
  if (!ajv) {
    // validateSchema: false skips compiling the JSON Schema meta-schema at every start-up (most of Ajv's share of
    // the start-up CPU profile). The document is checked where it is written: spec/spec.test.ts validates it as
    // OpenAPI, and strict mode still refuses unknown keywords when a schema is compiled.
    ajv = new Ajv2020({ strict: true, allErrors: true, allowUnionTypes: true, validateSchema: false });
    addFormats.default(ajv);
    // Only `components` is a schema container; the rest of the document (paths, info) is not JSON Schema.
    ajv.addVocabulary(['components']);
    ajv.addSchema({ $id: documentId, components: loadOpenApi().components });
  }
  return ajv;
}

/** The validator of `#/components/schemas/{name}`. */
export function schemaValidator(name: string): ValidateFunction {
  let validate = compiled.get(name);
  if (!validate) {
    if (!loadOpenApi().components?.schemas?.[name]) throw new Error(`spec/openapi.yaml has no schema ${name}`);
    validate = instance().compile({ $ref: `${documentId}#/components/schemas/${name}` });
    compiled.set(name, validate);
  }
  return validate;
}

/** `/object_storage/allowed_buckets/2` → `object_storage.allowed_buckets[2]`. */
function fieldName(pointer: string): string {
  const parts = pointer
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  let name = '';
  for (const part of parts) {
    const shown = part.length > 64 ? `${part.slice(0, 64)}…` : part;
    name += /^\d+$/.test(part) ? `[${part}]` : name ? `.${shown}` : shown;
  }
  return name || 'body';
}

/** The field an error is about, as a JSON pointer: the missing or unknown property itself, not its parent. */
function errorPointer(error: ErrorObject): string {
  const params = error.params as { missingProperty?: string; additionalProperty?: string; unevaluatedProperty?: string };
  const child = params.missingProperty ?? params.additionalProperty ?? params.unevaluatedProperty;
  return child === undefined ? error.instancePath : `${error.instancePath}/${child.replace(/~/g, '~0').replace(/\//g, '~1')}`;
}

/**
 * The one error to report: the most specific. `oneOf [X, null]` makes Ajv report X's error, the null branch's
 * and the oneOf itself; only X's says what is wrong.
 */
function primaryError(errors: readonly ErrorObject[]): ErrorObject {
  const meaningful = errors.filter((e) => e.keyword !== 'oneOf' && !/\/oneOf\/\d+\/type$/.test(e.schemaPath));
  const candidates = meaningful.length > 0 ? meaningful : errors;
  const unknown = candidates.find((e) => e.keyword === 'additionalProperties' || e.keyword === 'unevaluatedProperties');
  return unknown ?? candidates[0]!;
}

function messageFor(error: ErrorObject, field: string): string {
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'additionalProperties':
    case 'unevaluatedProperties':
      return `Unknown field ${field}.`;
    case 'required':
      return `Missing required field ${field}.`;
    case 'type':
      return `${field} must be of type ${String(params.type)}.`;
    case 'enum':
      return `${field} must be one of: ${(params.allowedValues as unknown[]).map(String).join(', ')}.`;
    case 'minLength':
      return `${field} must be at least ${String(params.limit)} character(s) long.`;
    case 'maxLength':
      return `${field} must be at most ${String(params.limit)} characters long.`;
    case 'minimum':
      return `${field} must be at least ${String(params.limit)}.`;
    case 'maximum':
      return `${field} must be at most ${String(params.limit)}.`;
    case 'pattern':
      return `${field} has an invalid format.`;
    default:
      return `${field} ${error.message ?? 'is invalid'}.`;
  }
}

/**
 * Which error code a field's problems get: keys are JSON pointers where `*` stands for an array index, e.g.
 * `/object_storage/allowed_buckets/*`. Unknown fields are always `unknown_field`; the rest `validation_error`.
 */
export type FieldCodes = Readonly<Record<string, RestErrorCode>>;

function codeFor(pointer: string, keyword: string, fieldCodes: FieldCodes): RestErrorCode {
  if (keyword === 'additionalProperties' || keyword === 'unevaluatedProperties') return 'unknown_field';
  const generic = pointer.replace(/\/\d+(?=\/|$)/g, '/*');
  return fieldCodes[generic] ?? 'validation_error';
}

/** Validates a parsed JSON body against a schema; throws a 422 RestError naming the field otherwise. */
export function validateBody<T>(schemaName: string, body: unknown, fieldCodes: FieldCodes = {}): T {
  const validate = schemaValidator(schemaName);
  if (validate(body)) return body as T;
  const error = primaryError(validate.errors ?? []);
  const pointer = errorPointer(error);
  throw new RestError(422, codeFor(pointer, error.keyword, fieldCodes), messageFor(error, fieldName(pointer)));
}
