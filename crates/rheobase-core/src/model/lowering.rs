//! Lowering: the description becomes a [`Simulation`] (node arrays, one instance block per
//! mechanism type in node order, resolved recordings), and its state goes back into the
//! description before a structural edit drops it.

use super::Model;
use super::network::SpikeSource;
use crate::discretise::{discretise, set_passive_leaves_last, Nodes};
use crate::hines::NO_PARENT;
use crate::mechanisms::{self, Block, BlockData, MechId, MechKind};
use crate::morphology::{place, Place, SectionId};
use crate::network::{Detector, LoweredNetCon, Network};
use crate::recording::Target;
use crate::simulation::{Simulation, Source};
use std::collections::HashMap;

/// A simulation plus where each description item landed in it.
pub(super) struct Lowered {
    pub(super) sim: Simulation,
    /// (section, mechanism) → (block, instance per segment)
    pub(super) density: HashMap<(SectionId, MechId), (usize, Vec<usize>)>,
    /// point process → (block, instance)
    pub(super) point: HashMap<usize, (usize, usize)>,
}

impl Model {
    /// Copies the simulation's state back into the description and drops it.
    pub fn invalidate(&mut self) {
        let Some(l) = self.sim.take() else { return };
        let sim = &l.sim;
        for (id, s) in self.sections.iter_mut().enumerate() {
            let Some(s) = s else { continue };
            let Some(sn) = sim.nodes.sections[id].as_ref() else { continue };
            for (i, &n) in sn.segment.iter().enumerate() {
                s.v_mv[i] = sim.v[n];
            }
            s.v_end_mv = sim.v[sn.end];
            if s.parent.is_none() {
                s.v_root_mv = sim.v[sn.start];
            }
            for m in &mut s.mechs {
                let (b, inst) = &l.density[&(id, m.mech)];
                for (var, values) in m.values.iter_mut().enumerate() {
                    for (i, val) in values.iter_mut().enumerate() {
                        *val = sim.blocks[*b].data.vars[var][inst[i]];
                    }
                }
            }
        }
        for (pp, p) in self.points.iter_mut().enumerate() {
            if let (Some(p), Some((b, i))) = (p.as_mut(), l.point.get(&pp)) {
                for (var, val) in p.values.iter_mut().enumerate() {
                    *val = sim.blocks[*b].data.vars[var][*i];
                }
            }
        }
        // NET_RECEIVE may have changed weights; pending events and crossings in progress carry
        // over to the next lowering.
        let mut net = l.sim.network;
        for (nc, desc) in self.netcons.iter_mut().enumerate() {
            if let Some(desc) = desc {
                desc.weights.clone_from(&net.netcons[nc].weights);
            }
        }
        for d in &net.detectors {
            self.presyns[d.presyn].above = d.above;
        }
        self.pending = std::mem::take(&mut net.queue);
    }

