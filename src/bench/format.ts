/**
 * The benchmark report as plain text: header with the adapters, the table, the matmul peaks and the ratios.
 * The same text is printed by scripts/bench.mjs and shown on bench.html.
 */
import { BYTES_PER_MIB, formatMs } from '../core/format';
import type { BenchRatio, BenchReport, BenchRow, EngineCell, EngineComparison, StartupSummary } from './types';

const NA = 'n/a';

const fixed = (v: number | null, digits: number) => (v === null ? NA : v.toFixed(digits));
/** Table cells carry no unit (the column header has it): MiB with two fixed decimals, as the app counts memory. */
const mebibytes = (v: number | null) => (v === null ? NA : (v / BYTES_PER_MIB).toFixed(2));

function medianCell(row: BenchRow): string {
  if (row.medianStepMs === null) return NA;
  const spread = row.p10StepMs !== null && row.p90StepMs !== null ? ` (${row.p10StepMs.toFixed(0)}–${row.p90StepMs.toFixed(0)})` : '';
  return `${row.medianStepMs.toFixed(0)}${spread} n=${row.steadySteps}${row.runs > 1 ? ` (${row.runs} runs)` : ''}`;
}

function trueCell(row: BenchRow): string {
  if (row.kind === 'plain') return '–';
  if (row.truePeakBytes === null) return NA;
  return `${mebibytes(row.truePeakBytes)}${row.truePeakSource?.includes('sampled') ? '*' : ''}`;
}

