import type { ReactNode } from 'react';

export interface LegendItem { key: string; color: string; name: string }

/** A chart's legend as a list, so screen readers hear the series names the swatches stand for. */
export function Legend({ items, label, className, children }: { items: LegendItem[]; label: string; className: string; children?: ReactNode }) {
  return (
    <ul className={className} aria-label={label}>
      {items.map((l) => (
        <li key={l.key}>
          <span className="swatch" style={{ background: l.color }} aria-hidden="true" />
          {l.name}
        </li>
      ))}
      {children}
    </ul>
  );
}
