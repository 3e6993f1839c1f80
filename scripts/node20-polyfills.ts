// vitest 5 declares Node ≥ 22; on Node 20 its reporter needs Map.groupBy (Node 21+) to print a failure.
if (typeof (Map as unknown as { groupBy?: unknown }).groupBy !== 'function') {
  Object.defineProperty(Map, 'groupBy', {
    value<K, T>(items: Iterable<T>, key: (item: T, i: number) => K): Map<K, T[]> {
      const out = new Map<K, T[]>();
      let i = 0;
      for (const item of items) {
        const k = key(item, i++);
        const list = out.get(k);
        if (list) list.push(item); else out.set(k, [item]);
      }
      return out;
    },
    configurable: true,
    writable: true,
  });
}
