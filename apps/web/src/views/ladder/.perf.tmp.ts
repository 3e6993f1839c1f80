import { emptyModel, foldAll } from '@socketscope/shared';
import { demoSynthetic } from './demo.ts';
import { LadderBuilder, layoutLadder } from './layout.ts';
for (const pattern of ['pingpong', 'bulk'] as const) {
  const events = demoSynthetic({ pattern, segments: pattern === 'bulk' ? 66_666 : 100_000 }).slice(0, 100_000);
  const model = foldAll(emptyModel(), events);
  const runs: number[] = [];
  let rows = 0;
  for (let k = 0; k < 8; k++) {
    const t0 = performance.now();
    rows = layoutLadder(events, model).rows.length;
    runs.push(performance.now() - t0);
  }
  const app: number[] = [];
  for (let k = 0; k < 5; k++) {
    const b = new LadderBuilder();
    b.update(events.slice(0, 99_000), model);
    const t0 = performance.now();
    b.update(events, model);
    b.snapshot(model);
    app.push(performance.now() - t0);
  }
  const s = runs.toSorted((a, b) => a - b);
  console.log(`${pattern}: ${events.length} events → ${rows} rows; layoutLadder first ${runs[0]!.toFixed(1)} ms, median ${s[4]!.toFixed(1)} ms, min ${s[0]!.toFixed(1)} ms; append 1,000 + snapshot min ${Math.min(...app).toFixed(2)} ms`);
}
