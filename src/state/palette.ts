/** Run colours: distinct hues that read on both the light and the dark theme. */
export const RUN_COLORS: readonly string[] = [
  '#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#b07aa1',
  '#76b7b2', '#edc948', '#ff9da7', '#9c755f', '#8f8f8f',
];

/** The first colour no current run uses (cycling once all are taken). */
export function nextColor(used: readonly string[], count: number): string {
  return RUN_COLORS.find((c) => !used.includes(c)) ?? RUN_COLORS[count % RUN_COLORS.length];
}
