import * as tf from '@tensorflow/tfjs-core';
import { axisSwapOf, columnSumsJs, swapAxesJs, type AxisSwap } from './kernels/layout-js.ts';
import { simdKernelsOf, type WasmModuleLike } from './kernels/simd/simd.ts';

type KernelArgs = Parameters<tf.KernelConfig['kernelFunc']>[0];
type Info = tf.TensorInfo;

/** The parts of tfjs-backend-wasm 4.22's BackendWasm used here. */
interface WasmBackend extends tf.KernelBackend {
  dataIdNextNumber: number;
  dataIdMap: { get(dataId: object): { id: number; memoryOffset: number; shape: number[] } };
  makeOutput(shape: number[], dtype: 'float32'): Info;
  typedArrayFromHeap(t: Info): Float32Array;
  wasm: WasmModuleLike & {
    cwrap(name: string, ret: null, args: string[]): (...args: unknown[]) => void;
    tfjs: { registerTensor(id: number, size: number, offset: number): void; disposeData(id: number): void };
  };
}

let patched = false;

/**
 * Replaces three tfjs-backend-wasm 4.22 kernels with faster ones computing the same values. Call
 * after importing the wasm backend and before tf.setBackend('wasm'); other backends are untouched.
 *
 * Matmuls: the wasm backend has two slow paths:
 * - a transposed operand: 8-15x slower (measured here: [1024,128]ᵀ·[1024,512] 99 ms vs 12 ms with
 *   an explicit transpose first), and every matmul gradient asks for one;
 * - a batch of more than one product (attention's [B·H] per-head products): a plain loop at about
 *   1 GFLOP/s, against 10-20 for its XNNPACK path, which it takes only for a single product.
 * BatchMatMul and _FusedMatMul are re-registered to run in the SIMD module's matMul
 * (simd/matmul.wat), which reads a transposed a in place, for batches and for products up to
 * SIMD_PRODUCT_LIMIT: at attention's shapes it is 10-17x faster than one XNNPACK product per slice,
 * whose set-up dominates such small products, and 1.5x faster at lab's. The products left to
 * XNNPACK (and all of them without SIMD) are transposed explicitly first, and a batch goes one
 * slice at a time, each registered as a tensor that aliases the batch's memory (no copy).
 *
 * Identity: the wasm kernel copies its input (tf.clone, and the engine's clones of saved tensors
 * where saved-tensors.ts is not installed). No wasm or GrowLab kernel writes into its inputs, so
 * sharing the input's memory with a reference count, as the cpu and webgpu backends' Identity and
 * wasm's own Reshape already do, is safe.
 *
 * Transpose, and Sum over leading axes: loops over the heap (kernels/layout-js.ts), 5-9x faster
 * than the wasm kernels' generic index arithmetic at a training step's shapes.
 */
export function patchWasmKernels(): void {
  if (patched) return;
  patched = true;
  loopTranspose();
  loopLeadingSum();
  for (const name of ['BatchMatMul', '_FusedMatMul']) fastMatMul(name);
  zeroCopyIdentity();
}

function zeroCopyIdentity(): void {
  override('Identity', ({ inputs }, backend) => {
    const x = inputs.x as Info;
    if (x.dtype === 'string') return null;
    (backend as unknown as { incRef(dataId: object): void }).incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  });
}

/** Replaces a wasm kernel with `fast`, which returns null for the cases it leaves to the original. */
function override(kernelName: string, fast: (args: KernelArgs, backend: WasmBackend) => Info | null): void {
  const original = tf.getKernel(kernelName, 'wasm');
  if (!original) return;
  tf.unregisterKernel(kernelName, 'wasm');
  tf.registerKernel({
    kernelName,
    backendName: 'wasm',
    setupFunc: original.setupFunc,
    disposeFunc: original.disposeFunc,
    kernelFunc: (args: KernelArgs) => fast(args, args.backend as unknown as WasmBackend) ?? original.kernelFunc(args),
  });
}

const fourBytes = (x: Info) => x.dtype === 'float32' || x.dtype === 'int32';

function loopTranspose(): void {
  override('Transpose', ({ inputs, attrs }, backend) => {
    const x = inputs.x as Info;
    const perm = (attrs as unknown as { perm: number[] }).perm;
    const swap = fourBytes(x) ? axisSwapOf(x.shape, perm) : null;
    if (!swap) return null;
    const out = backend.makeOutput(perm.map((p) => x.shape[p]), x.dtype as 'float32');
    swapAxes(backend, backend.typedArrayFromHeap(x), backend.typedArrayFromHeap(out), swap);
    return out;
  });
}

