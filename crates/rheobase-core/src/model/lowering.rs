//! Lowering: the description becomes a [`Simulation`] (node arrays, one instance block per
//! mechanism type in node order, resolved recordings), and its state goes back into the
//! description before a structural edit drops it.

use super::network::SpikeSource;
use super::Model;
use crate::discretise::{discretise_trees, set_passive_leaves_last, Nodes};
use crate::events::{Action, Event};
use crate::hines::NO_PARENT;
use crate::mechanisms::{self, Block, BlockData, MechId, MechKind};
use crate::morphology::{place, Place, SectionId};
use crate::network::{Detector, LoweredNetCon, Network};
use crate::play::LoweredPlay;
use crate::pointer::{self, PointerCopy};
use crate::recording::Target;
use crate::simulation::{Group, InProcess, Simulation, Source};
use std::collections::HashMap;
use std::sync::Arc;

/// A simulation plus where each description item landed in it.
pub(super) struct Lowered {
    pub(super) sim: Simulation,
    /// Section → its cell group (usize::MAX for deleted sections).
    pub(super) group_of: Vec<usize>,
    /// (section, mechanism) → (block, instance per segment) in the section's group.
    pub(super) density: HashMap<(SectionId, MechId), (usize, Vec<usize>)>,
    /// Point process → (group, block, instance).
    pub(super) point: Vec<Option<(usize, usize, usize)>>,
    /// Recorder → (group, slot in the group's recorders).
    pub(super) recorder: HashMap<usize, (usize, usize)>,
    /// NetCon → the group of its target.
    pub(super) netcon_group: Vec<Option<usize>>,
    /// POINTERs whose target is not in their point process's group (or gone), EXTERNALs that no mechanism
    /// defines: finitialize refuses.
    pub(super) link_errors: Vec<String>,
}

impl Lowered {
    /// Where a point process's instance is.
    pub(super) fn point_at(&self, pp: usize) -> Option<(usize, usize, usize)> {
        self.point.get(pp).copied().flatten()
    }

    /// The group holding a section.
    pub(super) fn group(&self, id: SectionId) -> &Group {
        &self.sim.groups[self.group_of[id]]
    }

    pub(super) fn group_mut(&mut self, id: SectionId) -> &mut Group {
        &mut self.sim.groups[self.group_of[id]]
    }
}

/// Splits trees (given by their node counts) into at most `n` contiguous runs of about equal size.
fn partition(weights: &[usize], n: usize) -> Vec<std::ops::Range<usize>> {
    let n = n.clamp(1, weights.len().max(1));
    let total: usize = weights.iter().sum();
    let mut runs = Vec::with_capacity(n);
    let (mut start, mut acc) = (0, 0);
    for (k, &w) in weights.iter().enumerate() {
        acc += w;
        // Close run r when its share of the total is reached (keeping one tree per later run).
        let r = runs.len();
        if r + 1 < n && acc * n >= total * (r + 1) && weights.len() - (k + 1) >= n - r - 1 {
            runs.push(start..k + 1);
            start = k + 1;
        }
    }
    runs.push(start..weights.len());
    runs
}

impl Model {
    /// A mechanism global's value: as set from Python, else its default (an EXTERNAL's: its owner's; None
    /// when no loaded mechanism defines it).
    fn global_value(&self, g: &mechanisms::GlobalInfo) -> Option<f64> {
        let default = if g.external { mechanisms::global_info(g.name).map(|o| o.default) } else { Some(g.default) };
        self.globals.get(g.name).copied().or(default)
    }

