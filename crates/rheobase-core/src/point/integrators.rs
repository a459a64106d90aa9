//! Explicit one-step integrators for autonomous systems x' = f(x) (the input current is held
//! constant over a step), with the coefficients Neun uses.

use super::models::MAX_VARS;
use super::real::Arith;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Integrator {
    Euler,
    Rk4,
    Rk6,
}

type State<R> = [R; MAX_VARS];

/// The right-hand side f of x' = f(x). A trait rather than a closure so that it inlines into the
/// AVX2+FMA-compiled callers (a closure body would be compiled for the baseline CPU).
pub trait Rhs<R: Arith> {
    fn eval(&self, x: &State<R>, dx: &mut State<R>);
}

impl Integrator {
    pub const ALL: [Integrator; 3] = [Integrator::Euler, Integrator::Rk4, Integrator::Rk6];

    /// The name used in class names: Euler, RK4, RK6.
    pub fn name(self) -> &'static str {
        match self {
            Integrator::Euler => "Euler",
            Integrator::Rk4 => "RK4",
            Integrator::Rk6 => "RK6",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|i| i.name().eq_ignore_ascii_case(name))
    }

    /// Advances x by dt.
    #[inline(always)]
    pub fn step<R: Arith>(self, x: &mut State<R>, dt: R, f: &impl Rhs<R>) {
        match self {
            Integrator::Euler => euler(x, dt, f),
            Integrator::Rk4 => rk4(x, dt, f),
            Integrator::Rk6 => rk6(x, dt, f),
        }
    }
}

/// `f` evaluated at x, fresh output (models write only their own variables).
#[inline(always)]
fn eval<R: Arith>(f: &impl Rhs<R>, x: &State<R>) -> State<R> {
    let mut dx = [R::ZERO; MAX_VARS];
    f.eval(x, &mut dx);
    dx
}

/// `per_var!(q => e)` is `[e(0), e(1), e(2), e(3)]` over the variables q: written out, with no loop over variables (the
/// vectoriser would vectorise that loop with gathers instead of the lanes of `Lanes` values) and no
/// closure (which may be compiled on its own, outside the caller's vector code).
#[rustfmt::skip]
macro_rules! per_var {
    ($q:ident => $e:expr) => {
        [{ let $q = 0; $e }, { let $q = 1; $e }, { let $q = 2; $e }, { let $q = 3; $e }]
    };
}

/// x + c1·k1 + c2·k2 + …, added to x one term at a time (Neun's stage arithmetic).
#[inline(always)]
fn stage<R: Arith>(x: &State<R>, terms: &[(f64, &State<R>)]) -> State<R> {
    per_var!(q => {
        let mut o = x[q];
        for (c, k) in terms {
            o += k[q] * R::of(*c);
        }
        o
    })
}

#[inline(always)]
fn euler<R: Arith>(x: &mut State<R>, dt: R, f: &impl Rhs<R>) {
    let k = eval(f, x);
    *x = per_var!(q => x[q] + dt * k[q]);
}

/// The classical fourth-order Runge–Kutta scheme, with Neun's operation order (stages
/// x + k·dt/2, update x + dt/6·(k1 + 2k2 + 2k3 + k4)), so f64 results match it to the bit.
#[inline(always)]
fn rk4<R: Arith>(x: &mut State<R>, dt: R, f: &impl Rhs<R>) {
    let two = R::of(2.0);
    let k1 = eval(f, x);
    let k2 = eval(f, &per_var!(q => x[q] + k1[q] * dt / two));
    let k3 = eval(f, &per_var!(q => x[q] + k2[q] * dt / two));
    let k4 = eval(f, &per_var!(q => x[q] + k3[q] * dt));
    let sixth = dt / R::of(6.0);
    *x = per_var!(q => x[q] + sixth * (k1[q] + two * k2[q] + two * k3[q] + k4[q]));
}

/// dt·f(s), the k of a stage of `rk6`.
#[inline(always)]
fn scaled<R: Arith>(f: &impl Rhs<R>, s: &State<R>, dt: R) -> State<R> {
    let k = eval(f, s);
    per_var!(q => dt * k[q])
}

/// Neun's six-stage scheme, with its truncated decimal coefficients; k_i = dt·f(stage i).
#[inline(always)]
fn rk6<R: Arith>(x: &mut State<R>, dt: R, f: &impl Rhs<R>) {
    let k1 = scaled(f, x, dt);
    let k2 = scaled(f, &stage(x, &[(0.2, &k1)]), dt);
    let k3 = scaled(f, &stage(x, &[(0.075, &k1), (0.225, &k2)]), dt);
    let k4 = scaled(f, &stage(x, &[(0.3, &k1), (-0.9, &k2), (1.2, &k3)]), dt);
    let k5 = scaled(f, &stage(x, &[(0.075, &k1), (0.675, &k2), (-0.6, &k3), (0.75, &k4)]), dt);
    let s6 = stage(
        x,
        &[
            (0.660493827160493, &k1),
            (2.5, &k2),
            (-5.185185185185185, &k3),
            (3.888888888888889, &k4),
            (-0.864197530864197, &k5),
        ],
    );
    let k6 = scaled(f, &s6, dt);
    // The update sums the weighted stages first, then adds them to x.
    let weights = [
        (0.098765432098765, &k1),
        (0.396825396825396, &k3),
        (0.231481481481481, &k4),
        (0.308641975308641, &k5),
        (-0.035714285714285, &k6),
    ];
    *x = per_var!(q => {
        let mut sum = R::ZERO;
        for (c, k) in &weights {
            sum += k[q] * R::of(*c);
        }
        x[q] + sum
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    /// x' = −x + cos(t)-free test: the autonomous linear system x' = A x with a rotation and
    /// decay, exact solution known; the global error at t = 1 must shrink like dt^order.
    fn error(integ: Integrator, steps: usize) -> f64 {
        struct Spiral;
        impl Rhs<f64> for Spiral {
            fn eval(&self, x: &State<f64>, dx: &mut State<f64>) {
                dx[0] = -0.5 * x[0] - 2.0 * x[1];
                dx[1] = 2.0 * x[0] - 0.5 * x[1];
            }
        }
        let f = &Spiral;
        let mut x = [1.0, 0.0, 0.0, 0.0];
        let dt = 1.0 / steps as f64;
        for _ in 0..steps {
            integ.step(&mut x, dt, f);
        }
        let (r, th) = ((-0.5f64).exp(), 2.0f64);
        ((x[0] - r * th.cos()).powi(2) + (x[1] - r * th.sin()).powi(2)).sqrt()
    }

    fn observed_order(integ: Integrator, coarse: usize) -> f64 {
        (error(integ, coarse) / error(integ, 2 * coarse)).log2()
    }

    #[test]
    fn convergence_orders() {
        assert!((observed_order(Integrator::Euler, 400) - 1.0).abs() < 0.05);
        assert!((observed_order(Integrator::Rk4, 20) - 4.0).abs() < 0.1);
        // Neun's six-stage scheme is fifth order (its weights satisfy the order-5 conditions).
        let rk6 = observed_order(Integrator::Rk6, 10);
        assert!(rk6 > 4.9, "RK6 order {rk6}");
    }
}
