/**
 * The shape of src/: folders import one another in one direction only (no two folders, and no two
 * files, import each other), and src/common/, which every folder may use, imports nothing of the
 * project. Read from the sources' import statements (static, `export … from` and dynamic imports).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = path.resolve(__dirname, '../../src');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) return sources(p);
    return /\.tsx?$/.test(name) && !name.endsWith('.d.ts') ? [p] : [];
  });
}

function resolve(from: string, spec: string): string | null {
  const base = path.resolve(path.dirname(from), spec);
  for (const candidate of [base, `${base}.ts`, `${base}.tsx`, path.join(base, 'index.ts')]) {
    try {
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // next candidate
    }
  }
  return null;
}

/** Relative imports of each source file, resolved to files. */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  const pattern = /(?:import|export)\s[^'"]*?from\s*['"](\.[^'"]+)['"]|import\(\s*['"](\.[^'"]+)['"]\s*\)|^import\s+['"](\.[^'"]+)['"]/gm;
  for (const file of sources(SRC)) {
    const text = readFileSync(file, 'utf8');
    const deps: string[] = [];
    for (const m of text.matchAll(pattern)) {
      const spec = m[1] ?? m[2] ?? m[3];
      const target = resolve(file, spec);
      if (!target) throw new Error(`${path.relative(SRC, file)}: cannot resolve import "${spec}"`);
      if (!/\.(wasm|css|svg|json)$/.test(target)) deps.push(target);
    }
    graph.set(file, deps);
  }
  return graph;
}

/** First folder under src/ ('.' for files directly in src/). */
const folderOf = (file: string) => {
  const rel = path.relative(SRC, file).split(path.sep);
  return rel.length > 1 ? rel[0] : '.';
};

/** Cycles of a directed graph, each as the path that closes it (depth-first, one per back edge). */
function cycles(edges: Map<string, Set<string>>): string[][] {
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const found: string[][] = [];
  const visit = (u: string) => {
    state.set(u, 'open');
    stack.push(u);
    for (const v of edges.get(u) ?? []) {
      if (state.get(v) === 'open') found.push([...stack.slice(stack.indexOf(v)), v]);
      else if (!state.has(v)) visit(v);
    }
    stack.pop();
    state.set(u, 'done');
  };
  for (const u of edges.keys()) if (!state.has(u)) visit(u);
  return found;
}

describe('src/ import structure', () => {
  const graph = importGraph();

  it('reads every source file and finds the imports', () => {
    expect(graph.size).toBeGreaterThan(100);
    expect(graph.get(path.join(SRC, 'grpo/trainer.ts'))).toContain(path.join(SRC, 'common/records.ts'));
  });

  it('has no import cycle between files', () => {
    const edges = new Map([...graph].map(([f, deps]) => [f, new Set(deps)]));
    expect(cycles(edges).map((c) => c.map((f) => path.relative(SRC, f)).join(' -> '))).toEqual([]);
  });

  it('has no two folders importing each other, directly or through others', () => {
    const edges = new Map<string, Set<string>>();
    for (const [file, deps] of graph) {
      const from = folderOf(file);
      if (!edges.has(from)) edges.set(from, new Set());
      for (const d of deps) if (folderOf(d) !== from) edges.get(from)!.add(folderOf(d));
    }
    expect(cycles(edges).map((c) => c.join(' -> '))).toEqual([]);
  });

  it('keeps src/common/ below everything: it imports no other folder', () => {
    const outward = [...graph].filter(([f]) => folderOf(f) === 'common').flatMap(([f, deps]) => deps.filter((d) => folderOf(d) !== 'common').map((d) => `${path.relative(SRC, f)} -> ${path.relative(SRC, d)}`));
    expect(outward).toEqual([]);
  });
});
