//! An exp that inlines and vectorises, and the runtime check for AVX2+FMA code paths.
//!
//! Hot loops are written once as `#[inline(always)]` functions and called from two wrappers: one
//! compiled with `#[target_feature(enable = "avx2,fma")]`, chosen when the CPU has them, and the
//! baseline one.
//!
//! glibc's exp is a function call per element, which blocks vectorisation of the gate updates
//! (three exps per hh instance per step). This exp reduces x = k·ln2 + r with |r| ≤ ln2/2 and
//! evaluates e^r by a degree-12 Taylor polynomial (Estrin's scheme): relative error ≈ 2e-16 against glibc, far
//! inside the 1e-6 mV contract with NEURON. It clamps like NEURON's hoc_Exp (0 below −700).

const LOG2E: f64 = std::f64::consts::LOG2_E;
// ln 2 split in a part exactly representable with few bits and a small remainder, so that
// k·LN2_HI is exact for the |k| ≤ 1100 used here.
const LN2_HI: f64 = 6.931_471_803_691_238e-1;
const LN2_LO: f64 = 1.908_214_929_270_587_7e-10;
// Adding then subtracting 1.5·2^52 rounds to the nearest integer without a branch.
const ROUND_SHIFT: f64 = 6_755_399_441_055_744.0;

/// e^x for x in the range NEURON's hoc_Exp allows; 0 below −700, e^700 above 700.
#[inline(always)]
pub fn exp(x: f64) -> f64 {
    let xc = x.clamp(-700.0, 700.0);
    let shifted = xc * LOG2E + ROUND_SHIFT;
    let kf = shifted - ROUND_SHIFT;
    // k sits in the low mantissa bits of `shifted`; integer ops keep this vectorisable on AVX2.
    let k_bits = shifted.to_bits().wrapping_sub(ROUND_SHIFT.to_bits());
    let r = (xc - kf * LN2_HI) - kf * LN2_LO;
    let p = taylor12(r);
    let scale = f64::from_bits(k_bits.wrapping_add(1023) << 52);
    let y = p * scale;
    if x < -700.0 {
        0.0
    } else {
        y
    }
}

/// 1/n! for n = 0..=12: the Taylor coefficients of e^r.
pub const TAYLOR: [f64; 13] = [
    1.0,
    1.0,
    0.5,
    1.0 / 6.0,
    1.0 / 24.0,
    1.0 / 120.0,
    1.0 / 720.0,
    1.0 / 5_040.0,
    1.0 / 40_320.0,
    1.0 / 362_880.0,
    1.0 / 3_628_800.0,
    1.0 / 39_916_800.0,
    1.0 / 479_001_600.0,
];

/// Σ r^n/n! for n ≤ 12 by Estrin's scheme: four multiply-adds deep instead of Horner's twelve, so the
/// three exps of a gate update overlap instead of waiting on one long chain. The NMODL JIT emits the
/// same operations in the same order (its results equal these bit for bit).
#[inline(always)]
fn taylor12(r: f64) -> f64 {
    let c = &TAYLOR;
    let r2 = r * r;
    let r4 = r2 * r2;
    let r8 = r4 * r4;
    let pair = |i: usize| c[i + 1].mul_add(r, c[i]);
    let b0 = pair(2).mul_add(r2, pair(0));
    let b1 = pair(6).mul_add(r2, pair(4));
    let b2 = pair(10).mul_add(r2, pair(8));
    let low = b1.mul_add(r4, b0);
    let high = c[12].mul_add(r4, b2);
    high.mul_add(r8, low)
}

/// Whether this CPU runs the AVX2+FMA code paths (checked once).
pub fn has_avx2_fma() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        use std::sync::OnceLock;
        static HAS: OnceLock<bool> = OnceLock::new();
        *HAS.get_or_init(|| is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma"))
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// Whether this CPU runs AVX-512 code paths (F, VL and DQ, with AVX2+FMA; std caches the checks).
pub fn has_avx512() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        has_avx2_fma()
            && is_x86_feature_detected!("avx512f")
            && is_x86_feature_detected!("avx512vl")
            && is_x86_feature_detected!("avx512dq")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// `avx2_dispatch!(fn name(args) => inner)` defines `name`, which runs the `#[inline(always)]`
/// function `inner` compiled for AVX2+FMA when the CPU has them and for the baseline otherwise.
macro_rules! avx2_dispatch {
    (generic fn $name:ident<$g:ident: $bound:path>($($arg:ident: $ty:ty),*) => $inner:ident) => {
        fn $name<$g: $bound>($($arg: $ty),*) {
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx2,fma")]
                unsafe fn fast<$g: $bound>($($arg: $ty),*) {
                    $inner($($arg),*)
                }
                if $crate::fastmath::has_avx2_fma() {
                    // SAFETY: the CPU supports the features `fast` is compiled for.
                    return unsafe { fast($($arg),*) };
                }
            }
            $inner($($arg),*)
        }
    };
    (fn $name:ident($($arg:ident: $ty:ty),*) => $inner:ident) => {
        fn $name($($arg: $ty),*) {
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx2,fma")]
                unsafe fn fast($($arg: $ty),*) {
                    $inner($($arg),*)
                }
                if $crate::fastmath::has_avx2_fma() {
                    // SAFETY: the CPU supports the features `fast` is compiled for.
                    return unsafe { fast($($arg),*) };
                }
            }
            $inner($($arg),*)
        }
    };
}
pub(crate) use avx2_dispatch;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_libm_closely_over_the_range() {
        let mut worst: f64 = 0.0;
        let mut x = -700.0;
        while x < 700.0 {
            let (a, b) = (exp(x), x.exp());
            worst = worst.max(((a - b) / b).abs());
            x += 0.0137;
        }
        assert!(worst < 1e-15, "worst relative error {worst}");
        assert_eq!(exp(0.0), 1.0);
        assert_eq!(exp(-800.0), 0.0);
        // Clamped at 700 (to within the same rounding as any other x).
        assert!((exp(800.0) / 700f64.exp() - 1.0).abs() < 1e-15);
    }
}