    /// Copies the simulation's state back into the description and drops it.
    pub fn invalidate(&mut self) {
        let Some(l) = self.sim.take() else { return };
        for (id, s) in self.sections.iter_mut().enumerate() {
            let Some(s) = s else { continue };
            let g = &l.sim.groups[l.group_of[id]];
            let sn = g.nodes.sections[id].as_ref().expect("live sections are lowered");
            for (i, &n) in sn.segment.iter().enumerate() {
                s.v_mv[i] = g.v[n];
            }
            s.v_end_mv = g.v[sn.end];
            if s.parent.is_none() {
                s.v_root_mv = g.v[sn.start];
            }
            for m in &mut s.mechs {
                let (b, inst) = &l.density[&(id, m.mech)];
                for (var, values) in m.values.iter_mut().enumerate() {
                    for (i, val) in values.iter_mut().enumerate() {
                        *val = g.blocks[*b].data.vars[var][inst[i]];
                    }
                }
            }
        }
        for (pp, p) in self.points.iter_mut().enumerate() {
            if let (Some(p), Some((g, b, i))) = (p.as_mut(), l.point_at(pp)) {
                let data = &l.sim.groups[g].blocks[b].data;
                for (var, val) in p.values.iter_mut().enumerate() {
                    *val = data.vars[var][i];
                }
                p.table.clone_from(&data.tables[i]);
            }
        }
        // NET_RECEIVE may have changed weights (the target's group holds them); pending events,
        // crossings in progress and recordings carry over to the next lowering.
        for (nc, desc) in self.netcons.iter_mut().enumerate() {
            if let (Some(desc), Some(g)) = (desc, l.netcon_group[nc]) {
                let net = &l.sim.groups[g].network;
                desc.weights.copy_from_slice(&net.weights[net.netcons[nc].weights.clone()]);
            }
        }
        let mut sim = l.sim;
        for g in &mut sim.groups {
            for d in &g.network.detectors {
                self.presyns[d.presyn].above = d.above;
            }
            for ev in g.network.queue.drain_sorted() {
                self.pending.push(ev.t, ev.action);
            }
            for (id, _, rec) in g.recorders.drain(..) {
                if let (Some(slot), Some(rec)) = (self.recorders.get_mut(id), rec) {
                    *slot = Some(rec);
                }
            }
        }
    }

    /// The pool that runs cell groups on `threads` threads (None for one thread).
    fn thread_pool(&mut self) -> Option<Arc<rayon::ThreadPool>> {
        if self.threads <= 1 {
            return None;
        }
        if self.pool.as_ref().is_none_or(|p| p.current_num_threads() != self.threads) {
            // A pool that cannot start leaves the groups to run one after the other.
            self.pool = rayon::ThreadPoolBuilder::new().num_threads(self.threads).build().ok().map(Arc::new);
        }
        self.pool.clone()
    }

    /// Builds the simulation from the description: trees are split into one cell group per
    /// thread (fewer when the minimum delay between groups is under two steps).
    pub(super) fn lower(&mut self) {
        let (roots, _) = crate::discretise::tree_order(&self.sections);
        let order_of = |r: SectionId| crate::discretise::subtree_order(&self.sections, &[r]);
        let weights: Vec<usize> = roots
            .iter()
            .map(|&r| order_of(r).iter().map(|&id| self.sections[id].as_ref().unwrap().nseg() + 1).sum::<usize>() + 1)
            .collect();
        let mut runs = partition(&weights, self.threads);
        let mut group_of = self.assign_groups(&roots, &runs);
        let exchange_steps = self.exchange_steps(&group_of);
        if runs.len() > 1 && exchange_steps.is_none() {
            runs = partition(&weights, 1);
            group_of = self.assign_groups(&roots, &runs);
        }
        let mut lowered = Lowered {
            sim: Simulation {
                groups: Vec::new(),
                exchange_steps: exchange_steps.unwrap_or(1),
                pool: if runs.len() > 1 { self.thread_pool() } else { None },
                exchange: Box::new(InProcess),
            },
            group_of: group_of.sections,
            density: HashMap::new(),
            point: vec![None; self.points.len()],
            recorder: HashMap::new(),
            netcon_group: group_of.netcons,
            link_errors: Vec::new(),
        };
        let mut pending: Vec<Event> = std::mem::take(&mut self.pending).drain_sorted();
        for (g, run) in runs.iter().enumerate() {
            let mut group = self.lower_group(g, &roots[run.clone()], &mut lowered, &group_of.points);
            // Pending events go to the group that holds their target.
            pending.retain(|ev| {
                let here = match ev.action {
                    Action::NetCon { netcon } => lowered.netcon_group[netcon] == Some(g),
                    Action::SelfEvent { pp, .. } | Action::Watch { pp, .. } => {
                        group_of.points.get(pp).copied().flatten() == Some(g)
                    }
                    Action::Play { play, .. } => group.network.plays.get(play).is_some_and(|p| p.is_some()),
                };
                if here {
                    group.network.queue.push(ev.t, ev.action);
                }
                !here
            });
            lowered.sim.groups.push(group);
        }
        self.sim = Some(lowered);
    }