function loopLeadingSum(): void {
  override('Sum', ({ inputs, attrs }, backend) => {
    const x = inputs.x as Info;
    const { axis, keepDims } = attrs as unknown as { axis: number | number[]; keepDims: boolean };
    const rank = x.shape.length;
    const axes = [axis].flat().map((a) => (a < 0 ? a + rank : a)).sort((p, q) => p - q);
    const lead = axes.length;
    if (x.dtype !== 'float32' || lead === 0 || lead >= rank || axes.some((a, i) => a !== i)) return null;
    const kept = x.shape.slice(lead);
    const out = backend.makeOutput(keepDims ? [...axes.map(() => 1), ...kept] : kept, 'float32');
    const [xv, ov] = [backend.typedArrayFromHeap(x), backend.typedArrayFromHeap(out)];
    const rows = tf.util.sizeFromShape(x.shape.slice(0, lead));
    const simd = simdKernelsOf(backend.wasm);
    if (simd && ov.length % 4 === 0) simd.columnSums(xv.byteOffset, rows, ov.length, ov.byteOffset);
    else columnSumsJs(xv, rows, ov);
    return out;
  });
}

/** SIMD for runs of 4 floats and for 4×4 tiles; layout-js.ts loops for the other shapes. */
function swapAxes(backend: WasmBackend, x: Float32Array, out: Float32Array, s: AxisSwap): void {
  const simd = simdKernelsOf(backend.wasm);
  if (simd && s.inner % 4 === 0) simd.swapRuns(x.byteOffset, out.byteOffset, s.outer, s.a, s.b, s.inner);
  else if (simd && s.inner === 1 && s.a % 4 === 0 && s.b % 4 === 0) simd.transpose4(x.byteOffset, out.byteOffset, s.outer, s.a, s.b);
  else swapAxesJs(x, out, s);
}

/** Byte offset of a tensor's buffer in the wasm heap. */
function heapOffset(backend: WasmBackend, t: Info): number {
  return backend.dataIdMap.get(t.dataId).memoryOffset;
}

let sliceMatMul: ((...args: unknown[]) => void) | null = null;

/** out[i] = a[i]·b[i] for rank-3 a [n, m, k], b [n, k, p] (no broadcasting), one XNNPACK call per slice. */
function batchedBySlice(backend: WasmBackend, a: Info, b: Info): Info {
  const [n, m, k] = a.shape;
  const p = b.shape[2];
  sliceMatMul ??= backend.wasm.cwrap('BatchMatMul', null, ['number', 'array', 'number', 'number', 'array', 'number', 'number', 'number', 'number']);
  const out = (backend as unknown as { makeOutput(s: number[], d: string): Info }).makeOutput([n, m, p], 'float32');
  const base = [a, b, out].map((t) => heapOffset(backend, t));
  const aShape = new Uint8Array(new Int32Array([1, m, k]).buffer);
  const bShape = new Uint8Array(new Int32Array([1, k, p]).buffer);
  const sizes = [m * k, k * p, m * p];
  const ids = [0, 1, 2].map(() => backend.dataIdNextNumber++);
  for (let i = 0; i < n; i++) {
    ids.forEach((id, j) => backend.wasm.tfjs.registerTensor(id, sizes[j], base[j] + 4 * i * sizes[j]));
    sliceMatMul(ids[0], aShape, 3, ids[1], bShape, 3, false, false, ids[2]);
    // Forget the aliases (and XNNPACK's operator cached for them); the memory stays with its owners.
    for (const id of ids) backend.wasm.tfjs.disposeData(id);
  }
  return out;
}

/**
 * tfjs-wasm's _FusedMatMul checks the rank a bias's buffer was made with, not the tensor's own: a
 * bias that is a reshaped view of a 2-D buffer (as a grown parameter can be) is refused, so such a
 * bias gets a rank-1 copy (pushed to `temps` to be freed with the call's other temporaries).
 */
function rankOneBias(backend: WasmBackend, bias: Info | undefined, temps: Info[]): Info | null {
  if (!bias || backend.dataIdMap.get(bias.dataId).shape.length === 1) return null;
  const copy = backend.makeOutput([tf.util.sizeFromShape(bias.shape)], 'float32');
  backend.typedArrayFromHeap(copy).set(backend.typedArrayFromHeap(bias));
  temps.push(copy);
  return copy;
}

