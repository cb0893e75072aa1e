;; Dropout, alone and added to a residual (spec.ts dropoutJs without and with `add`). Bit for bit
;; spec.ts's: float64 holds x·scale of two float32 exactly, and add + f(x·scale) rounded once from
;; float64 is float32 addition's result.

;; out = x·scale where kept, 0 where dropped; n a multiple of 4.
(func (export "dropout") (param $x i32) (param $out i32) (param $n i32) (param $threshold i32) (param $seedMix i32) (param $scale f32)
  (local $i i32) (local $s v128)
  (local.set $s (f32x4.splat (local.get $scale)))
  (block $done (loop $next
    (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
    (v128.store (local.get $out) (v128.and (f32x4.mul (v128.load (local.get $x)) (local.get $s))
      (call $keeps (local.get $i) (local.get $seedMix) (local.get $threshold))))
    (local.set $x (i32.add (local.get $x) (i32.const 16)))
    (local.set $out (i32.add (local.get $out) (i32.const 16)))
    (local.set $i (i32.add (local.get $i) (i32.const 4)))
    (br $next))))

;; out = add + x·scale where kept, add where dropped: selected rather than add + 0, which would turn
;; an add of −0 into +0.
(func (export "dropoutAdd") (param $x i32) (param $add i32) (param $out i32) (param $n i32) (param $threshold i32) (param $seedMix i32) (param $scale f32)
  (local $i i32) (local $s v128) (local $a v128)
  (local.set $s (f32x4.splat (local.get $scale)))
  (block $done (loop $next
    (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
    (local.set $a (v128.load (local.get $add)))
    (v128.store (local.get $out) (v128.bitselect
      (f32x4.add (local.get $a) (f32x4.mul (v128.load (local.get $x)) (local.get $s)))
      (local.get $a)
      (call $keeps (local.get $i) (local.get $seedMix) (local.get $threshold))))
    (local.set $x (i32.add (local.get $x) (i32.const 16)))
    (local.set $add (i32.add (local.get $add) (i32.const 16)))
    (local.set $out (i32.add (local.get $out) (i32.const 16)))
    (local.set $i (i32.add (local.get $i) (i32.const 4)))
    (br $next))))
