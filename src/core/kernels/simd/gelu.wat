;; bias + exact GELU and its gradient (spec.ts biasGeluJs, biasGeluGradJs).

;; Φ(−|z|) = (1 − erf(a))/2 for a = |z|/√2, given e = exp(−a²): Abramowitz–Stegun 7.1.26 as in
;; spec.ts erfOfAbs, kept as the tail itself: 1 − erf rounded in float32 would lose the small
;; values that Φ takes for negative z.
(func $tail (param $a v128) (param $e v128) (result v128)
  (local $t v128) (local $p v128)
  (local.set $t (f32x4.div (f32x4.splat (f32.const 1))
    (f32x4.add (f32x4.splat (f32.const 1)) (f32x4.mul (f32x4.splat (f32.const 0.3275911)) (local.get $a)))))
  (local.set $p (f32x4.add (f32x4.mul (f32x4.splat (f32.const 1.061405429)) (local.get $t)) (f32x4.splat (f32.const -1.453152027))))
  (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $t)) (f32x4.splat (f32.const 1.421413741))))
  (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $t)) (f32x4.splat (f32.const -0.284496736))))
  (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $t)) (f32x4.splat (f32.const 0.254829592))))
  (f32x4.mul (f32x4.mul (f32x4.mul (local.get $p) (local.get $t)) (local.get $e)) (f32x4.splat (f32.const 0.5))))

;; Φ(z) for z = x + bias: the tail below zero, 1 − tail above; exp(−z²/2) through $e.
(func $cdf (param $z v128) (param $e v128) (result v128)
  (local $a v128) (local $h v128)
  (local.set $a (f32x4.mul (f32x4.abs (local.get $z)) (f32x4.splat (f32.const 0.70710678118654752))))
  (local.set $h (call $tail (local.get $a) (local.get $e)))
  (v128.bitselect (local.get $h) (f32x4.sub (f32x4.splat (f32.const 1)) (local.get $h)) (f32x4.lt (local.get $z) (f32x4.splat (f32.const 0)))))

;; exp(−z²/2)
(func $gauss (param $z v128) (result v128)
  (call $exp (f32x4.mul (f32x4.mul (local.get $z) (local.get $z)) (f32x4.splat (f32.const -0.5)))))

;; y = z·Φ(z), z = x + bias; x, y [rows, n], bias [n].
(func (export "biasGelu") (param $x i32) (param $bias i32) (param $y i32) (param $rows i32) (param $n i32)
  (local $end i32) (local $rowEnd i32) (local $j i32) (local $z v128)
  (local.set $end (i32.add (local.get $x) (i32.shl (i32.mul (local.get $rows) (local.get $n)) (i32.const 2))))
  (block $done (loop $row
    (br_if $done (i32.ge_u (local.get $x) (local.get $end)))
    (local.set $rowEnd (i32.add (local.get $x) (i32.shl (local.get $n) (i32.const 2))))
    (local.set $j (local.get $bias))
    (block $rowDone (loop $col
      (br_if $rowDone (i32.ge_u (local.get $x) (local.get $rowEnd)))
      (local.set $z (f32x4.add (v128.load (local.get $x)) (v128.load (local.get $j))))
      (v128.store (local.get $y) (f32x4.mul (local.get $z) (call $cdf (local.get $z) (call $gauss (local.get $z)))))
      (local.set $x (i32.add (local.get $x) (i32.const 16)))
      (local.set $y (i32.add (local.get $y) (i32.const 16)))
      (local.set $j (i32.add (local.get $j) (i32.const 16)))
      (br $col)))
    (br $row))))

;; dz = dy·(Φ(z) + z·φ(z)); dbias = Σ_rows dz, accumulated in float32 into dbias (zeroed here).
(func (export "biasGeluGrad") (param $dy i32) (param $x i32) (param $bias i32) (param $dx i32) (param $dbias i32) (param $rows i32) (param $n i32)
  (local $end i32) (local $rowEnd i32) (local $j i32) (local $db i32) (local $z v128) (local $e v128) (local $phi v128) (local $v v128)
  (memory.fill (local.get $dbias) (i32.const 0) (i32.shl (local.get $n) (i32.const 2)))
  (local.set $end (i32.add (local.get $x) (i32.shl (i32.mul (local.get $rows) (local.get $n)) (i32.const 2))))
  (block $done (loop $row
    (br_if $done (i32.ge_u (local.get $x) (local.get $end)))
    (local.set $rowEnd (i32.add (local.get $x) (i32.shl (local.get $n) (i32.const 2))))
    (local.set $j (local.get $bias))
    (local.set $db (local.get $dbias))
    (block $rowDone (loop $col
      (br_if $rowDone (i32.ge_u (local.get $x) (local.get $rowEnd)))
      (local.set $z (f32x4.add (v128.load (local.get $x)) (v128.load (local.get $j))))
      (local.set $e (call $gauss (local.get $z)))
      (local.set $phi (call $cdf (local.get $z) (local.get $e)))
      (local.set $v (f32x4.mul (v128.load (local.get $dy))
        (f32x4.add (local.get $phi) (f32x4.mul (f32x4.mul (local.get $z) (f32x4.splat (f32.const 0.39894228040143268))) (local.get $e)))))
      (v128.store (local.get $dx) (local.get $v))
      (v128.store (local.get $db) (f32x4.add (v128.load (local.get $db)) (local.get $v)))
      (local.set $x (i32.add (local.get $x) (i32.const 16)))
      (local.set $dy (i32.add (local.get $dy) (i32.const 16)))
      (local.set $dx (i32.add (local.get $dx) (i32.const 16)))
      (local.set $j (i32.add (local.get $j) (i32.const 16)))
      (local.set $db (i32.add (local.get $db) (i32.const 16)))
      (br $col)))
    (br $row))))
