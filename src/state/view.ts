import { create } from 'zustand';

/** What the charts and the stage timeline put on their x-axis. */
export type XAxisKind = 'step' | 'flops' | 'time';

export const useView = create<{ xAxis: XAxisKind; setXAxis(x: XAxisKind): void }>((set) => ({
  xAxis: 'step',
  setXAxis: (xAxis) => set({ xAxis }),
}));
