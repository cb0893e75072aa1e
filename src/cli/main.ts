import { UsageError, runCli } from './args.ts';
import { trainCommand } from './train.ts';

const COMMANDS: Record<string, (argv: string[]) => Promise<void>> = {
  train: trainCommand,
};

const USAGE = `usage: growlab <command> [flags]
commands:
  train         train a mini-BERT over a growth schedule (--size, --steps, --seed, --backend, --preset, --norm, --out, --json)`;

await runCli(async () => {
  const [cmd, ...rest] = process.argv.slice(2);
  if (cmd === undefined || cmd === '--help' || cmd === '-h' || cmd === 'help') {
    console.log(USAGE);
    return;
  }
  const run = COMMANDS[cmd];
  if (!run) throw new UsageError(`unknown command "${cmd}" (allowed: ${Object.keys(COMMANDS).join(', ')})`);
  await run(rest);
});
