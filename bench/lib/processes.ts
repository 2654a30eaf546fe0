import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

const CLOCK_TICK_MS = 10;

export interface PinnedProcess {
  name: string;
  pid: number;
  /** Resident memory now, from /proc. */
  rssBytes(): number;
  /** CPU time used so far (user + system), from /proc: unlike throughput, barely moved by other load on the machine. */
  cpuMs(): number;
  output(): string;
  stop(): Promise<void>;
}

export interface PinnedProcessOptions {
  name: string;
  /** The CPU core it may run on (`taskset -c`). */
  core: number;
  /** Arguments to node, e.g. `['--import', 'tsx', 'main.ts', 'gateway']`. */
  args: string[];
  env?: Record<string, string>;
  ready(): Promise<boolean>;
  timeoutMs?: number;
}

/** Starts `node <args>` pinned to one core and waits until `ready()` says so. `taskset` execs node: the pid is node's. */
export async function startPinned(options: PinnedProcessOptions): Promise<PinnedProcess> {
  const child = spawn('taskset', ['-c', String(options.core), process.execPath, ...options.args], {
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const running: PinnedProcess = {
    name: options.name,
    pid: child.pid!,
    rssBytes: () => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1] ?? NaN) * 1024,
    cpuMs: () => {
      // Fields 14 and 15 of /proc/<pid>/stat, counted after the command name in parentheses; in clock ticks of 10 ms.
      const fields = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      return (Number(fields[11]) + Number(fields[12])) * CLOCK_TICK_MS;
    },
    output: () => output,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(killer);
    },
  };

  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${options.name} exited with ${child.exitCode}:\n${output}`);
    if (await options.ready().catch(() => false)) return running;
    await sleep(200);
  }
  await running.stop();
  throw new Error(`${options.name} not ready in time:\n${output}`);
}

/**
 * Pins this process, every thread of it (libuv's pool, V8's), to `cores`: the load generator's core
 * during the throughput runs, all cores again after. Child processes started later inherit it.
 */
export function pinSelf(cores: string): void {
  execFileSync('taskset', ['--all-tasks', '--pid', '--cpu-list', cores, String(process.pid)], { stdio: 'ignore' });
}
