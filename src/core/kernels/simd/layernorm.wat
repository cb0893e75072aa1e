;; LayerNorm over rows of length d and its gradient (spec.ts layerNormJs, layerNormGradJs).
;; Each row is centred on its first element x0 before summing: x − x0 is exact for values near
;; x0 (Sterbenz), so x − mean = (x − x0) − m, m = mean(x − x0), keeps the digits that a float32
;; mean of a row with a large common offset (x ≈ 100, σ ≈ 0.01) would round away.

;; m = mean(x − x0) over [x, end), in every lane.
(func $lnMean (param $x i32) (param $end i32) (param $x0 v128) (param $d f32) (result v128)
  (local $s v128)
  (block $done (loop $col
    (br_if $done (i32.ge_u (local.get $x) (local.get $end)))
    (local.set $s (f32x4.add (local.get $s) (f32x4.sub (v128.load (local.get $x)) (local.get $x0))))
    (local.set $x (i32.add (local.get $x) (i32.const 16)))
    (br $col)))
  (f32x4.splat (f32.div (call $hsum (local.get $s)) (local.get $d))))

;; 1/√(Σ(x − mean)²/d + eps), given the lanes of Σ(x − mean)².
(func $lnRstd (param $sq v128) (param $d f32) (param $eps f32) (result f32)
  (f32.div (f32.const 1) (f32.sqrt (f32.add (f32.div (call $hsum (local.get $sq)) (local.get $d)) (local.get $eps)))))

;; y = (x − mean)·rstd·γ + β; x, y [rows, d], γ, β [d].
(func (export "layerNorm") (param $x i32) (param $gamma i32) (param $beta i32) (param $y i32) (param $rows i32) (param $d i32) (param $eps f32)
  (local $end i32) (local $rowEnd i32) (local $p i32) (local $g i32) (local $b i32) (local $df f32)
  (local $x0 v128) (local $m v128) (local $c v128) (local $sq v128) (local $rstd v128)
  (local.set $df (f32.convert_i32_u (local.get $d)))
  (local.set $end (i32.add (local.get $x) (i32.shl (i32.mul (local.get $rows) (local.get $d)) (i32.const 2))))
  (block $done (loop $row
    (br_if $done (i32.ge_u (local.get $x) (local.get $end)))
    (local.set $rowEnd (i32.add (local.get $x) (i32.shl (local.get $d) (i32.const 2))))
    (local.set $x0 (v128.load32_splat (local.get $x)))
    (local.set $m (call $lnMean (local.get $x) (local.get $rowEnd) (local.get $x0) (local.get $df)))
    ;; Two-pass variance, as spec.ts: Σ(x − mean)² cannot cancel as Σx² − d·mean² does.
    (local.set $sq (v128.const i32x4 0 0 0 0))
    (local.set $p (local.get $x))
    (block $varDone (loop $var
      (br_if $varDone (i32.ge_u (local.get $p) (local.get $rowEnd)))
      (local.set $c (f32x4.sub (f32x4.sub (v128.load (local.get $p)) (local.get $x0)) (local.get $m)))
      (local.set $sq (f32x4.add (local.get $sq) (f32x4.mul (local.get $c) (local.get $c))))
      (local.set $p (i32.add (local.get $p) (i32.const 16)))
      (br $var)))
    (local.set $rstd (f32x4.splat (call $lnRstd (local.get $sq) (local.get $df) (local.get $eps))))
    (local.set $g (local.get $gamma))
    (local.set $b (local.get $beta))
    (block $rowDone (loop $col
      (br_if $rowDone (i32.ge_u (local.get $x) (local.get $rowEnd)))
      (local.set $c (f32x4.sub (f32x4.sub (v128.load (local.get $x)) (local.get $x0)) (local.get $m)))
      (v128.store (local.get $y) (f32x4.add
        (f32x4.mul (f32x4.mul (local.get $c) (local.get $rstd)) (v128.load (local.get $g)))
        (v128.load (local.get $b))))
      (local.set $x (i32.add (local.get $x) (i32.const 16)))
      (local.set $y (i32.add (local.get $y) (i32.const 16)))
      (local.set $g (i32.add (local.get $g) (i32.const 16)))
      (local.set $b (i32.add (local.get $b) (i32.const 16)))
      (br $col)))
    (br $row))))

