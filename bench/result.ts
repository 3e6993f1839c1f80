/** One figure of `pnpm bench`: a value, the baseline measured in the same run, their ratio, and the budget. */
export interface BenchResult {
  name: string;
  value: number;
  unit: string;
  baseline?: number;
  ratio?: number;
  /** human-readable budget, e.g. "≥ 0.95" or "≤ 50 ms" */
  budget: string;
  ok: boolean;
  note?: string;
}
