import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * Memory settings for the long-running gateway (bench/README.md, "Memory: where it goes and what
 * was cut", has the measurements).
 *
 * `siaga run` applies RUN_V8_FLAGS itself, before the gateway's modules load, whichever way it
 * was started (systemd, a technician's shell, a test): V8 doubles the young generation each time
 * a scavenge finds much alive, up to 2 × 16 MB, and never gives it back, so loading the modules
 * and starting grew it once and the idle gateway carried ~30 MB of mostly empty semi-spaces.
 * Growth factor 1 keeps it at its initial 2 × 1 MB; unlike `--max-semi-space-size` it can be set
 * after the process started.
 *
 * No allocation-site pretenuring: on a quiet gateway a routine reading waits up to 5 s for its
 * group commit and survives every scavenge, so V8 learns that the places which create readings make
 * long-lived objects and from then on creates them in the old generation. When frames then come at
 * 1,000 a second the same readings live milliseconds, yet fill the old generation until its next
 * major GC: ~1.7 MB of the peak (bench/README.md, "Memory round 10").
 *
 * Once the gateway is ready, STEADY_V8_FLAGS: `--optimize-for-size` keeps the old generation close
 * to what is alive. V8 otherwise lets it grow to ~2.7 × the live heap before a major GC, and a
 * backlog drained at LAN speed promoted ~22 MB of page strings in a second (P6 drain 93.9 → 77.8 MB
 * peak). Not before ready: while the modules load it made V8 collect so often that the start
 * took ~250 ms more CPU (P8).
 *
 * The rest can only be set when the process starts, so the systemd unit (scripts/siaga.service)
 * passes them: fewer V8 helper threads (each with its own malloc arena and stack), at most two
 * glibc malloc arenas, and glibc's mmap threshold fixed at 16 KiB: start-up's transient blocks
 * (V8's compilation zones, chunks read, parser buffers) otherwise come from the malloc heaps and
 * leave them fragmented for the process's life: at idle ~2.6 MB of malloc'd memory is in use, yet
 * the heaps held 7–8 MB with 64 KiB and ~10 MB with glibc's default (bench/README.md "Memory
 * round 9" and "round 11"). A `siaga run` started by hand simply runs without them.
 */
export const RUN_V8_FLAGS = ['--semi-space-growth-factor=1', '--no-allocation-site-pretenuring'] as const;
export const STEADY_V8_FLAGS = ['--optimize-for-size'] as const;
export const UNIT_NODE_FLAGS = ['--max-semi-space-size=1', '--v8-pool-size=2'] as const;
export const UNIT_ENV = { MALLOC_ARENA_MAX: '2', MALLOC_MMAP_THRESHOLD_: '16384' } as const;

export function tuneHeapForGateway(set: (flag: string) => void = setFlagsFromString): void {
  for (const flag of RUN_V8_FLAGS) set(flag);
}

/**
 * The gateway is ready: from now on V8 keeps the heap small. The limits follow only at a major
 * GC, and a backlog drain may start on the CONNACK, so the start-up garbage is collected now.
 */
export function settleHeapAfterStart(set: (flag: string) => void = setFlagsFromString): void {
  for (const flag of STEADY_V8_FLAGS) set(flag);
  collectStartupGarbage();
}

/**
 * One full GC once the gateway has started. Start-up leaves megabytes of garbage in the old
 * generation (the config schema and YAML document, module-loading temporaries) that V8's memory
 * reducer frees only after some idle time (~10–20 s): until then RSS is ~5 MB above the steady
 * state, and a burst of frames at once grows the heap on top of it. `gc` is not exposed without
 * `--expose-gc`; the flag set now exposes it in a new context.
 */
export function collectStartupGarbage(): void {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as unknown;
  if (typeof gc !== 'function') return;
  // The second compacts the pages the first left half empty, so they go back to the system
  // (with `--optimize-for-size` on since ready, so the limits they set are the small ones).
  gc();
  gc();
}
