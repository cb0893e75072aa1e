;; MLM cross-entropy and its gradient (spec.ts mlmLossJs, mlmLossGradJs): logits [rows, V] with V
;; a multiple of 4, int32 labels and float32 weights [rows]. Row sums of exp are kept in float64,
;; as spec.ts keeps them: over thousands of columns a float32 sum would drift by ~1e−6.

;; Row max. pmax rather than max: one instruction on x86 (max must order NaN and ±0 in a sequence);
;; a NaN logit makes the row's sum NaN either way.
(func $rowMax (param $p i32) (param $end i32) (result f32)
  (local $m v128)
  (local.set $m (f32x4.splat (f32.const -inf)))
  (block $done (loop $next
    (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
    (local.set $m (f32x4.pmax (local.get $m) (v128.load (local.get $p))))
    (local.set $p (i32.add (local.get $p) (i32.const 16)))
    (br $next)))
  (f32.max (f32.max (f32x4.extract_lane 0 (local.get $m)) (f32x4.extract_lane 1 (local.get $m)))
    (f32.max (f32x4.extract_lane 2 (local.get $m)) (f32x4.extract_lane 3 (local.get $m)))))

;; The sum of two float64x2 accumulators' four lanes.
(func $lanes (param $lo v128) (param $hi v128) (result f64)
  (local.set $lo (f64x2.add (local.get $lo) (local.get $hi)))
  (f64.add (f64x2.extract_lane 0 (local.get $lo)) (f64x2.extract_lane 1 (local.get $lo))))

;; Σ exp(l − max) over [p, end), each exp written to out when store is nonzero (the gradient keeps
;; them; the loss has nowhere to put them).
(func $expSum (param $p i32) (param $end i32) (param $max f32) (param $out i32) (param $store i32) (result f64)
  (local $m v128) (local $e v128) (local $lo v128) (local $hi v128)
  (local.set $m (f32x4.splat (local.get $max)))
  (block $done (loop $next
    (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
    (local.set $e (call $exp (f32x4.sub (v128.load (local.get $p)) (local.get $m))))
    (if (local.get $store) (then (v128.store (local.get $out) (local.get $e))))
    (local.set $lo (f64x2.add (local.get $lo) (f64x2.promote_low_f32x4 (local.get $e))))
    (local.set $hi (f64x2.add (local.get $hi) (f64x2.promote_low_f32x4
      (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 (local.get $e) (local.get $e)))))
    (local.set $p (i32.add (local.get $p) (i32.const 16)))
    (local.set $out (i32.add (local.get $out) (i32.const 16)))
    (br $next)))
  (call $lanes (local.get $lo) (local.get $hi)))

;; ln s for s ≥ 1 (Σ exp(l − max) counts the max as 1); wasm has no log. s = m·2^e, m in [√½, √2),
;; ln m = 2·atanh(t), t = (m − 1)/(m + 1), |t| ≤ 0.172: the series to t^19 is within 1e−16.
(func $log (param $s f64) (result f64)
  (local $e f64) (local $m f64) (local $t f64) (local $t2 f64) (local $p f64)
  (local.set $e (f64.convert_i64_s (i64.sub (i64.shr_u (i64.reinterpret_f64 (local.get $s)) (i64.const 52)) (i64.const 1023))))
  (local.set $m (f64.reinterpret_i64 (i64.or (i64.and (i64.reinterpret_f64 (local.get $s)) (i64.const 0x000fffffffffffff))
    (i64.const 0x3ff0000000000000))))
  (if (f64.gt (local.get $m) (f64.const 1.4142135623730951)) (then
    (local.set $m (f64.mul (local.get $m) (f64.const 0.5)))
    (local.set $e (f64.add (local.get $e) (f64.const 1)))))
  (local.set $t (f64.div (f64.sub (local.get $m) (f64.const 1)) (f64.add (local.get $m) (f64.const 1))))
  (local.set $t2 (f64.mul (local.get $t) (local.get $t)))
  (local.set $p (f64.add (f64.mul (f64.const 0.052631578947368421) (local.get $t2)) (f64.const 0.058823529411764706)))
  (local.set $p (f64.add (f64.mul (local.get $p) (local.get $t2)) (f64.const 0.066666666666666667)))
  (local.set $p (f64.add (f64.mul (local.get $p) (local.get $t2)) (f64.const 0.076923076923076923)))
  (local.set $p (f64.add (f64.mul (local.get $p) (local.get $t2)) (f64.const 0.090909090909090909)))
  (local.set $p (f64.add (f64.mul (local.get $p) (local.get $t2)) (f64.const 0.11111111111111111)))
  (local.set $p (f64.add (f64.mul (local.get $p) (local.get $t2)) (f64.const 0.14285714285714285)))
  (local.set $p (f64.add (f64.mul (local.get $p) (local.get $t2)) (f64.const 0.2)))
  (local.set $p (f64.add (f64.mul (local.get $p) (local.get $t2)) (f64.const 0.33333333333333333)))
  (local.set $p (f64.add (f64.mul (local.get $p) (local.get $t2)) (f64.const 1)))
  (f64.add (f64.mul (local.get $e) (f64.const 0.69314718055994531)) (f64.mul (f64.mul (local.get $t) (f64.const 2)) (local.get $p))))

;; Σw, or 1 where it is not positive (all weights 0: a batch with nothing masked).
(func $denom (param $w i32) (param $rows i32) (result f64)
  (local $end i32) (local $s f64)
  (local.set $end (i32.add (local.get $w) (i32.shl (local.get $rows) (i32.const 2))))
  (block $done (loop $next
    (br_if $done (i32.ge_u (local.get $w) (local.get $end)))
    (local.set $s (f64.add (local.get $s) (f64.promote_f32 (f32.load (local.get $w)))))
    (local.set $w (i32.add (local.get $w) (i32.const 4)))
    (br $next)))
  (select (local.get $s) (f64.const 1) (f64.gt (local.get $s) (f64.const 0))))

;; Σ_i w_i·(logsumexp(row_i) − row_i[label_i]) / Σw; rows of weight 0 are not read. A label
;; outside [0, V) gives NaN rather than a read of another row.
(func (export "mlmLoss") (param $logits i32) (param $labels i32) (param $weights i32) (param $rows i32) (param $V i32) (result f64)
  (local $bytes i32) (local $end i32) (local $label i32) (local $w f64) (local $max f32) (local $picked f64) (local $total f64) (local $denom f64)
  (local.set $denom (call $denom (local.get $weights) (local.get $rows)))
  (local.set $bytes (i32.shl (local.get $V) (i32.const 2)))
  (local.set $end (i32.add (local.get $weights) (i32.shl (local.get $rows) (i32.const 2))))
  (block $done (loop $row
    (br_if $done (i32.ge_u (local.get $weights) (local.get $end)))
    (local.set $w (f64.promote_f32 (f32.load (local.get $weights))))
    (if (f64.ne (local.get $w) (f64.const 0)) (then
      (local.set $max (call $rowMax (local.get $logits) (i32.add (local.get $logits) (local.get $bytes))))
      (local.set $label (i32.load (local.get $labels)))
      (local.set $picked (f64.const nan))
      (if (i32.lt_u (local.get $label) (local.get $V)) (then
        (local.set $picked (f64.promote_f32 (f32.load (i32.add (local.get $logits) (i32.shl (local.get $label) (i32.const 2))))))))
      (local.set $total (f64.add (local.get $total) (f64.mul (local.get $w)
        (f64.sub (f64.add (call $log (call $expSum (local.get $logits) (i32.add (local.get $logits) (local.get $bytes)) (local.get $max) (i32.const 0) (i32.const 0)))
          (f64.promote_f32 (local.get $max))) (local.get $picked)))))))
    (local.set $logits (i32.add (local.get $logits) (local.get $bytes)))
    (local.set $labels (i32.add (local.get $labels) (i32.const 4)))
    (local.set $weights (i32.add (local.get $weights) (i32.const 4)))
    (br $row)))
  (f64.div (local.get $total) (local.get $denom)))

;; dlogits = c_i·(softmax(row_i) − onehot(label_i)), c_i = dy·w_i/Σw; rows with c = 0 are zeros.
;; A label outside [0, V) leaves the one-hot out rather than write past the row.
(func (export "mlmLossGrad") (param $dy f32) (param $logits i32) (param $labels i32) (param $weights i32) (param $dlogits i32) (param $rows i32) (param $V i32)
  (local $bytes i32) (local $end i32) (local $label i32) (local $at i32) (local $p i32) (local $rowEnd i32)
  (local $denom f64) (local $c f64) (local $s v128)
  (local.set $bytes (i32.shl (local.get $V) (i32.const 2)))
  (local.set $denom (call $denom (local.get $weights) (local.get $rows)))
  (local.set $end (i32.add (local.get $weights) (i32.shl (local.get $rows) (i32.const 2))))
  (block $done (loop $row
    (br_if $done (i32.ge_u (local.get $weights) (local.get $end)))
    (local.set $c (f64.div (f64.mul (f64.promote_f32 (local.get $dy)) (f64.promote_f32 (f32.load (local.get $weights)))) (local.get $denom)))
    (if (f64.eq (local.get $c) (f64.const 0))
      (then (memory.fill (local.get $dlogits) (i32.const 0) (local.get $bytes)))
      (else
        (local.set $rowEnd (i32.add (local.get $logits) (local.get $bytes)))
        (local.set $s (f32x4.splat (f32.demote_f64 (f64.div (local.get $c)
          (call $expSum (local.get $logits) (local.get $rowEnd)
            (call $rowMax (local.get $logits) (local.get $rowEnd)) (local.get $dlogits) (i32.const 1))))))
        (local.set $p (local.get $dlogits))
        (local.set $rowEnd (i32.add (local.get $dlogits) (local.get $bytes)))
        (block $scaled (loop $col
          (br_if $scaled (i32.ge_u (local.get $p) (local.get $rowEnd)))
          (v128.store (local.get $p) (f32x4.mul (v128.load (local.get $p)) (local.get $s)))
          (local.set $p (i32.add (local.get $p) (i32.const 16)))
          (br $col)))
        (local.set $label (i32.load (local.get $labels)))
        (if (i32.lt_u (local.get $label) (local.get $V)) (then
          (local.set $at (i32.add (local.get $dlogits) (i32.shl (local.get $label) (i32.const 2))))
          (f32.store (local.get $at) (f32.demote_f64 (f64.sub (f64.promote_f32 (f32.load (local.get $at))) (local.get $c))))))))
    (local.set $logits (i32.add (local.get $logits) (local.get $bytes)))
    (local.set $dlogits (i32.add (local.get $dlogits) (local.get $bytes)))
    (local.set $labels (i32.add (local.get $labels) (i32.const 4)))
    (local.set $weights (i32.add (local.get $weights) (i32.const 4)))
    (br $row))))
