;; Attention softmax with dropout and its gradient (spec.ts attnSoftmaxJs, attnSoftmaxGradJs):
;; scores, out [batch, rowsPerBatch, k], bias [batch, k]; k a multiple of 4. The dropout mask is
;; $keeps at each element's flat index, so it is spec.ts's (and WebGPU's) bit for bit; rate 0 is
;; threshold 0 and keepScale 1, which keeps every element and leaves p as it is.

(func $hmax (param $v v128) (result f32)
  (f32.max (f32.max (f32x4.extract_lane 0 (local.get $v)) (f32x4.extract_lane 1 (local.get $v)))
    (f32.max (f32x4.extract_lane 2 (local.get $v)) (f32x4.extract_lane 3 (local.get $v)))))

;; row ← exp(z − max z), z = scale·scores + bias; returns 1/Σ. The output row holds z and then
;; the exponentials: it is the only scratch, and it is in cache for the pass that finishes it.
(func $expRow (param $s i32) (param $bias i32) (param $row i32) (param $kb i32) (param $scale v128) (result f32)
  (local $j i32) (local $m v128) (local $z v128) (local $sum v128)
  (local.set $m (f32x4.splat (f32.const -inf)))
  (block $done (loop $col
    (br_if $done (i32.ge_u (local.get $j) (local.get $kb)))
    (local.set $z (f32x4.add (f32x4.mul (v128.load (i32.add (local.get $s) (local.get $j))) (local.get $scale))
      (v128.load (i32.add (local.get $bias) (local.get $j)))))
    (v128.store (i32.add (local.get $row) (local.get $j)) (local.get $z))
    (local.set $m (f32x4.max (local.get $m) (local.get $z)))
    (local.set $j (i32.add (local.get $j) (i32.const 16)))
    (br $col)))
  (local.set $m (f32x4.splat (call $hmax (local.get $m))))
  (local.set $j (i32.const 0))
  (block $done (loop $col
    (br_if $done (i32.ge_u (local.get $j) (local.get $kb)))
    (local.set $z (f32x4.sub (v128.load (i32.add (local.get $row) (local.get $j))) (local.get $m)))
    ;; Zero below $exp's clamp, not e^−87: masked keys (bias −1e4) then get exactly nothing, as in
    ;; spec.ts and tf.softmax, rather than ~1e−38.
    (local.set $z (v128.andnot (call $exp (local.get $z)) (f32x4.lt (local.get $z) (f32x4.splat (f32.const -87)))))
    (v128.store (i32.add (local.get $row) (local.get $j)) (local.get $z))
    (local.set $sum (f32x4.add (local.get $sum) (local.get $z)))
    (local.set $j (i32.add (local.get $j) (i32.const 16)))
    (br $col)))
  (f32.div (f32.const 1) (call $hsum (local.get $sum))))

;; out = p·mask·keepScale, p = softmax(scale·scores + bias) per row.
(func (export "attnSoftmax") (param $scores i32) (param $bias i32) (param $out i32) (param $batch i32) (param $rowsPerBatch i32)
    (param $k i32) (param $scale f32) (param $threshold i32) (param $seedMix i32) (param $keepScale f32)
  (local $kb i32) (local $biasEnd i32) (local $r i32) (local $o i32) (local $j i32) (local $w v128)
  (local.set $kb (i32.shl (local.get $k) (i32.const 2)))
  (local.set $biasEnd (i32.add (local.get $bias) (i32.mul (local.get $batch) (local.get $kb))))
  (block $done (loop $batches
    (br_if $done (i32.ge_u (local.get $bias) (local.get $biasEnd)))
    (local.set $r (i32.const 0))
    (block $batchDone (loop $row
      (br_if $batchDone (i32.ge_u (local.get $r) (local.get $rowsPerBatch)))
      ;; One multiply by 1/Σ·keepScale: with rate 0 that is 1/Σ exactly, as spec.ts stores p.
      (local.set $w (f32x4.splat (f32.mul (local.get $keepScale)
        (call $expRow (local.get $scores) (local.get $bias) (local.get $out) (local.get $kb) (f32x4.splat (local.get $scale))))))
      (local.set $j (i32.const 0))
      (block $rowDone (loop $col
        (br_if $rowDone (i32.ge_u (local.get $j) (local.get $kb)))
        (v128.store (i32.add (local.get $out) (local.get $j))
          (v128.and (f32x4.mul (v128.load (i32.add (local.get $out) (local.get $j))) (local.get $w))
            (call $keeps (i32.add (local.get $o) (i32.shr_u (local.get $j) (i32.const 2))) (local.get $seedMix) (local.get $threshold))))
        (local.set $j (i32.add (local.get $j) (i32.const 16)))
        (br $col)))
      (local.set $scores (i32.add (local.get $scores) (local.get $kb)))
      (local.set $out (i32.add (local.get $out) (local.get $kb)))
      (local.set $o (i32.add (local.get $o) (local.get $k)))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $row)))
    (local.set $bias (i32.add (local.get $bias) (local.get $kb)))
    (br $batches))))

