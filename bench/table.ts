// The text table `npm run bench` prints: one row per case and build, one column per peer.
import type { BenchRecord } from './harness.js';

export function formatMs(ms: number): string {
  if (ms >= 100) return ms.toFixed(0);
  if (ms >= 10) return ms.toFixed(1);
  if (ms >= 1) return ms.toFixed(2);
  if (ms >= 0.01) return ms.toFixed(3);
  return ms.toPrecision(2);
}

/** Peer names in order of first appearance (edgerun peers come first within each record). */
export function peerColumns(records: BenchRecord[]): string[] {
  const names: string[] = [];
  for (const r of records) for (const p of Object.keys(r.peers)) if (!names.includes(p)) names.push(p);
  return names;
}

export function formatTable(records: BenchRecord[]): string {
  const peers = peerColumns(records);
  const firstPeers = new Set(records.map((r) => Object.keys(r.peers)[0]).filter((p) => p !== undefined));
  // Say which peer a ratio is against only when that differs between rows.
  const showVs = firstPeers.size > 1;
  const withFlops = records.some((r) => r.gflops !== undefined);
  const header = ['case', 'build', 'edgerun ms', ...peers.map((p) => `${p} ms`), 'ratio', ...(showVs ? ['vs'] : []), ...(withFlops ? ['GFLOP/s'] : []), 'check'];
  const rows = records.map((r) => [
    r.name,
    r.build,
    r.edgerun === null ? 'error' : formatMs(r.edgerun),
    ...peers.map((p) => (r.peers[p] === undefined ? '-' : formatMs(r.peers[p]))),
    r.ratio === null ? '-' : `${r.ratio.toFixed(2)}x`,
    ...(showVs ? [Object.keys(r.peers)[0] ?? '-'] : []),
    ...(withFlops ? [r.gflops === undefined ? '-' : r.gflops.toFixed(1)] : []),
    checkCell(r),
  ]);
  const numeric = (col: number) => col >= 2 && header[col] !== 'vs' && header[col] !== 'check';
  const widths = header.map((h, col) => Math.max(h.length, ...rows.map((row) => row[col].length)));
  const line = (cells: string[]) => cells.map((cell, col) => (numeric(col) ? cell.padStart(widths[col]) : cell.padEnd(widths[col]))).join('  ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

function checkCell(r: BenchRecord): string {
  if (r.check !== undefined && r.check !== 'ok') return 'WARNING: output differs from onnxruntime-web';
  if (r.error) return r.check === 'ok' ? 'ok (errors below)' : 'errors below';
  return r.check ?? '-';
}

export const RATIO_NOTE = "ratio = first peer's median / edgerun's (> 1: edgerun is faster)";
