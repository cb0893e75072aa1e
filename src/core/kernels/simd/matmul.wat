;; Matrix products too small for XNNPACK's set-up to pay: tfjs-wasm creates an XNNPACK operator
;; and packs the weights for every product with new weights (every training step), and runs a batch
;; one product at a time (attention's per-head products: a few thousand multiply-adds each).
;;
;; Register tiles: rows of c in blocks of 4 and columns in blocks of 8 (then 4, then 1), each tile's
;; sums held in vectors across the whole k loop, a[i, kk] broadcast against b's row kk. Each sum
;; starts from the bias (or 0) and runs over kk in order, in float32. a is read through strides, so
;; a transposed a costs nothing: element (i, kk) is at a + i·$lda + kk·$ak (bytes).

(func $tile4x8 (param $a i32) (param $b i32) (param $c i32) (param $bias i32) (param $k i32) (param $lda i32) (param $ak i32) (param $ldb i32) (param $ldc i32)
  (local $end i32) (local $x v128) (local $b0 v128) (local $b1 v128) (local $c00 v128) (local $c01 v128) (local $c10 v128) (local $c11 v128) (local $c20 v128) (local $c21 v128) (local $c30 v128) (local $c31 v128)
  (if (local.get $bias) (then
    (local.set $c00 (v128.load (local.get $bias)))
    (local.set $c01 (v128.load (i32.add (local.get $bias) (i32.const 16))))
    (local.set $c10 (local.get $c00))
    (local.set $c11 (local.get $c01))
    (local.set $c20 (local.get $c00))
    (local.set $c21 (local.get $c01))
    (local.set $c30 (local.get $c00))
    (local.set $c31 (local.get $c01))))
  (local.set $end (i32.add (local.get $a) (i32.mul (local.get $k) (local.get $ak))))
  (block $done (loop $next
    (br_if $done (i32.eq (local.get $a) (local.get $end)))
    (local.set $b0 (v128.load (local.get $b)))
    (local.set $b1 (v128.load (i32.add (local.get $b) (i32.const 16))))
    (local.set $x (f32x4.splat (f32.load (local.get $a))))
    (local.set $c00 (f32x4.add (local.get $c00) (f32x4.mul (local.get $x) (local.get $b0))))
    (local.set $c01 (f32x4.add (local.get $c01) (f32x4.mul (local.get $x) (local.get $b1))))
    (local.set $x (f32x4.splat (f32.load (i32.add (local.get $a) (local.get $lda)))))
    (local.set $c10 (f32x4.add (local.get $c10) (f32x4.mul (local.get $x) (local.get $b0))))
    (local.set $c11 (f32x4.add (local.get $c11) (f32x4.mul (local.get $x) (local.get $b1))))
    (local.set $x (f32x4.splat (f32.load (i32.add (local.get $a) (i32.mul (local.get $lda) (i32.const 2))))))
    (local.set $c20 (f32x4.add (local.get $c20) (f32x4.mul (local.get $x) (local.get $b0))))
    (local.set $c21 (f32x4.add (local.get $c21) (f32x4.mul (local.get $x) (local.get $b1))))
    (local.set $x (f32x4.splat (f32.load (i32.add (local.get $a) (i32.mul (local.get $lda) (i32.const 3))))))
    (local.set $c30 (f32x4.add (local.get $c30) (f32x4.mul (local.get $x) (local.get $b0))))
    (local.set $c31 (f32x4.add (local.get $c31) (f32x4.mul (local.get $x) (local.get $b1))))
    (local.set $a (i32.add (local.get $a) (local.get $ak)))
    (local.set $b (i32.add (local.get $b) (local.get $ldb)))
    (br $next)))
  (v128.store (local.get $c) (local.get $c00))
  (v128.store (i32.add (local.get $c) (i32.const 16)) (local.get $c01))
  (v128.store (i32.add (local.get $c) (local.get $ldc)) (local.get $c10))
  (v128.store (i32.add (i32.add (local.get $c) (local.get $ldc)) (i32.const 16)) (local.get $c11))
  (v128.store (i32.add (local.get $c) (i32.mul (local.get $ldc) (i32.const 2))) (local.get $c20))
  (v128.store (i32.add (i32.add (local.get $c) (i32.mul (local.get $ldc) (i32.const 2))) (i32.const 16)) (local.get $c21))
  (v128.store (i32.add (local.get $c) (i32.mul (local.get $ldc) (i32.const 3))) (local.get $c30))
  (v128.store (i32.add (i32.add (local.get $c) (i32.mul (local.get $ldc) (i32.const 3))) (i32.const 16)) (local.get $c31)))

(func $tile4x4 (param $a i32) (param $b i32) (param $c i32) (param $bias i32) (param $k i32) (param $lda i32) (param $ak i32) (param $ldb i32) (param $ldc i32)
  (local $end i32) (local $x v128) (local $b0 v128) (local $c00 v128) (local $c10 v128) (local $c20 v128) (local $c30 v128)
  (if (local.get $bias) (then
    (local.set $c00 (v128.load (local.get $bias)))
    (local.set $c10 (local.get $c00))
    (local.set $c20 (local.get $c00))
    (local.set $c30 (local.get $c00))))
  (local.set $end (i32.add (local.get $a) (i32.mul (local.get $k) (local.get $ak))))
  (block $done (loop $next
    (br_if $done (i32.eq (local.get $a) (local.get $end)))
    (local.set $b0 (v128.load (local.get $b)))
    (local.set $x (f32x4.splat (f32.load (local.get $a))))
    (local.set $c00 (f32x4.add (local.get $c00) (f32x4.mul (local.get $x) (local.get $b0))))
    (local.set $x (f32x4.splat (f32.load (i32.add (local.get $a) (local.get $lda)))))
    (local.set $c10 (f32x4.add (local.get $c10) (f32x4.mul (local.get $x) (local.get $b0))))
    (local.set $x (f32x4.splat (f32.load (i32.add (local.get $a) (i32.mul (local.get $lda) (i32.const 2))))))
    (local.set $c20 (f32x4.add (local.get $c20) (f32x4.mul (local.get $x) (local.get $b0))))
    (local.set $x (f32x4.splat (f32.load (i32.add (local.get $a) (i32.mul (local.get $lda) (i32.const 3))))))
    (local.set $c30 (f32x4.add (local.get $c30) (f32x4.mul (local.get $x) (local.get $b0))))
    (local.set $a (i32.add (local.get $a) (local.get $ak)))
    (local.set $b (i32.add (local.get $b) (local.get $ldb)))
    (br $next)))
  (v128.store (local.get $c) (local.get $c00))
  (v128.store (i32.add (local.get $c) (local.get $ldc)) (local.get $c10))
  (v128.store (i32.add (local.get $c) (i32.mul (local.get $ldc) (i32.const 2))) (local.get $c20))
  (v128.store (i32.add (local.get $c) (i32.mul (local.get $ldc) (i32.const 3))) (local.get $c30)))

(func $tile1x4 (param $a i32) (param $b i32) (param $c i32) (param $bias i32) (param $k i32) (param $lda i32) (param $ak i32) (param $ldb i32) (param $ldc i32)
  (local $end i32) (local $x v128) (local $b0 v128) (local $c00 v128)
  (if (local.get $bias) (then
    (local.set $c00 (v128.load (local.get $bias)))))
  (local.set $end (i32.add (local.get $a) (i32.mul (local.get $k) (local.get $ak))))
  (block $done (loop $next
    (br_if $done (i32.eq (local.get $a) (local.get $end)))
    (local.set $b0 (v128.load (local.get $b)))
    (local.set $x (f32x4.splat (f32.load (local.get $a))))
    (local.set $c00 (f32x4.add (local.get $c00) (f32x4.mul (local.get $x) (local.get $b0))))
    (local.set $a (i32.add (local.get $a) (local.get $ak)))
    (local.set $b (i32.add (local.get $b) (local.get $ldb)))
    (br $next)))
  (v128.store (local.get $c) (local.get $c00)))

;; c[row, j] ← a[row, :]·b[:, j] (+ bias[j]) for one column: columns past the last multiple of 4.
(func $dot (param $a i32) (param $b i32) (param $c i32) (param $bias i32) (param $k i32) (param $ak i32) (param $ldb i32)
  (local $end i32) (local $sum f32)
  (if (local.get $bias) (then (local.set $sum (f32.load (local.get $bias)))))
  (local.set $end (i32.add (local.get $a) (i32.mul (local.get $k) (local.get $ak))))
  (block $done (loop $next
    (br_if $done (i32.eq (local.get $a) (local.get $end)))
    (local.set $sum (f32.add (local.get $sum) (f32.mul (f32.load (local.get $a)) (f32.load (local.get $b)))))
    (local.set $a (i32.add (local.get $a) (local.get $ak)))
    (local.set $b (i32.add (local.get $b) (local.get $ldb)))
    (br $next)))
  (f32.store (local.get $c) (local.get $sum)))

;; out[s] ← op(a[s])·b[s] (+ bias) for s < n: op(a[s]) [m, k], b [n, k, p], out [n, m, p]. a is
;; [n, m, k], or [n, k, m] read transposed when $transA. $bias is the byte offset of p floats added
;; to every row, or 0 for none.
(func (export "matMul") (param $a i32) (param $b i32) (param $bias i32) (param $out i32) (param $n i32) (param $m i32) (param $k i32) (param $p i32) (param $transA i32)
  (local $lda i32) (local $ak i32) (local $ldb i32) (local $s i32) (local $i i32) (local $j i32) (local $r i32) (local $rows i32)
  (local $aRow i32) (local $cRow i32) (local $rows4 i32) (local $vecEnd i32)
  (if (local.get $transA)
    (then (local.set $lda (i32.const 4)) (local.set $ak (i32.shl (local.get $m) (i32.const 2))))
    (else (local.set $lda (i32.shl (local.get $k) (i32.const 2))) (local.set $ak (i32.const 4))))
  (local.set $ldb (i32.shl (local.get $p) (i32.const 2)))
  (local.set $vecEnd (i32.shl (i32.and (local.get $p) (i32.const -4)) (i32.const 2)))
  (local.set $rows4 (i32.and (local.get $m) (i32.const -4)))
  (block $sDone (loop $sLoop
    (br_if $sDone (i32.ge_u (local.get $s) (local.get $n)))
    (local.set $i (i32.const 0))
    (block $iDone (loop $iLoop
      (br_if $iDone (i32.ge_u (local.get $i) (local.get $m)))
      (local.set $aRow (i32.add (local.get $a) (i32.mul (local.get $i) (local.get $lda))))
      (local.set $cRow (i32.add (local.get $out) (i32.mul (local.get $i) (local.get $ldb))))
      (local.set $j (i32.const 0))
      (if (i32.lt_u (local.get $i) (local.get $rows4))
        (then
          (local.set $rows (i32.const 4))
          (block $jDone (loop $jLoop
            (br_if $jDone (i32.gt_u (i32.add (local.get $j) (i32.const 32)) (local.get $vecEnd)))
            (call $tile4x8 (local.get $aRow) (i32.add (local.get $b) (local.get $j)) (i32.add (local.get $cRow) (local.get $j))
              (select (i32.add (local.get $bias) (local.get $j)) (i32.const 0) (local.get $bias))
              (local.get $k) (local.get $lda) (local.get $ak) (local.get $ldb) (local.get $ldb))
            (local.set $j (i32.add (local.get $j) (i32.const 32)))
            (br $jLoop)))
          (if (i32.lt_u (local.get $j) (local.get $vecEnd))
            (then
              (call $tile4x4 (local.get $aRow) (i32.add (local.get $b) (local.get $j)) (i32.add (local.get $cRow) (local.get $j))
                (select (i32.add (local.get $bias) (local.get $j)) (i32.const 0) (local.get $bias))
                (local.get $k) (local.get $lda) (local.get $ak) (local.get $ldb) (local.get $ldb))
              (local.set $j (local.get $vecEnd)))))
        (else
          (local.set $rows (i32.const 1))
          (block $jDone (loop $jLoop
            (br_if $jDone (i32.ge_u (local.get $j) (local.get $vecEnd)))
            (call $tile1x4 (local.get $aRow) (i32.add (local.get $b) (local.get $j)) (i32.add (local.get $cRow) (local.get $j))
              (select (i32.add (local.get $bias) (local.get $j)) (i32.const 0) (local.get $bias))
              (local.get $k) (local.get $lda) (local.get $ak) (local.get $ldb) (local.get $ldb))
            (local.set $j (i32.add (local.get $j) (i32.const 16)))
            (br $jLoop)))))
      ;; The last p mod 4 columns, one sum at a time, for each row of the block.
      (block $tDone (loop $tLoop
        (br_if $tDone (i32.ge_u (local.get $j) (local.get $ldb)))
        (local.set $r (i32.const 0))
        (block $rDone (loop $rLoop
          (br_if $rDone (i32.ge_u (local.get $r) (local.get $rows)))
          (call $dot (i32.add (local.get $aRow) (i32.mul (local.get $r) (local.get $lda))) (i32.add (local.get $b) (local.get $j))
            (i32.add (i32.add (local.get $cRow) (i32.mul (local.get $r) (local.get $ldb))) (local.get $j))
            (select (i32.add (local.get $bias) (local.get $j)) (i32.const 0) (local.get $bias))
            (local.get $k) (local.get $ak) (local.get $ldb))
          (local.set $r (i32.add (local.get $r) (i32.const 1)))
          (br $rLoop)))
        (local.set $j (i32.add (local.get $j) (i32.const 4)))
        (br $tLoop)))
      (local.set $i (i32.add (local.get $i) (local.get $rows)))
      (br $iLoop)))
    (local.set $a (i32.add (local.get $a) (i32.mul (local.get $m) (i32.shl (local.get $k) (i32.const 2)))))
    (local.set $b (i32.add (local.get $b) (i32.mul (local.get $k) (local.get $ldb))))
    (local.set $out (i32.add (local.get $out) (i32.mul (local.get $m) (local.get $ldb))))
    (local.set $s (i32.add (local.get $s) (i32.const 1)))
    (br $sLoop))))
