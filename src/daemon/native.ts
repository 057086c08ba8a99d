/**
 * The native addon of the daemon (native/peercred.c, built by node-gyp into
 * build/Release/peercred.node when the package is installed): the peer's
 * credentials of a Unix socket, and pidfds. Node exposes neither.
 *
 * A missing or unloadable addon is an error naming how to build it: the
 * daemon cannot tell who calls it without one, so it does not start.
 * @module
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface PeerCredentials {
  readonly pid: number;
  readonly uid: number;
  readonly gid: number;
}

export interface PeerCredAddon {
  /** getsockopt(SO_PEERCRED): who connected, as the kernel recorded it at connect(). */
  peerCredentials(fd: number): PeerCredentials;
  /** getsockopt(SO_PEERPIDFD): a pidfd of the process that connected, or -1 where the kernel lacks it. */
  peerPidfd(fd: number): number;
  /** pidfd_open(pid): a pidfd of whatever process has that pid now. */
  pidfdOpen(pid: number): number;
  /** Whether the pidfd's process has not exited. */
  pidfdAlive(pidfd: number): boolean;
  /** pidfd_send_signal(pidfd, signal): to the pidfd's process only (ESRCH once it exited). Absent from addons built before it. */
  pidfdSendSignal?(pidfd: number, signal: number): void;
  /** flock(fd, LOCK_EX | LOCK_NB): true when this open file holds the lock now, false when another holds it. Released by the kernel when the file is closed or the process ends. */
  flockExclusive(fd: number): boolean;
}

/** The package's root: the nearest directory upwards with secitem's package.json. */
export function packageRoot(from: string = dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = from; ; ) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      try {
        if ((JSON.parse(readFileSync(manifest, 'utf8')) as { name?: unknown }).name === 'secitem') return dir;
      } catch {
        // not ours: keep going up
      }
    }
    const up = dirname(dir);
    if (up === dir) throw new Error(`secitem's package root was not found above ${from}`);
    dir = up;
  }
}

let loaded: PeerCredAddon | undefined;

/** The addon, loaded once; throws an Error that says how to build it when it is missing. */
export function peerCredAddon(): PeerCredAddon {
  if (loaded) return loaded;
  const file = join(packageRoot(), 'build', 'Release', 'peercred.node');
  if (process.platform !== 'linux') throw new Error(`secitemd needs Linux (SO_PEERCRED); this is ${process.platform}`);
  let mod: PeerCredAddon;
  try {
    mod = createRequire(import.meta.url)(file) as PeerCredAddon;
  } catch (e) {
    const why = e instanceof Error ? e.message.split('\n')[0] : String(e);
    throw new Error(
      `secitemd cannot load its native addon ${file} (${why}). It is built from native/peercred.c by node-gyp when the ` +
        'package is installed (npm ci); build it by hand with `npm exec node-gyp rebuild` in the package root (needs python3, make and a C compiler).',
    );
  }
  for (const name of ['peerCredentials', 'peerPidfd', 'pidfdOpen', 'pidfdAlive', 'flockExclusive'] as const) {
    if (typeof mod[name] !== 'function') throw new Error(`secitemd's native addon ${file} lacks ${name}: rebuild it (npm exec node-gyp rebuild)`);
  }
  return (loaded = mod);
}
