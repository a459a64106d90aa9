//! The network part of the description: spike sources (NEURON's PreSyn), NetCons, spike
//! recordings and gids. Lowering turns them into a [`crate::network::Network`].

use super::Model;
use crate::error::{finite, Error, Result};
use crate::events::Action;
use crate::mechanisms::{self, MechKind};
use crate::morphology::SectionId;
use std::collections::HashMap;

/// NEURON's default NetCon threshold, mV.
pub const DEFAULT_THRESHOLD_MV: f64 = 10.0;
/// NEURON's default NetCon delay, ms.
pub const DEFAULT_DELAY_MS: f64 = 1.0;

/// What a spike source watches.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SpikeSource {
    /// Threshold crossings of v at a location (x snapped to its segment centre, 0 and 1 exact).
    Voltage { sec: SectionId, x: f64 },
    /// `net_event` of a point process or artificial cell.
    Point(usize),
    /// A gid whose source is not known here yet (`pc.gid_connect` before `pc.cell`).
    Gid,
}

/// One spike source, shared by every NetCon that watches the same thing.
#[derive(Debug, Clone)]
pub struct PreSyn {
    /// None once the watched section or point process is deleted.
    pub source: Option<SpikeSource>,
    /// mV
    pub threshold: f64,
    /// Spike recording: (record id, the id stored with each spike).
    pub record: Option<(usize, f64)>,
    pub gid: Option<i64>,
    /// v was above threshold at the last check (kept across re-lowering).
    pub(crate) above: bool,
}

#[derive(Debug, Clone)]
pub struct NetCon {
    /// None for `NetCon(None, target)` (events sent from Python only).
    pub presyn: Option<usize>,
    /// The receiving point process; None for `NetCon(source, None)` or once it is deleted.
    pub target: Option<usize>,
    /// NET_RECEIVE's arguments (weight[0] is the weight).
    pub weights: Vec<f64>,
    /// ms
    pub delay: f64,
    pub active: bool,
}

/// Spike times (and source ids) recorded into a pair of Vectors.
#[derive(Debug, Clone, Default)]
pub struct SpikeRecord {
    pub times: Vec<f64>,
    pub ids: Vec<f64>,
}

/// Lookups that keep building and deleting large networks linear in their size.
#[derive(Debug, Clone, Default)]
pub struct NetworkIndex {
    /// PreSyns watching v on a section.
    on_section: HashMap<SectionId, Vec<usize>>,
    /// The PreSyn of a point process's `net_event`s.
    of_point: HashMap<usize, usize>,
    /// NetCons targeting a point process.
    targeting: HashMap<usize, Vec<usize>>,
}

/// Where a new NetCon's events come from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SourceSpec {
    None,
    Voltage { sec: SectionId, x: f64 },
    Point(usize),
    Gid(i64),
}

impl Model {
    fn netcon_ref(&self, nc: usize) -> Result<&NetCon> {
        self.netcons
            .get(nc)
            .and_then(|n| n.as_ref())
            .ok_or_else(|| Error::Deleted("the NetCon has been deleted".into()))
    }

    fn netcon_mut(&mut self, nc: usize) -> Result<&mut NetCon> {
        self.netcon_ref(nc)?;
        Ok(self.netcons[nc].as_mut().unwrap())
    }

    /// The PreSyn watching `source` (created if none does; every gid placeholder is new).
    fn presyn_for(&mut self, source: SpikeSource, gid: Option<i64>) -> usize {
        let existing = match source {
            SpikeSource::Voltage { sec, .. } => self
                .index
                .on_section
                .get(&sec)
                .and_then(|ps| ps.iter().copied().find(|&p| self.presyns[p].source == Some(source))),
            SpikeSource::Point(pp) => self.index.of_point.get(&pp).copied(),
            SpikeSource::Gid => None,
        };
        if let Some(p) = existing {
            return p;
        }
        let p = self.presyns.len();
        self.presyns.push(PreSyn {
            source: Some(source),
            threshold: DEFAULT_THRESHOLD_MV,
            record: None,
            gid,
            above: false,
        });
        match source {
            SpikeSource::Voltage { sec, .. } => self.index.on_section.entry(sec).or_default().push(p),
            SpikeSource::Point(pp) => {
                self.index.of_point.insert(pp, p);
            }
            SpikeSource::Gid => {}
        }
        p
    }

