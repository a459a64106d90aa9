//! The point-neuron models: their variables, parameters (with Neun's defaults) and equations.
//! I is the synaptic input current, held constant over a step.

use super::real::{Arith, Real};

/// Most variables (HH has 4) and parameters (HR has 9) any model has.
pub const MAX_VARS: usize = 4;
pub const MAX_PARAMS: usize = 9;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ModelKind {
    /// Hodgkin–Huxley (1952), in Neun's units.
    HodgkinHuxley,
    /// Hindmarsh–Rose (1984).
    HindmarshRose,
    /// Izhikevich (2003).
    Izhikevich,
}

/// A name with its unit and a one-line description.
#[derive(Debug, Clone, Copy)]
pub struct Field {
    pub name: &'static str,
    pub unit: &'static str,
    pub description: &'static str,
    /// Default value (parameters) or initial value (variables).
    pub default: f64,
}

const fn f(name: &'static str, unit: &'static str, description: &'static str, default: f64) -> Field {
    Field { name, unit, description, default }
}

/// HH membrane area factor of Neun's defaults: conductances and capacitance per 7.854e-3 cm²…
const HH_AREA: f64 = 7.854e-3;

// Variables start at 0 (Neun leaves them to the user; its examples rely on 0).

const HH_VARS: [Field; 4] = [
    f("v", "mV", "membrane potential", 0.0),
    f("h", "1", "Na inactivation gate", 0.0),
    f("m", "1", "Na activation gate", 0.0),
    f("n", "1", "K activation gate", 0.0),
];
const HH_PARAMS: [Field; 7] = [
    f("cm", "uF", "membrane capacitance", HH_AREA),
    f("vna", "mV", "Na reversal potential", 50.0),
    f("vk", "mV", "K reversal potential", -77.0),
    f("vl", "mV", "leak reversal potential", -54.387),
    f("gna", "mS", "maximal Na conductance", 120.0 * HH_AREA),
    f("gk", "mS", "maximal K conductance", 36.0 * HH_AREA),
    f("gl", "mS", "leak conductance", 0.3 * HH_AREA),
];
const HR_VARS: [Field; 3] = [
    f("x", "1", "membrane potential (dimensionless)", 0.0),
    f("y", "1", "fast recovery variable", 0.0),
    f("z", "1", "slow adaptation current", 0.0),
];
const HR_PARAMS: [Field; 9] = [
    f("e", "1", "constant applied current", 3.281),
    f("mu", "1", "time scale of the slow variable", 0.0029),
    f("S", "1", "adaptation coupling", 4.0),
    f("a", "1", "cubic coefficient", 1.0),
    f("b", "1", "quadratic coefficient", 3.0),
    f("c", "1", "y offset", 1.0),
    f("d", "1", "y quadratic coefficient", 5.0),
    f("xr", "1", "resting x of the slow variable", -1.6),
    f("vh", "1", "z decay factor", 1.0),
];
const IZ_VARS: [Field; 2] = [f("v", "mV", "membrane potential", 0.0), f("u", "1", "recovery variable", 0.0)];
const IZ_PARAMS: [Field; 5] = [
    f("a", "1/ms", "recovery time scale", 0.02),
    f("b", "1", "recovery sensitivity to v", 0.2),
    f("c", "mV", "reset potential after a spike", -65.0),
    f("d", "1", "recovery increment after a spike", 8.0),
    f("threshold", "mV", "spike cut-off", 30.0),
];

impl ModelKind {
    pub const ALL: [ModelKind; 3] = [ModelKind::HodgkinHuxley, ModelKind::HindmarshRose, ModelKind::Izhikevich];

    /// The short name used in class names: HH, HR, Iz.
    pub fn short_name(self) -> &'static str {
        match self {
            ModelKind::HodgkinHuxley => "HH",
            ModelKind::HindmarshRose => "HR",
            ModelKind::Izhikevich => "Iz",
        }
    }

    pub fn from_short_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.short_name() == name)
    }

    pub fn variables(self) -> &'static [Field] {
        match self {
            ModelKind::HodgkinHuxley => &HH_VARS,
            ModelKind::HindmarshRose => &HR_VARS,
            ModelKind::Izhikevich => &IZ_VARS,
        }
    }

    pub fn parameters(self) -> &'static [Field] {
        match self {
            ModelKind::HodgkinHuxley => &HH_PARAMS,
            ModelKind::HindmarshRose => &HR_PARAMS,
            ModelKind::Izhikevich => &IZ_PARAMS,
        }
    }

    /// dx/dt for state x, parameters p and input current i.
    #[inline(always)]
    pub fn derivative<R: Arith>(self, p: &[R; MAX_PARAMS], x: &[R; MAX_VARS], i: R, dx: &mut [R; MAX_VARS]) {
        match self {
            ModelKind::HodgkinHuxley => hh(p, x, i, dx),
            ModelKind::HindmarshRose => hr(p, x, i, dx),
            ModelKind::Izhikevich => izhikevich(p, x, i, dx),
        }
    }

    /// What happens between steps: Izhikevich's spike reset.
    #[inline(always)]
    pub fn after_step<R: Real>(self, p: &[R; MAX_PARAMS], x: &mut [R; MAX_VARS]) {
        if self == ModelKind::Izhikevich && x[0] >= p[4] {
            x[0] = p[2];
            x[1] += p[3];
        }
    }
}

