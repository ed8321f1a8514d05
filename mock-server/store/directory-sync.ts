import { close, fsync, open } from 'node:fs';

/**
 * fsync of directories, shared between the writes that need it at the same time. A sync asked for while one of the
 * same directory is under way waits for the next one (the running one may have started before the caller's rename);
 * every caller that asks before that next one starts shares it. So the renames of writes in flight together, if
 * they land in one directory, cost one directory flush instead of one each.
 */
export type DirectorySync = (dir: string) => Promise<void>;

interface Waiter {
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

interface DirectoryState {
  running: boolean;
  /** Callers waiting for a sync that has not started yet. */
  next: Waiter[];
}

export function createDirectorySync(syncOne: (dir: string) => Promise<void> = fsyncDirectory): DirectorySync {
  const states = new Map<string, DirectoryState>();

  const start = (dir: string, state: DirectoryState): void => {
    const group = state.next;
    state.next = [];
    state.running = true;
    let syncing: Promise<void>;
    try {
      syncing = syncOne(dir);
    } catch (error) {
      // A syncOne that throws instead of rejecting still ends this round (and lets the next one start).
      syncing = Promise.reject(error);
    }
    syncing
      .then(
        () => group.forEach((waiter) => waiter.resolve()),
        (error: unknown) => group.forEach((waiter) => waiter.reject(error)),
      )
      .finally(() => {
        state.running = false;
        if (state.next.length > 0) start(dir, state);
        else states.delete(dir);
      });
  };

  return (dir) =>
    new Promise<void>((resolve, reject) => {
      let state = states.get(dir);
      if (!state) {
        state = { running: false, next: [] };
        states.set(dir, state);
      }
      state.next.push({ resolve, reject });
      if (!state.running) start(dir, state);
    });
}

/** Opens the directory, fsyncs it and closes it again (callback API: no FileHandle to create and finalise). */
export function fsyncDirectory(dir: string): Promise<void> {
  return new Promise((resolve, reject) => {
    open(dir, 'r', (openError, fd) => {
      if (openError) {
        reject(openError);
        return;
      }
      fsync(fd, (syncError) => {
        close(fd, (closeError) => {
          if (syncError ?? closeError) reject(syncError ?? closeError);
          else resolve();
        });
      });
    });
  });
}
