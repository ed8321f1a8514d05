import { forgetSecrets } from '../../reports/redact.js';
import { forgetObservedLeaks } from './http.js';
import { forgetObservedS3Leaks } from './s3.js';

/**
 * The conformance project runs its files one after the other in one process (vitest `isolate: false`, which spares
 * every file loading every module again). What a file has seen starts empty, as in a process of its own: the
 * secrets known to the leak scan and to redaction (each file registers its own), and the leaks seen so far.
 */
export function startFile(): void {
  forgetSecrets();
  forgetObservedLeaks();
  forgetObservedS3Leaks();
}
