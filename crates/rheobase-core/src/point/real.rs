//! The two precisions point neurons run in: every operation of a Float model is f32 arithmetic,
//! of a Double model f64 (as Neun's templates do).

use std::fmt::Debug;
use std::ops::{Add, AddAssign, Div, Mul, Neg, Sub};

pub trait Real:
    Copy
    + Debug
    + Send
    + Sync
    + PartialOrd
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
    fn to_f64(self) -> f64;
    /// rheobase's inlined exp (within 1e-15 of the C library's, see fastmath).
    fn exp(self) -> Self;
    /// x³ rounded once, as C++'s std::pow(x, 3) gives it (pow is correctly rounded in practice).
    fn cube(self) -> Self;
    /// x⁴ rounded once, as std::pow(x, 4) gives it.
    fn fourth(self) -> Self;
}

impl Real for f32 {
    const ZERO: Self = 0.0;
    fn of(x: f64) -> Self {
        x as f32
    }
    fn to_f64(self) -> f64 {
        self as f64
    }
    fn exp(self) -> Self {
        crate::fastmath::exp(self as f64) as f32
    }
    // f64 holds x² exactly and x³, x⁴ to 53 bits: one more rounding to f32 (a double rounding
    // differs from pow's single rounding only in vanishingly rare halfway cases).
    fn cube(self) -> Self {
        let x = self as f64;
        (x * x * x) as f32
    }
    fn fourth(self) -> Self {
        let x2 = self as f64 * self as f64;
        (x2 * x2) as f32
    }
}

impl Real for f64 {
    const ZERO: Self = 0.0;
    fn of(x: f64) -> Self {
        x
    }
    fn to_f64(self) -> f64 {
        self
    }
    fn exp(self) -> Self {
        crate::fastmath::exp(self)
    }
    // Products in double-double (the exact error of each product from an FMA), rounded once at
    // the end: the correctly rounded power, which is what pow returns, at a fraction of its cost.
    fn cube(self) -> Self {
        let sq = self * self;
        let sq_err = self.mul_add(self, -sq);
        let p = sq * self;
        let p_err = sq.mul_add(self, -p);
        p + (p_err + sq_err * self)
    }
    fn fourth(self) -> Self {
        let sq = self * self;
        let sq_err = self.mul_add(self, -sq);
        let p = sq * sq;
        let p_err = sq.mul_add(sq, -p);
        p + (p_err + 2.0 * sq * sq_err)
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
}
