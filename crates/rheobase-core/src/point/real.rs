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
    fn exp(self) -> Self;
    /// x^n through the C library's pow, as C++'s std::pow(x, n) computes it.
    fn powi_exact(self, n: i32) -> Self;
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
        f32::exp(self)
    }
    fn powi_exact(self, n: i32) -> Self {
        self.powf(n as f32)
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
        f64::exp(self)
    }
    fn powi_exact(self, n: i32) -> Self {
        self.powf(n as f64)
    }
}
