//! Lowering of sections into nodes, as NEURON discretises them.
//!
//! Each root section gets a root node at its connecting end. Each section then gets nseg centre
//! nodes (ordered from the end that connects to the parent) and one end node at the far end.
//! The connecting end of a child *is* the parent's node at the connection point. Centre nodes have
//! area π·diam·L/nseg (µm²); end and root nodes have zero membrane area, which NEURON represents
//! by area 100 so that their equation is a current balance in nA.

use crate::error::Result;
use crate::hines::NO_PARENT;
use crate::morphology::{place, Place, Section, SectionId};
use std::f64::consts::PI;

/// Area NEURON gives zero-area nodes, µm² (so that 1e2/area = 1 turns nA into the row's unit).
pub const ZERO_AREA_NODE_UM2: f64 = 100.0;

/// The nodes of one section in the node arrays.
#[derive(Debug, Clone)]
pub struct SectionNodes {
    /// Node at the connecting end (the parent's node, or this tree's root node).
    pub start: usize,
    /// Node of each segment, in x order.
    pub segment: Vec<usize>,
    /// The section's own end node (far from the parent).
    pub end: usize,
    /// Which end connects to the parent (0 or 1).
    pub child_end: f64,
}

impl SectionNodes {
    /// The node a place along the section lands on.
    pub fn node(&self, p: Place) -> usize {
        let at_start = |x_is_one: bool| (x_is_one as u8 as f64) == self.child_end;
        match p {
            Place::Segment(i) => self.segment[i],
            Place::Start => {
                if at_start(false) {
                    self.start
                } else {
                    self.end
                }
            }
            Place::End => {
                if at_start(true) {
                    self.start
                } else {
                    self.end
                }
            }
        }
    }

    pub fn node_at(&self, nseg: usize, x: f64) -> Result<usize> {
        Ok(self.node(place(nseg, x)?))
    }
}

/// Node arrays of the whole model, parent before child.
#[derive(Debug, Clone, Default)]
pub struct Nodes {
    pub parent: Vec<usize>,
    /// µm²
    pub area_um2: Vec<f64>,
    /// Diameter of the segment a node centres, µm (0 at end and root nodes), for mechanisms that read `diam`.
    pub diam_um: Vec<f64>,
    /// Coupling of a node into its parent's equation, S/cm² (NEURON's NODEA).
    pub a: Vec<f64>,
    /// Coupling of the parent into this node's equation, S/cm² (NEURON's NODEB).
    pub b: Vec<f64>,
    /// Resistance between a node and its parent node, MΩ (`seg.ri()`); 1e30 for roots.
    pub ri_mohm: Vec<f64>,
    /// Specific capacitance, µF/cm²; 0 at zero-area nodes.
    pub cm_uf_cm2: Vec<f64>,
    /// Which section and segment each centre node belongs to (None for end and root nodes).
    pub owner: Vec<Option<(SectionId, usize)>>,
    pub sections: Vec<Option<SectionNodes>>,
    /// Root sections in node order (one per tree).
    pub roots: Vec<SectionId>,
    /// Nodes 0..solved go through the tree solve; the rest are passive leaves.
    pub solved: usize,
}

impl Nodes {
    /// The axial terms' constant part of the diagonal, S/cm²: −b of each solved node and −a of
    /// each of its solved children (passive leaves are left out of the solve).
    pub fn axial_diagonal(&self) -> Vec<f64> {
        let mut d = vec![0.0; self.parent.len()];
        for i in 0..self.solved {
            let p = self.parent[i];
            if p != NO_PARENT {
                d[i] -= self.b[i];
                d[p] -= self.a[i];
            }
        }
        d
    }
}

/// Axial resistance of half a segment, MΩ: 1e-2·Ra·(dx/2)/(π·diam²/4) with Ra in Ω·cm, µm lengths.
pub fn half_segment_resistance_mohm(ra_ohm_cm: f64, dx_um: f64, diam_um: f64) -> f64 {
    1e-2 * ra_ohm_cm * (dx_um / 2.0) / (PI * diam_um * diam_um / 4.0)
}