    /// `NetCon(source, target)`: threshold, delay and weights get NEURON's defaults.
    pub fn netcon_new(&mut self, source: SourceSpec, target: Option<usize>) -> Result<usize> {
        let wcnt = match target {
            Some(pp) => {
                let info = mechanisms::info(self.point(pp)?.mech);
                if info.weights.is_empty() {
                    return Err(Error::Value(format!(
                        "{} cannot be a NetCon target: it has no NET_RECEIVE block",
                        info.name
                    )));
                }
                info.weights.len()
            }
            None => 1,
        };
        let presyn = match source {
            SourceSpec::None => None,
            SourceSpec::Voltage { sec, x } => {
                let x = self.snap(sec, x)?;
                Some(self.presyn_for(SpikeSource::Voltage { sec, x }, None))
            }
            SourceSpec::Point(pp) => {
                self.point(pp)?;
                Some(self.presyn_for(SpikeSource::Point(pp), None))
            }
            SourceSpec::Gid(gid) => Some(match self.gids.get(&gid) {
                Some(&p) => p,
                None => {
                    let p = self.presyn_for(SpikeSource::Gid, Some(gid));
                    self.gids.insert(gid, p);
                    p
                }
            }),
        };
        self.invalidate();
        let nc = self.netcons.len();
        self.netcons.push(Some(NetCon {
            presyn,
            target,
            weights: vec![0.0; wcnt],
            delay: DEFAULT_DELAY_MS,
            active: true,
        }));
        if let Some(pp) = target {
            self.index.targeting.entry(pp).or_default().push(nc);
        }
        Ok(nc)
    }

    pub fn netcon_delete(&mut self, nc: usize) -> Result<()> {
        let target = self.netcon_ref(nc)?.target;
        self.invalidate();
        self.netcons[nc] = None;
        if let Some(list) = target.and_then(|pp| self.index.targeting.get_mut(&pp)) {
            list.retain(|&k| k != nc);
        }
        Ok(())
    }

    pub fn netcon(&self, nc: usize) -> Result<&NetCon> {
        self.netcon_ref(nc)
    }

    pub fn presyn(&self, ps: usize) -> &PreSyn {
        &self.presyns[ps]
    }

    pub fn netcon_set_weight(&mut self, nc: usize, k: usize, w: f64) -> Result<()> {
        finite("weight", w)?;
        let n = self.netcon_ref(nc)?.weights.len();
        if k >= n {
            return Err(Error::Value(format!("weight index {k} out of range: this NetCon has {n} weight(s)")));
        }
        self.netcon_mut(nc)?.weights[k] = w;
        if let Some(l) = self.sim.as_mut() {
            for g in &mut l.sim.groups {
                let at = g.network.netcons[nc].weights.start + k;
                g.network.weights[at] = w;
            }
        }
        Ok(())
    }

    pub fn netcon_weights(&self, nc: usize) -> Result<Vec<f64>> {
        self.netcon_ref(nc)?;
        Ok(match self.sim.as_ref().and_then(|l| Some(l).zip(l.netcon_group[nc])) {
            Some((l, g)) => {
                let net = &l.sim.groups[g].network;
                net.weights[net.netcons[nc].weights.clone()].to_vec()
            }
            None => self.netcons[nc].as_ref().unwrap().weights.clone(),
        })
    }

    pub fn netcon_set_delay(&mut self, nc: usize, delay_ms: f64) -> Result<()> {
        finite("delay", delay_ms)?;
        if delay_ms < 0.0 {
            return Err(Error::Value(format!("NetCon delay must be >= 0 ms, got {delay_ms}")));
        }
        self.netcon_mut(nc)?.delay = delay_ms;
        // Delays between cell groups set how often they exchange spikes: regroup.
        self.invalidate_if_grouped();
        if let Some(l) = self.sim.as_mut() {
            for g in &mut l.sim.groups {
                g.network.netcons[nc].delay = delay_ms;
            }
        }
        Ok(())
    }

    pub fn netcon_set_active(&mut self, nc: usize, active: bool) -> Result<()> {
        self.netcon_mut(nc)?.active = active;
        if let Some(l) = self.sim.as_mut() {
            for g in &mut l.sim.groups {
                g.network.netcons[nc].active = active;
            }
        }
        Ok(())
    }

    /// The threshold of the NetCon's source (shared by every NetCon on that source), mV.
    pub fn netcon_threshold(&self, nc: usize) -> Result<f64> {
        Ok(match self.netcon_ref(nc)?.presyn {
            Some(ps) => self.presyns[ps].threshold,
            None => DEFAULT_THRESHOLD_MV,
        })
    }

    pub fn netcon_set_threshold(&mut self, nc: usize, th: f64) -> Result<()> {
        finite("threshold", th)?;
        if let Some(ps) = self.netcon_ref(nc)?.presyn {
            self.set_presyn_threshold(ps, th);
        }
        Ok(())
    }

