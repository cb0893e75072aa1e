import { useEffect } from 'react';
import { useBuilder } from '../state/builder.ts';
import { connect } from '../state/session.ts';
import { BackendBadge } from './BackendBadge.tsx';
import { Builder } from './Builder.tsx';
import { Charts } from './Charts.tsx';
import { Controls } from './Controls.tsx';
import { Queue } from './Queue.tsx';
import { RunsTable } from './RunsTable.tsx';
import { Timeline } from './Timeline.tsx';

export function App() {
  useEffect(() => {
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
          <Controls />
        </div>
        <div className="area-builder">
          <Builder />
        </div>
        <div className="column area-results">
          <Queue />
          <Charts />
          <Timeline />
          <RunsTable />
        </div>
      </main>
    </>
  );
}
