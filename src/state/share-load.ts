import { create } from 'zustand';
import { useBuilder, type BuilderState } from './builder.ts';
import { decodeShareLink, encodeShareLink } from './share-link.ts';

interface ShareLoadState {
  /** Why the link in the address bar could not be opened (the builder was left as it was). */
  error: string | null;
  /** What the user should know about a link that did open. */
  warnings: string[];
  dismiss(): void;
}

export const useShareLoad = create<ShareLoadState>((set) => ({
  error: null,
  warnings: [],
  dismiss: () => set({ error: null, warnings: [] }),
}));

/**
 * Applies the share link in `hash` (location.hash) to the builder. A link that cannot be read
 * leaves the builder untouched and says why; runs live in their own store and are never touched.
 * Returns whether the builder changed.
 */
export function loadShareLink(hash: string): boolean {
  if (hash === '' || hash === '#') return false;
  try {
    const { state, warnings } = decodeShareLink(hash);
    useBuilder.setState(state);
    useShareLoad.setState({ error: null, warnings });
    return true;
  } catch (e) {
    useShareLoad.setState({ error: e instanceof Error ? e.message : String(e), warnings: [] });
    return false;
  }
}

/** The address of this page with `s` as its share link (any earlier link replaced). */
export function shareUrl(href: string, s: BuilderState): string {
  return href.split('#')[0] + encodeShareLink(s);
}
