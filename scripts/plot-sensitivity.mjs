// Pruning sensitivity of the digits models as an SVG: test accuracy against the sparsity of ONE
// layer at a time, for plain magnitude pruning (tfmot's rule, dashed) and for activation-aware
// pruning with the least-squares re-fit on the calibration inputs (solid).
//   node --import tsx scripts/plot-sensitivity.mjs [out.svg]     (default docs/pruning-sensitivity.svg)
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { importModel } from '../engine/onnx/import.ts';
import { Calibration } from '../engine/compress/prune.ts';
import { sensitivity } from '../engine/compress/sensitivity.ts';
import { readFixture, readTensorFixture } from '../test/helpers/fixtures.ts';

const out = process.argv[2] ?? 'docs/pruning-sensitivity.svg';
const x = readTensorFixture('digits', 'digits_test_x.pb');
const labels = readTensorFixture('digits', 'digits_test_y.pb');
const calibX = readTensorFixture('digits', 'digits_calib_x.pb');
const candidates = [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95, 0.98];

const panels = [];
for (const [model, title] of [['digits_mlp', 'MLP (64-128-64-10)'], ['digits_lenet', 'LeNet (2 conv + fc)']]) {
  const g = importModel(readFixture('digits', `${model}.onnx`));
  const plain = sensitivity(g, { x, labels }, { candidates });
  const refit = sensitivity(g, { x, labels }, { candidates, prune: { calibration: new Calibration(g, calibX) } });
  panels.push({ title, baseline: plain.baseline, plain: plain.layers, refit: refit.layers });
}

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd'];
const W = 460;
const H = 390;
const M = { left: 52, right: 16, top: 34, bottom: 96 };
const pw = W - M.left - M.right;
const ph = H - M.top - M.bottom;
const px = (s) => M.left + s * pw;
const py = (a) => M.top + (1 - a) * ph;
const esc = (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

function panel(p, dx) {
  const parts = [`<g transform="translate(${dx},0)">`, `<text x="${M.left + pw / 2}" y="20" text-anchor="middle" font-weight="bold">${esc(p.title)}</text>`];
  for (let a = 0; a <= 1.0001; a += 0.2) {
    parts.push(`<line x1="${M.left}" x2="${M.left + pw}" y1="${py(a)}" y2="${py(a)}" stroke="#ddd"/>`);
    parts.push(`<text x="${M.left - 6}" y="${py(a) + 4}" text-anchor="end">${Math.round(a * 100)}%</text>`);
  }
  for (let s = 0; s <= 1.0001; s += 0.2) {
    parts.push(`<line x1="${px(s)}" x2="${px(s)}" y1="${M.top}" y2="${M.top + ph}" stroke="#eee"/>`);
    parts.push(`<text x="${px(s)}" y="${M.top + ph + 16}" text-anchor="middle">${Math.round(s * 100)}%</text>`);
  }
  parts.push(`<text x="${M.left + pw / 2}" y="${M.top + ph + 32}" text-anchor="middle">sparsity of the one pruned layer</text>`);
  parts.push(`<line x1="${M.left}" x2="${M.left + pw}" y1="${py(p.baseline)}" y2="${py(p.baseline)}" stroke="#000" stroke-dasharray="2 3"/>`);
  parts.push(`<text x="${M.left + 4}" y="${py(p.baseline) + 14}" font-size="10">float ${(p.baseline * 100).toFixed(1)}%</text>`);
  p.refit.forEach((layer, i) => {
    const line = (pts, dash) =>
      `<polyline fill="none" stroke="${COLORS[i % COLORS.length]}" stroke-width="2" ${dash ? 'stroke-dasharray="5 4" opacity="0.7"' : ''} points="${pts.map((q) => `${px(q.sparsity).toFixed(1)},${py(q.accuracy).toFixed(1)}`).join(' ')}"/>`;
    parts.push(line(p.plain[i].points, true), line(layer.points, false));
    const ly = M.top + ph + 52 + 15 * i;
    parts.push(`<line x1="${M.left}" x2="${M.left + 24}" y1="${ly - 4}" y2="${ly - 4}" stroke="${COLORS[i % COLORS.length]}" stroke-width="2"/>`);
    parts.push(`<text x="${M.left + 30}" y="${ly}" fill="${COLORS[i % COLORS.length]}">${esc(layer.name)} (${layer.size} weights)</text>`);
  });
  parts.push(`<rect x="${M.left}" y="${M.top}" width="${pw}" height="${ph}" fill="none" stroke="#888"/>`, '</g>');
  return parts.join('\n');
}

const svg = [
  `<svg xmlns="http://www.w3.org/2000/svg" width="${2 * W}" height="${H + 24}" font-family="sans-serif" font-size="12">`,
  `<rect width="100%" height="100%" fill="#fff"/>`,
  panels.map((p, i) => panel(p, i * W)).join('\n'),
  `<text x="${W}" y="${H + 16}" text-anchor="middle" font-size="11" fill="#444">digits test split (360 images); dashed: |w| magnitude pruning (tfmot); solid: |w|·‖x‖ scores + least-squares re-fit on 256 calibration images</text>`,
  '</svg>',
].join('\n');
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, svg);
console.log(`wrote ${out}`);