    /// Which group each section, point process and NetCon target belongs to.
    fn assign_groups(&self, roots: &[SectionId], runs: &[std::ops::Range<usize>]) -> GroupOf {
        let mut sections = vec![usize::MAX; self.sections.len()];
        for (g, run) in runs.iter().enumerate() {
            for id in crate::discretise::subtree_order(&self.sections, &roots[run.clone()]) {
                sections[id] = g;
            }
        }
        let mut points: Vec<Option<usize>> =
            self.points.iter().map(|p| p.as_ref().and_then(|p| p.loc).map(|(s, _)| sections[s])).collect();
        // An artificial cell joins the group of its first target, so its events stay local.
        for nc in self.netcons.iter().flatten() {
            let (Some(ps), Some(target)) = (nc.presyn, nc.target) else { continue };
            if let Some(SpikeSource::Point(src)) = self.presyns[ps].source {
                if points[src].is_none() && self.points[src].is_some() {
                    points[src] = points[target];
                }
            }
        }
        for (pp, g) in points.iter_mut().enumerate() {
            if g.is_none()
                && self.points[pp].as_ref().is_some_and(|p| mechanisms::info(p.mech).kind == MechKind::Artificial)
            {
                *g = Some(0);
            }
        }
        let netcons =
            self.netcons.iter().map(|nc| nc.as_ref().and_then(|nc| nc.target).and_then(|t| points[t])).collect();
        GroupOf { sections, points, netcons }
    }

    /// Steps between spike exchanges: a spike must reach every other group before any event it
    /// causes there is due, so the interval is the smallest delay between groups less one step
    /// (a spike may come up to dt/2 before the interval starts). None when that is under 1 step.
    fn exchange_steps(&self, g: &GroupOf) -> Option<u64> {
        // A gid input (fed by a PatternStim anywhere) counts as coming from another group.
        let source_group = |ps: usize| match self.presyns[ps].source {
            Some(SpikeSource::Voltage { sec, .. }) => Some(g.sections[sec]),
            Some(SpikeSource::Point(pp)) => g.points[pp],
            Some(SpikeSource::Gid) => Some(usize::MAX),
            None => None,
        };
        let mut min_delay = f64::INFINITY;
        for (k, nc) in self.netcons.iter().enumerate() {
            let Some(nc) = nc else { continue };
            if let (Some(from), Some(to)) = (nc.presyn.and_then(source_group), g.netcons[k]) {
                if from != to {
                    min_delay = min_delay.min(nc.delay);
                }
            }
        }
        if min_delay.is_infinite() {
            return Some(u64::MAX);
        }
        let steps = (min_delay / self.clock.dt + 1e-9).floor() - 1.0;
        (steps >= 1.0).then_some(steps as u64)
    }

