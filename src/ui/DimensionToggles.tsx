import { SIZES } from '../core/model/config.ts';
import { factorizeRank } from '../core/schedule/presets.ts';
import { DEPTH_OP_NAMES, POOL_REDUCES } from '../core/schedule/spec.ts';
import { GROWTH_OPERATORS, MSG_LEFT_OUT } from '../core/growth/registry.ts';
import { useBuilder } from '../state/builder.ts';
import { headsOperators, hiddenOperators, type Dims } from '../state/dims.ts';
import { issueFor } from '../state/issue.ts';
import { NumberField, SelectField } from './Fields.tsx';
import { useBuilt } from './useBuilt.ts';

const describe = (id: string) => GROWTH_OPERATORS.find((o) => o.id === id)?.description;

/**
 * One toggle per growth dimension with its operator and factor; switching a dimension on or off,
 * or changing a factor, rebuilds the schedule on CompoundGrow's timing.
 */
export function DimensionToggles() {
  const { dims, setDims, source, size } = useBuilder();
  const { issues } = useBuilt();
  const update = (patch: Partial<{ [K in keyof Dims]: Partial<Dims[K]> }>) =>
    setDims({
      depth: { ...dims.depth, ...patch.depth },
      width: { ...dims.width, ...patch.width },
      length: { ...dims.length, ...patch.length },
      hidden: { ...dims.hidden, ...patch.hidden },
      msg: { ...dims.msg, ...patch.msg },
      ligo: { ...dims.ligo, ...patch.ligo },
    });
  // Stage-shape problems of a generated schedule come from the toggles' factors.
  const generated = source !== 'hand';
  const err = (own: string, stageField: RegExp) => issueFor(issues, own) ?? (generated ? issueFor(issues, stageField) : null);
  const { depth, width, length, hidden, msg, ligo } = dims;
  const hiddenOps = hiddenOperators();

  return (
    <fieldset>
      <legend>Growth dimensions</legend>
      <div className="toggle-row">
        <label className="check">
          <input type="checkbox" checked={depth.on} onChange={(e) => update({ depth: { on: e.target.checked } })} />
          Grow depth
        </label>
        <div className="grid2">
          <SelectField
            label="Depth operator"
            value={depth.op}
            options={DEPTH_OP_NAMES}
            onChange={(op) => update({ depth: { op } })}
            error={issueFor(issues, 'ops.depth')}
          />
          <NumberField
            label="Depth factor"
            value={depth.factor}
            step={1}
            min={2}
            disabled={!depth.on}
            onChange={(factor) => update({ depth: { factor } })}
            error={err('dims.depth.factor', /^stages\[\d+\]\.(shape\.layers|model\.)/)}
          />
        </div>
      </div>
      <p className="hint">{describe(`depth.${depth.op}`)}</p>

      <div className="toggle-row">
        <label className="check">
          <input type="checkbox" checked={width.on} onChange={(e) => update({ width: { on: e.target.checked } })} />
          Grow width
        </label>
        <div className="grid2">
          <SelectField
            label="Width operator"
            value={width.mode}
            options={[
              { value: 'share', label: 'share k' },
              { value: 'factorize', label: 'factorize h' },
              { value: 'random', label: 'random k' },
            ]}
            onChange={(mode) =>
              update({
                width: { mode, factor: mode === 'factorize' ? factorizeRank(SIZES[size].model) : width.mode === 'factorize' ? 2 : width.factor },
              })
            }
            error={issueFor(issues, 'ops.width')}
          />
          <NumberField
            label={width.mode === 'factorize' ? 'Width rank h' : 'Width factor k'}
            value={width.factor}
            step={1}
            min={1}
            disabled={!width.on}
            onChange={(factor) => update({ width: { factor } })}
            error={err('dims.width.factor', /^stages\[\d+\]\.shape\.(ffnDiv|ffnRank)$/)}
          />
          {width.mode === 'share' ? (
            <NumberField
              label="Share noise ε"
              value={width.noise}
              step={0.001}
              min={0}
              disabled={!width.on}
              onChange={(noise) => update({ width: { noise } })}
              error={issueFor(issues, 'ops.widthNoise')}
            />
          ) : null}
        </div>
      </div>

      <div className="toggle-row">
        <label className="check">
          <input type="checkbox" checked={length.on} onChange={(e) => update({ length: { on: e.target.checked } })} />
          Grow length
        </label>
        <div className="grid2">
          <SelectField
            label="Length operator"
            value={length.mode}
            options={[
              { value: 'truncate', label: 'truncate k' },
              { value: 'pool', label: 'pool k' },
            ]}
            onChange={(mode) => update({ length: { mode } })}
          />
          <NumberField
            label="Length factor k"
            value={length.factor}
            step={1}
            min={2}
            disabled={!length.on}
            onChange={(factor) => update({ length: { factor } })}
            error={err('dims.length.factor', /^stages\[\d+\]\.shape\.(length|lengthFactor)$/)}
          />
          {length.mode === 'pool' ? (
            <SelectField label="Pool reduction" value={length.reduce} options={POOL_REDUCES} onChange={(reduce) => update({ length: { reduce } })} />
          ) : null}
        </div>
      </div>
      <div className="toggle-row">
        <label className="check">
          <input type="checkbox" checked={hidden.on} onChange={(e) => update({ hidden: { on: e.target.checked } })} />
          Grow hidden
        </label>
        <div className="grid2">
          <SelectField
            label="Hidden operator"
            value={hidden.op}
            options={hiddenOps.map(({ op, operator }) => ({ value: op, label: operator.name }))}
            onChange={(op) => update({ hidden: { op } })}
            error={issueFor(issues, 'ops.hidden')}
          />
          <NumberField
            label="Hidden factor k"
            value={hidden.factor}
            step={1}
            min={2}
            disabled={!hidden.on}
            hint="d/k, then d"
            onChange={(factor) => update({ hidden: { factor } })}
            error={err('dims.hidden.factor', /^stages\[\d+\]\.shape\.hiddenDiv$/)}
          />
          <NumberField
            label="Heads factor m"
            value={hidden.heads}
            step={1}
            min={1}
            disabled={!hidden.on}
            hint="H/m, then H"
            onChange={(heads) => update({ hidden: { heads } })}
            error={err('dims.hidden.heads', /^stages\[\d+\]\.(shape\.headsDiv|model\.heads)$/)}
          />
        </div>
      </div>
      <p className="hint">{describe(`hidden.${hidden.op}`)}</p>
      {hidden.on ? (
        <p className="hint">
          The heads grow by {headsOperators().map((o) => `${o.id} (${o.name.toLowerCase()})`).join(' or ')}, which keeps the head dimension and grows d with
          them; the hidden operator grows the head dimension. With m = k only the heads grow; with m = 1 only the head dimension.
        </p>
      ) : null}
      <ModeToggle
        label="Masked growth (MSG)"
        on={msg.on}
        onToggle={(on) => update({ msg: { on } })}
        field={{ label: 'Mask ramp (steps)', value: msg.ramp, hint: '0 → 1 after each growth', error: issueFor(issues, 'ops.msgRamp'), onChange: (ramp) => update({ msg: { ramp } }) }}
        about={
          msg.on
            ? `New layers, FFN units, heads and head-dimension units are multiplied by a mask that ramps from 0 to 1 over ${msg.ramp} steps after each growth (LayerNorms weigh new units by it), so every growth starts from the same function (pre- and post-LN); then the mask is gone. Length growth is not masked: ${MSG_LEFT_OUT['length.*']}`
            : 'Off: growth operators act as described above.'
        }
      />
      <ModeToggle
        label="Learned growth (LiGO)"
        on={ligo.on}
        onToggle={(on) => update({ ligo: { on } })}
        field={{ label: 'LiGO operator steps', value: ligo.steps, hint: 'trained inside each growth', error: issueFor(issues, 'ops.ligoSteps'), onChange: (steps) => update({ ligo: { steps } }) }}
        about={
          ligo.on
            ? `Every growth of depth, width or d is a learned linear expansion of the small model's weights, trained for ${ligo.steps} steps on the MLM loss inside the growth, instead of the operators above; those steps' FLOPs are counted in the schedule's cost.`
            : 'Off: growths use the operators above.'
        }
      />
      {source === 'hand' ? <p className="hint">The stages below are edited by hand; changing a toggle or factor rebuilds them.</p> : null}
    </fieldset>
  );
}

interface ModeField {
  label: string;
  value: number;
  hint: string;
  error: string | null;
  onChange: (v: number) => void;
}

/** A growth mode that applies to every operator (MSG, LiGO): its switch, its one step count, and what it does. */
function ModeToggle({ label, on, onToggle, field, about }: { label: string; on: boolean; onToggle: (on: boolean) => void; field: ModeField; about: string }) {
  return (
    <>
      <div className="toggle-row">
        <label className="check">
          <input type="checkbox" checked={on} onChange={(e) => onToggle(e.target.checked)} />
          {label}
        </label>
        <div className="grid2">
          <NumberField label={field.label} value={field.value} step={1} min={1} disabled={!on} hint={field.hint} onChange={field.onChange} error={field.error} />
        </div>
      </div>
      <p className="hint">{about}</p>
    </>
  );
}
