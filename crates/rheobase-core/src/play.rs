//! `Vector.play`: values written into a variable during a run.
//!
//! As in NEURON's fixed step: a discrete play is a stream of events, element j at its time
//! (given, or j·dt accumulated one interval at a time), delivered by the event rule so that a
//! value is in place from the step boundary nearest its time on (element 0 at t = 0 before
//! INITIAL runs); a continuous play writes the linear interpolation of (times, values) at each
//! step's midpoint and end, and at each of its times as an event. Like NEURON's
//! VecPlayContinuous, it interpolates within the segment ending at the last time whose event has
//! been delivered (`ubound`), so between a time and the delivery of its event the previous
//! segment is extended.

use crate::recording::Target;
use crate::simulation::Source;

/// When the elements of a play apply.
#[derive(Debug, Clone, PartialEq)]
pub enum PlayTimes {
    /// Element j at times[j], ms.
    At(Vec<f64>),
    /// Element j at j·dt, ms (accumulated: t_{j+1} = t_j + dt).
    Every(f64),
}

#[derive(Debug, Clone)]
pub struct Play {
    pub target: Target,
    pub times: PlayTimes,
    pub values: Vec<f64>,
    pub continuous: bool,
}

impl Play {
    /// Time of element j after element j − 1 at `previous` (ms); None past the last element.
    pub fn next_time(&self, j: usize, previous: f64) -> Option<f64> {
        if j >= self.values.len() {
            return None;
        }
        match &self.times {
            PlayTimes::At(t) => t.get(j).copied(),
            PlayTimes::Every(dt) => Some(if j == 0 { 0.0 } else { previous + dt }),
        }
    }

    /// The continuous play's value at t given the segment bound `ubound` (NEURON's
    /// VecPlayContinuous::interpolate): the first value before the first time, the segment
    /// ending at `ubound` (extended) from times[ubound] on, else the segment holding t; the mean
    /// of the two values at a repeated time.
    pub fn value_at(&self, t: f64, ubound: usize) -> f64 {
        let PlayTimes::At(times) = &self.times else { unreachable!("continuous plays have times") };
        let y = &self.values;
        let j = if t >= times[ubound] {
            if ubound == 0 {
                return y[0];
            }
            ubound
        } else if t <= times[0] {
            return y[0];
        } else {
            times[..ubound].partition_point(|&x| x <= t)
        };
        let (t0, t1, y0, y1) = (times[j - 1], times[j], y[j - 1], y[j]);
        if t0 == t1 {
            return (y0 + y1) / 2.0;
        }
        y0 + (y1 - y0) * ((t - t0) / (t1 - t0))
    }

    /// Number of elements that take effect.
    pub fn len(&self) -> usize {
        match &self.times {
            PlayTimes::At(t) => t.len().min(self.values.len()),
            PlayTimes::Every(_) => self.values.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A play as a cell group runs it.
#[derive(Debug, Clone)]
pub struct LoweredPlay {
    /// Index of the play in the description.
    pub id: usize,
    pub play: Play,
    pub source: Source,
    /// A continuous play's segment bound (see the module doc).
    pub ubound: usize,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn play(times: Vec<f64>, values: Vec<f64>) -> Play {
        Play { target: Target::Time, times: PlayTimes::At(times), values, continuous: true }
    }

    #[test]
    fn interpolation_within_the_bound_and_beyond_it() {
        let p = play(vec![0.0, 1.0, 1.0, 3.0], vec![0.0, 2.0, 10.0, 14.0]);
        assert_eq!(p.value_at(-1.0, 3), 0.0);
        assert_eq!(p.value_at(0.5, 3), 1.0);
        assert_eq!(p.value_at(2.0, 3), 12.0);
        assert_eq!(p.value_at(5.0, 3), 14.0 + 2.0 * 2.0); // the last segment, extended
        assert_eq!(p.value_at(1.0, 2), 6.0); // a repeated time: the mean
        assert_eq!(p.value_at(1.5, 1), 3.0); // bound at 1: the first segment, extended
        assert_eq!(p.value_at(0.5, 0), 0.0);
    }

    #[test]
    fn element_times_accumulate_one_interval_at_a_time() {
        let p = Play { target: Target::Time, times: PlayTimes::Every(0.1), values: vec![0.0; 4], continuous: false };
        let mut t = 0.0;
        let mut got = Vec::new();
        for j in 0..5 {
            if let Some(x) = p.next_time(j, t) {
                got.push(x);
                t = x;
            }
        }
        assert_eq!(got, vec![0.0, 0.1, 0.2, 0.30000000000000004]);
    }
}
