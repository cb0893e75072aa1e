/**
 * Masked structural growth (MSG, Yao et al. 2023): for a set number of steps after a growth, the new
 * structures' contributions are multiplied by a mask m that ramps from 0 to 1, so at m = 0 the grown
 * model computes exactly what the old one did whatever the new weights are — under post-LN too, since
 * a whole new block, LayerNorms included, is bypassed. Once m reaches 1 the mask leaves the forward
 * pass (ForwardOptions.mask null), so later steps run the plain grown model with the kernels they
 * always had. The multiplies are one elementwise op per masked site per layer, negligible beside the
 * matmuls, and are left out of the FLOPs count (schedule/flops.ts).
 *
 * Each new structure is masked once: the units and heads of layers that existed before the growth,
 * and new layers as a whole (their own units and heads are inside the masked block). New
 * head-dimension units (hidden.*) are the exception: they widen the residual stream every layer
 * reads and writes, so their mask acts in every layer, new ones included, and in the embeddings
 * and the MLM head.
 */
export interface GrowthMask {
  /** The ramp's value this step, in [0, 1). */
  value: number;
  /** Layers the growth added: their output is x + m·(block(x) − x). */
  newLayers: readonly number[];
  /** In the other layers, FFN units from this index on are new (activations ×m before W2); null: F did not grow. */
  ffnFrom: number | null;
  /** In the other layers, heads from this index on are new (context ×m before W_o); null: the heads did not grow. */
  headsFrom: number | null;
  /** New head-dimension units (hidden.* +msg, growth/msg.ts); null: the head dimension did not grow. */
  hidden: HiddenUnits | null;
}

/**
 * Which units a head-dimension growth added, 1 = new, 0 = old; where they sit depends on the
 * operator (growth/hidden.ts, hiddenNewUnits). Each gets c = m, each old one c = 1.
 */
export interface HiddenUnits {
  /** Over the residual stream, length d (after any heads.add of the same growth, which repeats it). */
  stream: readonly number[];
  /** Over one head's units, length d_h; the same in every head, heads.add's new heads included. */
  head: readonly number[];
}
