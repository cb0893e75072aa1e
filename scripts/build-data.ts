/** `npm run data` (tsx scripts/build-data.ts [--force] [--out DIR]): builds the corpus shards the app serves. */
import { buildData } from '../src/node/build-data.ts';

const args = process.argv.slice(2);
const unknown = args.filter((a, i) => a !== '--force' && a !== '--out' && args[i - 1] !== '--out');
const outIndex = args.indexOf('--out');
if (unknown.length > 0 || (outIndex >= 0 && !args[outIndex + 1])) {
  console.error(`usage: tsx scripts/build-data.ts [--force] [--out DIR]${unknown.length ? ` (unknown: ${unknown.join(' ')})` : ''}`);
  process.exit(2);
}
await buildData({
  force: args.includes('--force'),
  outDir: outIndex >= 0 ? args[outIndex + 1] : undefined,
  log: (s) => console.log(s),
});