    fn set_presyn_threshold(&mut self, ps: usize, th: f64) {
        self.presyns[ps].threshold = th;
        if let Some(l) = self.sim.as_mut() {
            for g in &mut l.sim.groups {
                g.network.set_threshold(ps, th);
            }
        }
    }

    /// `nc.record(tvec[, idvec, id])`: the source's spikes go to a new spike record (replacing
    /// any earlier recording of that source, as in NEURON). Returns the record id.
    pub fn netcon_record(&mut self, nc: usize, id: f64) -> Result<usize> {
        finite("id", id)?;
        let ps = self
            .netcon_ref(nc)?
            .presyn
            .ok_or_else(|| Error::Value("NetCon.record: this NetCon has no source".into()))?;
        let rid = self.spike_record_new();
        self.set_presyn_record(ps, Some((rid, id)));
        Ok(rid)
    }

    /// A source records into one place; a record that no source feeds any more stops (its
    /// Vectors keep what they hold, as NEURON's do).
    fn set_presyn_record(&mut self, ps: usize, record: Option<(usize, f64)>) {
        let old = std::mem::replace(&mut self.presyns[ps].record, record);
        if let Some((rid, _)) = old {
            if !self.presyns.iter().any(|p| matches!(p.record, Some((r, _)) if r == rid)) {
                self.spike_records[rid] = None;
            }
        }
    }

    fn spike_record_new(&mut self) -> usize {
        self.spike_records.push(Some(SpikeRecord::default()));
        self.spike_records.len() - 1
    }

    /// Hands over the spikes recorded since the last call: (times ms, ids); None once the
    /// record has stopped (its sources record elsewhere).
    pub fn spike_record_take(&mut self, rid: usize) -> Option<(Vec<f64>, Vec<f64>)> {
        let r = self.spike_records.get_mut(rid)?.as_mut()?;
        Some((std::mem::take(&mut r.times), std::mem::take(&mut r.ids)))
    }

    pub fn spike_record_remove(&mut self, rid: usize) {
        if let Some(r) = self.spike_records.get_mut(rid) {
            *r = None;
        }
        for p in &mut self.presyns {
            if matches!(p.record, Some((r, _)) if r == rid) {
                p.record = None;
            }
        }
    }

    /// `nc.event(t)`: a delivery of this NetCon's weights to its target at t (ms). A time in the
    /// past is delivered at the next step (NET_RECEIVE still sees t), as in NEURON; finitialize
    /// clears pending events.
    ///
    /// `nc.event(t, flag)`: with a flag, a self event of the target (an artificial cell only, as
    /// in NEURON) that sees this NetCon's weights.
    pub fn netcon_event(&mut self, nc: usize, t: f64, flag: Option<f64>) -> Result<()> {
        finite("event time", t)?;
        let n = self.netcon_ref(nc)?;
        let target = n.target;
        if let Some(flag) = flag {
            finite("flag", flag)?;
            let artificial = target.is_some_and(|pp| {
                self.points[pp].as_ref().is_some_and(|p| mechanisms::info(p.mech).kind == MechKind::Artificial)
            });
            if !artificial {
                return Err(Error::Value("NetCon.event(t, flag): the target must be an artificial cell".into()));
            }
        }
        if !n.active {
            return Ok(());
        }
        self.ensure_lowered();
        let l = self.sim.as_mut().unwrap();
        // Without a target the event reaches nothing.
        if let Some(g) = l.netcon_group[nc] {
            let action = match (flag, target) {
                (Some(flag), Some(pp)) => Action::SelfEvent { pp, flag, weights_of: Some(nc) },
                _ => Action::NetCon { netcon: nc },
            };
            l.sim.groups[g].network.queue.push(t, action);
        }
        Ok(())
    }

    /// Moves the spikes the simulation logged into the spike records.
    pub(super) fn collect_spikes(&mut self) {
        let Some(l) = self.sim.as_mut() else { return };
        for (t, ps) in l.sim.take_spikes() {
            if let Some((rid, id)) = self.presyns[ps].record {
                if let Some(r) = self.spike_records[rid].as_mut() {
                    r.times.push(t);
                    r.ids.push(id);
                }
            }
        }
    }

    /// A deleted point process stops being a source or a target (NetCon.valid() becomes false).
    pub(super) fn forget_point_in_network(&mut self, pp: usize) {
        if let Some(p) = self.index.of_point.remove(&pp) {
            self.presyns[p].source = None;
        }
        for nc in self.index.targeting.remove(&pp).unwrap_or_default() {
            if let Some(n) = self.netcons[nc].as_mut() {
                n.target = None;
            }
        }
    }

