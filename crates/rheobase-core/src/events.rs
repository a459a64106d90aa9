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
}

impl Action {
    /// Orders events of equal time independently of when they were queued, so that results do
    /// not depend on how cells are grouped or threaded: NetCon events by NetCon index first,
    /// then self events by point process. Events with the same key keep their queueing order.
    fn tie_key(&self) -> (u8, usize) {
        match *self {
            Action::NetCon { netcon } => (0, netcon),
            Action::SelfEvent { pp, .. } => (1, pp),
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

/// A min-priority queue of events by (time, tie key, queueing order).
#[derive(Debug, Clone, Default)]
pub struct EventQueue {
    heap: BinaryHeap<Event>,
    seq: u64,
}

impl EventQueue {
    pub fn push(&mut self, t: f64, action: Action) {
        self.seq += 1;
        self.heap.push(Event { t, action, seq: self.seq });
    }

    /// Removes and returns the earliest event if it is due by `til` (ms).
    pub fn pop_due(&mut self, til: f64) -> Option<Event> {
        if self.heap.peek()?.t <= til {
            self.heap.pop()
        } else {
            None
        }
    }

    pub fn clear(&mut self) {
        self.heap.clear();
    }

    pub fn len(&self) -> usize {
        self.heap.len()
    }

    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }

    /// Pending events in delivery order (for moving them to another queue).
    pub fn drain_sorted(&mut self) -> Vec<Event> {
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
}

impl Outbox {
    pub fn is_empty(&self) -> bool {
        self.sends.is_empty() && self.spikes.is_empty()
    }
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

    #[test]
    fn pop_due_respects_the_limit() {
        let mut q = EventQueue::default();
        q.push(1.0, Action::NetCon { netcon: 0 });
        assert!(q.pop_due(0.999).is_none());
        assert!(q.pop_due(1.0).is_some());
        assert!(q.is_empty());
    }
}
