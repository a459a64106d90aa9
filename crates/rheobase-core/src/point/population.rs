//! Many point neurons of one model stepped together, with per-neuron parameters, inputs and an
//! electrical coupling matrix; the loop stays in Rust and large populations use threads.
//!
//! A population step gives exactly what stepping the single-neuron objects gives when, for each
//! neuron k, the coupling currents g·(V_j − V_k) of row k (in stored order, with V read before
//! any neuron moves) are added to its input, then its external input, then it steps.
//!
//! Neurons are stored in blocks of `LANES`: each block holds every variable and parameter as a
//! row of LANES values, so a step loads and stores whole vectors (no gathers), and blocks are the
//! unit of work for threads. The last block is padded with default neurons that are stepped and
//! never shown.

use super::integrators::Integrator;
use super::models::{ModelKind, MAX_PARAMS, MAX_VARS};
use super::neuron::{check_dt, ModelRhs};
use super::real::{Lanes, Real};
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

/// Neurons per block: two AVX-512 registers of f64 (measured faster than one: more independent
/// work per instruction stream), stepped as two groups of 8 on AVX2.
pub const LANES: usize = 16;

/// LANES neurons, lane by lane.
#[derive(Debug, Clone, Copy)]
struct Block<R> {
    vars: [[R; LANES]; MAX_VARS],
    params: [[R; LANES]; MAX_PARAMS],
    /// This step's input current per lane.
    input: [R; LANES],
}

pub struct Population<R: Real> {
    model: ModelKind,
    integrator: Integrator,
    len: usize,
    blocks: Vec<Block<R>>,
    /// Time of every neuron (they step together), accumulated like a single neuron's.
    time: R,
    coupling: Option<Coupling>,
}

/// Blocks per thread task: enough work to amortise scheduling.
const CHUNK_BLOCKS: usize = 32;

impl<R: Real> Population<R> {
    pub fn new(model: ModelKind, integrator: Integrator, n: usize) -> Self {
        let mut block = Block {
            vars: [[R::ZERO; LANES]; MAX_VARS],
            params: [[R::ZERO; LANES]; MAX_PARAMS],
            input: [R::ZERO; LANES],
        };
        for (row, f) in block.vars.iter_mut().zip(model.variables()) {
            *row = [R::of(f.default); LANES];
        }
        for (row, f) in block.params.iter_mut().zip(model.parameters()) {
            *row = [R::of(f.default); LANES];
        }
        Population { model, integrator, len: n, blocks: vec![block; n.div_ceil(LANES)], time: R::ZERO, coupling: None }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn time(&self) -> R {
        self.time
    }

    /// Variable `q` of neuron `k` (q < the model's variable count, k < len).
    #[inline]
    pub fn var(&self, q: usize, k: usize) -> R {
        self.blocks[k / LANES].vars[q][k % LANES]
    }

    pub fn set_var(&mut self, q: usize, k: usize, value: R) {
        self.blocks[k / LANES].vars[q][k % LANES] = value;
    }

    /// Parameter `q` of neuron `k`.
    pub fn param(&self, q: usize, k: usize) -> R {
        self.blocks[k / LANES].params[q][k % LANES]
    }

    pub fn set_param(&mut self, q: usize, k: usize, value: R) {
        self.blocks[k / LANES].params[q][k % LANES] = value;
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

    /// Runs `steps` steps of dt. `record(step, population)` is called after each step (to sample).
    pub fn run(&mut self, steps: usize, dt: f64, input: &Input, record: impl FnMut(usize, &Self) + Send) -> Result<()> {
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
        // The loop runs on a pool thread, which then takes part in each step's work instead of
        // waking the pool and sleeping once per step.
        rayon::scope(|_| self.run_steps(steps, R::of(dt), input, record));
        Ok(())
    }

    fn run_steps(&mut self, steps: usize, dt_r: R, input: &Input, mut record: impl FnMut(usize, &Self)) {
        let n = self.len();
        let mut v_before: Vec<R> = Vec::new();
        for step in 0..steps {
            let external: Option<&[f64]> = match input {
                Input::None => None,
                Input::Constant(x) => Some(x),
                Input::PerStep(x) => Some(&x[step * n..(step + 1) * n]),
            };
            if let Some(c) = &self.coupling {
                v_before.clear();
                v_before.extend((0..n).map(|k| self.var(c.var, k)));
            }
            let inputs = Inputs { coupling: self.coupling.as_ref(), v_before: &v_before, external, len: n };
            let work = Step { inputs, model: self.model, integrator: self.integrator, dt: dt_r };
            self.blocks
                .par_chunks_mut(CHUNK_BLOCKS)
                .enumerate()
                .for_each(|(chunk, blocks)| step_blocks(blocks, chunk * CHUNK_BLOCKS * LANES, &work));
            self.time += dt_r;
            record(step, self);
        }
    }
}

/// One step of the population: its inputs, model, integrator and dt.
struct Step<'a, R> {
    inputs: Inputs<'a, R>,
    model: ModelKind,
    integrator: Integrator,
    dt: R,
}

/// What adds to the neurons' input in one step.
struct Inputs<'a, R> {
    coupling: Option<&'a Coupling>,
    /// The coupled variable of every neuron before the step.
    v_before: &'a [R],
    external: Option<&'a [f64]>,
    /// Neurons in the population (lanes beyond are padding).
    len: usize,
}

