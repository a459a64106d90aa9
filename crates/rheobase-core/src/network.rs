//! The lowered network of a simulation: threshold detectors, NetCons with their weights, the
//! event queue, and event delivery into mechanism kernels (NEURON's NetCvode for the fixed step).

use crate::events::{Action, EventQueue, Outbox};
use crate::mechanisms::Block;
use crate::play::LoweredPlay;
use crate::pointer::{self, PointerCopy};
use crate::simulation::Source;
use std::collections::HashMap;

/// NEURON stamps a threshold crossing detected at the start of a step at t + 1e-10 ms.
pub const SPIKE_TIME_OFFSET_MS: f64 = 1e-10;

/// Threshold detection on a node's voltage (a PreSyn with a voltage source).
#[derive(Debug, Clone)]
pub struct Detector {
    pub presyn: usize,
    pub node: usize,
    /// mV
    pub threshold: f64,
    /// v was above threshold at the last check (a spike needs a new upward crossing).
    pub above: bool,
}

/// A NetCon as the simulation sees it.
#[derive(Debug, Clone)]
pub struct LoweredNetCon {
    /// (block, instance) of the target.
    pub target: Option<(usize, usize)>,
    /// Its weight vector in [`Network::weights`] (one flat array: no pointer to chase per event).
    pub weights: std::ops::Range<usize>,
    /// ms
    pub delay: f64,
    pub active: bool,
}

#[derive(Debug, Clone, Default)]
pub struct Network {
    pub queue: EventQueue,
    pub detectors: Vec<Detector>,
    /// By NetCon index; a NetCon has its target here only in the group that holds the target.
    pub netcons: Vec<LoweredNetCon>,
    /// Every NetCon's weight vector, end to end.
    pub weights: Vec<f64>,
    /// Per block: a NetCon event whose weights are all 0 leaves the target unchanged (linear
    /// synapses: g += w), so it is not delivered at all.
    pub zero_weight_noop: Vec<bool>,
    /// NetCons by target (block, instance), in creation order: built at the first FOR_NETCONS delivery.
    pub by_target: Option<HashMap<(usize, usize), Vec<usize>>>,
    /// PreSyn → the NetCons with targets in this group, in creation order.
    pub fanout: Vec<Vec<usize>>,
    /// PreSyn → it drives NetCons whose targets are in other groups.
    pub exported: Vec<bool>,
    /// Spikes for other groups since the last exchange: (time ms, PreSyn).
    outgoing: Vec<(f64, usize)>,
    /// gid → (its PreSyn, true when no cell here provides it: a gid_connect'ed input).
    pub gids: std::collections::HashMap<i64, (usize, bool)>,
    /// `Vector.play`s writing into this group, by play index (None: elsewhere or removed).
    pub plays: Vec<Option<LoweredPlay>>,
    /// Point process → (block, instance), for self events.
    pub point_at: Vec<Option<(usize, usize)>>,
    /// (block, instance) → point process, for what kernels send.
    pub point_of: Vec<Vec<usize>>,
    /// (block, instance) → the PreSyn its `net_event` feeds.
    pub presyn_of_point: Vec<Vec<Option<usize>>>,
    /// Spikes sent since the last `take_spikes`: (batch, time ms, PreSyn).
    spikes: Vec<(u64, f64, usize)>,
    /// Counts detection and delivery passes: every cell group makes the same passes, so
    /// (batch, time, source) orders spikes the same way whatever the grouping.
    batch: u64,
    outbox: Outbox,
}

impl Network {
    /// finitialize: no pending events but the first element of each discrete play, no crossing
    /// in progress.
    pub fn reset(&mut self, dt_ms: f64) {
        self.queue.clear();
        self.queue.set_step(dt_ms, 0.0);
        for lp in self.plays.iter_mut().flatten() {
            lp.ubound = 0;
            if let Some(t) = lp.play.next_time(0, 0.0) {
                self.queue.push(t, Action::Play { play: lp.id, index: 0 });
            }
        }
        for d in &mut self.detectors {
            d.above = false;
        }
        self.spikes.clear();
        self.outgoing.clear();
    }

