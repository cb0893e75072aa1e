;; The module's shared part: the imported heap and helpers other files call. compile.ts wraps
;; this file and every other .wat here (alphabetical) in one (module …); each file's exports are
;; kernels named as simd.ts's SimdKernels lists them. Pointers are byte offsets of tensors in the
;; tfjs-backend-wasm heap; the math of each kernel is spec.ts's, in float32, four lanes at a time
;; (spec.ts works in float64), so they agree with it to float32 rounding (their *.test.ts).
(import "env" "memory" (memory 1)) ;; MEMORY

;; exp(x) for x ≤ 0 (Cephes expf: x = k·ln2 + r, |r| ≤ ln2/2, a degree-6 polynomial, 2^k from
;; the exponent bits). Clamped at −87, where 2^k is still a normal float: e^−87 ≈ 1.6e−38.
(func $exp (param $x v128) (result v128)
  (local $k v128) (local $r v128) (local $p v128)
  (local.set $x (f32x4.max (local.get $x) (f32x4.splat (f32.const -87))))
  (local.set $k (f32x4.nearest (f32x4.mul (local.get $x) (f32x4.splat (f32.const 1.44269504088896341)))))
  (local.set $r (f32x4.sub (f32x4.sub (local.get $x)
      (f32x4.mul (local.get $k) (f32x4.splat (f32.const 0.693359375))))
      (f32x4.mul (local.get $k) (f32x4.splat (f32.const -2.12194440e-4)))))
  (local.set $p (f32x4.add (f32x4.mul (local.get $r) (f32x4.splat (f32.const 1.9875691500e-4))) (f32x4.splat (f32.const 1.3981999507e-3))))
  (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (f32x4.splat (f32.const 8.3334519073e-3))))
  (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (f32x4.splat (f32.const 4.1665795894e-2))))
  (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (f32x4.splat (f32.const 1.6666665459e-1))))
  (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (f32x4.splat (f32.const 5.0000001201e-1))))
  (local.set $p (f32x4.add (f32x4.add (f32x4.mul (local.get $p) (f32x4.mul (local.get $r) (local.get $r))) (local.get $r)) (f32x4.splat (f32.const 1))))
  (f32x4.mul (local.get $p)
    (i32x4.shl (i32x4.add (i32x4.trunc_sat_f32x4_s (local.get $k)) (i32x4.splat (i32.const 127))) (i32.const 23))))

;; The sum of a vector's four lanes.
(func $hsum (param $v v128) (result f32)
  (f32.add (f32.add (f32x4.extract_lane 0 (local.get $v)) (f32x4.extract_lane 1 (local.get $v)))
    (f32.add (f32x4.extract_lane 2 (local.get $v)) (f32x4.extract_lane 3 (local.get $v)))))

;; spec.ts mix32 on four lanes: i32 multiplication wraps as Math.imul does.
(func $mix32 (param $x v128) (result v128)
  (local.set $x (v128.xor (local.get $x) (i32x4.shr_u (local.get $x) (i32.const 16))))
  (local.set $x (i32x4.mul (local.get $x) (i32x4.splat (i32.const 0x7feb352d))))
  (local.set $x (v128.xor (local.get $x) (i32x4.shr_u (local.get $x) (i32.const 15))))
  (local.set $x (i32x4.mul (local.get $x) (i32x4.splat (i32.const 0x846ca68b))))
  (v128.xor (local.get $x) (i32x4.shr_u (local.get $x) (i32.const 16))))

;; Lanes i..i+3 of a dropout site: kept (all ones) where mix32(i + seedMix) >>> 8 ≥ threshold, as
;; spec.ts keeps() decides; i is the element's flat index, seedMix = mix32(seed) from the host.
(func $keeps (param $i i32) (param $seedMix i32) (param $threshold i32) (result v128)
  (i32x4.ge_u
    (i32x4.shr_u (call $mix32 (i32x4.add (i32x4.splat (i32.add (local.get $i) (local.get $seedMix))) (v128.const i32x4 0 1 2 3))) (i32.const 8))
    (i32x4.splat (local.get $threshold))))
