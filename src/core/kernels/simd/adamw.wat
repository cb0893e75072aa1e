;; The optimizer's element loops (spec.ts sumSquaresJs, adamwTensorJs) over the first n elements of
;; a tensor, n a multiple of 4; the caller runs spec.ts on the rest. The update is float32
;; throughout, in the unfused optimizer's operation order: m and v round where they are stored, as
;; spec.ts rounds them, and the step itself rounds per operation, as the unfused path does.

;; Σ g² in float64 (the global norm for clipping sums about a million squares at `small`).
(func (export "sumSquares") (param $g i32) (param $n i32) (result f64)
  (local $end i32) (local $sq v128) (local $lo v128) (local $hi v128)
  (local.set $end (i32.add (local.get $g) (i32.shl (local.get $n) (i32.const 2))))
  (block $done (loop $next
    (br_if $done (i32.ge_u (local.get $g) (local.get $end)))
    (local.set $sq (f32x4.mul (v128.load (local.get $g)) (v128.load (local.get $g))))
    (local.set $lo (f64x2.add (local.get $lo) (f64x2.promote_low_f32x4 (local.get $sq))))
    (local.set $hi (f64x2.add (local.get $hi) (f64x2.promote_low_f32x4
      (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $sq) (local.get $sq)))))
    (local.set $g (i32.add (local.get $g) (i32.const 16)))
    (br $next)))
  (local.set $lo (f64x2.add (local.get $lo) (local.get $hi)))
  (f64.add (f64x2.extract_lane 0 (local.get $lo)) (f64x2.extract_lane 1 (local.get $lo))))

;; m ← β1·m + (1−β1)·g', v ← β2·v + (1−β2)·g'², p ← p − lr·((m/c1)/(√(v/c2) + ε) + decay·p), g' = clip·g.
(func (export "adamw")
  (param $p i32) (param $g i32) (param $m i32) (param $v i32) (param $pOut i32) (param $mOut i32) (param $vOut i32) (param $n i32)
  (param $clip f32) (param $lr f32) (param $decay f32) (param $b1 f32) (param $ob1 f32) (param $b2 f32) (param $ob2 f32)
  (param $c1 f32) (param $c2 f32) (param $eps f32)
  (local $end i32) (local $gi v128) (local $m1 v128) (local $v1 v128) (local $pv v128) (local $delta v128)
  (local.set $end (i32.add (local.get $p) (i32.shl (local.get $n) (i32.const 2))))
  (block $done (loop $next
    (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
    (local.set $gi (f32x4.mul (v128.load (local.get $g)) (f32x4.splat (local.get $clip))))
    (local.set $m1 (f32x4.add (f32x4.mul (v128.load (local.get $m)) (f32x4.splat (local.get $b1)))
      (f32x4.mul (local.get $gi) (f32x4.splat (local.get $ob1)))))
    (local.set $v1 (f32x4.add (f32x4.mul (v128.load (local.get $v)) (f32x4.splat (local.get $b2)))
      (f32x4.mul (f32x4.mul (local.get $gi) (local.get $gi)) (f32x4.splat (local.get $ob2)))))
    (local.set $pv (v128.load (local.get $p)))
    (local.set $delta (f32x4.add
      (f32x4.div (f32x4.div (local.get $m1) (f32x4.splat (local.get $c1)))
        (f32x4.add (f32x4.sqrt (f32x4.div (local.get $v1) (f32x4.splat (local.get $c2)))) (f32x4.splat (local.get $eps))))
      (f32x4.mul (local.get $pv) (f32x4.splat (local.get $decay)))))
    (v128.store (local.get $mOut) (local.get $m1))
    (v128.store (local.get $vOut) (local.get $v1))
    (v128.store (local.get $pOut) (f32x4.sub (local.get $pv) (f32x4.mul (local.get $delta) (f32x4.splat (local.get $lr)))))
    (local.set $p (i32.add (local.get $p) (i32.const 16)))
    (local.set $g (i32.add (local.get $g) (i32.const 16)))
    (local.set $m (i32.add (local.get $m) (i32.const 16)))
    (local.set $v (i32.add (local.get $v) (i32.const 16)))
    (local.set $pOut (i32.add (local.get $pOut) (i32.const 16)))
    (local.set $mOut (i32.add (local.get $mOut) (i32.const 16)))
    (local.set $vOut (i32.add (local.get $vOut) (i32.const 16)))
    (br $next))))
