/**
 * The session bus for the Secret Service provider: the one of
 * DBUS_SESSION_BUS_ADDRESS, or, with none (headless, CI), a private
 * `dbus-daemon --session` the provider starts as its own child and stops.
 * @module
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface PrivateBus {
  readonly address: string;
  /** Stops the dbus-daemon (SIGTERM), resolving once it exited. */
  stop(): Promise<void>;
}

/** Starts `dbus-daemon --session --nofork --print-address` as a child; resolves with its address. */
export function startPrivateBus(executable = 'dbus-daemon'): Promise<PrivateBus> {
  return new Promise((resolve, reject) => {
    let child: ChildProcess;
    try {
      child = spawn(executable, ['--session', '--nofork', '--nopidfile', '--print-address=1'], { stdio: ['ignore', 'pipe', 'ignore'] });
    } catch (e) {
      reject(e instanceof Error ? e : new Error(String(e)));
      return;
    }
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.once('error', (e) => reject(new Error(`${executable} could not be started (${e.message}); install Debian's dbus package`)));
    child.once('exit', (code, signal) => reject(new Error(`${executable} exited before printing its address (${code ?? signal})`)));
    const lines = createInterface({ input: child.stdout! });
    lines.once('line', (line) => {
      lines.close();
      child.stdout!.resume();
      const address = line.trim();
      resolve({
        address,
        stop: () => {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
          return exited;
        },
      });
    });
  });
}