/// e³ and e^2.5, correctly rounded.
const E_CUBED: f64 = 20.085_536_923_187_668;
const E_TO_2_5: f64 = 12.182_493_960_703_473;

/// The exponentials of HH's rates at v: e^((−v−65)/20), e^((−v−35)/10), e^((−v−40)/10),
/// e^((−v−65)/18), e^((−v−55)/10), e^((−v−65)/80).
///
/// Three exponentials instead of Neun's six: the three of (…)/10 are e^((−v−65)/20)² times e³,
/// e^2.5 and e. Mathematically the same; each within a few ulps of the direct exp (tested), which
/// keeps traces as close to neun_py's as the direct form did (within 1e-10 mV over 10⁵ steps).
#[inline(always)]
fn hh_exponentials<R: Arith>(v: R) -> [R; 6] {
    let c = R::of;
    let mut e = [(-v - c(65.0)).div_const(20.0), (-v - c(65.0)).div_const(18.0), (-v - c(65.0)).div_const(80.0)];
    // A loop, not three calls written out: for vector lanes it stays a loop, one exponential at
    // a time, where interleaved ones run out of registers. (Not array::map: that is not always
    // inlined, and out of line it runs without the caller's FMA instructions.)
    for x in &mut e {
        *x = x.exp();
    }
    let [e_h, e_bm, e_bn] = e;
    let e_h2 = e_h * e_h;
    [e_h, e_h2 * c(E_CUBED), e_h2 * c(E_TO_2_5), e_bm, e_h2 * c(std::f64::consts::E), e_bn]
}

#[inline(always)]
fn hh<R: Arith>(p: &[R; MAX_PARAMS], x: &[R; MAX_VARS], i: R, dx: &mut [R; MAX_VARS]) {
    let c = R::of;
    let [v, h, m, n] = *x;
    let [cm, vna, vk, vl, gna, gk, gl, ..] = *p;
    let [e_h, e_bh, e_m, e_bm, e_n, e_bn] = hh_exponentials(v);
    let alpha_h = c(0.07) * e_h;
    let beta_h = c(1.0) / (e_bh + c(1.0));
    let alpha_m = c(0.1) * (-v - c(40.0)) / (e_m - c(1.0));
    let beta_m = c(4.0) * e_bm;
    let alpha_n = c(0.01) * (-v - c(55.0)) / (e_n - c(1.0));
    let beta_n = c(0.125) * e_bn;
    // Neun writes m³ and n⁴ with pow (one rounding), not as repeated products (two or three).
    dx[0] = (i - gl * (v - vl) - gna * m.cube() * h * (v - vna) - gk * n.fourth() * (v - vk)) / cm;
    dx[1] = alpha_h * (c(1.0) - h) - beta_h * h;
    dx[2] = alpha_m * (c(1.0) - m) - beta_m * m;
    dx[3] = alpha_n * (c(1.0) - n) - beta_n * n;
}

#[inline(always)]
fn hr<R: Arith>(p: &[R; MAX_PARAMS], x: &[R; MAX_VARS], i: R, dx: &mut [R; MAX_VARS]) {
    let [xv, y, z, _] = *x;
    let [e, mu, s, a, b, c, d, xr, vh] = *p;
    dx[0] = y + b * xv * xv - a * xv * xv * xv - z + e + i;
    dx[1] = c - d * xv * xv - y;
    dx[2] = mu * (-vh * z + s * (xv - xr));
}

#[inline(always)]
fn izhikevich<R: Arith>(p: &[R; MAX_PARAMS], x: &[R; MAX_VARS], i: R, dx: &mut [R; MAX_VARS]) {
    let c = R::of;
    let [v, u, ..] = *x;
    let [a, b, ..] = *p;
    dx[0] = c(0.04) * v * v + c(5.0) * v + c(140.0) - u + i;
    dx[1] = a * (b * v - u);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hh_exponentials_match_the_direct_ones() {
        let mut worst: f64 = 0.0;
        let mut v = -150.0;
        while v < 100.0 {
            let direct = [
                ((-v - 65.0) / 20.0f64).exp(),
                ((-v - 35.0) / 10.0f64).exp(),
                ((-v - 40.0) / 10.0f64).exp(),
                ((-v - 65.0) / 18.0f64).exp(),
                ((-v - 55.0) / 10.0f64).exp(),
                ((-v - 65.0) / 80.0f64).exp(),
            ];
            // exp turns an argument's rounding (relative 1.1e-16) into a relative error of the
            // argument's size times that, in the direct form as in this one.
            let condition = 1.0 + (v + 65.0).abs() / 10.0;
            for (got, want) in hh_exponentials(v).into_iter().zip(direct) {
                worst = worst.max((got / want - 1.0).abs() / condition);
            }
            v += 0.0173;
        }
        // fastmath's exp of the direct arguments reaches 4.0e-16 by this measure; these 5.4e-16.
        assert!(worst < 6e-16, "worst relative difference {worst:e} per unit of the condition");
        // In f32 the same, with f32's rounding (6e-8).
        let f32_worst = (-150..100)
            .map(|v| {
                let v = v as f32 + 0.37;
                let direct = ((-v - 40.0) / 10.0).exp();
                let condition = 1.0 + (v as f64 + 65.0).abs() / 10.0;
                (hh_exponentials(v)[2] as f64 / direct as f64 - 1.0).abs() / condition
            })
            .fold(0.0, f64::max);
        assert!(f32_worst < 3e-7, "f32: worst relative difference {f32_worst:e} per unit of the condition");
    }
}
