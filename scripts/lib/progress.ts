/** A stderr progress line for a byte count, redrawn at most once a second and always at the end. */
export function mibProgress(label: string): (p: { done: number; total: number }) => void {
  let last = 0;
  return (p) => {
    if (Date.now() - last < 1000 && p.done < p.total) return;
    last = Date.now();
    process.stderr.write(`\r${label}: ${(p.done / 2 ** 20).toFixed(1)} / ${(p.total / 2 ** 20).toFixed(1)} MiB`);
  };
}
