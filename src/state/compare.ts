import { create } from 'zustand';

/** Runs left out of the charts and the comparison (all runs are compared unless unticked). */
export const useCompare = create<{ hidden: readonly string[]; toggle(id: string, shown: boolean): void }>((set) => ({
  hidden: [],
  toggle: (id, shown) => set((s) => ({ hidden: shown ? s.hidden.filter((x) => x !== id) : [...s.hidden.filter((x) => x !== id), id] })),
}));
