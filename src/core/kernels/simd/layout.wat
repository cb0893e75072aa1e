;; Transposes and leading-axis sums (layout-js.ts swapAxesJs, columnSumsJs) for the shapes a step
;; asks for: callers pass the cases these take and run layout-js.ts on the rest.

;; out ← x with [outer, a, b, inner] swapped to [outer, b, a, inner], for inner a multiple of 4:
;; each (a, b) cell is a run of inner floats, copied 4 at a time.
(func (export "swapRuns") (param $x i32) (param $out i32) (param $outer i32) (param $a i32) (param $b i32) (param $inner i32)
  (local $o i32) (local $i i32) (local $j i32) (local $k i32) (local $src i32) (local $dst i32) (local $run i32) (local $block i32)
  (local.set $run (i32.shl (local.get $inner) (i32.const 2)))
  (local.set $block (i32.mul (i32.mul (local.get $a) (local.get $b)) (local.get $run)))
  (block $oDone (loop $oLoop
    (br_if $oDone (i32.ge_u (local.get $o) (local.get $outer)))
    (local.set $i (i32.const 0))
    (block $iDone (loop $iLoop
      (br_if $iDone (i32.ge_u (local.get $i) (local.get $a)))
      (local.set $j (i32.const 0))
      (block $jDone (loop $jLoop
        (br_if $jDone (i32.ge_u (local.get $j) (local.get $b)))
        (local.set $src (i32.add (local.get $x) (i32.mul (i32.add (i32.mul (local.get $i) (local.get $b)) (local.get $j)) (local.get $run))))
        (local.set $dst (i32.add (local.get $out) (i32.mul (i32.add (i32.mul (local.get $j) (local.get $a)) (local.get $i)) (local.get $run))))
        (local.set $k (i32.const 0))
        (block $kDone (loop $kLoop
          (br_if $kDone (i32.ge_u (local.get $k) (local.get $run)))
          (v128.store (i32.add (local.get $dst) (local.get $k)) (v128.load (i32.add (local.get $src) (local.get $k))))
          (local.set $k (i32.add (local.get $k) (i32.const 16)))
          (br $kLoop)))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $jLoop)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $iLoop)))
    (local.set $x (i32.add (local.get $x) (local.get $block)))
    (local.set $out (i32.add (local.get $out) (local.get $block)))
    (local.set $o (i32.add (local.get $o) (i32.const 1)))
    (br $oLoop))))

;; out [outer, b, a] ← x [outer, a, b] for a and b multiples of 4: 4×4 tiles, each four row loads,
;; eight shuffles and four stores.
(func (export "transpose4") (param $x i32) (param $out i32) (param $outer i32) (param $a i32) (param $b i32)
  (local $o i32) (local $i i32) (local $j i32) (local $rowA i32) (local $rowB i32) (local $src i32) (local $dst i32) (local $block i32)
  (local $r0 v128) (local $r1 v128) (local $r2 v128) (local $r3 v128) (local $t0 v128) (local $t1 v128) (local $t2 v128) (local $t3 v128)
  (local.set $rowA (i32.shl (local.get $b) (i32.const 2)))
  (local.set $rowB (i32.shl (local.get $a) (i32.const 2)))
  (local.set $block (i32.mul (local.get $rowA) (local.get $a)))
  (block $oDone (loop $oLoop
    (br_if $oDone (i32.ge_u (local.get $o) (local.get $outer)))
    (local.set $i (i32.const 0))
    (block $iDone (loop $iLoop
      (br_if $iDone (i32.ge_u (local.get $i) (local.get $a)))
      (local.set $j (i32.const 0))
      (block $jDone (loop $jLoop
        (br_if $jDone (i32.ge_u (local.get $j) (local.get $b)))
        (local.set $src (i32.add (local.get $x) (i32.add (i32.mul (local.get $i) (local.get $rowA)) (i32.shl (local.get $j) (i32.const 2)))))
        (local.set $r0 (v128.load (local.get $src)))
        (local.set $r1 (v128.load (i32.add (local.get $src) (local.get $rowA))))
        (local.set $r2 (v128.load (i32.add (local.get $src) (i32.shl (local.get $rowA) (i32.const 1)))))
        (local.set $r3 (v128.load (i32.add (local.get $src) (i32.mul (local.get $rowA) (i32.const 3)))))
        ;; Interleave pairs of rows, then take 64-bit halves: lane k of every row ends in column k.
        (local.set $t0 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $r0) (local.get $r1)))
        (local.set $t1 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $r0) (local.get $r1)))
        (local.set $t2 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $r2) (local.get $r3)))
        (local.set $t3 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $r2) (local.get $r3)))
        (local.set $dst (i32.add (local.get $out) (i32.add (i32.mul (local.get $j) (local.get $rowB)) (i32.shl (local.get $i) (i32.const 2)))))
        (v128.store (local.get $dst)
          (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t0) (local.get $t2)))
        (v128.store (i32.add (local.get $dst) (local.get $rowB))
          (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t0) (local.get $t2)))
        (v128.store (i32.add (local.get $dst) (i32.shl (local.get $rowB) (i32.const 1)))
          (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t1) (local.get $t3)))
        (v128.store (i32.add (local.get $dst) (i32.mul (local.get $rowB) (i32.const 3)))
          (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t1) (local.get $t3)))
        (local.set $j (i32.add (local.get $j) (i32.const 4)))
        (br $jLoop)))
      (local.set $i (i32.add (local.get $i) (i32.const 4)))
      (br $iLoop)))
    (local.set $x (i32.add (local.get $x) (local.get $block)))
    (local.set $out (i32.add (local.get $out) (local.get $block)))
    (local.set $o (i32.add (local.get $o) (i32.const 1)))
    (br $oLoop))))

;; out[j] ← Σ_r x[r·cols + j] for cols a multiple of 4, four columns at a time down the rows, in
;; float64 as columnSumsJs (a bias gradient sums up to 4,096 rows at `lab`).
(func (export "columnSums") (param $x i32) (param $rows i32) (param $cols i32) (param $out i32)
  (local $j i32) (local $p i32) (local $end i32) (local $stride i32) (local $v v128) (local $lo v128) (local $hi v128)
  (local.set $stride (i32.shl (local.get $cols) (i32.const 2)))
  (block $jDone (loop $jLoop
    (br_if $jDone (i32.ge_u (local.get $j) (local.get $cols)))
    (local.set $p (i32.add (local.get $x) (i32.shl (local.get $j) (i32.const 2))))
    (local.set $end (i32.add (local.get $p) (i32.mul (local.get $rows) (local.get $stride))))
    (local.set $lo (v128.const i32x4 0 0 0 0))
    (local.set $hi (v128.const i32x4 0 0 0 0))
    (block $rDone (loop $rLoop
      (br_if $rDone (i32.ge_u (local.get $p) (local.get $end)))
      (local.set $v (v128.load (local.get $p)))
      (local.set $lo (f64x2.add (local.get $lo) (f64x2.promote_low_f32x4 (local.get $v))))
      (local.set $hi (f64x2.add (local.get $hi) (f64x2.promote_low_f32x4
        (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v)))))
      (local.set $p (i32.add (local.get $p) (local.get $stride)))
      (br $rLoop)))
    (v128.store (i32.add (local.get $out) (i32.shl (local.get $j) (i32.const 2)))
      (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
        (f32x4.demote_f64x2_zero (local.get $lo)) (f32x4.demote_f64x2_zero (local.get $hi))))
    (local.set $j (i32.add (local.get $j) (i32.const 4)))
    (br $jLoop))))