    /// One cell group: the trees of `roots`, the point processes and recordings on them, their
    /// part of the network.
    fn lower_group(&mut self, g: usize, roots: &[SectionId], l: &mut Lowered, point_group: &[Option<usize>]) -> Group {
        let mut nodes = discretise_trees(&self.sections, roots);
        // Nodes that carry a point process stay in the tree solve.
        let mut busy = vec![false; nodes.parent.len()];
        for p in self.points.iter().flatten() {
            if let Some((id, x)) = p.loc {
                if l.group_of[id] == g {
                    let s = self.sections[id].as_ref().unwrap();
                    busy[nodes.sections[id].as_ref().unwrap().node(place(s.nseg(), x).unwrap())] = true;
                }
            }
        }
        set_passive_leaves_last(&mut nodes, &busy);
        let order = crate::discretise::subtree_order(&self.sections, roots);
        let n = nodes.parent.len();
        let mut v = vec![0.0; n];
        for &id in &order {
            let s = self.sections[id].as_ref().unwrap();
            let sn = nodes.sections[id].as_ref().unwrap();
            if s.parent.is_none() {
                v[sn.start] = s.v_root_mv;
            }
            for (i, &node) in sn.segment.iter().enumerate() {
                v[node] = s.v_mv[i];
            }
            v[sn.end] = s.v_end_mv;
        }

        let registry = mechanisms::registry();
        let mut blocks: Vec<Block> = Vec::new();
        let mut density = HashMap::new();
        // Point process → (block, instance); this group's point processes by mechanism.
        let mut point: Vec<Option<(usize, usize)>> = vec![None; self.points.len()];
        let mut points_of_mech: Vec<Vec<usize>> = vec![Vec::new(); registry.len()];
        for (pp, p) in self.points.iter().enumerate() {
            if let (Some(p), Some(pg)) = (p, point_group[pp]) {
                if pg == g {
                    points_of_mech[p.mech].push(pp);
                }
            }
        }
        let mut block_of_mech: HashMap<MechId, usize> = HashMap::new();
        for (mech, info) in registry.iter().enumerate() {
            let mut data = BlockData {
                mech,
                node: Vec::new(),
                vars: vec![Vec::new(); info.vars.len()],
                ion_block: Vec::new(),
                ion_instance: vec![Vec::new(); if info.kind == MechKind::Ion { 0 } else { info.ions.len() }],
                globals: info.globals.iter().map(|g| self.global_value(g).unwrap_or(f64::NAN)).collect(),
                contiguous: false,
                runs: Vec::new(),
                tables: Vec::new(),
            };
            let b = blocks.len();
            let add = |data: &mut BlockData, node: usize, values: &mut dyn Iterator<Item = f64>| {
                data.node.push(node);
                for (var, val) in values.enumerate() {
                    data.vars[var].push(val);
                }
                data.node.len() - 1
            };
            for &id in &order {
                let s = self.sections[id].as_ref().unwrap();
                let Some(k) = s.mech_index(mech) else { continue };
                let sn = nodes.sections[id].as_ref().unwrap();
                let inst: Vec<usize> = (0..s.nseg())
                    .map(|i| add(&mut data, sn.segment[i], &mut s.mechs[k].values.iter().map(|vals| vals[i])))
                    .collect();
                density.insert((id, mech), (b, inst));
            }
            for &pp in &points_of_mech[mech] {
                let p = self.points[pp].as_ref().expect("live");
                let node = match p.loc {
                    Some((id, x)) => {
                        let s = self.sections[id].as_ref().unwrap();
                        nodes.sections[id].as_ref().unwrap().node(place(s.nseg(), x).unwrap())
                    }
                    // Artificial cells have no node; their kernels never read one.
                    None => 0,
                };
                let i = add(&mut data, node, &mut p.values.iter().copied());
                data.tables.resize(i + 1, Vec::new());
                data.tables[i].clone_from(&p.table);
                point[pp] = Some((b, i));
            }
            if data.is_empty() {
                continue;
            }
            for g in info.globals.iter().filter(|g| self.global_value(g).is_none()) {
                l.link_errors
                    .push(format!("{}: EXTERNAL {} is not a GLOBAL of any loaded mechanism", info.name, g.name));
            }
            // Instances in node order, so kernels walk the node arrays forwards.
            let mut perm: Vec<usize> = (0..data.len()).collect();
            perm.sort_by_key(|&k| data.node[k]);
            let mut new_of = vec![0; perm.len()];
            for (new, &old) in perm.iter().enumerate() {
                new_of[old] = new;
            }
            data.node = perm.iter().map(|&k| data.node[k]).collect();
            data.tables.resize(data.node.len(), Vec::new());
            data.tables = perm.iter().map(|&k| std::mem::take(&mut data.tables[k])).collect();
            for var in &mut data.vars {
                *var = perm.iter().map(|&k| var[k]).collect();
            }
            for (blk, inst) in density.values_mut() {
                if *blk == b {
                    inst.iter_mut().for_each(|i| *i = new_of[*i]);
                }
            }
            for &pp in &points_of_mech[mech] {
                if let Some((_, i)) = point[pp].as_mut() {
                    *i = new_of[*i];
                }
            }
            if info.kind != MechKind::Ion {
                for (j, ion) in info.ions.iter().enumerate() {
                    let ion_mech = mechanisms::find(&format!("{ion}_ion")).unwrap();
                    let ib = block_of_mech[&ion_mech];
                    let at_node: HashMap<usize, usize> =
                        blocks[ib].data.node.iter().enumerate().map(|(i, &nd)| (nd, i)).collect();
                    data.ion_block.push(ib);
                    data.ion_instance[j] = data.node.iter().map(|nd| at_node[nd]).collect();
                }
            }
            data.contiguous = data.node.iter().enumerate().all(|(k, &nd)| nd == data.node[0] + k)
                && data.ion_instance.iter().all(|ix| ix.iter().enumerate().all(|(k, &i)| i == k));
            data.runs = crate::mechanisms::node_runs(&data.node);
            block_of_mech.insert(mech, b);
            let kernel = (info.make_kernel)();
            let neighbours = (info.kind == MechKind::Density && !kernel.diffusing().is_empty())
                .then(|| crate::ldifus::Neighbours::new(&data.node, &nodes, &self.sections));
            blocks.push(Block { data, kernel, neighbours });
        }
        ion_styles(&mut blocks);

        // Where a recorded or played variable lives in this group (None: in another group).
        let resolve = |target: &Target| -> Option<Source> {
            let section =
                |sec: SectionId| self.sections.get(sec).and_then(|s| s.as_ref()).filter(|_| l.group_of[sec] == g);
            match *target {
                // Time is recorded by the first group.
                Target::Time => (g == 0).then_some(Source::Time),
                Target::Voltage { sec, x } => section(sec)
                    .map(|s| Source::Node(nodes.sections[sec].as_ref().unwrap().node(place(s.nseg(), x).unwrap()))),
                Target::Density { sec, x, mech, var } => match (section(sec), density.get(&(sec, mech))) {
                    (Some(s), Some((b, inst))) => match place(s.nseg(), x).unwrap() {
                        Place::Segment(i) => Some(Source::Var { block: *b, var, instance: inst[i] }),
                        _ => None,
                    },
                    _ => None,
                },
                Target::Point { pp, var } => {
                    point.get(pp).copied().flatten().map(|(b, i)| Source::Var { block: b, var, instance: i })
                }
            }
        };
        let mut recorders = Vec::new();
        for (r, rec) in self.recorders.iter_mut().enumerate() {
            let Some(src) = rec.as_ref().and_then(|rec| resolve(&rec.target)) else { continue };
            l.recorder.insert(r, (g, recorders.len()));
            recorders.push((r, src, rec.take()));
        }
        let plays: Vec<Option<LoweredPlay>> = self
            .plays
            .iter()
            .enumerate()
            .map(|(id, p)| {
                let play = p.as_ref()?;
                Some(LoweredPlay { id, play: play.clone(), source: resolve(&play.target)?, ubound: 0 })
            })
            .collect();

        let mut pointers = Vec::new();
        let copy = |block: usize, mech: MechId, var: usize, instance: usize, target: Source| PointerCopy {
            block,
            var,
            instance,
            target,
            written: mechanisms::info(mech).vars[var].kind == mechanisms::VarKind::Pointer { written: true },
        };
        for (pp, p) in self.points.iter().enumerate() {
            let (Some(p), Some((b, i))) = (p, point.get(pp).copied().flatten()) else { continue };
            for (&var, target) in &p.pointers {
                match resolve(target) {
                    Some(src) => pointers.push(copy(b, p.mech, var, i, src)),
                    None => l.link_errors.push(format!(
                        "{}[{pp}]: its POINTER {} points to a variable that is gone or in another thread's cells",
                        mechanisms::info(p.mech).name,
                        mechanisms::info(p.mech).vars[var].name
                    )),
                }
            }
        }
        for (&(sec, segment, mech, var), target) in &self.density_pointers {
            let Some((b, inst)) = density.get(&(sec, mech)) else { continue };
            let Some(&i) = inst.get(segment) else { continue };
            match resolve(target) {
                Some(src) => pointers.push(copy(*b, mech, var, i, src)),
                None => l.link_errors.push(format!(
                    "{}: its POINTER {} points to a variable that is gone or in another thread's cells",
                    mechanisms::info(mech).name,
                    mechanisms::info(mech).vars[var].name
                )),
            }
        }
        pointer::sort(&mut pointers);
        let mut network = self.lower_network(g, &nodes, &blocks, &point, l);
        network.plays = plays;
        for ((id, mech), v) in density {
            l.density.insert((id, mech), v);
        }
        for (pp, at) in point.into_iter().enumerate() {
            if let Some((b, i)) = at {
                l.point[pp] = Some((g, b, i));
            }
        }
        // The two-ended solve changes rounding: use it only when the whole model is one cable.
        let path = self.sections.iter().flatten().filter(|s| s.parent.is_none()).count() == 1
            && (0..nodes.solved).all(|i| nodes.parent[i] == if i == 0 { NO_PARENT } else { i - 1 });
        Group {
            rhs: vec![0.0; n],
            d: vec![0.0; n],
            inv_d: vec![0.0; n],
            d_axial: nodes.axial_diagonal(),
            solve_runs: crate::hines::independent_runs(&nodes.parent[..nodes.solved]),
            path,
            v,
            nodes,
            blocks,
            recorders,
            network,
            pointers,
            hooks: None,
            initializing: false,
        }
    }
}

