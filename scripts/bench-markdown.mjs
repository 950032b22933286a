// Turns `npm run bench -- --json FILE` records into the Markdown table the README shows:
//   node scripts/bench-markdown.mjs FILE
import { readFileSync } from 'node:fs';

const records = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const peers = [...new Set(records.flatMap((r) => Object.keys(r.peers)))];
const fmt = (ms) => (ms === undefined || ms === null ? '–' : ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms.toFixed(2));
const lines = [
  `| case | build | edgerun ms | ${peers.map((p) => `${p} ms`).join(' | ')} | ratio | GFLOP/s |`,
  `|---|---|---:|${peers.map(() => '---:').join('|')}|---:|---:|`,
];
for (const r of records) {
  const ratio = r.ratio === null ? '–' : `${r.ratio.toFixed(2)}×`;
  const gf = r.gflops === undefined ? '' : r.gflops.toFixed(1);
  lines.push(`| ${r.name} | ${r.build} | ${fmt(r.edgerun)} | ${peers.map((p) => fmt(r.peers[p])).join(' | ')} | ${ratio} | ${gf} |`);
}
console.log(lines.join('\n'));
