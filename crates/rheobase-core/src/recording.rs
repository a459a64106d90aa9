//! Recordings: what a `Vector.record` samples and the samples taken so far.

use crate::morphology::SectionId;

/// A variable that can be recorded, named by the description (resolved to storage at lowering).
#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    /// Simulation time, ms.
    Time,
    /// Membrane potential at a location, mV.
    Voltage { sec: SectionId, x: f64 },
    /// A variable of a density mechanism (ions included) at a location.
    Density { sec: SectionId, x: f64, mech: usize, var: usize },
    /// A variable of a point process.
    Point { pp: usize, var: usize },
}

#[derive(Debug, Clone)]
pub struct Recorder {
    pub target: Target,
    /// Sampling interval, ms; None samples every step.
    pub interval_ms: Option<f64>,
    /// Time of the next interval sample, ms, accumulated interval by interval as NEURON's
    /// recording events are.
    pub next_sample_ms: f64,
    /// Samples not yet handed to the caller.
    pub data: Vec<f64>,
}

impl Recorder {
    pub fn new(target: Target, interval_ms: Option<f64>) -> Self {
        Recorder { target, interval_ms, next_sample_ms: 0.0, data: Vec::new() }
    }

    /// Whether a sample is due at time t, given the step dt (ms): interval samples are taken
    /// at the step boundary nearest to k·interval, as NEURON's fixed step delivers them.
    pub fn due(&self, t: f64, dt: f64) -> bool {
        match self.interval_ms {
            None => true,
            Some(_) => self.next_sample_ms <= t + 0.5 * dt,
        }
    }

    pub fn push(&mut self, value: f64) {
        self.data.push(value);
        if let Some(iv) = self.interval_ms {
            self.next_sample_ms += iv;
        }
    }

    pub fn restart(&mut self) {
        self.data.clear();
        self.next_sample_ms = 0.0;
    }
}