function table(headers: string[], rows: string[][], rightAligned: Set<number>): string[] {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (rightAligned.has(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(headers), widths.map((w) => '─'.repeat(w)).join('  '), ...rows.map(line)];
}

/** Breaks text into lines of at most `width` characters (words kept whole), each prefixed with `indent`. */
function wrap(text: string, indent: string, width = 120): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line && indent.length + line.length + 1 + word.length > width) {
      lines.push(indent + line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(indent + line);
  return lines;
}

function ratioLines(ratio: BenchRatio): string[] {
  const value = ratio.value === null ? NA : ratio.value.toFixed(3);
  const target = ratio.target ? `target ${ratio.target}` : '';
  const indent = ' '.repeat(8);
  const lines = [`  ${ratio.verdict.padEnd(4)}  ${value.padStart(7)}  ${target.padEnd(12)}  ${ratio.name}`];
  lines.push(`${indent}= ${ratio.formula}`);
  if (ratio.note) lines.push(...wrap(ratio.note, `${indent}  `));
  return lines;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

function startupLines(startup: StartupSummary): string[] {
  const out = [`Start-up: page open → first trained step of the default run (${startup.loads} fresh page load(s) of the app's page, `
    + 'Run pressed from the page as soon as it is enabled; target ≤ 4 s on the software adapter)'];
  const loads = startup.firstStepMs.map(seconds).join(', ');
  out.push(`  ${startup.verdict.padEnd(4)}  ${startup.medianMs === null ? NA : seconds(startup.medianMs)}  median of ${loads || 'no load'}`);
  out.push('  Wall time from navigation start (the page\'s performance.timeOrigin) to the page receiving the first step event: page and '
    + 'worker code loading, backend start, dataset fetch and decode, model build, upload, shader compilation and one optimizer step '
    + 'read back. When each stage came (median ms since navigation start; worker marks put on the page\'s clock):');
  out.push(...table(['ms', 'mark', 'meaning'], startup.marks.map((m) => [m.medianMs.toFixed(0), m.name, m.meaning]), new Set([0]))
    .map((line) => `    ${line}`));
  for (const error of startup.errors) out.push(`  ${error}`);
  return out;
}

const stepCell = (cell: EngineCell | null) => (cell === null ? '–' : cell.medianStepMs === null ? cell.status : cell.medianStepMs.toFixed(0));
const peakCell = (cell: EngineCell | null) => (cell?.peakFraction == null ? '–' : cell.peakFraction.toFixed(3));

function engineLines(engines: EngineComparison[]): string[] {
  const rows = engines.map((e) => [
    e.config, e.fusedFellBack ? 'not covered' : stepCell(e.fused), stepCell(e.tfjsWebgpu), stepCell(e.webgl),
    fixed(e.fusedOverTfjs, 3), fixed(e.fusedOverWebgl, 3), fixed(e.tfjsOverWebgl, 3),
    peakCell(e.fused), peakCell(e.tfjsWebgpu), peakCell(e.webgl),
  ]);
  const out = ['Engines side by side: median step ms, step-time ratios, achieved training GFLOP/s ÷ matmul peak of the same backend'];
  out.push(...table(['config', 'fused ms', 'tfjs-webgpu ms', 'webgl ms', 'fused÷tfjs', 'fused÷webgl', 'tfjs÷webgl',
    'fused/peak', 'tfjs-webgpu/peak', 'webgl/peak'], rows, new Set([1, 2, 3, 4, 5, 6, 7, 8, 9])).map((line) => `  ${line}`));
  out.push('  fused: wall time of a read-back window (8 steps) ÷ its steps; tfjs: each step\'s wall time including its loss read-back. '
    + 'Achieved = training FLOPs per example (3 × forward) × samples/s at the median step. "not covered": the fused job trained on tfjs\'s '
    + 'kernels (reason below), so the tfjs-webgpu figures are the tfjs ones.');
  for (const e of engines.filter((x) => x.fusedFellBack)) out.push(...wrap(`${e.config}: ${e.fusedFellBack}`, '    '));
  return out;
}

/** The table of trainer and plain-loop rows with its notes (nothing when the run had only the startup job). */
function rowLines(report: BenchReport): string[] {
  if (report.rows.length === 0) return [];
  const out: string[] = [];
  const headers = ['#', 'config', 'backend', 'adapter', 'compile s', 'first step ms', 'median step ms (p10–p90) n', 'samples/s',
    'true MiB', 'held MiB', 'logical MiB', 'est. MiB', 'val acc', 'status'];
  const cells = report.rows.map((row, i) => [
    String(i + 1),
    row.label,
    row.backend,
    row.adapter ?? NA,
    row.compileMs === null ? (row.backend === 'webgpu' && row.kind === 'trainer' ? NA : '–') : (row.compileMs / 1000).toFixed(1),
    fixed(row.firstStepMs, 0),
    medianCell(row),
    fixed(row.samplesPerSec, 1),
    trueCell(row),
    row.kind === 'plain' ? '–' : mebibytes(row.allocatedBytes),
    row.kind === 'plain' ? '–' : mebibytes(row.logicalPeakBytes),
    row.kind === 'plain' ? '–' : mebibytes(row.estimatedBytes),
    row.kind === 'plain' ? '–' : fixed(row.valAccuracy, 3),
    row.status,
  ]);
  out.push(...table(headers, cells, new Set([0, 4, 5, 7, 8, 9, 10, 11, 12])));
  out.push('  MiB = 2^20 bytes. true = most bytes in use at once (* = WebGL numBytesInGPU sampled after each step: a lower bound, '
    + 'float32-sized whatever the texture format). held = most bytes the backend held, pooled free buffers/textures included. '
    + '– = not measured for this kind of row.');
  out.push('  compile = WebGPU parallel shader pre-compilation before step 1; "first step" excludes it for the trainer and includes it for the plain loop.');
  const problems = report.rows.filter((r) => r.status !== 'done' || (r.kind === 'trainer' && r.truePeakBytes === null && r.truePeakNote));
  for (const row of problems) {
    const i = report.rows.indexOf(row) + 1;
    out.push(`  #${i} ${row.status !== 'done' ? `${row.status}: ${row.reason ?? 'no reason given'}` : `true peak n/a: ${row.truePeakNote}`}`);
  }
  out.push('');
  return out;
}

export function formatReport(report: BenchReport): string {
  const out: string[] = [];
  out.push(`WebGPU Training Playground benchmark: grid "${report.grid}"`);
  out.push(`  ${report.gridDescription}`);
  out.push(`  started ${report.startedAt}, took ${formatMs(report.durationMs)}`);
  out.push(`  browser: ${report.userAgent}`);
  out.push('');
  out.push('Adapters (the "adapter" column):');
  for (const a of report.adapters) out.push(`  ${a.key}  ${a.description}`);
  for (const probe of report.probes.filter((p) => !p.environment)) out.push(`  -  ${probe.backend}: unavailable: ${probe.error}`);
  if (report.adapters.some((a) => a.webgpu?.isFallbackAdapter)) {
    out.push('  Note: the WebGPU adapter is a fallback (software) adapter: its times are CPU emulation; read ratios, not absolute figures.');
  }
  out.push('');

  out.push(...rowLines(report));

  if (report.matmul.length) {
    out.push('Matmul peak (tf.matMul, float32, square, 2·n³ FLOPs per product):');
    out.push(...table(['backend', 'adapter', 'size', 'reps', 'ms', 'GFLOP/s'], report.matmul.flatMap((m) => m.bySize.map((s) => [
      m.backend, m.adapter ?? NA, `${s.size}×${s.size}`, String(s.reps), s.ms.toFixed(0),
      `${s.gflops.toFixed(2)}${s.size === m.bestSize ? ' (peak)' : ''}`,
    ])), new Set([3, 4, 5])).map((l) => `  ${l}`));
    out.push('');
  }

  if (report.startup) out.push(...startupLines(report.startup), '');
  if (report.engines.length) out.push(...engineLines(report.engines), '');

  out.push('Ratios: every pair measured side by side in this run; PASS/MISS only where the issue sets a target, info otherwise.');
  for (const section of report.ratioSections) {
    const ratios = report.ratios.filter((r) => r.section === section.id);
    if (ratios.length === 0) continue;
    out.push('');
    out.push(`${section.title}`);
    out.push(...wrap(section.intro, '  '));
    for (const ratio of ratios) out.push(...ratioLines(ratio));
  }
  const verdicts = report.ratios.filter((r) => r.verdict === 'PASS' || r.verdict === 'MISS');
  const missed = verdicts.filter((r) => r.verdict === 'MISS').length;
  out.push('');
  out.push(`Targets: ${verdicts.length - missed} PASS, ${missed} MISS, ${report.ratios.filter((r) => r.verdict === 'n/a').length} ratios n/a.`);
  return out.join('\n');
}