/// Sections in tree order: each root (creation order) followed depth-first by its subtree,
/// children in creation order.
pub fn tree_order(sections: &[Option<Section>]) -> (Vec<SectionId>, Vec<SectionId>) {
    let roots: Vec<SectionId> =
        (0..sections.len()).filter(|&id| sections[id].as_ref().is_some_and(|s| s.parent.is_none())).collect();
    let order = subtree_order(sections, &roots);
    (roots, order)
}

/// The trees of `roots`, each root followed depth-first by its subtree, children in creation order.
pub fn subtree_order(sections: &[Option<Section>], roots: &[SectionId]) -> Vec<SectionId> {
    let mut children: Vec<Vec<SectionId>> = vec![Vec::new(); sections.len()];
    for (id, s) in sections.iter().enumerate() {
        if let Some((p, _)) = s.as_ref().and_then(|s| s.parent) {
            children[p].push(id);
        }
    }
    let mut order = Vec::new();
    for &r in roots {
        let mut stack = vec![r];
        while let Some(s) = stack.pop() {
            order.push(s);
            stack.extend(children[s].iter().rev());
        }
    }
    order
}

pub fn discretise(sections: &[Option<Section>]) -> Nodes {
    discretise_trees(sections, &tree_order(sections).0)
}

/// The nodes of the trees of `roots` only (a cell group); sections of other trees get no nodes.
pub fn discretise_trees(sections: &[Option<Section>], roots: &[SectionId]) -> Nodes {
    let mut nd = Nodes { sections: vec![None; sections.len()], ..Default::default() };
    let order = subtree_order(sections, roots);
    nd.roots = roots.to_vec();
    let push = |nd: &mut Nodes, parent: usize, owner: Option<(SectionId, usize)>| {
        nd.parent.push(parent);
        nd.area_um2.push(ZERO_AREA_NODE_UM2);
        nd.diam_um.push(0.0);
        nd.a.push(0.0);
        nd.b.push(0.0);
        nd.ri_mohm.push(1e30);
        nd.cm_uf_cm2.push(0.0);
        nd.owner.push(owner);
        nd.parent.len() - 1
    };
    for &id in &order {
        let s = sections[id].as_ref().expect("tree order lists live sections");
        let nseg = s.nseg();
        let start = match s.parent {
            None => push(&mut nd, NO_PARENT, None),
            Some((p, px)) => {
                let ps = sections[p].as_ref().expect("parent is live");
                nd.sections[p]
                    .as_ref()
                    .expect("parent lowered first")
                    .node_at(ps.nseg(), px)
                    .expect("connection x validated at connect")
            }
        };
        let dx = s.length_um / nseg as f64;
        // j walks away from the parent; seg is the segment index in x order.
        let seg_of = |j: usize| if s.child_end == 0.0 { j } else { nseg - 1 - j };
        let mut segment = vec![0; nseg];
        let mut prev = start;
        let mut r_right = 0.0;
        for j in 0..nseg {
            let k = seg_of(j);
            let diam = s.diam_um[k];
            let node = push(&mut nd, prev, Some((id, k)));
            nd.area_um2[node] = PI * diam * dx;
            nd.diam_um[node] = diam;
            nd.cm_uf_cm2[node] = s.cm_uf_cm2[k];
            let r_left = half_segment_resistance_mohm(s.ra_ohm_cm, dx, diam);
            nd.ri_mohm[node] = r_left + r_right;
            r_right = r_left;
            segment[k] = node;
            prev = node;
        }
        let end = push(&mut nd, prev, None);
        nd.ri_mohm[end] = r_right;
        // Matrix coefficients (NEURON's connection_coef): 1e2·(1/ri µS)/area µm² → S/cm².
        let first = segment[seg_of(0)];
        for node in segment.iter().copied().chain([end]) {
            let p = nd.parent[node];
            let rall = if node == first { s.rallbranch } else { 1.0 };
            nd.b[node] = -1e2 / nd.ri_mohm[node] / nd.area_um2[node];
            nd.a[node] = -1e2 * rall / nd.ri_mohm[node] / nd.area_um2[p];
        }
        nd.sections[id] = Some(SectionNodes { start, segment, end, child_end: s.child_end });
    }
    order_by_level(&mut nd, sections);
    nd
}