;; dx = rstd·(g − mean(g) − x̂·mean(g·x̂)), g = dy·γ; dγ = Σ_rows dy·x̂, dβ = Σ_rows dy, accumulated
;; in float32 into dγ, dβ (zeroed here). Three passes a row: the mean; Σ(x − mean)², Σg and
;; Σg·(x − mean) together (none needs rstd: mean(g·x̂) = rstd·mean(g·(x − mean))); then the
;; outputs, x̂ recomputed rather than kept in a scratch row.
(func (export "layerNormGrad") (param $dy i32) (param $x i32) (param $gamma i32) (param $dx i32) (param $dgamma i32) (param $dbeta i32) (param $rows i32) (param $d i32) (param $eps f32)
  (local $end i32) (local $rowEnd i32) (local $p i32) (local $q i32) (local $j i32) (local $dg i32) (local $db i32)
  (local $df f32) (local $r f32)
  (local $x0 v128) (local $m v128) (local $c v128) (local $g v128) (local $v v128) (local $xh v128)
  (local $sq v128) (local $gs v128) (local $gxs v128) (local $rstd v128) (local $gMean v128) (local $gxMean v128)
  (memory.fill (local.get $dgamma) (i32.const 0) (i32.shl (local.get $d) (i32.const 2)))
  (memory.fill (local.get $dbeta) (i32.const 0) (i32.shl (local.get $d) (i32.const 2)))
  (local.set $df (f32.convert_i32_u (local.get $d)))
  (local.set $end (i32.add (local.get $x) (i32.shl (i32.mul (local.get $rows) (local.get $d)) (i32.const 2))))
  (block $done (loop $row
    (br_if $done (i32.ge_u (local.get $x) (local.get $end)))
    (local.set $rowEnd (i32.add (local.get $x) (i32.shl (local.get $d) (i32.const 2))))
    (local.set $x0 (v128.load32_splat (local.get $x)))
    (local.set $m (call $lnMean (local.get $x) (local.get $rowEnd) (local.get $x0) (local.get $df)))
    (local.set $sq (v128.const i32x4 0 0 0 0))
    (local.set $gs (v128.const i32x4 0 0 0 0))
    (local.set $gxs (v128.const i32x4 0 0 0 0))
    (local.set $p (local.get $x))
    (local.set $q (local.get $dy))
    (local.set $j (local.get $gamma))
    (block $sumsDone (loop $sums
      (br_if $sumsDone (i32.ge_u (local.get $p) (local.get $rowEnd)))
      (local.set $c (f32x4.sub (f32x4.sub (v128.load (local.get $p)) (local.get $x0)) (local.get $m)))
      (local.set $g (f32x4.mul (v128.load (local.get $q)) (v128.load (local.get $j))))
      (local.set $sq (f32x4.add (local.get $sq) (f32x4.mul (local.get $c) (local.get $c))))
      (local.set $gs (f32x4.add (local.get $gs) (local.get $g)))
      (local.set $gxs (f32x4.add (local.get $gxs) (f32x4.mul (local.get $g) (local.get $c))))
      (local.set $p (i32.add (local.get $p) (i32.const 16)))
      (local.set $q (i32.add (local.get $q) (i32.const 16)))
      (local.set $j (i32.add (local.get $j) (i32.const 16)))
      (br $sums)))
    (local.set $r (call $lnRstd (local.get $sq) (local.get $df) (local.get $eps)))
    (local.set $rstd (f32x4.splat (local.get $r)))
    (local.set $gMean (f32x4.splat (f32.div (call $hsum (local.get $gs)) (local.get $df))))
    (local.set $gxMean (f32x4.splat (f32.mul (f32.div (call $hsum (local.get $gxs)) (local.get $df)) (local.get $r))))
    (local.set $j (local.get $gamma))
    (local.set $dg (local.get $dgamma))
    (local.set $db (local.get $dbeta))
    (block $rowDone (loop $col
      (br_if $rowDone (i32.ge_u (local.get $x) (local.get $rowEnd)))
      (local.set $xh (f32x4.mul (f32x4.sub (f32x4.sub (v128.load (local.get $x)) (local.get $x0)) (local.get $m)) (local.get $rstd)))
      (local.set $v (v128.load (local.get $dy)))
      (v128.store (local.get $dx) (f32x4.mul (local.get $rstd) (f32x4.sub
        (f32x4.sub (f32x4.mul (local.get $v) (v128.load (local.get $j))) (local.get $gMean))
        (f32x4.mul (local.get $xh) (local.get $gxMean)))))
      (v128.store (local.get $dg) (f32x4.add (v128.load (local.get $dg)) (f32x4.mul (local.get $v) (local.get $xh))))
      (v128.store (local.get $db) (f32x4.add (v128.load (local.get $db)) (local.get $v)))
      (local.set $x (i32.add (local.get $x) (i32.const 16)))
      (local.set $dy (i32.add (local.get $dy) (i32.const 16)))
      (local.set $dx (i32.add (local.get $dx) (i32.const 16)))
      (local.set $j (i32.add (local.get $j) (i32.const 16)))
      (local.set $dg (i32.add (local.get $dg) (i32.const 16)))
      (local.set $db (i32.add (local.get $db) (i32.const 16)))
      (br $col)))
    (br $row))))