/// The group of each section, point process and NetCon target.
struct GroupOf {
    sections: Vec<usize>,
    points: Vec<Option<usize>>,
    netcons: Vec<Option<usize>>,
}

impl Model {
    /// Detectors for voltage sources, NetCons resolved to (block, instance), and the maps
    /// between point processes and block instances that event delivery needs.
    fn lower_network(
        &self,
        g: usize,
        nodes: &Nodes,
        blocks: &[Block],
        point: &[Option<(usize, usize)>],
        l: &Lowered,
    ) -> Network {
        let mut net = Network::default();
        net.point_at = vec![None; self.points.len()];
        net.point_of = blocks.iter().map(|b| vec![usize::MAX; b.data.len()]).collect();
        net.presyn_of_point = blocks.iter().map(|b| vec![None; b.data.len()]).collect();
        net.fanout = vec![Vec::new(); self.presyns.len()];
        net.zero_weight_noop = blocks.iter().map(|b| b.kernel.ignores_zero_weights()).collect();
        net.exported = vec![false; self.presyns.len()];
        net.gids = self
            .gids
            .iter()
            .map(|(&gid, &ps)| (gid, (ps, self.presyns[ps].source == Some(SpikeSource::Gid))))
            .collect();
        for (pp, &at) in point.iter().enumerate() {
            if let Some((b, i)) = at {
                net.point_at[pp] = Some((b, i));
                net.point_of[b][i] = pp;
            }
        }
        for (ps, p) in self.presyns.iter().enumerate() {
            match p.source {
                Some(SpikeSource::Voltage { sec, x }) if l.group_of[sec] == g => {
                    let s = self.sections[sec].as_ref().unwrap();
                    let node = nodes.sections[sec].as_ref().unwrap().node(place(s.nseg(), x).unwrap());
                    net.detectors.push(Detector { presyn: ps, node, threshold: p.threshold, above: p.above });
                }
                Some(SpikeSource::Point(pp)) => {
                    if let Some((b, i)) = net.point_at[pp] {
                        net.presyn_of_point[b][i] = Some(ps);
                    }
                }
                _ => {}
            }
        }
        for (k, nc) in self.netcons.iter().enumerate() {
            let lowered = match nc {
                Some(nc) => {
                    let here = l.netcon_group[k] == Some(g);
                    if let Some(ps) = nc.presyn {
                        if here {
                            net.fanout[ps].push(k);
                        } else if l.netcon_group[k].is_some() {
                            net.exported[ps] = true;
                        }
                    }
                    let w0 = net.weights.len();
                    net.weights.extend_from_slice(&nc.weights);
                    LoweredNetCon {
                        target: if here { nc.target.and_then(|pp| net.point_at[pp]) } else { None },
                        weights: w0..net.weights.len(),
                        delay: nc.delay,
                        active: nc.active,
                    }
                }
                None => LoweredNetCon { target: None, weights: 0..0, delay: 0.0, active: false },
            };
            net.netcons.push(lowered);
        }
        net
    }
}

