//! Discrete events: the priority queue and what mechanisms send while handling one.
//!
//! Events name description-level objects (NetCon index, point-process index), not positions in
//! the lowered arrays, so pending events survive a re-lowering and mean the same thing in every
//! partition of the cells into groups.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

/// What an event does when it is delivered.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Action {
    /// A NetCon delivers its weights to its target's NET_RECEIVE with flag 0.
    NetCon { netcon: usize },
    /// `net_send(delay, flag)`: the point process `pp` receives `flag`; `weights_of` is the
    /// NetCon whose weights NET_RECEIVE sees (the one that caused the send, if any).
    SelfEvent { pp: usize, flag: f64, weights_of: Option<usize> },
    /// Element `index` of a discrete `Vector.play` takes effect.
    Play { play: usize, index: usize },
    /// A WATCH condition of the point process `pp` turned true: its NET_RECEIVE gets `flag` (no weights).
    Watch { pp: usize, flag: f64 },
}

impl Action {
    /// Orders events of equal time independently of when they were queued, so that results do
    /// not depend on how cells are grouped or threaded: NetCon events by NetCon index first,
    /// then self events by point process. Events with the same key keep their queueing order.
    fn tie_key(&self) -> (u8, usize) {
        match *self {
            Action::NetCon { netcon } => (0, netcon),
            Action::SelfEvent { pp, .. } | Action::Watch { pp, .. } => (1, pp),
            Action::Play { play, .. } => (2, play),
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub struct Event {
    /// Delivery time, ms.
    pub t: f64,
    pub action: Action,
    seq: u64,
}

impl PartialEq for Event {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Event {}

impl PartialOrd for Event {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Event {
    /// Reversed, so that the max-heap pops the earliest event.
    fn cmp(&self, other: &Self) -> Ordering {
        other
            .t
            .total_cmp(&self.t)
            .then_with(|| other.action.tie_key().cmp(&self.action.tie_key()))
            .then_with(|| other.seq.cmp(&self.seq))
    }
}

/// Bins of the calendar part of [`EventQueue`] (each one step wide).
const BINS: usize = 1024;

/// A min-priority queue of events by (time, tie key, queueing order).
///
/// Networks keep many events pending (nsuite's kway: ~10⁴, each spike fanning out to 1000
/// NetCons with delays of 5–15 ms). A heap of all of them costs a cache miss per level on every
/// push and pop, so events due within the next `BINS` steps wait in per-step bins and enter the
/// heap only when their step comes near; the heap then holds a few steps' events. Bins only
/// change where an event waits, never the order of delivery (the heap's total order decides).
#[derive(Debug, Clone, Default)]
pub struct EventQueue {
    heap: BinaryHeap<Event>,
    seq: u64,
    /// Width of a bin, ms (the step); 0 until set, and then every event goes to the heap.
    bin_ms: f64,
    /// Index (time / bin_ms) of the bin in `bins[0]`... stored circularly: bin b lives in
    /// bins[b % BINS] while first_bin <= b < first_bin + BINS.
    first_bin: u64,
    bins: Vec<Vec<Event>>,
    in_bins: usize,
}

impl EventQueue {
    /// Bins one step wide from now on (finitialize); pending events move to the heap.
    pub fn set_step(&mut self, dt_ms: f64, t_ms: f64) {
        self.flush_bins();
        self.bin_ms = dt_ms;
        self.first_bin = (t_ms / dt_ms).max(0.0) as u64;
        self.bins.resize_with(BINS, Vec::new);
    }

    fn flush_bins(&mut self) {
        for bin in &mut self.bins {
            self.heap.extend(bin.drain(..));
        }
        self.in_bins = 0;
    }

    pub fn push(&mut self, t: f64, action: Action) {
        self.seq += 1;
        let ev = Event { t, action, seq: self.seq };
        if self.bin_ms > 0.0 {
            let b = t / self.bin_ms;
            // Bins hold events from two bins ahead of the current one (those nearer go
            // straight to the heap) to the end of the calendar.
            if b >= (self.first_bin + 2) as f64 && b < (self.first_bin + BINS as u64) as f64 {
                self.bins[b as usize % BINS].push(ev);
                self.in_bins += 1;
                return;
            }
        }
        self.heap.push(ev);
    }

    /// Removes and returns the earliest event if it is due by `til` (ms).
    pub fn pop_due(&mut self, til: f64) -> Option<Event> {
        if self.bin_ms > 0.0 {
            // Every bin that may hold an event due by til (or one bin later) joins the heap.
            let last = (til / self.bin_ms).max(0.0) as u64 + 1;
            while self.first_bin <= last && self.in_bins > 0 {
                let bin = &mut self.bins[self.first_bin as usize % BINS];
                self.in_bins -= bin.len();
                self.heap.extend(bin.drain(..));
                self.first_bin += 1;
            }
            // Empty bins: the calendar moves on with time (so later events still find a bin).
            if self.in_bins == 0 && self.first_bin <= last {
                self.first_bin = last + 1;
            }
        }
        if self.heap.peek()?.t <= til {
            self.heap.pop()
        } else {
            None
        }
    }

    pub fn clear(&mut self) {
        self.heap.clear();
        for bin in &mut self.bins {
            bin.clear();
        }
        self.in_bins = 0;
    }

    pub fn len(&self) -> usize {
        self.heap.len() + self.in_bins
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Pending events in delivery order (for moving them to another queue).
    pub fn drain_sorted(&mut self) -> Vec<Event> {
        self.flush_bins();
        let mut v = std::mem::take(&mut self.heap).into_sorted_vec();
        v.reverse();
        v
    }
}

/// What NET_RECEIVE or INITIAL asked for, collected while a kernel runs and acted on after it.
#[derive(Debug, Clone, Default)]
pub struct Outbox {
    /// `net_send`: (delivery time ms, instance in the block, flag).
    pub sends: Vec<(f64, usize, f64)>,
    /// `net_event`: (spike time ms, instance in the block).
    pub spikes: Vec<(f64, usize)>,
    /// Spikes on behalf of a gid that has no cell here (PatternStim): (time ms, gid).
    pub gid_spikes: Vec<(f64, i64)>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn earliest_first_then_tie_key_then_queueing_order() {
        let mut q = EventQueue::default();
        q.push(2.0, Action::NetCon { netcon: 0 });
        q.push(1.0, Action::SelfEvent { pp: 3, flag: 1.0, weights_of: None });
        q.push(1.0, Action::NetCon { netcon: 7 });
        q.push(1.0, Action::NetCon { netcon: 2 });
        q.push(1.0, Action::SelfEvent { pp: 3, flag: 2.0, weights_of: None });
        let order: Vec<Action> = std::iter::from_fn(|| q.pop_due(10.0)).map(|e| e.action).collect();
        assert_eq!(
            order,
            vec![
                Action::NetCon { netcon: 2 },
                Action::NetCon { netcon: 7 },
                Action::SelfEvent { pp: 3, flag: 1.0, weights_of: None },
                Action::SelfEvent { pp: 3, flag: 2.0, weights_of: None },
                Action::NetCon { netcon: 0 },
            ]
        );
    }

    /// The same events through a binned queue and a plain heap come out in the same order at
    /// the same steps, including events in the past, far in the future and on bin edges.
    #[test]
    fn bins_do_not_change_the_order() {
        let dt = 0.025;
        // Event k: scattered over 0..~75 ms, some on exact multiples of dt/2, some far ahead.
        let time = |k: usize| match k % 5 {
            0 => (k / 5) as f64 * dt / 2.0,
            1 => 1e9,
            _ => ((k * 7919) % 6007) as f64 * 0.0123,
        };
        let mut binned = EventQueue::default();
        binned.set_step(dt, 0.0);
        let mut plain = EventQueue::default();
        let (mut out_b, mut out_p) = (Vec::new(), Vec::new());
        let mut t = 0.0;
        for step in 0..4000 {
            // Half the events are queued at the start, the others one per step (often late).
            let new: Vec<usize> = if step == 0 { (0..6000).step_by(2).collect() } else { vec![2 * step + 1] };
            for (q, out) in [(&mut binned, &mut out_b), (&mut plain, &mut out_p)] {
                for &k in &new {
                    q.push(time(k), Action::NetCon { netcon: k });
                }
                while let Some(e) = q.pop_due(t + dt / 2.0) {
                    out.push((step, e.t, e.action));
                }
            }
            t += dt;
        }
        assert_eq!(out_b, out_p);
        assert!(out_b.len() > 3000);
    }

    #[test]
    fn pop_due_respects_the_limit() {
        let mut q = EventQueue::default();
        q.push(1.0, Action::NetCon { netcon: 0 });
        assert!(q.pop_due(0.999).is_none());
        assert!(q.pop_due(1.0).is_some());
        assert!(q.is_empty());
    }
}
