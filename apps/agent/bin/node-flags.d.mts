/** Types of node-flags.mjs (plain JS, so scripts/start.mjs can import it without tsx). */
export declare const AGENT_HEAP_MB: number;
export declare const AGENT_NODE_FLAGS: readonly string[];
export declare function hasAgentFlags(): boolean;
export declare function runAgentCli(args: readonly string[], cwd?: string): void;
export declare const LIFELINE_ENV: string;
export declare function watchLifeline(graceMs?: number): Promise<void>;
