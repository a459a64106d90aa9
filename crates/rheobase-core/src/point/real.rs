//! The two precisions point neurons run in: every operation of a Float model is f32 arithmetic,
//! of a Double model f64 (as Neun's templates do).

use std::fmt::Debug;
use std::ops::{Add, AddAssign, Div, Mul, Neg, Sub};

/// What the model equations and integrators need: arithmetic, constants, exp and powers.
/// Scalars (f32, f64) and groups of lanes (`Lanes`) both provide it, so one source computes a
/// single neuron and several neurons at once, with identical operations per lane.
pub trait Arith:
    Copy
    + Send
    + Sync
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
    + Neg<Output = Self>
    + AddAssign
    + 'static
{
    const ZERO: Self;
    /// The nearest value of this precision (constants and user input enter this way).
    fn of(x: f64) -> Self;
    /// rheobase's inlined exp (within 1e-15 of the C library's, see fastmath).
    fn exp(self) -> Self;
    /// self / d for a constant d: the correctly rounded quotient, as `/` gives it, from a multiply
    /// by 1/d and one FMA correction (Markstein), which pipelines where a division does not.
    /// Exact for normal operands and results; a zero quotient may differ in sign.
    fn div_const(self, d: f64) -> Self;
    /// x³ rounded once, as C++'s std::pow(x, 3) gives it (pow is correctly rounded in practice).
    fn cube(self) -> Self;
    /// x⁴ rounded once, as std::pow(x, 4) gives it.
    fn fourth(self) -> Self;
}

/// A scalar precision.
pub trait Real: Arith + Debug + PartialOrd {
    fn to_f64(self) -> f64;
}

impl Real for f32 {
    fn to_f64(self) -> f64 {
        self as f64
    }
}

impl Arith for f32 {
    const ZERO: Self = 0.0;
    fn of(x: f64) -> Self {
        x as f32
    }
    #[inline(always)]
    fn exp(self) -> Self {
        crate::fastmath::exp(self as f64) as f32
    }
    #[inline(always)]
    fn div_const(self, d: f64) -> Self {
        let (d, r) = (d as f32, (1.0 / d as f32));
        let q = self * r;
        (-q).mul_add(d, self).mul_add(r, q)
    }
    // f64 holds x² exactly and x³, x⁴ to 53 bits: one more rounding to f32 (a double rounding
    // differs from pow's single rounding only in vanishingly rare halfway cases).
    #[inline(always)]
    fn cube(self) -> Self {
        let x = self as f64;
        (x * x * x) as f32
    }
    #[inline(always)]
    fn fourth(self) -> Self {
        let x2 = self as f64 * self as f64;
        (x2 * x2) as f32
    }
}

impl Real for f64 {
    fn to_f64(self) -> f64 {
        self
    }
}

impl Arith for f64 {
    const ZERO: Self = 0.0;
    fn of(x: f64) -> Self {
        x
    }
    #[inline(always)]
    fn exp(self) -> Self {
        crate::fastmath::exp(self)
    }
    #[inline(always)]
    fn div_const(self, d: f64) -> Self {
        let r = 1.0 / d;
        let q = self * r;
        (-q).mul_add(d, self).mul_add(r, q)
    }
    // Products in double-double (the exact error of each product from an FMA), rounded once at
    // the end: the correctly rounded power, which is what pow returns, at a fraction of its cost.
    #[inline(always)]
    fn cube(self) -> Self {
        let sq = self * self;
        let sq_err = self.mul_add(self, -sq);
        let p = sq * self;
        let p_err = sq.mul_add(self, -p);
        p + (p_err + sq_err * self)
    }
    #[inline(always)]
    fn fourth(self) -> Self {
        let sq = self * self;
        let sq_err = self.mul_add(self, -sq);
        let p = sq * sq;
        let p_err = sq.mul_add(sq, -p);
        p + (p_err + 2.0 * sq * sq_err)
    }
}

/// L values of one precision computed together, lane by lane (LLVM turns the per-lane loops
/// into vector instructions).
#[derive(Debug, Clone, Copy)]
pub struct Lanes<R, const L: usize>(pub [R; L]);

