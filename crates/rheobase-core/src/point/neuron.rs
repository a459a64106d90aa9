//! One point neuron: its state, parameters, the input accumulated since the last step, and time.

use super::integrators::{Integrator, Rhs};
use super::models::{ModelKind, MAX_PARAMS, MAX_VARS};
use super::real::{Arith, Real};
use crate::error::{Error, Result};

#[derive(Debug, Clone)]
pub struct Neuron<R: Real> {
    pub model: ModelKind,
    pub integrator: Integrator,
    vars: [R; MAX_VARS],
    params: [R; MAX_PARAMS],
    /// Synaptic input accumulated since the last step (the model's current unit).
    input: R,
    /// ms for HH and Izhikevich; model time units for HR.
    time: R,
    initial_vars: [R; MAX_VARS],
    initial_params: [R; MAX_PARAMS],
}

/// A model's equations with its parameters and the input of this step.
pub struct ModelRhs<R: Arith> {
    pub model: ModelKind,
    pub params: [R; MAX_PARAMS],
    pub input: R,
}

impl<R: Arith> Rhs<R> for ModelRhs<R> {
    #[inline(always)]
    fn eval(&self, x: &[R; MAX_VARS], dx: &mut [R; MAX_VARS]) {
        self.model.derivative(&self.params, x, self.input, dx)
    }
}

#[inline(always)]
fn step_impl<R: Real>(n: &mut Neuron<R>, dt: R) {
    n.step(dt)
}

crate::fastmath::avx2_dispatch!(generic fn step_one<R: Real>(n: &mut Neuron<R>, dt: R) => step_impl);

/// Checks a step size: finite and > 0.
pub fn check_dt(dt: f64) -> Result<()> {
    if dt.is_finite() && dt > 0.0 {
        Ok(())
    } else {
        Err(Error::Value(format!("dt must be a finite number > 0, got {dt}")))
    }
}

impl<R: Real> Neuron<R> {
    /// A neuron with the model's initial values and default parameters.
    pub fn new(model: ModelKind, integrator: Integrator) -> Self {
        let mut vars = [R::ZERO; MAX_VARS];
        for (v, f) in vars.iter_mut().zip(model.variables()) {
            *v = R::of(f.default);
        }
        let mut params = [R::ZERO; MAX_PARAMS];
        for (p, f) in params.iter_mut().zip(model.parameters()) {
            *p = R::of(f.default);
        }
        Neuron {
            model,
            integrator,
            vars,
            params,
            input: R::ZERO,
            time: R::ZERO,
            initial_vars: vars,
            initial_params: params,
        }
    }

    /// Integrates over dt with the accumulated input held constant, then clears the input.
    #[inline(always)]
    pub fn step(&mut self, dt: R) {
        let rhs = ModelRhs { model: self.model, params: self.params, input: self.input };
        self.integrator.step(&mut self.vars, dt, &rhs);
        self.model.after_step(&self.params, &mut self.vars);
        self.input = R::ZERO;
        self.time += dt;
    }

    /// `step` after checking dt (the entry point for user input), compiled for AVX2+FMA when
    /// the CPU has them, like population steps, so both give the same numbers quickly.
    pub fn step_checked(&mut self, dt: f64) -> Result<()> {
        check_dt(dt)?;
        step_one(self, R::of(dt));
        Ok(())
    }

    fn var_index(&self, i: usize) -> Result<usize> {
        let n = self.model.variables().len();
        if i < n {
            Ok(i)
        } else {
            Err(Error::Value(format!("{} has {n} variables; index {i} is out of range", self.model.short_name())))
        }
    }

    fn param_index(&self, i: usize) -> Result<usize> {
        let n = self.model.parameters().len();
        if i < n {
            Ok(i)
        } else {
            Err(Error::Value(format!("{} has {n} parameters; index {i} is out of range", self.model.short_name())))
        }
    }

    pub fn get(&self, var: usize) -> Result<R> {
        Ok(self.vars[self.var_index(var)?])
    }

    /// The value of a variable, without the bounds message (for synapses that checked it).
    #[inline]
    pub fn var(&self, var: usize) -> R {
        self.vars[var]
    }

    pub fn set(&mut self, var: usize, value: R) -> Result<()> {
        let i = self.var_index(var)?;
        self.vars[i] = value;
        Ok(())
    }

    pub fn get_param(&self, p: usize) -> Result<R> {
        Ok(self.params[self.param_index(p)?])
    }

    pub fn set_param(&mut self, p: usize, value: R) -> Result<()> {
        let i = self.param_index(p)?;
        self.params[i] = value;
        Ok(())
    }

    #[inline]
    pub fn add_input(&mut self, i: R) {
        self.input += i;
    }

    pub fn input(&self) -> R {
        self.input
    }

    pub fn time(&self) -> R {
        self.time
    }

    pub fn set_time(&mut self, t: R) {
        self.time = t;
    }

    /// Makes the current parameters and state the ones `reset` returns to (used at
    /// construction from user-given arguments).
    pub fn mark_initial(&mut self) {
        self.initial_vars = self.vars;
        self.initial_params = self.params;
    }

    /// Back to the initial state and parameters, time 0, no pending input.
    pub fn reset(&mut self) {
        self.vars = self.initial_vars;
        self.params = self.initial_params;
        self.input = R::ZERO;
        self.time = R::ZERO;
    }
}
