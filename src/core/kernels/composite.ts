import * as tf from '@tensorflow/tfjs-core';
import { K, type AttnShapeAttrs, type LinearAttrs } from './spec.ts';

/*
 * Kernels built from the active backend's own kernels (matmul, transpose, add, sum), called
 * directly rather than through the engine: one tfjs kernel (and one gradient kernel) for a whole
 * projection, with no reshape kernels and no copies of saved inputs in between. Reshapes are views
 * (same buffer, new shape), which holds on backends that store tensors as flat buffers: cpu, wasm
 * and webgpu. webgl lays tensors out as textures, so these are not registered there.
 */

type Info = tf.TensorInfo;

class Composer {
  private temps: Info[] = [];
  constructor(private readonly backendName: string, private readonly backend: tf.KernelBackend) {}

  private call(name: string, inputs: Record<string, Info>, attrs: object = {}): Info {
    const k = tf.getKernel(name, this.backendName);
    if (!k) throw new Error(`${name} is not registered for ${this.backendName}`);
    const out = k.kernelFunc({ inputs: inputs as tf.NamedTensorInfoMap, backend: this.backend, attrs: attrs as tf.NamedAttrMap }) as Info;
    this.temps.push(out);
    return out;
  }

  /** The same buffer seen with another shape (no copy). */
  view(x: Info, shape: number[]): Info {
    return { dataId: x.dataId, shape, dtype: x.dtype };
  }

  /** a·b (optionally transposed) for 2-D operands, plus a bias over the last axis. */
  mm(a: Info, b: Info, transposeA: boolean, transposeB: boolean, bias?: Info): Info {
    const a3 = this.view(a, [1, ...a.shape.slice(-2)]);
    const b3 = this.view(b, [1, ...b.shape.slice(-2)]);
    const out = bias
      ? this.call('_FusedMatMul', { a: a3, b: b3, bias }, { transposeA, transposeB, activation: 'linear', leakyreluAlpha: 0 })
      : this.call('BatchMatMul', { a: a3, b: b3 }, { transposeA, transposeB });
    return this.view(out, out.shape.slice(1));
  }

  transpose(x: Info, perm: number[]): Info {
    return this.call('Transpose', { x }, { perm });
  }

  add(a: Info, b: Info): Info {
    return this.call('Add', { a, b });
  }

  /** Sum over the rows of a 2-D tensor. */
  sumRows(x: Info): Info {
    return this.call('Sum', { x }, { axis: [0], keepDims: false });
  }

  /** Frees every intermediate whose buffer is not one of the outputs. */
  finish(outs: Info[]): Info[] {
    const kept = new Set(outs.map((o) => o.dataId));
    for (const t of this.temps) if (!kept.has(t.dataId)) this.backend.disposeData(t.dataId);
    return outs;
  }
}

const toHeads = (c: Composer, x2: Info, s: { batch: number; heads: number }, len: number): Info => {
  const d = x2.shape[1];
  return c.transpose(c.view(x2, [s.batch, len, s.heads, d / s.heads]), [0, 2, 1, 3]);
};

const fromHeads = (c: Composer, x4: Info): Info => {
  const [B, H, len, dh] = x4.shape;
  return c.view(c.transpose(x4, [0, 2, 1, 3]), [B * len, H * dh]);
};

type Body = (c: Composer, inputs: Record<string, Info>, attrs: unknown) => Info[];

const BODIES: Record<string, Body> = {
  /** y = x·W (+ b); W transposed when transposeW (the tied MLM output layer). */
  [K.linear]: (c, { x, w, bias }, attrs) => [c.mm(x, w, false, (attrs as LinearAttrs).transposeW, bias)],
  [K.linearGrad]: (c, { dy, x, w }, attrs) => {
    const { transposeW, hasBias } = attrs as LinearAttrs;
    const dx = c.mm(dy, w, false, !transposeW);
    const dw = transposeW ? c.mm(dy, x, true, false) : c.mm(x, dy, true, false);
    return hasBias ? [dx, dw, c.sumRows(dy)] : [dx, dw];
  },
  /** Q, K, V projections straight into the [B, H, len, d/H] head layout; xkv absent means xkv = xq. */
  [K.qkv]: (c, inputs, attrs) => BODIES[K.qkvCross](c, inputs, attrs),
  [K.qkvCross]: (c, { xq, xkv, wq, bq, wk, bk, wv, bv }, attrs) => {
    const s = attrs as AttnShapeAttrs;
    const src = xkv ?? xq;
    return [
      toHeads(c, c.mm(xq, wq, false, false, bq), s, s.qLen),
      toHeads(c, c.mm(src, wk, false, false, bk), s, s.kLen),
      toHeads(c, c.mm(src, wv, false, false, bv), s, s.kLen),
    ];
  },
  [K.qkvGrad]: (c, { dq, dk, dv, xq, xkv, wq, wk, wv }) => {
    const [gq, gk, gv] = [dq, dk, dv].map((g) => fromHeads(c, g));
    const src = xkv ?? xq;
    const dxq = c.mm(gq, wq, false, true);
    const dsrc = c.add(c.mm(gk, wk, false, true), c.mm(gv, wv, false, true));
    const weights = [
      c.mm(xq, gq, true, false), c.sumRows(gq),
      c.mm(src, gk, true, false), c.sumRows(gk),
      c.mm(src, gv, true, false), c.sumRows(gv),
    ];
    return xkv ? [dxq, dsrc, ...weights] : [c.add(dxq, dsrc), ...weights];
  },
  /** Heads [B, H, q, d/H] merged back to rows [B·q, d], then the output projection. */
  [K.attnOut]: (c, { ctx, w, bias }) => [c.mm(fromHeads(c, ctx), w, false, false, bias)],
  [K.attnOutGrad]: (c, { dy, ctx, w }) => {
    const [B, H, q, dh] = ctx.shape;
    const dm = c.mm(dy, w, false, true);
    const dctx = c.transpose(c.view(dm, [B, q, H, dh]), [0, 2, 1, 3]);
    return [dctx, c.mm(fromHeads(c, ctx), dy, true, false), c.sumRows(dy)];
  },
};

/** Registers the composite kernels for the flat-buffer backends. */
export function registerCompositeKernels(): void {
  for (const backendName of ['cpu', 'wasm', 'webgpu'] as const) {
    for (const [kernelName, body] of Object.entries(BODIES)) {
      tf.registerKernel({
        kernelName,
        backendName,
        kernelFunc: ({ inputs, attrs, backend }) => {
          const c = new Composer(backendName, backend as tf.KernelBackend);
          const outs = c.finish(body(c, inputs as Record<string, Info>, attrs));
          return outs.length === 1 ? outs[0] : outs;
        },
      });
    }
  }
}