    /// A deleted section stops being watched.
    pub(super) fn forget_section_in_network(&mut self, sec: SectionId) {
        for p in self.index.on_section.remove(&sec).unwrap_or_default() {
            self.presyns[p].source = None;
        }
    }

    /// nseg changed: watched locations move to the centre of the segment that now holds them.
    pub(super) fn move_sources(&mut self, sec: SectionId, nseg: usize) {
        use crate::morphology::{segment_centre, segment_index};
        for &p in self.index.on_section.get(&sec).map_or(&[][..], |v| &v[..]) {
            if let Some(SpikeSource::Voltage { x, .. }) = self.presyns[p].source.as_mut() {
                if *x > 0.0 && *x < 1.0 {
                    *x = segment_centre(nseg, segment_index(nseg, *x));
                }
            }
        }
    }

    // ----------------------------------------------------------------------------- gids

    /// `pc.cell(gid, nc)`: the NetCon's source becomes the spike source of `gid`.
    pub fn gid_bind(&mut self, gid: i64, nc: usize) -> Result<()> {
        let ps = self
            .netcon_ref(nc)?
            .presyn
            .ok_or_else(|| Error::Value(format!("pc.cell({gid}, nc): the NetCon has no source")))?;
        if let Some(old) = self.presyns[ps].gid.filter(|&g| g != gid) {
            return Err(Error::Value(format!("this NetCon's source already is gid {old}")));
        }
        self.invalidate();
        if let Some(&placeholder) = self.gids.get(&gid) {
            if placeholder != ps {
                if self.presyns[placeholder].source != Some(SpikeSource::Gid) {
                    return Err(Error::Value(format!(
                        "gid {gid} already has a spike source (pc.cell was called for it)"
                    )));
                }
                // NetCons made by gid_connect before the source existed now listen to it.
                for n in self.netcons.iter_mut().flatten() {
                    if n.presyn == Some(placeholder) {
                        n.presyn = Some(ps);
                    }
                }
                if self.presyns[ps].record.is_none() {
                    self.presyns[ps].record = self.presyns[placeholder].record;
                }
                self.presyns[placeholder].source = None;
                self.presyns[placeholder].gid = None;
            }
        }
        self.presyns[ps].gid = Some(gid);
        self.gids.insert(gid, ps);
        Ok(())
    }

    /// The spike source of a gid, if pc.cell bound one.
    pub fn gid_presyn(&self, gid: i64) -> Option<usize> {
        self.gids.get(&gid).copied().filter(|&p| self.presyns[p].source != Some(SpikeSource::Gid))
    }

    pub fn gid_threshold(&self, gid: i64) -> Result<f64> {
        let ps = self.gid_presyn(gid).ok_or_else(|| Error::Value(format!("gid {gid} has no spike source")))?;
        Ok(self.presyns[ps].threshold)
    }

    pub fn gid_set_threshold(&mut self, gid: i64, th: f64) -> Result<()> {
        finite("threshold", th)?;
        let ps = self.gid_presyn(gid).ok_or_else(|| Error::Value(format!("gid {gid} has no spike source")))?;
        self.set_presyn_threshold(ps, th);
        Ok(())
    }

    /// `pc.spike_record(gid, ...)` (or every gid when None): returns the record id.
    pub fn gid_spike_record(&mut self, gid: Option<i64>) -> Result<usize> {
        let targets: Vec<(i64, usize)> = match gid {
            Some(g) => vec![(g, *self.gids.get(&g).ok_or_else(|| Error::Value(format!("gid {g} does not exist")))?)],
            None => self.gids.iter().map(|(&g, &p)| (g, p)).collect(),
        };
        let rid = self.spike_record_new();
        for (g, ps) in targets {
            self.set_presyn_record(ps, Some((rid, g as f64)));
        }
        Ok(rid)
    }

    /// `pc.gid_clear()`: forgets every gid (sources and NetCons stay).
    pub fn gid_clear(&mut self) {
        self.invalidate();
        for p in &mut self.presyns {
            p.gid = None;
            if p.source == Some(SpikeSource::Gid) {
                p.source = None;
            }
        }
        self.gids.clear();
    }

    /// The minimum delay of NetCons listening to gids that have no source in this process, ms:
    /// the connections a spike exchange between hosts would carry (None when there are none).
    pub fn remote_min_delay(&self) -> Option<f64> {
        let remote = |n: &&NetCon| n.presyn.is_some_and(|p| self.presyns[p].source == Some(SpikeSource::Gid));
        self.netcons.iter().flatten().filter(remote).map(|n| n.delay).reduce(f64::min)
    }
}
