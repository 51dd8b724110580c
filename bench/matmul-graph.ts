/** The benchmark's product C = A @ B, plus C[0, 0] as a 1-element output to synchronise on. */
import { Graph } from '../src/graph/graph';
import * as op from '../src/graph/ops';

export function buildMatmulGraph(n: number): Graph {
  const g = new Graph('bench_matmul');
  const a = g.input('a', 'float32', [n, n], { gpuResident: true });
  const b = g.input('b', 'float32', [n, n], { gpuResident: true });
  const c = op.matmul(a, b);
  g.output(c, 'c');
  g.output(op.slice(c, [0, 0], [1, 1], [0, 1]), 'probe');
  return g;
}
