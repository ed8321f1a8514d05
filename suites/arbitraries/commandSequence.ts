import fc from 'fast-check';
import {
  ModelAdvanceClock,
  ModelCreateBucket,
  ModelCreateToken,
  ModelDeleteObject,
  ModelGetObject,
  ModelListObjects,
  ModelPresignGet,
  ModelPutObject,
  ModelRestListBuckets,
  ModelRevoke,
  ModelRevokeUnderLoad,
  ModelUsePresigned,
} from '../model/commands.js';
import type { RealSystem, TokenModel } from '../model/token-model.js';
import { permissionType } from './permissionType.js';

export interface CommandSequenceOptions {
  /** The target's clock can be moved. */
  readonly timeTravel: boolean;
  /** Tokens can be given an expiry (portal tokens; S3 credentials never expire). Default true. */
  readonly expiry?: boolean;
  /** Tokens have a Bearer token for the REST API (portal tokens; S3 credentials have none). Default true. */
  readonly bearer?: boolean;
  readonly maxCommands?: number;
}

/**
 * Random interleavings of the token lifecycle: create token, create bucket, put/get/list/delete with any token,
 * presign, use presigned URLs, list buckets over REST (tokens with a Bearer token), revoke (also under load), and
 * (where the target can) move the clock.
 */
export function commandSequence(options: CommandSequenceOptions): fc.Arbitrary<Iterable<fc.AsyncCommand<TokenModel, RealSystem>>> {
  const pickIndex = fc.nat({ max: 7 });
  const body = fc.string({ unit: 'grapheme', maxLength: 40 });
  const days = options.expiry === false ? fc.constant(undefined) : fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined });
  const createToken = fc
    .tuple(permissionType(), fc.boolean(), fc.array(pickIndex, { minLength: 1, maxLength: 2 }), days)
    .map(([level, all, picks, d]) => new ModelCreateToken(level, all, picks, d));
  const putObject = fc.tuple(pickIndex, pickIndex, pickIndex, body).map(([t, b, k, text]) => new ModelPutObject(t, b, k, text));
  // Token creation and writes appear twice: without them most other commands have nothing to act on.
  const commands: fc.Arbitrary<fc.AsyncCommand<TokenModel, RealSystem>>[] = [
    createToken,
    createToken,
    fc.constant(new ModelCreateBucket()),
    putObject,
    putObject,
    fc.tuple(pickIndex, pickIndex, pickIndex).map(([t, b, k]) => new ModelGetObject(t, b, k)),
    fc.tuple(pickIndex, pickIndex, pickIndex).map(([t, b, k]) => new ModelDeleteObject(t, b, k)),
    fc.tuple(pickIndex, pickIndex).map(([t, b]) => new ModelListObjects(t, b)),
    fc.tuple(pickIndex, pickIndex, pickIndex, fc.integer({ min: 60, max: 7 * 86_400 })).map(([t, b, k, expires]) => new ModelPresignGet(t, b, k, expires)),
    pickIndex.map((u) => new ModelUsePresigned(u)),
    ...(options.bearer === false ? [] : [pickIndex.map((t) => new ModelRestListBuckets(t))]),
    pickIndex.map((t) => new ModelRevoke(t)),
    fc.tuple(pickIndex, fc.integer({ min: 2, max: 8 })).map(([t, n]) => new ModelRevokeUnderLoad(t, n)),
  ];
  if (options.timeTravel) {
    // Up to two days at a time: past presigned URLs of minutes to days and past 1-3 day tokens.
    commands.push(fc.integer({ min: 60, max: 2 * 86_400 }).map((seconds) => new ModelAdvanceClock(seconds)));
  }
  // size 'max': sequences long enough to interleave revokes with later use, whatever numRuns is.
  return fc.commands(commands, { maxCommands: options.maxCommands ?? 20, size: 'max' });
}
