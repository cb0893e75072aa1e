import { useId, useMemo } from 'react';
import { schedulePicture, type Extent, type PictureStage } from './schedule-picture.ts';
import { useBuilt } from './useBuilt.ts';

// viewBox units: the SVG scales to its box, so 360 wide fits a 390 px phone without scrolling.
const W = 360;
const X0 = 48;
const SPAN = W - X0 - 4;
const SKY_BASE = 52;
const SKY_MAX = 38;
const FLOPS_Y = 58;
const FLOPS_H = 14;
const TABLE_Y = 104;
const ROW_H = 16;
const BAR_W = 70;
const BAR_GAP = 8;
/** Room a stage number needs to be drawn over or under its block. */
const NUMBER_MIN_W = 10;

const SHAPES: { key: 'depth' | 'ffn' | 'hidden' | 'length'; head: string }[] = [
  { key: 'depth', head: 'L layers' },
  { key: 'ffn', head: 'F FFN' },
  { key: 'hidden', head: 'd hidden' },
  { key: 'length', head: 'n tokens' },
];

const xOf = (e: Extent) => ({ x: X0 + e.start * SPAN, w: e.width * SPAN });

/**
 * The builder's schedule drawn before it runs: blocks to scale in steps (as tall as the stage is
 * deep) and in FLOPs, then each stage's depth, FFN width, d and length as bars. Only a valid
 * schedule has a FLOPs plan, so an invalid one gets a note instead.
 */
export function SchedulePicture() {
  const { config, plan } = useBuilt();
  const picture = useMemo(() => (config && plan ? schedulePicture(config) : null), [config, plan]);
  const id = useId();
  if (!picture) return <p className="hint">The schedule's picture appears once the settings are valid.</p>;
  const height = TABLE_Y + picture.stages.length * ROW_H + 4;

  return (
    <figure className="schedule-picture">
      <svg viewBox={`0 0 ${W} ${height}`} role="img" aria-labelledby={`${id}-t`} aria-describedby={`${id}-d`}>
        <title id={`${id}-t`}>{picture.title}</title>
        <desc id={`${id}-d`}>{picture.stages.map((s) => s.text).join('; ')}</desc>
        <text className="sp-axis" x={0} y={SKY_BASE - 2}>
          steps
        </text>
        <text className="sp-axis" x={0} y={FLOPS_Y + FLOPS_H - 3}>
          FLOPs
        </text>
        {picture.stages.map((s) => (
          <StageBlocks key={s.number} stage={s} />
        ))}
        {SHAPES.map((c, j) => (
          <text key={c.key} className="sp-axis" x={X0 + j * (BAR_W + BAR_GAP)} y={TABLE_Y - 4}>
            {c.head}
          </text>
        ))}
        {picture.stages.map((s, i) => (
          <ShapeRow key={s.number} stage={s} y={TABLE_Y + i * ROW_H} />
        ))}
      </svg>
      <figcaption className="hint">
        Blocks as wide as each stage's steps (as tall as its layers), then its forward FLOPs. Bars against the full model: layers, FFN width
        (dashed: factorized), hidden size d, tokens per sequence after pooling or truncation.
      </figcaption>
    </figure>
  );
}

/** A stage's block on the steps row and on the FLOPs row; odd and even stages differ in shade and by their numbers. */
function StageBlocks({ stage }: { stage: PictureStage }) {
  const steps = xOf(stage.steps);
  const flops = xOf(stage.flops);
  const h = Math.max(2, stage.depth * SKY_MAX);
  const shade = stage.number % 2 ? 'sp-block' : 'sp-block sp-alt';
  return (
    <g>
      <rect className={shade} x={steps.x} y={SKY_BASE - h} width={steps.w} height={h} />
      {steps.w >= NUMBER_MIN_W ? (
        <text className="sp-num" x={steps.x + steps.w / 2} y={SKY_BASE - h - 3}>
          {stage.number}
        </text>
      ) : null}
      <rect className={shade} x={flops.x} y={FLOPS_Y} width={flops.w} height={FLOPS_H} />
      {flops.w >= NUMBER_MIN_W ? (
        <text className="sp-num" x={flops.x + flops.w / 2} y={FLOPS_Y + FLOPS_H + 10}>
          {stage.number}
        </text>
      ) : null}
    </g>
  );
}

/** A stage's four size bars, each a track the full model fills. */
function ShapeRow({ stage, y }: { stage: PictureStage; y: number }) {
  return (
    <g>
      <text className="sp-axis" x={0} y={y + 11}>
        stage {stage.number}
      </text>
      {SHAPES.map((c, j) => {
        const x = X0 + j * (BAR_W + BAR_GAP);
        const fill = c.key === 'ffn' && stage.factorized ? 'sp-bar sp-factorized' : 'sp-bar';
        return (
          <g key={c.key}>
            <rect className="sp-track" x={x} y={y + 4} width={BAR_W} height={8} />
            <rect className={fill} x={x} y={y + 4} width={stage[c.key] * BAR_W} height={8} />
          </g>
        );
      })}
    </g>
  );
}