    pub fn set_threshold(&mut self, presyn: usize, th: f64) {
        for d in self.detectors.iter_mut().filter(|d| d.presyn == presyn) {
            d.threshold = th;
        }
    }

    pub fn has_spikes(&self) -> bool {
        !self.spikes.is_empty()
    }

    /// The spikes sent since the last call: (pass, time ms, PreSyn).
    pub fn take_spike_log(&mut self) -> Vec<(u64, f64, usize)> {
        std::mem::take(&mut self.spikes)
    }

    pub fn take_outgoing(&mut self) -> Vec<(f64, usize)> {
        std::mem::take(&mut self.outgoing)
    }

    /// A spike of `presyn` at t: logged, and an event at t + delay for each active NetCon with a
    /// target here (NEURON's PreSyn::send); handed to the exchange if other groups listen.
    fn send(&mut self, presyn: usize, t: f64) {
        self.spikes.push((self.batch, t, presyn));
        self.receive(presyn, t);
        if self.exported[presyn] {
            self.outgoing.push((t, presyn));
        }
    }

    /// Events for this group's NetCons listening to a spike of `presyn` at t.
    pub fn receive(&mut self, presyn: usize, t: f64) {
        for &nc in &self.fanout[presyn] {
            let n = &self.netcons[nc];
            if n.active && n.target.is_some() {
                self.queue.push(t + n.delay, Action::NetCon { netcon: nc });
            }
        }
    }

    /// Threshold detection on v at time t (start of a step).
    pub fn check_thresholds(&mut self, v: &[f64], t: f64) {
        self.batch += 1;
        for k in 0..self.detectors.len() {
            let d = &mut self.detectors[k];
            if v[d.node] - d.threshold > 0.0 {
                if !d.above {
                    d.above = true;
                    let ps = d.presyn;
                    self.send(ps, t + SPIKE_TIME_OFFSET_MS);
                }
            } else {
                d.above = false;
            }
        }
    }

    /// An event to an instance whose NET_RECEIVE loops over the NetCons that target it (FOR_NETCONS).
    fn deliver_all(
        &mut self,
        blocks: &mut [Block],
        (b, i): (usize, usize),
        netcon: Option<usize>,
        flag: f64,
        t: f64,
        out: &mut Outbox,
    ) {
        let kernel = &mut blocks[b];
        self.with_all_weights((b, i), netcon, |all, current| {
            kernel.kernel.net_receive_all(&mut kernel.data, i, all, current, flag, t, out)
        });
    }

    /// Calls `f` with the weights of every NetCon that targets instance (b, i), in creation order, and the
    /// position of `netcon` among them; what `f` assigns to them is kept.
    fn with_all_weights<T>(
        &mut self,
        target: (usize, usize),
        netcon: Option<usize>,
        f: impl FnOnce(&mut Vec<Vec<f64>>, Option<usize>) -> T,
    ) -> T {
        if self.by_target.is_none() {
            let mut map: HashMap<(usize, usize), Vec<usize>> = HashMap::new();
            for (nc, n) in self.netcons.iter().enumerate() {
                if let Some(target) = n.target {
                    map.entry(target).or_default().push(nc);
                }
            }
            self.by_target = Some(map);
        }
        let list = self.by_target.as_ref().and_then(|m| m.get(&target)).cloned().unwrap_or_default();
        let current = netcon.and_then(|nc| list.iter().position(|&x| x == nc));
        let mut all: Vec<Vec<f64>> =
            list.iter().map(|&nc| self.weights[self.netcons[nc].weights.clone()].to_vec()).collect();
        let result = f(&mut all, current);
        for (&nc, w) in list.iter().zip(&all) {
            let range = self.netcons[nc].weights.clone();
            if w.len() == range.len() {
                self.weights[range].copy_from_slice(w);
            }
        }
        result
    }

