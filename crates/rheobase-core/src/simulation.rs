//! The lowered simulation: cell groups that step independently (on threads when there are
//! several) and exchange spikes at intervals no longer than the smallest delay between groups.
//!
//! Results do not depend on the grouping: each group holds whole cells whose nodes keep their
//! relative order, events are ordered by (time, NetCon/point process) rather than by arrival, and
//! a spike reaches another group before any event it causes is due.

pub use crate::group::{Clock, Group, InitPart, RecorderSlot, Source};
use rayon::prelude::*;
use std::sync::Arc;

/// A spike leaving its group: (time ms, PreSyn, group it came from).
pub type Spike = (f64, usize, usize);

/// Gathers the spikes of every group (and, for a distributed run, of every process) at the end
/// of an exchange interval. In one process that is the identity; an MPI transport adds the
/// other ranks' spikes.
pub trait SpikeExchange: Send + Sync {
    fn gather(&mut self, local: Vec<Spike>) -> Vec<Spike>;
}

/// The exchange between groups of one process.
pub struct InProcess;

impl SpikeExchange for InProcess {
    fn gather(&mut self, local: Vec<Spike>) -> Vec<Spike> {
        local
    }
}

pub struct Simulation {
    pub groups: Vec<Group>,
    /// Steps between spike exchanges (only used with several groups).
    pub exchange_steps: u64,
    pub pool: Option<Arc<rayon::ThreadPool>>,
    pub exchange: Box<dyn SpikeExchange>,
}

impl Simulation {
    /// A part of finitialize on every group; after the last, the spikes of t = 0 (NetStim with
    /// start 0) travel.
    pub fn initialize(&mut self, c: &mut Clock, part: InitPart, v_init: Option<f64>) {
        if part == InitPart::Start {
            c.t = 0.0;
        }
        for g in &mut self.groups {
            g.initialize(&mut c.clone(), part, v_init);
        }
        if part == InitPart::Finish {
            self.exchange_spikes();
        }
    }

    /// Runs `steps` fixed steps.
    pub fn advance(&mut self, c: &mut Clock, steps: u64) {
        if self.groups.len() == 1 {
            for _ in 0..steps {
                self.groups[0].step(c);
            }
            return;
        }
        let mut left = steps;
        while left > 0 {
            let n = left.min(self.exchange_steps.max(1));
            let start = *c;
            let run = |g: &mut Group| {
                let mut gc = start;
                for _ in 0..n {
                    g.step(&mut gc);
                }
                gc
            };
            let clocks: Vec<Clock> = match &self.pool {
                Some(pool) => pool.install(|| self.groups.par_iter_mut().map(run).collect()),
                None => self.groups.iter_mut().map(run).collect(),
            };
            *c = clocks[0];
            self.exchange_spikes();
            left -= n;
        }
    }

    /// Spikes whose NetCons reach other groups become events there.
    fn exchange_spikes(&mut self) {
        if self.groups.len() == 1 {
            return;
        }
        let mut local = Vec::new();
        for (k, g) in self.groups.iter_mut().enumerate() {
            local.extend(g.network.take_outgoing().into_iter().map(|(t, ps)| (t, ps, k)));
        }
        for (t, ps, from) in self.exchange.gather(local) {
            for (k, g) in self.groups.iter_mut().enumerate() {
                if k != from {
                    g.network.receive(ps, t);
                }
            }
        }
    }

    /// Spikes logged since the last call, (time ms, PreSyn), in NEURON's recording order.
    pub fn take_spikes(&mut self) -> Vec<(f64, usize)> {
        if self.groups.iter().all(|g| !g.network.has_spikes()) {
            return Vec::new(); // the common case between spikes: no allocation
        }
        crate::network::merge_spike_logs(self.groups.iter_mut().map(|g| g.network.take_spike_log()).collect())
    }
}
