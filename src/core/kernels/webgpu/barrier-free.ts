import { Program, type ProgramLike } from './programs.ts';

/*
 * tfjs-webgpu programs without workgroup memory or barriers, for software adapters. SwiftShader runs
 * a workgroup's invocations a few SIMD lanes at a time on a CPU thread; every workgroupBarrier makes
 * it stop all of them and switch, so tfjs's tiled programs (32×32 shared tiles for matmul, 16×16 for
 * the 2-D transpose, tree reductions) cost far more there than the arithmetic they save. Here each
 * invocation computes its outputs alone from global memory, which is what a CPU does well. On a
 * hardware GPU these are slower than tfjs's (no reuse through shared memory), hence only software.
 */

const WG = 64;

// tfjs names a program's pipeline and profile entries after its class: one class per program.
class BarrierFreeMatMul extends Program {}
class BarrierFreeTranspose extends Program {}
class BarrierFreeSum extends Program {}

const threads = (n: number) => Math.max(1, Math.ceil(n / WG));

/** Activations _FusedMatMul's epilogue computes (tfjs's names); prelu is left to tfjs. */
export type MatMulActivation = 'linear' | 'relu' | 'relu6' | 'elu' | 'leakyrelu' | 'sigmoid';

const ACTIVATION_WGSL: Record<MatMulActivation, (v: string) => string> = {
  linear: (v) => v,
  relu: (v) => `max(${v}, vec4<f32>(0.0))`,
  relu6: (v) => `clamp(${v}, vec4<f32>(0.0), vec4<f32>(6.0))`,
  // tfjs-webgpu's forms (activation_util.js): elu x ≥ 0 ? x : exp(x) − 1; leakyrelu x < 0 ? αx : x.
  elu: (v) => `select(exp(${v}) - vec4<f32>(1.0), ${v}, ${v} >= vec4<f32>(0.0))`,
  leakyrelu: (v) => `select(${v}, ${v} * uniforms.alpha, ${v} < vec4<f32>(0.0))`,
  sigmoid: (v) => `1.0 / (1.0 + exp(-${v}))`,
};

export interface MatMulTiling {
  /** Output rows and columns one invocation keeps in registers (multiples of 4). */
  rows: number;
  cols: number;
  /** Invocations per workgroup. */
  wg: number;
  /** Steps of k per loop iteration (a multiple of 4; 4 when K is not a multiple of 4). */
  unroll?: number;
}

/**
 * Register blocks measured on SwiftShader (Node, 2 cores; docs/performance.md, 2026-12-05). Every
 * load from a storage buffer is a per-lane gather there (SwiftShader runs 4 invocations in the lanes
 * of a SIMD register and cannot prove their addresses sequential), costing about as much as 14
 * multiply-adds, so the program is load-bound until each loaded value feeds many products: a 16×16
 * block makes 32 loads per 256 multiply-adds (4×4: 8 per 16) and ran 2–3× faster than 4×4 and
 * 1.2–1.5× faster than 8×8. Larger blocks spill: 16×16's arithmetic alone already ran at half 8×8's.
 * Small workgroups spread the few invocations of a 128×128 output over the cores.
 */
export const MATMUL_TILING: MatMulTiling = { rows: 16, cols: 16, wg: 8, unroll: 4 };
/** For products with too few 16×16 blocks to keep several threads busy. */
export const MATMUL_TILING_SMALL: MatMulTiling = { rows: 8, cols: 8, wg: 16, unroll: 4 };

/** The register block for a [batch, m, n] output: 16×16 with at least 32 blocks, else 8×8. */
export function matmulTiling(batch: number, m: number, n: number): MatMulTiling {
  const blocks = batch * Math.ceil(m / MATMUL_TILING.rows) * Math.ceil(n / MATMUL_TILING.cols);
  return blocks >= 32 ? MATMUL_TILING : MATMUL_TILING_SMALL;
}

/**
 * out[b] = act(A[b]·B[b] + bias), A [batchA, M, K] or [batchA, K, M] with transposeA, B [batchB, K, N]
 * or [batchB, N, K] with transposeB; a batch of 1 on either side is broadcast. Uniforms: batch, m, n,
 * k, batchA, batchB, alpha (leakyrelu).
 *
 * Each invocation keeps a rows×cols output block in registers and walks k in order (as the cpu
 * backend sums). Every operand is read along its contiguous axis: as vec4 where that axis is a
 * multiple of 4 long (A's k, or its rows when transposed; B's columns, or its k when transposed),
 * else one float at a time (on SwiftShader a vec4 is still four gathers; it saves the index
 * arithmetic and the robustness clamps). A pass covers 4 steps of k when K is a multiple of 4, else
 * 1; a loop iteration `unroll` steps (4 when K is not a multiple of 4), then a loop over the rest.
 * Reads past the edge are clamped onto the last row or column (or vec4 of them; their results are
 * not written), so no read is out of bounds and nothing branches inside the loop. The output is
 * written as vec4 when N is a multiple of 4, and the bias and activation are applied on the
 * registers before it is written (the epilogue).
 */
