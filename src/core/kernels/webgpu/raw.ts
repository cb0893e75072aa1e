import * as tf from '@tensorflow/tfjs-core';

/*
 * Multi-output fused kernels need what a tfjs-webgpu program cannot give (one output per program):
 * compute pipelines of our own, with explicit bind group layouts, recorded into the backend's own
 * command encoder and compute pass so that they are ordered with every tfjs dispatch, and buffer
 * copies recorded the same way. This relies on the internals of tfjs-backend-webgpu 4.22.0 (pinned),
 * listed in WebGpuBackendLike; recordAndSubmit in backend_webgpu.js is the model followed here.
 */

type Uniform = { type: 'float32' | 'int32' | 'uint32'; data: number[] };

interface TensorData {
  resource: unknown;
  values: unknown;
  shape: number[];
  dtype: tf.DataType;
}

interface Timer {
  name: string;
  query: Promise<number> | number;
}

/** The parts of tfjs-backend-webgpu 4.22's WebGPUBackend used here. */
export interface WebGpuBackendLike {
  device: GPUDevice;
  tensorMap: { get(dataId: object): TensorData };
  commandEncoder: GPUCommandEncoder | null;
  computePassEncoder: GPUComputePassEncoder | null;
  commandQueueOwnedIds: WeakSet<object>;
  dispatchCountInPass: number;
  activeTimers: Timer[] | null | undefined;
  supportTimestampQuery: boolean;
  querySet: GPUQuerySet | null;
  querySetCount: number;
  makeTensorInfo(shape: number[], dtype: tf.DataType, values?: Float32Array | Int32Array): tf.TensorInfo;
  uploadToGPU(dataId: object): void;
  disposeData(dataId: object, force?: boolean): boolean;
  makeUniforms(uniforms: Uniform[]): GPUBufferBinding;
  ensureCommandEncoderReady(): void;
  endComputePassEncoder(): void;
  submitQueue(): void;
  getQueryTime(): Promise<number>;
  runWebGPUProgram(program: object, inputs: tf.TensorInfo[], dtype: tf.DataType, uniforms?: Uniform[], output?: tf.TensorInfo): tf.TensorInfo;
  recordAndSubmit(...args: unknown[]): void;
}

export type { Uniform };

/** Dispatches and copies recorded by this module (tfjs's own dispatches are counted by the caller's hook). */
export const rawCounters = { dispatches: 0, copies: 0 };

export type Access = 'read' | 'rw';

export interface RawProgram {
  /** Cache key and label; the WGSL must not vary under one name. */
  name: string;
  /** Storage bindings 0..n-1 in order; the uniform struct, when `uniform` is set, is binding n. */
  storage: Access[];
  uniform: boolean;
  /** A complete WGSL module with the entry point `main`. */
  code: string;
}

interface Pipeline {
  pipeline: GPUComputePipeline;
  layout: GPUBindGroupLayout;
}

const pipelines = new WeakMap<GPUDevice, Map<string, Pipeline>>();

function pipelineOf(device: GPUDevice, prog: RawProgram): Pipeline {
  let cache = pipelines.get(device);
  if (!cache) pipelines.set(device, (cache = new Map()));
  let p = cache.get(prog.name);
  if (!p) {
    const COMPUTE = 0x4; // GPUShaderStage.COMPUTE
    const entries: GPUBindGroupLayoutEntry[] = prog.storage.map((a, i) => ({
      binding: i,
      visibility: COMPUTE,
      buffer: { type: a === 'read' ? 'read-only-storage' : 'storage' },
    }));
    if (prog.uniform) entries.push({ binding: entries.length, visibility: COMPUTE, buffer: { type: 'uniform' } });
    const layout = device.createBindGroupLayout({ entries, label: prog.name });
    const module = device.createShaderModule({ code: prog.code, label: prog.name });
    const pipeline = device.createComputePipeline({
      layout: device.createPipelineLayout({ bindGroupLayouts: [layout] }),
      compute: { module, entryPoint: 'main' },
      label: prog.name,
    });
    p = { pipeline, layout };
    cache.set(prog.name, p);
  }
  return p;
}

/**
 * The GPU buffer of a tensor, uploaded first if its values are still on the CPU, and marked as used
 * by the pending command buffer (tfjs then defers its release until the queue is submitted).
 */
export function bufferOf(be: WebGpuBackendLike, t: tf.TensorInfo): GPUBuffer {
  be.uploadToGPU(t.dataId);
  be.commandQueueOwnedIds.add(t.dataId);
  const r = be.tensorMap.get(t.dataId).resource as GPUBuffer | null;
  if (!r || typeof (r as GPUBuffer).size !== 'number' || typeof (r as { createView?: unknown }).createView === 'function') {
    throw new Error('fused WebGPU kernel: the tensor is not held in a GPU buffer');
  }
  return r;
}

