//! Synapses between point neurons: electrical (gap junction) and diffusion (Destexhe 1994
//! kinetic release). Users step a synapse before the neurons it connects; it adds its currents
//! to their synaptic input.

use super::integrators::{Integrator, Rhs};
use super::models::MAX_VARS;
use super::neuron::check_dt;
use super::real::Real;
use crate::error::Result;

/// i1 = g1·(V2 − V1) into neuron 1, i2 = g2·(V1 − V2) into neuron 2 (V = the coupled variables
/// when the synapse steps). Neun's examples use negative g.
#[derive(Debug, Clone)]
pub struct Electrical<R: Real> {
    pub g1: R,
    pub g2: R,
    pub i1: R,
    pub i2: R,
}

impl<R: Real> Electrical<R> {
    pub const VARIABLES: [&'static str; 2] = ["i1", "i2"];
    pub const PARAMETERS: [&'static str; 2] = ["g1", "g2"];

    pub fn new(g1: R, g2: R) -> Self {
        Electrical { g1, g2, i1: R::ZERO, i2: R::ZERO }
    }

    /// Computes both currents from v1 and v2 and returns them (i1 for neuron 1, i2 for 2).
    pub fn currents(&mut self, v1: R, v2: R) -> (R, R) {
        self.i1 = self.g1 * (v2 - v1);
        self.i2 = self.g2 * (v1 - v2);
        (self.i1, self.i2)
    }
}

/// Parameters of a diffusion synapse, in Neun's order.
pub const DIFFUSION_PARAMETERS: [(&str, &str, &str, f64); 7] = [
    ("alpha", "1/(mM·ms)", "transmitter binding rate", 5.0),
    ("beta", "1/ms", "unbinding rate", 0.18),
    ("threshold", "mV", "presynaptic value that starts a release", 0.0),
    ("esyn", "mV", "synaptic reversal potential", -80.0),
    ("gsyn", "mS", "conductance; i = gsyn·r·(V2 − esyn) is added to the input, so a conductance g is gsyn = −g", 0.0),
    ("T", "mM", "transmitter concentration during a release", 1.0),
    ("max_release_time", "ms", "duration of a release", 1.0),
];

/// Destexhe's kinetic synapse: an upward threshold crossing of the presynaptic variable starts a
/// release of max_release_time; r' = alpha·T·(1 − r) − beta·r while releasing, −beta·r otherwise;
/// i = gsyn·r·(V2 − esyn) goes to neuron 2.
#[derive(Debug, Clone)]
pub struct Diffusion<R: Real> {
    /// alpha, beta, threshold, esyn, gsyn, T, max_release_time.
    pub params: [R; 7],
    pub r: R,
    pub i: R,
    integrator: Integrator,
    /// Sub-steps of dt per call.
    steps: usize,
    releasing: bool,
    release_time: R,
    /// The presynaptic value at the previous sub-step (None before the first).
    last_pre: Option<R>,
}

impl<R: Real> Diffusion<R> {
    pub const VARIABLES: [&'static str; 2] = ["r", "i"];

    pub fn new(params: [R; 7], integrator: Integrator, steps: usize) -> Self {
        Diffusion {
            params,
            r: R::ZERO,
            i: R::ZERO,
            integrator,
            steps,
            releasing: false,
            release_time: R::ZERO,
            last_pre: None,
        }
    }

    /// Runs `steps` sub-steps of dt reading the presynaptic value from `pre(neuron)`, then sets i
    /// from the postsynaptic value v2 and returns it.
    pub fn advance(&mut self, dt: f64, pre: impl Fn() -> R, v2: R) -> Result<R> {
        check_dt(dt)?;
        let h = R::of(dt);
        let [alpha, beta, threshold, esyn, gsyn, t_conc, max_release] = self.params;
        for _ in 0..self.steps {
            let u = pre();
            if matches!(self.last_pre, Some(last) if last < threshold) && u >= threshold {
                self.releasing = true;
                self.release_time = R::ZERO;
            }
            if self.releasing {
                self.release_time += h;
                if self.release_time > max_release {
                    self.releasing = false;
                }
            }
            let mut state = [R::ZERO; MAX_VARS];
            state[0] = self.r;
            let rhs = Binding { releasing: self.releasing, alpha, beta, t_conc };
            self.integrator.step(&mut state, h, &rhs);
            self.r = state[0];
            self.last_pre = Some(u);
        }
        self.i = gsyn * self.r * (v2 - esyn);
        Ok(self.i)
    }
}

/// r' = alpha·T·(1 − r) − beta·r while releasing, −beta·r otherwise.
struct Binding<R: Real> {
    releasing: bool,
    alpha: R,
    beta: R,
    t_conc: R,
}

impl<R: Real> Rhs<R> for Binding<R> {
    #[inline(always)]
    fn eval(&self, x: &[R; MAX_VARS], dx: &mut [R; MAX_VARS]) {
        let r = x[0];
        dx[0] =
            if self.releasing { self.alpha * self.t_conc * (R::of(1.0) - r) - self.beta * r } else { -self.beta * r };
    }
}