impl<R: Real> Inputs<'_, R> {
    /// Neuron k's input: its coupling currents in row order, then its external input, summed
    /// from 0 as a single neuron's add_synaptic_input calls sum them.
    #[inline(always)]
    fn of(&self, k: usize) -> R {
        let mut sum = R::ZERO;
        if k >= self.len {
            return sum;
        }
        if let Some(c) = self.coupling {
            for e in c.row_start[k]..c.row_start[k + 1] {
                sum += R::of(c.conductance[e]) * (self.v_before[c.column[e]] - self.v_before[k]);
            }
        }
        if let Some(x) = self.external {
            sum += R::of(x[k]);
        }
        sum
    }
}

/// Sets the inputs of the blocks (first neuron `start`) and steps them, L lanes at a time; the
/// model and integrator are matched once here so that each combination's loop is compiled alone.
#[inline(always)]
fn step_blocks_impl<R: Real, const L: usize>(blocks: &mut [Block<R>], start: usize, step: &Step<'_, R>) {
    for (b, block) in blocks.iter_mut().enumerate() {
        for (l, i) in block.input.iter_mut().enumerate() {
            *i = step.inputs.of(start + b * LANES + l);
        }
    }
    let Step { model, integrator, dt, .. } = *step;
    use Integrator::*;
    use ModelKind::*;
    match (model, integrator) {
        (HodgkinHuxley, Euler) => sweep::<R, L>(blocks, HodgkinHuxley, Euler, dt),
        (HodgkinHuxley, Rk4) => sweep::<R, L>(blocks, HodgkinHuxley, Rk4, dt),
        (HodgkinHuxley, Rk6) => sweep::<R, L>(blocks, HodgkinHuxley, Rk6, dt),
        (HindmarshRose, Euler) => sweep::<R, L>(blocks, HindmarshRose, Euler, dt),
        (HindmarshRose, Rk4) => sweep::<R, L>(blocks, HindmarshRose, Rk4, dt),
        (HindmarshRose, Rk6) => sweep::<R, L>(blocks, HindmarshRose, Rk6, dt),
        (Izhikevich, Euler) => sweep::<R, L>(blocks, Izhikevich, Euler, dt),
        (Izhikevich, Rk4) => sweep::<R, L>(blocks, Izhikevich, Rk4, dt),
        (Izhikevich, Rk6) => sweep::<R, L>(blocks, Izhikevich, Rk6, dt),
    }
}

/// One step of every block, L lanes at a time: lane by lane the operations of `Neuron::step`.
#[inline(always)]
fn sweep<R: Real, const L: usize>(blocks: &mut [Block<R>], model: ModelKind, integrator: Integrator, dt: R) {
    let lanes = |row: &[R; LANES], at: usize| Lanes::<R, L>(row[at..at + L].try_into().unwrap());
    for block in blocks {
        for at in (0..LANES).step_by(L) {
            let mut vars = block.vars.map(|row| lanes(&row, at));
            let rhs =
                ModelRhs { model, params: block.params.map(|row| lanes(&row, at)), input: lanes(&block.input, at) };
            integrator.step(&mut vars, Lanes([dt; L]), &rhs);
            for (row, v) in block.vars.iter_mut().zip(vars) {
                row[at..at + L].copy_from_slice(&v.0);
            }
        }
        if model == ModelKind::Izhikevich {
            let (params, [v, u, ..]) = (&block.params, &mut block.vars);
            for l in 0..LANES {
                let mut x = [v[l], u[l], R::ZERO, R::ZERO];
                model.after_step(&params.map(|p| p[l]), &mut x);
                (v[l], u[l]) = (x[0], x[1]);
            }
        }
    }
}

/// `step_blocks_impl` compiled for the widest vectors the CPU has (the same arithmetic on every
/// path: Rust never fuses a·b + c on its own, so the results agree).
fn step_blocks<R: Real>(blocks: &mut [Block<R>], start: usize, step: &Step<'_, R>) {
    #[cfg(target_arch = "x86_64")]
    {
        use crate::fastmath::{has_avx2_fma, has_avx512};
        #[target_feature(enable = "avx512f,avx512vl,avx512dq,avx2,fma")]
        unsafe fn avx512<R: Real>(blocks: &mut [Block<R>], start: usize, step: &Step<'_, R>) {
            step_blocks_impl::<R, 16>(blocks, start, step)
        }
        #[target_feature(enable = "avx2,fma")]
        unsafe fn avx2<R: Real>(blocks: &mut [Block<R>], start: usize, step: &Step<'_, R>) {
            step_blocks_impl::<R, 8>(blocks, start, step)
        }
        // SAFETY: each runs only on a CPU with the features it is compiled for.
        if has_avx512() {
            return unsafe { avx512(blocks, start, step) };
        }
        if has_avx2_fma() {
            return unsafe { avx2(blocks, start, step) };
        }
    }
    step_blocks_impl::<R, 8>(blocks, start, step)
}