/// NEURON's ion style for each ion block, from the mechanisms that use the ion in this group: a mechanism that
/// reads or writes concentrations makes the reversal potential follow the Nernst equation at finitialize; one
/// that writes them also resets them to `cai0_ca_ion`-style defaults at finitialize and recomputes e every step.
/// (A mechanism that writes e itself keeps it a parameter.)
fn ion_styles(blocks: &mut [Block]) {
    use crate::mechanisms::ions;
    let n = blocks.len();
    for b in 0..n {
        let info = mechanisms::info(blocks[b].data.mech);
        if info.kind != MechKind::Ion {
            continue;
        }
        let (mut reads, mut writes) = (false, false);
        for other in blocks.iter() {
            let oi = mechanisms::info(other.data.mech);
            if oi.kind == MechKind::Ion {
                continue;
            }
            for (j, &ib) in other.data.ion_block.iter().enumerate() {
                if ib == b {
                    let (r, w) = oi.ion_conc.get(j).copied().unwrap_or((false, false));
                    reads |= r;
                    writes |= w;
                }
            }
        }
        let ion = info.ions[0];
        let g = &mut blocks[b].data.globals;
        g.truncate(ions::CO0 + 1);
        let flag = |on: bool| if on { 1.0 } else { 0.0 };
        g.extend([flag(writes), flag(reads || writes), flag(writes), ions::valence(ion)]);
    }
}