/** A new float32/int32 tensor with its GPU buffer allocated (and `values` uploaded when given). */
export function allocate(be: WebGpuBackendLike, shape: number[], dtype: 'float32' | 'int32' = 'float32', values?: Float32Array | Int32Array): tf.TensorInfo {
  const t = be.makeTensorInfo(shape, dtype, values);
  if (tf.util.sizeFromShape(shape) > 0) bufferOf(be, t);
  return t;
}

/** Releases a scratch tensor made by allocate (after the pending commands run, if they use it). */
export function release(be: WebGpuBackendLike, t: tf.TensorInfo): void {
  be.disposeData(t.dataId);
}

let gridLimitOverride: number | null = null;

/** Tests: pretend the device allows only `limit` workgroups per dimension (2-D grids at small sizes). */
export function setRawGridLimitForTests(limit: number | null): void {
  gridLimitOverride = limit;
}

/** Workgroup grid for n workgroups: 2-D when n passes the per-dimension limit (shaders use wid.x + wid.y·nwg.x). */
function grid(n: number, max: number): [number, number] {
  if (n <= max) return [Math.max(1, n), 1];
  const y = Math.ceil(n / max);
  return [Math.ceil(n / y), y];
}

/** Records one dispatch of `prog` over `workgroups` workgroups into the backend's compute pass. */
export function rawDispatch(be: WebGpuBackendLike, prog: RawProgram, buffers: GPUBufferBinding[], uniforms: Uniform[] | null, workgroups: number): void {
  const { pipeline, layout } = pipelineOf(be.device, prog);
  // Warm-up runs that only compile (as runWebGPUProgram does under this flag) record nothing.
  if (tf.env().getBool('WEBGPU_ENGINE_COMPILE_ONLY')) return;
  if (buffers.length !== prog.storage.length || (uniforms !== null) !== prog.uniform) {
    throw new Error(`fused WebGPU kernel ${prog.name}: bindings do not match the program`);
  }
  const entries: GPUBindGroupEntry[] = buffers.map((b, i) => ({ binding: i, resource: b }));
  if (uniforms) entries.push({ binding: entries.length, resource: be.makeUniforms(uniforms) });
  const bindGroup = be.device.createBindGroup({ layout, entries });
  const [x, y] = grid(workgroups, gridLimitOverride ?? be.device.limits.maxComputeWorkgroupsPerDimension);

  // As recordAndSubmit: one pass per program while profiling (timestamp queries), else shared.
  const timing = be.activeTimers != null;
  be.ensureCommandEncoderReady();
  const encoder = be.commandEncoder!;
  if (timing && be.supportTimestampQuery) {
    be.endComputePassEncoder();
    if (be.querySet == null) be.querySet = be.device.createQuerySet({ type: 'timestamp', count: be.querySetCount });
    be.computePassEncoder = encoder.beginComputePass({
      timestampWrites: { querySet: be.querySet, beginningOfPassWriteIndex: 0, endOfPassWriteIndex: 1 },
    });
  } else if (!be.computePassEncoder) {
    be.computePassEncoder = encoder.beginComputePass({});
  }
  const pass = be.computePassEncoder!;
  pass.setPipeline(pipeline);
  pass.setBindGroup(0, bindGroup);
  pass.dispatchWorkgroups(x, y, 1);
  rawCounters.dispatches++;
  be.dispatchCountInPass++;
  if (timing || tf.env().getNumber('WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE') <= be.dispatchCountInPass) {
    be.endComputePassEncoder();
    if (timing) be.activeTimers!.push({ name: prog.name, query: be.getQueryTime() });
    else be.submitQueue();
  }
}

/** Records a buffer-to-buffer copy (outside any compute pass, in order with the dispatches). */
export function copyBuffer(be: WebGpuBackendLike, src: GPUBuffer, srcOffset: number, dst: GPUBuffer, dstOffset: number, bytes: number): void {
  if (bytes === 0) return;
  be.ensureCommandEncoderReady();
  be.endComputePassEncoder();
  be.commandEncoder!.copyBufferToBuffer(src, srcOffset, dst, dstOffset, bytes);
  rawCounters.copies++;
}

/** WGSL prologue of raw kernels: the linear workgroup index under a possibly 2-D grid. */
export const RAW_MAIN_ARGS = /* wgsl */ `@builtin(workgroup_id) wid : vec3<u32>, @builtin(num_workgroups) nwg : vec3<u32>, @builtin(local_invocation_id) lid : vec3<u32>, @builtin(local_invocation_index) li : u32`;