    /// Builds the simulation from the description.
    pub(super) fn lower(&mut self) {
        let mut nodes = discretise(&self.sections);
        // Nodes that carry a point process stay in the tree solve.
        let mut busy = vec![false; nodes.parent.len()];
        for p in self.points.iter().flatten() {
            if let Some((id, x)) = p.loc {
                let s = self.sections[id].as_ref().unwrap();
                busy[nodes.sections[id].as_ref().unwrap().node(place(s.nseg(), x).unwrap())] = true;
            }
        }
        set_passive_leaves_last(&mut nodes, &busy);
        let (_, order) = crate::discretise::tree_order(&self.sections);
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
        let mut point = HashMap::new();
        let mut block_of_mech: HashMap<MechId, usize> = HashMap::new();
        for (mech, info) in registry.iter().enumerate() {
            let mut data = BlockData {
                mech,
                node: Vec::new(),
                vars: vec![Vec::new(); info.vars.len()],
                ion_block: Vec::new(),
                ion_instance: vec![Vec::new(); if info.kind == MechKind::Ion { 0 } else { info.ions.len() }],
                globals: info.globals.iter().map(|g| self.globals[g.name]).collect(),
                contiguous: false,
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
            for (pp, p) in self.points.iter().enumerate() {
                let Some(p) = p.as_ref().filter(|p| p.mech == mech) else { continue };
                let node = match p.loc {
                    Some((id, x)) => {
                        let s = self.sections[id].as_ref().unwrap();
                        nodes.sections[id].as_ref().unwrap().node(place(s.nseg(), x).unwrap())
                    }
                    // Artificial cells have no node; their kernels never read one.
                    None if info.kind == MechKind::Artificial => 0,
                    None => continue,
                };
                let i = add(&mut data, node, &mut p.values.iter().copied());
                point.insert(pp, (b, i));
            }
            if data.is_empty() {
                continue;
            }
            // Instances in node order, so kernels walk the node arrays forwards.
            let mut perm: Vec<usize> = (0..data.len()).collect();
            perm.sort_by_key(|&k| data.node[k]);
            let mut new_of = vec![0; perm.len()];
            for (new, &old) in perm.iter().enumerate() {
                new_of[old] = new;
            }
            data.node = perm.iter().map(|&k| data.node[k]).collect();
            for var in &mut data.vars {
                *var = perm.iter().map(|&k| var[k]).collect();
            }
            for (blk, inst) in density.values_mut() {
                if *blk == b {
                    inst.iter_mut().for_each(|i| *i = new_of[*i]);
                }
            }
            for (blk, i) in point.values_mut() {
                if *blk == b {
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
            block_of_mech.insert(mech, b);
            blocks.push(Block { data, kernel: (info.make_kernel)() });
        }

        let mut sources = Vec::new();
        for (r, rec) in self.recorders.iter().enumerate() {
            let Some(rec) = rec else { continue };
            let src = match rec.target {
                Target::Time => Some(Source::Time),
                Target::Voltage { sec, x } => self
                    .sections
                    .get(sec)
                    .and_then(|s| s.as_ref())
                    .map(|s| Source::Node(nodes.sections[sec].as_ref().unwrap().node(place(s.nseg(), x).unwrap()))),
                Target::Density { sec, x, mech, var } => {
                    let s = self.sections.get(sec).and_then(|s| s.as_ref());
                    match (s, density.get(&(sec, mech))) {
                        (Some(s), Some((b, inst))) => match place(s.nseg(), x).unwrap() {
                            Place::Segment(i) => Some(Source::Var { block: *b, var, instance: inst[i] }),
                            _ => None,
                        },
                        _ => None,
                    }
                }
                Target::Point { pp, var } => point.get(&pp).map(|&(b, i)| Source::Var { block: b, var, instance: i }),
            };
            if let Some(src) = src {
                sources.push((r, src));
            }
        }

        let network = self.lower_network(&nodes, &blocks, &point);
        let path = (0..nodes.solved).all(|i| nodes.parent[i] == if i == 0 { NO_PARENT } else { i - 1 });
        let sim = Simulation {
            rhs: vec![0.0; n],
            d: vec![0.0; n],
            inv_d: vec![0.0; n],
            path,
            v,
            nodes,
            blocks,
            sources,
            network,
        };
        self.sim = Some(Lowered { sim, density, point });
    }
}

impl Model {
    /// Detectors for voltage sources, NetCons resolved to (block, instance), and the maps
    /// between point processes and block instances that event delivery needs.
    fn lower_network(&mut self, nodes: &Nodes, blocks: &[Block], point: &HashMap<usize, (usize, usize)>) -> Network {
        let mut net = Network::default();
        net.queue = std::mem::take(&mut self.pending);
        net.point_at = vec![None; self.points.len()];
        net.point_of = blocks.iter().map(|b| vec![usize::MAX; b.data.len()]).collect();
        net.presyn_of_point = blocks.iter().map(|b| vec![None; b.data.len()]).collect();
        net.fanout = vec![Vec::new(); self.presyns.len()];
        for (&pp, &(b, i)) in point {
            net.point_at[pp] = Some((b, i));
            net.point_of[b][i] = pp;
        }
        for (ps, p) in self.presyns.iter().enumerate() {
            match p.source {
                Some(SpikeSource::Voltage { sec, x }) => {
                    let s = self.sections[sec].as_ref().unwrap();
                    let node = nodes.sections[sec].as_ref().unwrap().node(place(s.nseg(), x).unwrap());
                    net.detectors.push(Detector { presyn: ps, node, threshold: p.threshold, above: p.above });
                }
                Some(SpikeSource::Point(pp)) => {
                    if let Some((b, i)) = net.point_at[pp] {
                        net.presyn_of_point[b][i] = Some(ps);
                    }
                }
                Some(SpikeSource::Gid) | None => {}
            }
        }
        for (k, nc) in self.netcons.iter().enumerate() {
            let lowered = match nc {
                Some(nc) => {
                    if let Some(ps) = nc.presyn {
                        net.fanout[ps].push(k);
                    }
                    LoweredNetCon {
                        target: nc.target.and_then(|pp| net.point_at[pp]),
                        weights: nc.weights.clone(),
                        delay: nc.delay,
                        active: nc.active,
                    }
                }
                None => LoweredNetCon { target: None, weights: Vec::new(), delay: 0.0, active: false },
            };
            net.netcons.push(lowered);
        }
        net
    }
}