/**
 * Multiply-adds (m·k·p) up to which a single product runs in the SIMD loops rather than XNNPACK.
 * In a training step every product has new weights, so XNNPACK creates an operator and packs the
 * weights each time, and a transposed operand costs it an explicit transpose. Measured in Node on
 * 2 cores, one process, the settings alternating step by step:
 * - tiny: 6.0 ms a step with its products in the loops, 8.1 with none;
 * - small (products up to 2^27): 229 ms with every product in the loops, 251 with those above 2^22
 *   left to XNNPACK;
 * - lab: 6.6 s either way with the limit at 2^22 or 2^28. Its FFN products (2^30) ran 2x faster in
 *   XNNPACK, whose packed weights stay in cache where the loops stride through a 1 MB operand.
 * A batch of products always takes the loops.
 */
const SIMD_PRODUCT_LIMIT = 1 << 28;

interface ProductAttrs { transposeA: boolean; transposeB: boolean; activation?: string }

/** The product in the SIMD loops (matmul.wat), or null for the cases left to XNNPACK. */
function simdProduct(
  kernelName: string, backend: WasmBackend, inputs: tf.NamedTensorInfoMap, attrs: ProductAttrs, swapped: (x: Info) => Info,
): Info | null {
  const simd = simdKernelsOf(backend.wasm);
  const { a, b, bias } = inputs as Record<string, Info | undefined>;
  if (!simd || !a || !b || a.dtype !== 'float32' || b.dtype !== 'float32') return null;
  if (kernelName === '_FusedMatMul' && ((attrs.activation ?? 'linear') !== 'linear' || inputs.preluActivationWeights)) return null;
  const batch = a.shape.slice(0, -2);
  if (!tf.util.arraysEqual(batch, b.shape.slice(0, -2))) return null;
  const n = tf.util.sizeFromShape(batch);
  const [r, c] = a.shape.slice(-2);
  const [m, k] = attrs.transposeA ? [c, r] : [r, c];
  const p = attrs.transposeB ? b.shape[b.shape.length - 2] : b.shape[b.shape.length - 1];
  if ((bias && tf.util.sizeFromShape(bias.shape) !== p) || (n === 1 && m * k * p > SIMD_PRODUCT_LIMIT)) return null;
  const bRows = attrs.transposeB ? swapped(b) : b;
  const out = backend.makeOutput([...batch, m, p], 'float32');
  const at = (t: Info) => heapOffset(backend, t);
  simd.matMul(at(a), at(bRows), bias ? at(bias) : 0, at(out), n, m, k, p, attrs.transposeA ? 1 : 0);
  return out;
}

function fastMatMul(kernelName: string): void {
  const original = tf.getKernel(kernelName, 'wasm');
  const transpose = tf.getKernel('Transpose', 'wasm');
  if (!original || !transpose) return;
  tf.unregisterKernel(kernelName, 'wasm');
  tf.registerKernel({
    kernelName,
    backendName: 'wasm',
    setupFunc: original.setupFunc,
    disposeFunc: original.disposeFunc,
    kernelFunc: (args: KernelArgs) => {
      const { inputs, backend, attrs } = args;
      const { transposeA, transposeB } = attrs as unknown as { transposeA: boolean; transposeB: boolean };
      const temps: Info[] = [];
      const swapped = (x: Info): Info => {
        const r = x.shape.length;
        const perm = [...Array(r - 2).keys(), r - 1, r - 2];
        const t = transpose.kernelFunc({ inputs: { x }, backend, attrs: { perm } }) as Info;
        temps.push(t);
        return t;
      };
      try {
        const fast = simdProduct(kernelName, backend as WasmBackend, inputs, attrs as unknown as ProductAttrs, swapped);
        if (fast) return fast;
        const a = transposeA ? swapped(inputs.a as Info) : (inputs.a as Info);
        const b = transposeB ? swapped(inputs.b as Info) : (inputs.b as Info);
        const bias = rankOneBias(backend as WasmBackend, inputs.bias as Info | undefined, temps);
        if (bias) args = { ...args, inputs: { ...inputs, bias } };
        const batch = a.shape.slice(0, -2);
        const batched = kernelName === 'BatchMatMul' && tf.util.sizeFromShape(batch) > 1 && tf.util.arraysEqual(batch, b.shape.slice(0, -2));
        if (batched) {
          const n = tf.util.sizeFromShape(batch);
          const [m, k] = a.shape.slice(-2);
          const p = b.shape[b.shape.length - 1];
          const out = batchedBySlice(backend as WasmBackend, { ...a, shape: [n, m, k] }, { ...b, shape: [n, k, p] });
          out.shape = [...batch, m, p];
          return out;
        }
        if (!transposeA && !transposeB) return original.kernelFunc(args);
        return original.kernelFunc({ inputs: { ...args.inputs, a, b }, backend, attrs: { ...attrs, transposeA: false, transposeB: false } });
      } finally {
        for (const t of temps) (backend as tf.KernelBackend).disposeData(t.dataId);
      }
    },
  });
}