impl<R: Real, const L: usize> Lanes<R, L> {
    /// f on every lane. A plain loop (not array::map) so it inlines into vector code.
    #[inline(always)]
    fn each(self, f: impl Fn(R) -> R) -> Self {
        let mut out = self.0;
        for x in &mut out {
            *x = f(*x);
        }
        Lanes(out)
    }
}

macro_rules! lane_op {
    ($tr:ident, $f:ident, $op:tt) => {
        impl<R: Real, const L: usize> $tr for Lanes<R, L> {
            type Output = Self;
            #[inline(always)]
            #[allow(clippy::assign_op_pattern)] // one macro for + - * /
            fn $f(self, o: Self) -> Self {
                let mut out = self.0;
                for i in 0..L {
                    out[i] = out[i] $op o.0[i];
                }
                Lanes(out)
            }
        }
    };
}
lane_op!(Add, add, +);
lane_op!(Sub, sub, -);
lane_op!(Mul, mul, *);
lane_op!(Div, div, /);

impl<R: Real, const L: usize> Neg for Lanes<R, L> {
    type Output = Self;
    #[inline(always)]
    fn neg(self) -> Self {
        self.each(|x| -x)
    }
}

impl<R: Real, const L: usize> AddAssign for Lanes<R, L> {
    #[inline(always)]
    fn add_assign(&mut self, o: Self) {
        for i in 0..L {
            self.0[i] += o.0[i];
        }
    }
}

impl<R: Real, const L: usize> Arith for Lanes<R, L> {
    const ZERO: Self = Lanes([R::ZERO; L]);
    #[inline(always)]
    fn of(x: f64) -> Self {
        Lanes([R::of(x); L])
    }
    #[inline(always)]
    fn exp(self) -> Self {
        self.each(R::exp)
    }
    #[inline(always)]
    fn div_const(self, d: f64) -> Self {
        self.each(|x| x.div_const(d))
    }
    #[inline(always)]
    fn cube(self) -> Self {
        self.each(R::cube)
    }
    #[inline(always)]
    fn fourth(self) -> Self {
        self.each(R::fourth)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn powers_agree_with_pow_to_one_ulp() {
        // glibc's pow is not correctly rounded for about 0.1% of these inputs (checked against
        // exact rational arithmetic); the double-double products are. Elsewhere they agree.
        fn ulps(a: f64, b: f64) -> u64 {
            a.to_bits().abs_diff(b.to_bits())
        }
        let (mut differ, mut worst) = (0, 0);
        for k in 0..200_000 {
            let x = (k as f64 * 0.618_033_988_749_894_9).fract() * if k % 7 == 0 { 30.0 } else { 1.0 };
            for d in [ulps(x.cube(), x.powf(3.0)), ulps(x.fourth(), x.powf(4.0))] {
                differ += usize::from(d != 0);
                worst = worst.max(d);
            }
        }
        assert!(worst <= 1 && differ < 800, "{differ} differ, worst {worst} ulp");
    }

    #[test]
    fn division_by_a_constant_is_correctly_rounded() {
        // Operands from 1e-30 to 1e30 in magnitude (zero aside, the HH rates divide numbers of
        // a few units); the f32 case was also checked exhaustively over that range.
        let mut bits = 0x9E37_79B9_7F4A_7C15u64;
        for _ in 0..2_000_000 {
            bits ^= bits << 13;
            bits ^= bits >> 7;
            bits ^= bits << 17;
            let unit = (bits >> 11) as f64 / (1u64 << 53) as f64;
            let x = 10f64.powf(60.0 * unit - 30.0) * if bits & 1 == 0 { 1.0 } else { -1.0 };
            for d in [10.0, 18.0, 20.0, 80.0, 7.854e-3] {
                assert_eq!(x.div_const(d), x / d, "{x} / {d}");
                let xf = x as f32;
                assert_eq!(xf.div_const(d), xf / d as f32, "{xf} / {d} in f32");
            }
        }
    }
}
