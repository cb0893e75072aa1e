import { useEffect } from 'react';
import { useBuilder } from '../state/builder.ts';
import { initPersistence } from '../state/persist.ts';
import { connect } from '../state/session.ts';
import { loadShareLink } from '../state/share-load.ts';
import { BackendBadge } from './BackendBadge.tsx';
import { Builder } from './Builder.tsx';
import { Panel } from './Panel.tsx';
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
          <Panel name="backend"><BackendBadge /></Panel>
        </div>
      </header>
      {/* Controls come first so that on a phone Start is on the first screen; on a wide screen they sit above the results. */}
      <main className="layout">
        <div className="area-controls">
          <Panel name="share notice"><ShareNotice /></Panel>
          <Panel name="controls"><Controls /></Panel>
          <Panel name="share link"><ShareLink /></Panel>
        </div>
        <div className="area-builder">
          <Panel name="builder"><Builder /></Panel>
        </div>
        <div className="column area-results">
          <Panel name="queue"><Queue /></Panel>
          <Panel name="charts"><Charts /></Panel>
          <Panel name="timeline"><Timeline /></Panel>
          <Panel name="runs"><RunsTable /></Panel>
          <Panel name="suite"><SuiteView /></Panel>
        </div>
      </main>
    </>
  );
}