/// Renumbers nodes level by level (all roots, then every node one step from a root, ...), keeping
/// parents before children. Cells then interleave in the solver, which hides the latency of
/// each cell's elimination chain behind the others. Within a level, centre nodes come first,
/// grouped by the set of mechanisms of their section, then the zero-area nodes: a mechanism present
/// in the same place of many cells then occupies contiguous runs of nodes, which its kernel
/// sweeps with vector instructions. An unbranched cable keeps its natural order.
fn order_by_level(nd: &mut Nodes, sections: &[Option<Section>]) {
    let n = nd.parent.len();
    let mut depth = vec![0usize; n];
    for i in 0..n {
        if nd.parent[i] != NO_PARENT {
            depth[i] = depth[nd.parent[i]] + 1;
        }
    }
    // The mechanisms of a node's section as a bit set (u64::MAX sorts zero-area nodes last).
    let class = |i: usize| match nd.owner[i] {
        Some((sec, _)) => {
            sections[sec].as_ref().map_or(0, |s| s.mechs.iter().fold(0u64, |m, x| m | 1 << (x.mech % 64)))
        }
        None => u64::MAX,
    };
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by_key(|&i| (depth[i], class(i)));
    permute(nd, &order);
    nd.solved = n;
}

/// Moves passive leaves — zero-area end nodes with no child and nothing attached (`busy` false) —
/// behind every other node. Their equation only says "follow the parent": eliminating such a
/// node adds exactly what the axial terms subtracted from its parent's row, so the solver can
/// skip them and set their Δv afterwards ([`passive_leaf_dv`]). `solved` counts the others.
pub fn set_passive_leaves_last(nd: &mut Nodes, busy: &[bool]) {
    let n = nd.parent.len();
    let mut has_child = vec![false; n];
    for &p in &nd.parent {
        if p != NO_PARENT {
            has_child[p] = true;
        }
    }
    let leaf = |i: usize| nd.owner[i].is_none() && nd.parent[i] != NO_PARENT && !has_child[i] && !busy[i];
    let (mut order, leaves): (Vec<usize>, Vec<usize>) = (0..n).partition(|&i| !leaf(i));
    let solved = order.len();
    order.extend(leaves);
    permute(nd, &order);
    nd.solved = solved;
}

/// Δv of a passive leaf given its parent's: the exact solution of its row, v_leaf + Δv_leaf =
/// v_parent + Δv_parent.
#[inline]
pub fn passive_leaf_dv(v_leaf: f64, v_parent: f64, dv_parent: f64) -> f64 {
    (v_parent - v_leaf) + dv_parent
}

