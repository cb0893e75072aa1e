import { useView, type XAxisKind } from '../state/view.ts';

const OPTIONS: { value: XAxisKind; label: string }[] = [
  { value: 'step', label: 'Steps' },
  { value: 'flops', label: 'FLOPs' },
  { value: 'time', label: 'Wall time' },
];

/** The x-axis shared by the charts and the stage timeline. */
export function AxisSwitch() {
  const { xAxis, setXAxis } = useView();
  return (
    <div role="radiogroup" aria-label="X axis" className="segmented">
      {OPTIONS.map((o) => (
        <label key={o.value}>
          <input type="radio" name="x-axis" value={o.value} checked={xAxis === o.value} onChange={() => setXAxis(o.value)} />
          {o.label}
        </label>
      ))}
    </div>
  );
}
