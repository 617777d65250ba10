import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseToolArgs } from '../src/util/tool-args.js';
import { PROJECT_ROOT } from '../src/paths.js';
import { runCampaign, type CampaignResult } from './engine.js';
import { TARGETS } from './targets/index.js';

const USAGE = `npm run fuzz -- [--seconds N] [--target NAME[,NAME…]] [--seed N] [--no-coverage] [--list]

  --seconds N    total time, shared equally by the targets (default 60)
  --target NAME  only these targets (repeat or comma-separate); --list shows them
  --seed N       PRNG seed (default 1): the same seed replays the same inputs
  --no-coverage  guide by outcomes only (faster per input, blinder)
Escaping inputs are saved to fuzz/regressions/<target>/<id>.bin (the suite replays them);
the report goes to fuzz/results/<time>.json.`;

/** The fuzz campaign: every target (or the chosen ones) for a share of the time; see docs/fuzzing.md. */
async function main(argv: string[]): Promise<number> {
  const parsed = parseToolArgs(
    argv,
    {
      seconds: { type: 'string' },
      target: { type: 'string', multiple: true },
      seed: { type: 'string' },
      'no-coverage': { type: 'boolean' },
      list: { type: 'boolean' },
    },
    USAGE,
  );
  if (typeof parsed === 'number') return parsed;
  const values = parsed as { seconds?: string; target?: string[]; seed?: string; 'no-coverage'?: boolean; list?: boolean };
  if (values.list) {
    for (const t of TARGETS) process.stdout.write(`${t.name.padEnd(20)} ${t.description}\n`);
    return 0;
  }
  const names = (values.target ?? []).flatMap((t) => t.split(',')).filter(Boolean);
  const unknown = names.filter((n) => !TARGETS.some((t) => t.name === n));
  if (unknown.length > 0) {
    process.stderr.write(`unknown target(s): ${unknown.join(', ')} (npm run fuzz -- --list)\n`);
    return 2;
  }
  const targets = names.length > 0 ? TARGETS.filter((t) => names.includes(t.name)) : TARGETS;
  const seconds = Number(values.seconds ?? 60);
  const seed = Number(values.seed ?? 1);
  if (!(seconds > 0) || !Number.isInteger(seed)) {
    process.stderr.write(`--seconds must be > 0 and --seed an integer\n`);
    return 2;
  }
  const coverage = !values['no-coverage'];
  const share = seconds / targets.length;
  process.stdout.write(
    `fuzzing ${targets.length} target(s) for ${seconds} s (${share.toFixed(1)} s each), seed ${seed}, ${coverage ? 'coverage-guided (V8 block coverage)' : 'outcome-guided'}\n\n`,
  );
  process.stdout.write(
    `${'target'.padEnd(20)} ${'inputs'.padStart(10)} ${'inputs/s'.padStart(9)} ${'outcomes'.padStart(8)} ${'blocks'.padStart(7)} ${'corpus'.padStart(7)} ${'slowest'.padStart(9)}  escapes\n`,
  );
  const results: CampaignResult[] = [];
  for (const t of targets) {
    const r = await runCampaign(t, { seconds: share, seed, coverage });
    results.push(r);
    process.stdout.write(
      `${r.target.padEnd(20)} ${String(r.inputs).padStart(10)} ${Math.round(r.inputsPerSecond).toString().padStart(9)} ${String(r.outcomes).padStart(8)} ${String(r.blocks ?? '-').padStart(7)} ${String(r.corpus).padStart(7)} ${`${r.slowestMs.toFixed(1)}ms`.padStart(9)}  ${r.escapes.length}\n`,
    );
    for (const e of r.escapes) {
      const dir = join(PROJECT_ROOT, 'fuzz', 'regressions', r.target);
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, `${e.id}.bin`), e.input);
      writeFileSync(join(dir, `${e.id}.txt`), `${e.error}\n`);
      process.stdout.write(`  ESCAPE ${e.error}\n    saved as fuzz/regressions/${r.target}/${e.id}.bin (${e.input.length} bytes)\n`);
    }
  }
  const total = results.reduce((n, r) => n + r.inputs, 0);
  const escapes = results.reduce((n, r) => n + r.escapes.length, 0);
  process.stdout.write(`\n${total} inputs in ${seconds} s, ${escapes} escaping input(s)\n`);
  const outDir = join(PROJECT_ROOT, 'fuzz', 'results');
  mkdirSync(outDir, { recursive: true });
  const file = join(outDir, `${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(
    file,
    JSON.stringify(
      {
        seconds,
        seed,
        coverage,
        node: process.version,
        results: results.map((r) => ({ ...r, escapes: r.escapes.map((e) => ({ id: e.id, error: e.error, bytes: e.input.length })) })),
      },
      null,
      2,
    ),
  );
  process.stdout.write(`report: ${file}\n`);
  return escapes > 0 ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`fuzz failed: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(3);
  },
);
