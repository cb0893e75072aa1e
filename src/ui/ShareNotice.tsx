import { useEffect } from 'react';
import { useBuilder } from '../state/builder.ts';
import { connect, useSession } from '../state/session.ts';
import { loadShareLink, useShareLoad } from '../state/share-load.ts';

/** What happened to the share link the page was opened with; also opens links pasted into the address bar later. */
export function ShareNotice() {
  const { error, warnings, dismiss } = useShareLoad();

  useEffect(() => {
    const onHash = () => {
      if (!loadShareLink(window.location.hash)) return;
      const { backend } = useBuilder.getState();
      if (backend !== useSession.getState().requested) connect(backend);
    };
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);

  if (error) {
    return (
      <div className="banner error" role="alert">
        The share link could not be opened: {error}. The builder was left as it was and stored runs are untouched; ask for the link
        again or fix it in the address bar.{' '}
        <button type="button" className="small" onClick={dismiss}>
          Dismiss
        </button>
      </div>
    );
  }
  if (warnings.length === 0) return null;
  return (
    <div className="banner warn" role="note" aria-label="Share link notes">
      Opened the share link. {warnings.join(' ')}{' '}
      <button type="button" className="small" onClick={dismiss}>
        Dismiss
      </button>
    </div>
  );
}