    /// WATCH conditions at a step's start (time `t`, ms; NEURON checks them with the thresholds): those
    /// that turned true queue their NET_RECEIVE at t, delivered with the step's first events.
    pub fn check_watches(&mut self, blocks: &mut [Block], t: f64) {
        let mut fired = Vec::new();
        for (b, blk) in blocks.iter_mut().enumerate() {
            blk.kernel.check_watches(&mut blk.data, t, &mut fired);
            for (i, flag) in fired.drain(..) {
                let pp = self.point_of[b][i];
                self.queue.push(t, Action::Watch { pp, flag });
            }
        }
    }

    /// INITIAL's `net_send`s of every block; then, NetCon by NetCon in creation order, the target's
    /// NET_RECEIVE INITIAL on that NetCon's weights (NEURON's init_events), or without one the weights
    /// after the first set to 0.
    pub fn initial_events(&mut self, blocks: &mut [Block]) {
        for (b, blk) in blocks.iter_mut().enumerate() {
            let mut out = std::mem::take(&mut self.outbox);
            blk.kernel.initial_events(&mut blk.data, &mut out);
            self.dispatch(b, &mut out, None);
            self.outbox = out;
        }
        for nc in 0..self.netcons.len() {
            let Some((b, i)) = self.netcons[nc].target else { continue };
            let mut out = std::mem::take(&mut self.outbox);
            let blk = &mut blocks[b];
            let has_initial = if blk.kernel.uses_all_weights() {
                self.with_all_weights((b, i), Some(nc), |all, current| {
                    blk.kernel.net_init_all(&mut blk.data, i, all, current.expect("a NetCon of its target"), &mut out)
                })
            } else {
                blk.kernel.net_init(&mut blk.data, i, &mut self.weights[self.netcons[nc].weights.clone()], &mut out)
            };
            if !has_initial {
                self.weights[self.netcons[nc].weights.clone()].iter_mut().skip(1).for_each(|x| *x = 0.0);
            }
            self.dispatch(b, &mut out, Some(nc));
            self.outbox = out;
        }
    }

    /// Continuous plays write their value at time t.
    pub fn play_continuous(&self, t: f64, blocks: &mut [Block], v: &mut [f64]) {
        for lp in self.plays.iter().flatten().filter(|lp| lp.play.continuous && !lp.play.is_empty()) {
            write(lp.source, lp.play.value_at(t, lp.ubound), blocks, v);
        }
    }