export function matmulProgram(outShape: number[], batch: number, m: number, n: number, k: number, transposeA: boolean, transposeB: boolean,
  bias: boolean, activation: MatMulActivation = 'linear', tiling: MatMulTiling = matmulTiling(batch, m, n)): ProgramLike {
  const R = tiling.rows;
  const C = tiling.cols;
  if (R % 4 !== 0 || C % 4 !== 0) throw new Error(`matmul register block ${R}×${C}: rows and columns must be multiples of 4`);
  const Q = C / 4; // vec4 groups of columns per row of the block
  // vec4 along the contiguous axis where its length allows; A's offsets (batch·M·K) stay multiples of 4.
  const vecA = transposeA ? m % 4 === 0 : k % 4 === 0;
  const vecB = transposeB ? k % 4 === 0 : n % 4 === 0;
  const vecOut = n % 4 === 0;
  const KC = k % 4 === 0 ? 4 : 1; // k per pass
  const KU = KC === 4 ? 4 * Math.max(1, Math.floor((tiling.unroll ?? 4) / 4)) : 4; // k per loop iteration
  const range = (len: number) => Array.from({ length: len }, (_, i) => i);
  // A's values for this pass: a{i}_{kk} (row i of the block, k + kk).
  const aVal = (i: number, kk: number) => {
    if (!transposeA) return vecA ? `a${i}[${kk}]` : `a${i}_${kk}`;
    return vecA ? `a${i >> 2}_${kk}[${i & 3}]` : `a${i}_${kk}`;
  };
  // B's values as vec4 over columns 4q..4q+3 of the block, at k + kk.
  const bVec = (kk: number, q: number) => {
    if (!transposeB) return vecB ? `b${q}_${kk}` : `vec4<f32>(${range(4).map((c) => `b${4 * q + c}_${kk}`).join(', ')})`;
    return vecB ? `vec4<f32>(${range(4).map((c) => `b${4 * q + c}[${kk}]`).join(', ')})` : `vec4<f32>(${range(4).map((c) => `b${4 * q + c}_${kk}`).join(', ')})`;
  };
  /** Loads and products of KC steps of k from k0 (an expression), in a block of its own. */
  const pass = (k0: string) => {
    const lines: string[] = [];
    const emit = (s: string) => lines.push(`  ${s}`);
    if (!transposeA) {
      for (const i of range(R)) {
        if (vecA) emit(`    let a${i} = A[(aOff + r${i} * K + ${k0}) / 4];`);
        else for (const kk of range(KC)) emit(`    let a${i}_${kk} = A[aOff + r${i} * K + ${k0} + ${kk}];`);
      }
    } else {
      for (const kk of range(KC)) {
        if (vecA) for (const q of range(R / 4)) emit(`    let a${q}_${kk} = A[(aOff + (${k0} + ${kk}) * M) / 4 + rv${q}];`);
        else for (const i of range(R)) emit(`    let a${i}_${kk} = A[aOff + (${k0} + ${kk}) * M + r${i}];`);
      }
    }
    if (!transposeB) {
      for (const kk of range(KC)) {
        if (vecB) for (const q of range(Q)) emit(`    let b${q}_${kk} = B[(bOff + (${k0} + ${kk}) * N) / 4 + cv${q}];`);
        else for (const j of range(C)) emit(`    let b${j}_${kk} = B[bOff + (${k0} + ${kk}) * N + c${j}];`);
      }
    } else {
      for (const j of range(C)) {
        if (vecB) emit(`    let b${j} = B[(bOff + c${j} * K + ${k0}) / 4];`);
        else for (const kk of range(KC)) emit(`    let b${j}_${kk} = B[bOff + c${j} * K + ${k0} + ${kk}];`);
      }
    }
    for (const kk of range(KC)) {
      for (const q of range(Q)) emit(`    let bv${q}_${kk} = ${bVec(kk, q)};`);
      for (const i of range(R)) for (const q of range(Q)) emit(`    acc${i}_${q} += ${aVal(i, kk)} * bv${q}_${kk};`);
    }
    return `    {\n${lines.join('\n')}\n    }`;
  };
  const passes = (n: number, k0: string) => range(n).map((p) => pass(p === 0 ? k0 : `${k0} + ${p * KC}`)).join('\n');
  const act = ACTIVATION_WGSL[activation];
  const epilogue: string[] = [];
  for (const q of range(Q)) {
    if (bias) epilogue.push(`  let bias${q} = ${vecOut ? `bias[cv${q}]` : `vec4<f32>(${range(4).map((c) => `bias[c${4 * q + c}]`).join(', ')})`};`);
  }
  for (const i of range(R)) {
    const writes = range(Q).map((q) => {
      const v = act(bias ? `(acc${i}_${q} + bias${q})` : `acc${i}_${q}`);
      if (vecOut) return `    if (col0 + ${4 * q} < N) { result[(o + (row0 + ${i}) * N + col0) / 4 + ${q}] = ${v}; }`;
      return `    {\n      let v = ${v};\n${range(4).map((c) => `      if (col0 + ${4 * q + c} < N) { result[o + (row0 + ${i}) * N + col0 + ${4 * q + c}] = v[${c}]; }`).join('\n')}\n    }`;
    });
    epilogue.push(`  if (row0 + ${i} < M) {\n${writes.join('\n')}\n  }`);
  }
  const code = /* wgsl */ `
fn main(index : i32) {
  let M = uniforms.m;
  let N = uniforms.n;
  let K = uniforms.k;
  let tilesN = (N + ${C - 1}) / ${C};
  let tiles = ((M + ${R - 1}) / ${R}) * tilesN;
  let b = index / tiles;
  if (b >= uniforms.batch) { return; }
  let t = index % tiles;
  let row0 = (t / tilesN) * ${R};
  let col0 = (t % tilesN) * ${C};
  let aOff = select(b, 0, uniforms.batchA == 1) * M * K;
  let bOff = select(b, 0, uniforms.batchB == 1) * K * N;
  // Reads past the edge are clamped onto the last row/column (or vec4 of them); their results are not written.
${range(R).map((i) => `  let r${i} = min(row0 + ${i}, M - 1);`).join('\n')}
${range(C).map((j) => `  let c${j} = min(col0 + ${j}, N - 1);`).join('\n')}
${transposeA && vecA ? range(R / 4).map((q) => `  let rv${q} = min(row0 / 4 + ${q}, M / 4 - 1);`).join('\n') : ''}
${(!transposeB && vecB) || vecOut ? range(Q).map((q) => `  let cv${q} = min(col0 / 4 + ${q}, N / 4 - 1);`).join('\n') : ''}
${range(R).map((i) => range(Q).map((q) => `  var acc${i}_${q} = vec4<f32>(0.0);`).join('\n')).join('\n')}
  var kk0 = 0;
  for (; kk0 + ${KU} <= K; kk0 += ${KU}) {
${passes(KU / KC, 'kk0')}
  }
${KU > KC ? `  for (; kk0 < K; kk0 += ${KC}) {\n${passes(1, 'kk0')}\n  }` : ''}
  let o = b * M * N;
${epilogue.join('\n')}
}`;
  const key = `glBfMatMul${transposeA ? 'T' : 'N'}${transposeB ? 'T' : 'N'}${vecA ? 'v' : 's'}${vecB ? 'v' : 's'}${vecOut ? 'v' : 's'}K${KC}u${KU}_${R}x${C}${bias ? 'Bias' : ''}_${activation}`;
  const names = bias ? ['A', 'B', 'bias'] : ['A', 'B'];
  const work = batch * Math.ceil(m / R) * Math.ceil(n / C);
  const program = new BarrierFreeMatMul(key, names, outShape, tiling.wg, Math.max(1, Math.ceil(work / tiling.wg)), code,
    'batch : i32, m : i32, n : i32, k : i32, batchA : i32, batchB : i32, alpha : f32,');
  return Object.assign(program, {
    outputComponent: vecOut ? 4 : 1,
    variableComponents: [vecA ? 4 : 1, vecB ? 4 : 1, ...(bias ? [vecOut ? 4 : 1] : [])],
  });
}

