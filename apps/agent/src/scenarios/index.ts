import type { Scenario } from './types.ts';
import { tcpHello } from './tcp-hello.ts';
import { udpEcho } from './udp-echo.ts';
import { tcpHandshake } from './tcp-handshake.ts';
import { tcpTeardown } from './tcp-teardown.ts';
import { tcpBuffers } from './tcp-buffers.ts';
import { tcpStream } from './tcp-stream.ts';
import { tcpEcho } from './tcp-echo.ts';
import { tcpRefused } from './tcp-refused.ts';

export type { Scenario, ScenarioContext, ScenarioStep } from './types.ts';
export { runScenario, type RunOptions, type RunResult, type RunnerDeps } from './runner.ts';

/** Every lesson the agent can stage, in the order the course teaches them. Add new ones here. */
export const SCENARIOS: readonly Scenario<any>[] = [
  tcpHello,
  tcpHandshake,
  tcpTeardown,
  tcpBuffers,
  tcpStream,
  tcpEcho,
  tcpRefused,
  udpEcho,
];

export function findScenario(id: string): Scenario<any> | undefined {
  return SCENARIOS.find((s) => s.id === id);
}

export function scenarioIds(): string[] {
  return SCENARIOS.map((s) => s.id);
}
