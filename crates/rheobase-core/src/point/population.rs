//! Many point neurons of one model stepped together, with per-neuron parameters, inputs and an
//! electrical coupling matrix; the loop stays in Rust and large populations use threads.
//!
//! A population step gives exactly what stepping the single-neuron objects gives when, for each
//! neuron k, the coupling currents g·(V_j − V_k) of row k (in stored order, with V read before
//! any neuron moves) are added to its input, then its external input, then it steps.

use super::integrators::Integrator;
use super::models::ModelKind;
use super::neuron::{check_dt, Neuron};
use super::real::Real;
use crate::error::{Error, Result};
use rayon::prelude::*;

/// Electrical coupling in compressed sparse rows: row k lists (j, g) pairs, I_k += g·(V_j − V_k).
#[derive(Debug, Clone, Default)]
pub struct Coupling {
    pub row_start: Vec<usize>,
    pub column: Vec<usize>,
    pub conductance: Vec<f64>,
    /// Which variable couples (v for HH and Izhikevich, x for HR).
    pub var: usize,
}

/// External input per step: none, one value per neuron, or one row of values per step.
pub enum Input<'a> {
    None,
    Constant(&'a [f64]),
    PerStep(&'a [f64]),
}

pub struct Population<R: Real> {
    pub neurons: Vec<Neuron<R>>,
    coupling: Option<Coupling>,
}

/// Neurons per thread task: enough work to amortise scheduling.
const CHUNK: usize = 256;

impl<R: Real> Population<R> {
    pub fn new(model: ModelKind, integrator: Integrator, n: usize) -> Self {
        Population { neurons: vec![Neuron::new(model, integrator); n], coupling: None }
    }

    pub fn len(&self) -> usize {
        self.neurons.len()
    }

    pub fn is_empty(&self) -> bool {
        self.neurons.is_empty()
    }

    pub fn set_coupling(&mut self, c: Option<Coupling>) -> Result<()> {
        if let Some(c) = &c {
            let n = self.len();
            let ok = c.row_start.len() == n + 1
                && c.row_start.windows(2).all(|w| w[0] <= w[1])
                && c.row_start[n] == c.column.len()
                && c.column.len() == c.conductance.len()
                && c.column.iter().all(|&j| j < n)
                && c.conductance.iter().all(|g| g.is_finite());
            if !ok {
                return Err(Error::Value(format!(
                    "the coupling must be an {n}×{n} sparse matrix with finite conductances"
                )));
            }
        }
        self.coupling = c;
        Ok(())
    }

    /// Runs `steps` steps of dt. `record(step, neurons)` is called after each step (to sample).
    pub fn run(
        &mut self,
        steps: usize,
        dt: f64,
        input: &Input,
        mut record: impl FnMut(usize, &[Neuron<R>]),
    ) -> Result<()> {
        check_dt(dt)?;
        let n = self.len();
        match input {
            Input::Constant(x) if x.len() != n => {
                return Err(Error::Value(format!("input has {} values for {n} neurons", x.len())));
            }
            Input::PerStep(x) if x.len() != n * steps => {
                return Err(Error::Value(format!("input has {} values, expected steps×n = {}", x.len(), n * steps)));
            }
            _ => {}
        }
        let dt_r = R::of(dt);
        let mut v_before: Vec<R> = Vec::new();
        for step in 0..steps {
            let external: Option<&[f64]> = match input {
                Input::None => None,
                Input::Constant(x) => Some(x),
                Input::PerStep(x) => Some(&x[step * n..(step + 1) * n]),
            };
            if let Some(c) = &self.coupling {
                v_before.clear();
                v_before.extend(self.neurons.iter().map(|nr| nr.var(c.var)));
            }
            let coupling = self.coupling.as_ref();
            let v_before = &v_before;
            self.neurons
                .par_chunks_mut(CHUNK)
                .enumerate()
                .for_each(|(chunk, neurons)| step_chunk(neurons, chunk * CHUNK, coupling, v_before, external, dt_r));
            record(step, &self.neurons);
        }
        Ok(())
    }
}

/// Neurons stepped together in vector lanes (8 measured twice as fast as 4 on AVX2: two vectors
/// per operation keep both FMA units busy; 16 gained nothing more).
const LANES: usize = 8;

/// Couples, adds the external input and steps the neurons of one chunk (first index `start`).
#[inline(always)]
fn step_chunk_impl<R: Real>(
    neurons: &mut [Neuron<R>],
    start: usize,
    coupling: Option<&Coupling>,
    v_before: &[R],
    external: Option<&[f64]>,
    dt: R,
) {
    for (o, nr) in neurons.iter_mut().enumerate() {
        let k = start + o;
        if let Some(c) = coupling {
            for e in c.row_start[k]..c.row_start[k + 1] {
                let g = R::of(c.conductance[e]);
                nr.add_input(g * (v_before[c.column[e]] - v_before[k]));
            }
        }
        if let Some(x) = external {
            nr.add_input(R::of(x[k]));
        }
    }
    let mut groups = neurons.chunks_exact_mut(LANES);
    for group in &mut groups {
        Neuron::step_lanes::<LANES>(group, dt);
    }
    for nr in groups.into_remainder() {
        nr.step(dt);
    }
}

// Same arithmetic on both paths (Rust never fuses a·b + c on its own), so results agree.
crate::fastmath::avx2_dispatch!(generic fn step_chunk<R: Real>(
    neurons: &mut [Neuron<R>],
    start: usize,
    coupling: Option<&Coupling>,
    v_before: &[R],
    external: Option<&[f64]>,
    dt: R
) => step_chunk_impl);
