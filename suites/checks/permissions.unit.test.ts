import { describe, expect, it } from 'vitest';
import { unjudgedDenials, type GridObservation } from './permissions.js';

function observation(protocol: 's3' | 'rest', verdict: GridObservation['verdict'], level: GridObservation['level'] = 'object_ro', scope: GridObservation['scope'] = 'in_scope'): GridObservation {
  return { level, operation: 'PutObject', scope, expected: 'deny', verdict, status: verdict === 'deny' ? 403 : 500, code: null, protocol };
}

describe('PERM-DENIED-CODE needs the denials of both grids', () => {
  it('is judged when both protocols refused something they should', () => {
    expect(unjudgedDenials([observation('s3', 'deny'), observation('rest', 'deny')], {})).toBeNull();
  });

  it('says which protocol was not judged, and why: the grid did not run, or no denial to judge came back', () => {
    const noBearer = 'the credentials driver issues S3 credentials, which have no Bearer token to call the REST API with';
    expect(unjudgedDenials([observation('s3', 'deny')], { rest: noBearer })).toBe(`no REST denial was judged: ${noBearer}`);
    expect(unjudgedDenials([observation('rest', 'deny')], {})).toBe('no S3 denial was judged: the S3 grid did not run');
    // A 500 is no denial; an admin level out of its bucket scope is an ambiguous point, never judged here.
    expect(unjudgedDenials([observation('s3', 'deny'), observation('rest', 'error'), observation('rest', 'deny', 'admin_rw', 'out_of_scope')], {})).toBe(
      'no REST denial was judged: no request it should refuse was refused (see the level requirements)',
    );
  });
});
