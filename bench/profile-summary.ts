import { readFileSync } from 'node:fs';

/**
 * Summarises a V8 .cpuprofile (`node --cpu-prof`): self time by function and inclusive time by module (package
 * or project file), so a hot spot can be found without a profiler UI.
 */

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

function moduleOf(url: string): string {
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1]!;
  if (url.startsWith('node:')) return url;
  const own = /\/dist\/(.+)$/.exec(url);
  return own ? own[1]! : url || '(native)';
}

export function summarizeProfile(file: string, top = 25): string {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const selfUs = new Map<number, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    selfUs.set(id, (selfUs.get(id) ?? 0) + dt);
    total += dt;
  });
  const byFunction = new Map<string, number>();
  const byModule = new Map<string, number>();
  /** Inclusive time of the mock's own functions (dist/mock-server/…). */
  const byOwnFunction = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const { functionName, url, lineNumber } = nodes.get(id)!.callFrame;
    const key = `${functionName || '(anonymous)'} ${moduleOf(url)}:${lineNumber + 1}`;
    byFunction.set(key, (byFunction.get(key) ?? 0) + us);
    // Inclusive: every module on the stack gets the sample once.
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const frame = nodes.get(cur)!.callFrame;
      const m = moduleOf(frame.url);
      if (!seen.has(m)) {
        seen.add(m);
        byModule.set(m, (byModule.get(m) ?? 0) + us);
      }
      if (m.startsWith('mock-server/')) {
        const f = `${frame.functionName || '(anonymous)'} ${m}:${frame.lineNumber + 1}`;
        if (!seen.has(f)) {
          seen.add(f);
          byOwnFunction.set(f, (byOwnFunction.get(f) ?? 0) + us);
        }
      }
    }
  }
  const idle = [...byFunction].filter(([k]) => k.startsWith('(idle)')).reduce((a, [, v]) => a + v, 0);
  const lines = (map: Map<string, number>) =>
    [...map]
      .filter(([k]) => !k.startsWith('(idle)') && k !== '(native)')
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([k, us]) => `${(us / 1000).toFixed(0).padStart(7)} ms ${((100 * us) / (total - idle)).toFixed(1).padStart(5)}%  ${k}`);
  return [
    `${file}: ${(total / 1000).toFixed(0)} ms sampled, ${(idle / 1000).toFixed(0)} ms idle`,
    'self time by function:',
    ...lines(byFunction),
    'inclusive time by module:',
    ...lines(byModule),
    "inclusive time of the mock's own functions:",
    ...lines(byOwnFunction),
  ].join('\n');
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/.*\/dist\//, '/dist/'))) {
  for (const file of process.argv.slice(2)) console.log(summarizeProfile(file));
}
