//! The instances of a synapse type whose conductance state is not zero.
//!
//! Most synapses of a large network are silent most of the time (nsuite's kway model gives each
//! cell 1000 synapses and events to only one). With every state at exactly 0 such an instance
//! adds exactly nothing to the matrix and its decay leaves it at 0, so kernels loop over the
//! active ones only: the results are bit for bit those of the full loop. The list stays sorted
//! so that currents are summed in the same order as the full loop would.

#[derive(Debug, Default)]
pub struct ActiveSet {
    list: Vec<usize>,
    member: Vec<bool>,
}

impl ActiveSet {
    /// Rebuilds the set for `n` instances from a predicate (after INITIAL or a user write).
    pub fn rebuild(&mut self, n: usize, is_active: impl Fn(usize) -> bool) {
        self.member = (0..n).map(&is_active).collect();
        self.list = (0..n).filter(|&k| self.member[k]).collect();
    }

    pub fn insert(&mut self, k: usize) {
        if !self.member[k] {
            self.member[k] = true;
            let at = self.list.partition_point(|&j| j < k);
            self.list.insert(at, k);
        }
    }

    /// Drops the instances for which `keep` is false.
    pub fn retain(&mut self, mut keep: impl FnMut(usize) -> bool) {
        let member = &mut self.member;
        self.list.retain(|&k| {
            let stay = keep(k);
            member[k] = stay;
            stay
        });
    }

    pub fn list(&self) -> &[usize] {
        &self.list
    }
}

/// cnexp's update of y' = −y/tau over dt, in the operation order of NEURON's generated code
/// (`y + (1 − exp(dt·(−1/tau)))·(−y)`), so traces match NEURON's bit for bit.
#[inline]
pub fn decay(y: f64, factor: f64) -> f64 {
    y + factor * -y
}

/// The `1 − exp(dt·(−1/tau))` of [`decay`].
#[inline]
pub fn decay_factor(dt: f64, tau: f64) -> f64 {
    1.0 - (dt * (-1.0 / tau)).exp()
}
