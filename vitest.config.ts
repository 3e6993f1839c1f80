// the reporter runs in this (main) process: polyfill what vitest 5 expects of Node ≥ 22
import './scripts/node20-polyfills.ts';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['packages/*/src/**/*.test.ts', 'apps/agent/src/**/*.test.ts', 'apps/agent/test/**/*.test.ts', 'apps/web/src/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // integration tests open real sockets and read /proc; files run in parallel, tests in a file in order
    pool: 'forks',
    // the kernel's tracepoints (bpftrace) take ~3 s and about a core-second to attach, per agent; the suite
    // makes dozens of agents, so they observe the kernel through /proc, and kernel-ebpf.test.ts (which
    // clears this) tests the tracepoints themselves
    env: { SOCKETSCOPE_NO_EBPF: '1' },
    // integration tests time real kernels and tcpdump; on CI one retry absorbs a loaded runner, and
    // vitest's report still names a test that needed it
    retry: process.env['CI'] ? 1 : 0,
  },
});