/** [rows, cols] → [cols, rows], one element per invocation (any 32-bit dtype). Uniforms: rows, cols. */
export function transpose2dProgram(rows: number, cols: number): ProgramLike {
  const code = /* wgsl */ `
fn main(index : i32) {
  if (index < uniforms.size) {
    let c = index / uniforms.rows;
    let r = index % uniforms.rows;
    result[index] = x[r * uniforms.cols + c];
  }
}`;
  return new BarrierFreeTranspose('glBfTranspose2d', ['x'], [cols, rows], WG, threads(rows * cols), code, 'rows : i32, cols : i32,', true);
}

/**
 * Sum of x seen as [outer, reduce, inner] over its middle axis: one output per invocation, added
 * in order along the reduced axis (as the cpu backend does). Uniforms: reduce, inner.
 */
export function sumMiddleProgram(outShape: number[], outSize: number): ProgramLike {
  const code = /* wgsl */ `
fn main(index : i32) {
  if (index < uniforms.size) {
    let inner = uniforms.inner;
    var p = (index / inner) * uniforms.reduce * inner + index % inner;
    var s = 0.0;
    for (var r = 0; r < uniforms.reduce; r++) {
      s += x[p];
      p += inner;
    }
    result[index] = s;
  }
}`;
  return new BarrierFreeSum('glBfSum', ['x'], outShape, WG, threads(outSize), code, 'reduce : i32, inner : i32,', true);
}
