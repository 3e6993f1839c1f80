import type { Scenario } from './types.ts';
import { tcpHello } from './tcp-hello.ts';
import { udpEcho } from './udp-echo.ts';

export type { Scenario, ScenarioContext, ScenarioStep } from './types.ts';
export { runScenario, type RunOptions, type RunResult, type RunnerDeps } from './runner.ts';

/** Every lesson the agent can stage, in the order the course teaches them. Add new ones here. */
export const SCENARIOS: readonly Scenario<any>[] = [tcpHello, udpEcho];

export function findScenario(id: string): Scenario<any> | undefined {
  return SCENARIOS.find((s) => s.id === id);
}

export function scenarioIds(): string[] {
  return SCENARIOS.map((s) => s.id);
}