/// Renumbers the nodes: new node k is old node order[k].
fn permute(nd: &mut Nodes, order: &[usize]) {
    let n = order.len();
    let mut new_index = vec![0; n];
    for (new, &old) in order.iter().enumerate() {
        new_index[old] = new;
    }
    let take = |v: &Vec<f64>| order.iter().map(|&o| v[o]).collect::<Vec<f64>>();
    nd.parent =
        order.iter().map(|&o| if nd.parent[o] == NO_PARENT { NO_PARENT } else { new_index[nd.parent[o]] }).collect();
    nd.area_um2 = take(&nd.area_um2);
    nd.diam_um = take(&nd.diam_um);
    nd.a = take(&nd.a);
    nd.b = take(&nd.b);
    nd.ri_mohm = take(&nd.ri_mohm);
    nd.cm_uf_cm2 = take(&nd.cm_uf_cm2);
    nd.owner = order.iter().map(|&o| nd.owner[o]).collect();
    for sn in nd.sections.iter_mut().flatten() {
        sn.start = new_index[sn.start];
        sn.end = new_index[sn.end];
        for node in &mut sn.segment {
            *node = new_index[*node];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sec(nseg: usize, l: f64, diam: f64) -> Section {
        let mut s = Section::new("s");
        s.set_nseg(nseg).unwrap();
        s.length_um = l;
        s.diam_um = vec![diam; nseg];
        s
    }

    #[test]
    fn default_cylinder_area_and_ri() {
        // NEURON: default section (L 100, diam 500, Ra 35.4) has area 157079.63267948964 µm²
        // and ri 9.014535976724952e-05 MΩ.
        let nodes = discretise(&[Some(Section::new("soma"))]);
        let sn = nodes.sections[0].as_ref().unwrap();
        let c = sn.segment[0];
        assert!((nodes.area_um2[c] - 157079.63267948964).abs() < 1e-9);
        assert!((nodes.ri_mohm[c] - 9.014535976724952e-05).abs() < 1e-18);
        assert_eq!(nodes.parent.len(), 3);
        assert_eq!(nodes.area_um2[sn.start], ZERO_AREA_NODE_UM2);
    }

    #[test]
    fn child_attaches_to_parent_node_and_parents_precede_children() {
        let mut child = sec(3, 30.0, 2.0);
        child.parent = Some((0, 0.5));
        let nodes = discretise(&[Some(sec(3, 90.0, 10.0)), Some(child)]);
        let p = nodes.sections[0].as_ref().unwrap();
        let c = nodes.sections[1].as_ref().unwrap();
        assert_eq!(c.start, p.segment[1]);
        for (i, &par) in nodes.parent.iter().enumerate() {
            assert!(par == NO_PARENT || par < i);
        }
        // Each section: nseg + 1 nodes, plus one root node per tree.
        assert_eq!(nodes.parent.len(), 1 + 4 + 4);
    }

    #[test]
    fn reversed_section_orders_nodes_from_x1() {
        let mut child = sec(2, 20.0, 1.0);
        child.parent = Some((0, 1.0));
        child.child_end = 1.0;
        let nodes = discretise(&[Some(sec(1, 10.0, 1.0)), Some(child)]);
        let c = nodes.sections[1].as_ref().unwrap();
        assert_eq!(nodes.parent[c.segment[1]], c.start);
        assert_eq!(nodes.parent[c.segment[0]], c.segment[1]);
        assert_eq!(c.node(Place::End), c.start);
        assert_eq!(c.node(Place::Start), c.end);
    }

    #[test]
    fn passive_leaves_go_last_unless_busy() {
        let mut child = sec(2, 20.0, 1.0);
        child.parent = Some((0, 1.0));
        let sections = [Some(sec(1, 10.0, 1.0)), Some(child)];
        let mut nodes = discretise(&sections);
        let busy = vec![false; nodes.parent.len()];
        set_passive_leaves_last(&mut nodes, &busy);
        // Root, soma centre, soma end (has the child), child's two centres; the child's end node
        // is the only passive leaf.
        assert_eq!(nodes.solved, nodes.parent.len() - 1);
        assert_eq!(nodes.sections[1].as_ref().unwrap().end, nodes.parent.len() - 1);
        for (i, &p) in nodes.parent.iter().enumerate() {
            assert!(p == NO_PARENT || p < i);
        }
        let mut nodes = discretise(&sections);
        let end = nodes.sections[1].as_ref().unwrap().end;
        let mut busy = vec![false; nodes.parent.len()];
        busy[end] = true;
        set_passive_leaves_last(&mut nodes, &busy);
        assert_eq!(nodes.solved, nodes.parent.len());
    }
}