;; ds = scale·p·(dp − Σ dp·p), dp = dy·mask·keepScale, p recomputed from the scores.
(func (export "attnSoftmaxGrad") (param $dy i32) (param $scores i32) (param $bias i32) (param $ds i32) (param $batch i32)
    (param $rowsPerBatch i32) (param $k i32) (param $scale f32) (param $threshold i32) (param $seedMix i32) (param $keepScale f32)
  (local $kb i32) (local $biasEnd i32) (local $r i32) (local $o i32) (local $j i32)
  (local $sc v128) (local $ks v128) (local $inv v128) (local $dot v128) (local $p v128) (local $v v128) (local $dp v128)
  (local.set $kb (i32.shl (local.get $k) (i32.const 2)))
  (local.set $biasEnd (i32.add (local.get $bias) (i32.mul (local.get $batch) (local.get $kb))))
  (local.set $sc (f32x4.splat (local.get $scale)))
  (local.set $ks (f32x4.splat (local.get $keepScale)))
  (block $done (loop $batches
    (br_if $done (i32.ge_u (local.get $bias) (local.get $biasEnd)))
    (local.set $r (i32.const 0))
    (block $batchDone (loop $row
      (br_if $batchDone (i32.ge_u (local.get $r) (local.get $rowsPerBatch)))
      (local.set $inv (f32x4.splat (call $expRow (local.get $scores) (local.get $bias) (local.get $ds) (local.get $kb) (local.get $sc))))
      (local.set $dot (v128.const i32x4 0 0 0 0))
      (local.set $j (i32.const 0))
      (block $rowDone (loop $col
        (br_if $rowDone (i32.ge_u (local.get $j) (local.get $kb)))
        (local.set $p (f32x4.mul (v128.load (i32.add (local.get $ds) (local.get $j))) (local.get $inv)))
        (local.set $v (call $keeps (i32.add (local.get $o) (i32.shr_u (local.get $j) (i32.const 2))) (local.get $seedMix) (local.get $threshold)))
        (local.set $dp (v128.and (f32x4.mul (v128.load (i32.add (local.get $dy) (local.get $j))) (local.get $ks)) (local.get $v)))
        (local.set $dot (f32x4.add (local.get $dot) (f32x4.mul (local.get $dp) (local.get $p))))
        ;; p ≥ 0, so its sign bit is free to carry "dropped" to the next pass instead of hashing twice.
        (v128.store (i32.add (local.get $ds) (local.get $j))
          (v128.or (local.get $p) (v128.andnot (v128.const i32x4 0x80000000 0x80000000 0x80000000 0x80000000) (local.get $v))))
        (local.set $j (i32.add (local.get $j) (i32.const 16)))
        (br $col)))
      (local.set $dot (f32x4.splat (call $hsum (local.get $dot))))
      (local.set $j (i32.const 0))
      (block $rowDone (loop $col
        (br_if $rowDone (i32.ge_u (local.get $j) (local.get $kb)))
        (local.set $v (v128.load (i32.add (local.get $ds) (local.get $j))))
        (local.set $dp (v128.andnot (f32x4.mul (v128.load (i32.add (local.get $dy) (local.get $j))) (local.get $ks))
          (i32x4.shr_s (local.get $v) (i32.const 31))))
        (v128.store (i32.add (local.get $ds) (local.get $j))
          (f32x4.mul (f32x4.mul (local.get $sc) (f32x4.abs (local.get $v))) (f32x4.sub (local.get $dp) (local.get $dot))))
        (local.set $j (i32.add (local.get $j) (i32.const 16)))
        (br $col)))
      (local.set $dy (i32.add (local.get $dy) (local.get $kb)))
      (local.set $scores (i32.add (local.get $scores) (local.get $kb)))
      (local.set $ds (i32.add (local.get $ds) (local.get $kb)))
      (local.set $o (i32.add (local.get $o) (local.get $k)))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $row)))
    (local.set $bias (i32.add (local.get $bias) (local.get $kb)))
    (br $batches))))