    /// Delivers every event due by `til` (ms) in time order; NET_RECEIVE sees t = the event's time, and
    /// the target's POINTERs (`pointers`, sorted) read through around its call.
    pub fn deliver(&mut self, til: f64, blocks: &mut [Block], v: &mut [f64], pointers: &[PointerCopy]) {
        self.batch += 1;
        while let Some(ev) = self.queue.pop_due(til) {
            let mut out = std::mem::take(&mut self.outbox);
            let target = match ev.action {
                Action::NetCon { netcon } => self.netcons[netcon].target,
                Action::SelfEvent { pp, .. } | Action::Watch { pp, .. } => self.point_at.get(pp).copied().flatten(),
                Action::Play { .. } => None,
            };
            let pointers = target.map_or(&[][..], |(b, i)| pointer::of_instance(pointers, b, i));
            pointer::copy_in(pointers, blocks, v);
            match ev.action {
                Action::NetCon { netcon } => {
                    let nc = &self.netcons[netcon];
                    let Some((b, i)) = nc.target else { continue };
                    let w = &mut self.weights[nc.weights.clone()];
                    if self.zero_weight_noop[b] && w.iter().all(|&x| x == 0.0) {
                        continue;
                    }
                    if blocks[b].kernel.uses_all_weights() {
                        self.deliver_all(blocks, (b, i), Some(netcon), 0.0, ev.t, &mut out);
                    } else {
                        let blk = &mut blocks[b];
                        blk.kernel.net_receive(&mut blk.data, i, w, 0.0, ev.t, &mut out);
                    }
                    self.dispatch(b, &mut out, Some(netcon));
                }
                Action::SelfEvent { pp, flag, weights_of } => {
                    let Some((b, i)) = self.point_at.get(pp).copied().flatten() else { continue };
                    if blocks[b].kernel.uses_all_weights() {
                        self.deliver_all(blocks, (b, i), weights_of, flag, ev.t, &mut out);
                        self.dispatch(b, &mut out, weights_of);
                        self.outbox = out;
                        continue;
                    }
                    let mut none: [f64; 0] = [];
                    let w = match weights_of {
                        Some(nc) => &mut self.weights[self.netcons[nc].weights.clone()],
                        None => &mut none[..],
                    };
                    let blk = &mut blocks[b];
                    blk.kernel.net_receive(&mut blk.data, i, w, flag, ev.t, &mut out);
                    self.dispatch(b, &mut out, weights_of);
                }
                Action::Watch { pp, flag } => {
                    let Some((b, i)) = self.point_at.get(pp).copied().flatten() else { continue };
                    if blocks[b].kernel.uses_all_weights() {
                        self.deliver_all(blocks, (b, i), None, flag, ev.t, &mut out);
                    } else {
                        let blk = &mut blocks[b];
                        blk.kernel.watch_fired(&mut blk.data, i, flag, ev.t, &mut out);
                    }
                    self.dispatch(b, &mut out, None);
                }
                Action::Play { play, index } => {
                    let Some(lp) = self.plays.get_mut(play).and_then(|p| p.as_mut()) else { continue };
                    if lp.play.continuous {
                        // Element `index`'s time has come: the next segment opens.
                        if index + 1 < lp.play.len() {
                            lp.ubound = index + 1;
                            let t = lp.play.next_time(index + 1, ev.t).expect("within the play");
                            self.queue.push(t, Action::Play { play, index: index + 1 });
                        }
                        write(lp.source, lp.play.value_at(ev.t, lp.ubound), blocks, v);
                    } else {
                        write(lp.source, lp.play.values[index], blocks, v);
                        if let Some(t) = lp.play.next_time(index + 1, ev.t) {
                            self.queue.push(t, Action::Play { play, index: index + 1 });
                        }
                    }
                }
            }
            pointer::copy_out(pointers, blocks, v);
            self.outbox = out;
        }
    }

    /// Acts on what a kernel of block `b` sent: self events into the queue, spikes to NetCons.
    fn dispatch(&mut self, b: usize, out: &mut Outbox, weights_of: Option<usize>) {
        for (t, i, flag) in out.sends.drain(..) {
            let pp = self.point_of[b][i];
            self.queue.push(t, Action::SelfEvent { pp, flag, weights_of });
        }
        for (t, i) in out.spikes.drain(..) {
            if let Some(ps) = self.presyn_of_point[b][i] {
                self.send(ps, t);
            }
        }
        // NEURON's nrn_fake_fire: only gids without a cell here.
        for (t, gid) in out.gid_spikes.drain(..) {
            if let Some(&(ps, true)) = self.gids.get(&gid) {
                self.send(ps, t);
            }
        }
    }
}

/// The spike logs of all groups as one list, (time ms, PreSyn), in the order NEURON records
/// spikes: pass by pass (threshold detection at a step's start, each event delivery), and by time
/// then source within a pass. Every group makes the same passes, so the order does not depend on
/// how cells are grouped.
pub fn merge_spike_logs(logs: Vec<Vec<(u64, f64, usize)>>) -> Vec<(f64, usize)> {
    let mut s: Vec<(u64, f64, usize)> = logs.into_iter().flatten().collect();
    s.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)).then(a.2.cmp(&b.2)));
    s.into_iter().map(|(_, t, ps)| (t, ps)).collect()
}

/// A played value into its variable (kernels are told, so that caches follow).
pub(crate) fn write(source: Source, value: f64, blocks: &mut [Block], v: &mut [f64]) {
    match source {
        Source::Node(i) => v[i] = value,
        Source::Var { block, var, instance } => {
            let blk = &mut blocks[block];
            blk.data.vars[var][instance] = value;
            blk.kernel.state_written(&mut blk.data);
        }
        Source::Time => {}
    }
}
