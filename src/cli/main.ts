import { UsageError, runCli } from './args.ts';

// Loaded on demand: `flops` needs no tensors, so it should not pay for loading tfjs backends.
const COMMANDS: Record<string, () => Promise<(argv: string[]) => Promise<number | void>>> = {
  train: async () => (await import('./train.ts')).trainCommand,
  'growth-check': async () => (await import('./growth-check.ts')).growthCheckCommand,
  flops: async () => (await import('./flops.ts')).flopsCommand,
  garden: async () => (await import('./garden.ts')).gardenCommand,
  bench: async () => (await import('./bench.ts')).benchCommand,
  suite: async () => (await import('./suite.ts')).suiteCommand,
  eval: async () => (await import('./eval.ts')).evalCommand,
};

/** One entry per command: its one-line summary, then its flags. */
const HELP: Record<string, string> = {
  train: `train a mini-BERT over a growth schedule
                (--size tiny|small|deep|lab, --steps N, --seed S, --backend cpu|wasm|webgpu (default wasm), --preset NAME,
                 --schedule FILE.json (stages no preset makes, e.g. hiddenDiv/headsDiv to grow d and heads; "ops": {"msgRamp": R}
                 for MSG or {"ligoSteps": N} for LiGO's learned growth operator, trained N steps at each growth; instead of --preset),
                 --norm pre|post (default pre; each has its own default --lr), --layers, --hidden, --heads, --ffn, --lr,
                 --eval-every N, --eval-batches N (validation set, same for every seed; the curve's points use its first tenth), --out run.json, --json,
                 --save-every N, --checkpoint-out FILE.safetensors, --resume FILE.safetensors, --stop-after STEP,
                 --force (replace existing output files; without it they are refused before training),
                 --reference: the unfused tfjs ops instead of the fused kernels)`,
  'growth-check': `train a tiny model briefly, grow it, compare loss and logits before and after
                (--op ID | --all, --norm pre|post, --backend, --steps N (before growth), --seed S, --json)`,
  flops: `per-stage FLOPs and speed-up of a preset
                (--preset NAME, --model tiny|small|deep|lab|bert-base|bert-large, --total-steps N, --json)`,
  garden: `a preset schedule as a TensorFlow Model Garden (grow_bert) progressive-training YAML
                (--preset NAME, --size tiny|small|deep|lab, --target bert-base|bert-large|lab, --steps N, --batch B, --lr X,
                 --warmup W, --norm pre|post, --out FILE)`,
  bench: `throughput and FLOP/s per backend, and growth schedules' wall time vs FLOPs
                (--out FILE, --backends LIST, --sizes tiny,small,deep,lab, --steps N (timed per backend and size),
                 --reference-sizes LIST|none (also time the unfused path), --schedule-steps N,
                 --schedule-backend cpu|wasm|webgpu|none, --quick,
                 --software-kernels auto|on|off: webgpu's barrier-free programs on software adapters only (auto, the default),
                 on every adapter, or on none (tfjs's tiled programs); the same as GROWLAB_SOFTWARE_KERNELS, which the flag overrides)`,
  suite: `the paper's comparisons over seeds, with paired tests: results.json, report.md and plots in DIR
                (--size tiny|small|deep|lab, --design lab|paper|operators, --seeds K, --out DIR, --backend wasm|cpu|webgpu, --steps N,
                 --eval-batches N (validation set; default the size's full set), --margin NATS (non-inferiority; default: from the baseline budget sweep), --gate-margin NATS,
                 --arms A,B,… (a subset; keeps baseline and smallest), --resume, --no-genre, --json)`,
  eval: `genre classification of held-out Brown passages by a trained encoder (fine-tune and linear probe)
                (--run run.json | --checkpoint FILE | --size S; --random-init: an untrained encoder of that shape,
                 --task genre15|genre4,
                 --mode finetune|probe|both, --pool cls|mean, --steps N, --lr X, --head-lr X (fine-tuning's encoder and classifier peak rates),
                 --backend wasm|cpu, --seed S, --json)`,
};

const line = (cmd: string): string => `  ${cmd.padEnd(14)}${HELP[cmd]}`;
const USAGE = `usage: growlab <command> [flags]   (growlab <command> --help for one command)
commands:
${Object.keys(COMMANDS).map(line).join('\n')}
every command also takes --debug (a stack trace for internal errors)
exit codes: 0 ok, 1 internal error (a bug), 2 bad input (one line saying what to fix), 3 the run diverged`;

/**
 * The whole CLI for one argument list (without `node growlab`): prints what the command prints and
 * returns the exit code instead of exiting, so tests can run it in their own process. The bin
 * script exits with the code.
 */
export async function runGrowlab(args: string[]): Promise<number> {
  const debug = args.includes('--debug');
  return runCli(async () => {
    const [cmd, ...rest] = args.filter((a) => a !== '--debug');
    if (cmd === undefined || cmd === '--help' || cmd === '-h' || cmd === 'help') {
      console.log(USAGE);
      return;
    }
    const load = COMMANDS[cmd];
    if (!load) throw new UsageError(`unknown command "${cmd}" (allowed: ${Object.keys(COMMANDS).join(', ')})`);
    if (rest.includes('--help') || rest.includes('-h')) {
      console.log(`usage: growlab ${cmd} [flags]\n${line(cmd)}`);
      return;
    }
    return (await load())(rest);
  }, debug);
}
