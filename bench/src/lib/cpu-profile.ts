import { readFile } from 'node:fs/promises';

/** Reading V8 `.cpuprofile` files (from `node --cpu-prof` or the inspector) into a short summary. */

interface CallFrame {
  readonly functionName: string;
  readonly url: string;
  readonly lineNumber: number;
}

interface ProfileNode {
  readonly id: number;
  readonly callFrame: CallFrame;
  readonly children?: readonly number[];
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly startTime: number;
  readonly endTime: number;
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

export interface FrameCost {
  readonly frame: string;
  readonly area: string;
  /** Share of all sampled time (idle included), 0..1. */
  readonly self: number;
  readonly total: number;
}

export interface ProfileSummary {
  readonly file: string;
  readonly ms: number;
  /** Share of the window the thread was busy (not "(idle)"). */
  readonly busy: number;
  /** Self time by area (grpc-js, http2, generated codecs, registry, GC, …), shares of busy time. */
  readonly areas: readonly { readonly area: string; readonly share: number }[];
  /** Functions by self time, shares of busy time. */
  readonly topSelf: readonly FrameCost[];
  /** Functions by inclusive time, shares of busy time. */
  readonly topTotal: readonly FrameCost[];
}

/** Which part of the stack a frame belongs to. */
function areaOf(frame: CallFrame): string {
  const { url, functionName } = frame;
  if (url === '') {
    if (functionName === '(garbage collector)') return 'GC';
    if (functionName === '(idle)') return 'idle';
    if (functionName === '(program)') return 'V8/native (program)';
    if (functionName === '(root)') return 'root';
    return 'native';
  }
  if (url.includes('/@grpc/grpc-js/')) return 'grpc-js';
  if (url.includes('/@bufbuild/protobuf/')) return 'protobuf wire (@bufbuild)';
  if (url.includes('/protocol/dist/gen/')) return 'generated codecs (ts-proto)';
  if (url.includes('/packages/protocol/')) return 'kompart protocol';
  if (url.includes('/packages/registry-server/')) return 'kompart registry-server';
  if (url.includes('/packages/peer/')) return 'kompart peer';
  if (url.includes('/packages/kompart/')) return 'kompart cli';
  if (url.includes('/bench/')) return 'bench harness';
  if (url.includes('/node_modules/')) return `npm: ${url.split('/node_modules/').pop()!.split('/')[0]}`;
  if (url.startsWith('node:internal/http2')) return 'node http2';
  if (url.startsWith('node:internal/streams') || url.startsWith('node:stream')) return 'node streams';
  if (url.startsWith('node:internal/fs') || url.startsWith('node:fs')) return 'node fs';
  if (url.startsWith('node:internal/crypto') || url.startsWith('node:crypto')) return 'node crypto';
  if (url.startsWith('node:')) return 'node other';
  return 'other';
}

function frameLabel(frame: CallFrame): string {
  const name = frame.functionName === '' ? '(anonymous)' : frame.functionName;
  if (frame.url === '') return name;
  const short = frame.url
    .replace(/^file:\/\//, '')
    .replace(/^.*\/node_modules\//, '')
    .replace(/^.*\/packages\//, '');
  return `${name} ${short}:${frame.lineNumber + 1}`;
}

export async function summarizeProfile(file: string, top = 15): Promise<ProfileSummary> {
  const profile = JSON.parse(await readFile(file, 'utf8')) as CpuProfile;
  const byId = new Map<number, ProfileNode>(profile.nodes.map((node) => [node.id, node]));
  const self = new Map<number, number>();
  // Sample k lasts until sample k+1; the last one until the end of the profile.
  let at = profile.startTime;
  const stamps = profile.timeDeltas.map((delta) => (at += delta));
  for (let k = 0; k < profile.samples.length; k++) {
    const duration = (k + 1 < stamps.length ? stamps[k + 1]! : profile.endTime) - stamps[k]!;
    const id = profile.samples[k]!;
    self.set(id, (self.get(id) ?? 0) + Math.max(0, duration));
  }
  const totalTime = [...self.values()].reduce((a, b) => a + b, 0);
  let idle = 0;
  const areaTime = new Map<string, number>();
  const selfByFrame = new Map<string, { area: string; time: number }>();
  const inclusive = new Map<string, number>();

  // Depth-first walk with the labels on the current path, so that inclusive time counts a
  // recursive function once per sample.
  const root = profile.nodes[0]!;
  const onPath = new Map<string, number>();
  const walk = (node: ProfileNode): void => {
    const label = frameLabel(node.callFrame);
    const area = areaOf(node.callFrame);
    const time = self.get(node.id) ?? 0;
    if (area === 'idle') idle += time;
    else if (area !== 'root') {
      areaTime.set(area, (areaTime.get(area) ?? 0) + time);
      const entry = selfByFrame.get(label) ?? { area, time: 0 };
      entry.time += time;
      selfByFrame.set(label, entry);
    }
    onPath.set(label, (onPath.get(label) ?? 0) + 1);
    if (onPath.get(label) === 1 && area !== 'idle' && area !== 'root') inclusive.set(label, (inclusive.get(label) ?? 0) + subtreeTime(node));
    for (const child of node.children ?? []) walk(byId.get(child)!);
    onPath.set(label, onPath.get(label)! - 1);
  };
  const subtreeMemo = new Map<number, number>();
  const subtreeTime = (node: ProfileNode): number => {
    const known = subtreeMemo.get(node.id);
    if (known !== undefined) return known;
    let sum = self.get(node.id) ?? 0;
    for (const child of node.children ?? []) sum += subtreeTime(byId.get(child)!);
    subtreeMemo.set(node.id, sum);
    return sum;
  };
  walk(root);

  const busyTime = Math.max(1, totalTime - idle);
  const areas = [...areaTime.entries()].map(([area, time]) => ({ area, share: time / busyTime })).sort((a, b) => b.share - a.share);
  const frames = [...selfByFrame.entries()].map(([frame, { area, time }]) => ({
    frame,
    area,
    self: time / busyTime,
    total: (inclusive.get(frame) ?? time) / busyTime,
  }));
  return {
    file,
    ms: (profile.endTime - profile.startTime) / 1000,
    busy: busyTime / Math.max(1, totalTime),
    areas,
    topSelf: [...frames].sort((a, b) => b.self - a.self).slice(0, top),
    topTotal: [...frames].sort((a, b) => b.total - a.total).slice(0, top),
  };
}

export function formatProfile(summary: ProfileSummary): string {
  const pct = (x: number): string => `${(x * 100).toFixed(1).padStart(5)} %`;
  const lines = [
    `profile ${summary.file}: ${summary.ms.toFixed(0)} ms sampled, busy ${pct(summary.busy)} (shares below are of busy time)`,
    '  by area (self time):',
    ...summary.areas.filter((a) => a.share >= 0.005).map((a) => `    ${pct(a.share)}  ${a.area}`),
    '  top functions, self time:',
    ...summary.topSelf.map((f) => `    ${pct(f.self)}  ${f.frame}  [${f.area}]`),
    '  top functions, inclusive time:',
    ...summary.topTotal.map((f) => `    ${pct(f.total)}  ${f.frame}  [${f.area}]`),
  ];
  return lines.join('\n');
}
