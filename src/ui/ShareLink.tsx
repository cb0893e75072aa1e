import { useId, useState } from 'react';
import { useBuilder } from '../state/builder.ts';
import { encodeShareLink } from '../state/share-link.ts';
import { shareUrl } from '../state/share-load.ts';

type Copy = 'copying' | 'copied' | 'manual';

/** Puts the builder's share link in the address bar and on the clipboard, and shows it. */
export function ShareLink() {
  const id = useId();
  const builder = useBuilder();
  const [link, setLink] = useState<string | null>(null);
  const [copy, setCopy] = useState<Copy>('copying');

  const share = async () => {
    const url = shareUrl(window.location.href, useBuilder.getState());
    // replaceState: sharing should not add a Back step per click.
    window.history.replaceState(window.history.state, '', url);
    setLink(url);
    setCopy('copying');
    try {
      // navigator.clipboard is missing outside secure contexts and may be refused (headless, no focus).
      if (!navigator.clipboard) throw new Error('no clipboard');
      await navigator.clipboard.writeText(url);
      setCopy('copied');
    } catch {
      setCopy('manual');
    }
  };

  const stale = link !== null && !link.endsWith(encodeShareLink(builder));
  return (
    <section aria-label="Share" className="panel share-link">
      <button type="button" onClick={() => void share()}>
        Copy share link
      </button>
      {link ? (
        <div className="field">
          <label htmlFor={id}>Share link</label>
          <input id={id} type="text" readOnly value={link} onFocus={(e) => e.currentTarget.select()} />
          <p className="hint" role="status">
            {stale
              ? 'The builder changed since this link was made: copy it again to share the changes.'
              : copy === 'copied'
                ? 'Copied to the clipboard; it is also in the address bar.'
                : copy === 'manual'
                  ? 'The clipboard is not available here: select the link above and copy it.'
                  : 'Copying…'}
          </p>
        </div>
      ) : (
        <p className="hint">A link that opens this builder as it is now (model, training settings and schedule).</p>
      )}
    </section>
  );
}
