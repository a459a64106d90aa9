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

/// When a recorder samples. Timed samples follow NEURON's fixed-step event delivery: a sample
/// due at time te is taken at the start of the step from t if te ≤ t + dt/2, else at the end of
/// the step that reaches t ≥ te (so at the boundary nearest te; none after the run's last step).
#[derive(Debug, Clone, PartialEq)]
pub enum Schedule {
    /// At t = 0 and after every step.
    EveryStep,
    /// At 0, Dt, 2·Dt, … (ms).
    Interval(f64),
    /// At the given times (ms, non-decreasing).
    Times(Vec<f64>),
}

#[derive(Debug, Clone)]
pub struct Recorder {
    pub target: Target,
    pub schedule: Schedule,
    /// Time of the next interval sample, ms, accumulated interval by interval as NEURON's
    /// recording events are.
    pub next_sample_ms: f64,
    /// Index of the next sample time of a `Times` schedule.
    pub next_index: usize,
    /// Samples not yet handed to the caller.
    pub data: Vec<f64>,
}

impl Recorder {
    pub fn new(target: Target, schedule: Schedule) -> Self {
        Recorder { target, schedule, next_sample_ms: 0.0, next_index: 0, data: Vec::new() }
    }

    /// Time (ms) of the next sample of a timed schedule; None for every-step recorders and
    /// exhausted time lists.
    pub fn next_time(&self) -> Option<f64> {
        match &self.schedule {
            Schedule::EveryStep => None,
            Schedule::Interval(_) => Some(self.next_sample_ms),
            Schedule::Times(times) => times.get(self.next_index).copied(),
        }
    }

    pub fn push(&mut self, value: f64) {
        self.data.push(value);
        match self.schedule {
            Schedule::EveryStep => {}
            Schedule::Interval(iv) => self.next_sample_ms += iv,
            Schedule::Times(_) => self.next_index += 1,
        }
    }

    pub fn restart(&mut self) {
        self.data.clear();
        self.next_sample_ms = 0.0;
        self.next_index = 0;
    }
}
