import { useEffect } from 'react';
import { useBuilder } from '../state/builder.ts';
import { initPersistence } from '../state/persist.ts';
import { connect } from '../state/session.ts';
import { loadShareLink } from '../state/share-load.ts';
import { BackendBadge } from './BackendBadge.tsx';
import { Builder } from './Builder.tsx';
import { Charts } from './Charts.tsx';
import { Controls } from './Controls.tsx';
import { Queue } from './Queue.tsx';
import { ShareLink } from './ShareLink.tsx';
import { ShareNotice } from './ShareNotice.tsx';
import { RunsTable } from './RunsTable.tsx';
import { SuiteView } from './SuiteView.tsx';
import { Timeline } from './Timeline.tsx';

export function App() {
  useEffect(() => {
    void initPersistence();
    // Before connecting, so a linked backend choice is the one the worker starts on.
    loadShareLink(window.location.hash);
    connect(useBuilder.getState().backend);
  }, []);

  return (
    <>
      <header className="app-header">
        <div>
          <h1>GrowLab</h1>
          <p>Progressive Transformer growth: grow a mini-BERT along depth, width and length while it trains.</p>
        </div>
        <div className="backend-area">
          <BackendBadge />
        </div>
      </header>
      {/* Controls come first so that on a phone Start is on the first screen; on a wide screen they sit above the results. */}
      <main className="layout">
        <div className="area-controls">
          <ShareNotice />
          <Controls />
          <ShareLink />
        </div>
        <div className="area-builder">
          <Builder />
        </div>
        <div className="column area-results">
          <Queue />
          <Charts />
          <Timeline />
          <RunsTable />
          <SuiteView />
        </div>
      </main>
    </>
  );
}
