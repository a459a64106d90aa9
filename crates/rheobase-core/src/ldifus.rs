//! NMODL's LONGITUDINAL_DIFFUSION: a density mechanism's state diffusing between the instances on
//! neighbouring segments, as NEURON's ldifus.cpp does it in the fixed step. After every mechanism has
//! advanced its states (operator splitting), each diffusing state takes one backward-Euler step of
//!
//!   dc_i/dt = Σ_j D_ij (c_j − c_i) / (vol_i · dx_i · (dx_i + dx_j)/2)
//!
//! over the tree of instances, where D_ij is the mean of the two instances' LONGITUDINAL_DIFFUSION values
//! (diffusion constant × cross-section) and vol the COMPARTMENT volume; section ends are sealed.

use crate::discretise::Nodes;
use crate::hines::NO_PARENT;
use crate::morphology::{Section, SectionId};
use std::collections::HashMap;

/// How a block's instances (in node order, parents first) are connected, and the geometric factors of
/// each connection.
#[derive(Debug, Clone, Default)]
pub struct Neighbours {
    /// The instance each one exchanges with toward the root (None: the root section's first segment, or
    /// no neighbour with the mechanism).
    pub parent: Vec<Option<usize>>,
    /// 2·rall / dx_p / (dx_i + dx_p), 1/µm²: weights the flux into the parent.
    pub af: Vec<f64>,
    /// 2 / dx_i / (dx_i + dx_p), 1/µm²: weights the flux into the instance.
    pub bf: Vec<f64>,
}

impl Neighbours {
    /// NEURON's rules (longdifusalloc): an instance's neighbour is the one at its tree parent node; else, past a
    /// zero-area node, the one at that node's parent; else the first segment of the parent section. dx is each
    /// instance's section length / nseg; rall (the section's rallbranch) applies at a section's first segment.
    pub fn new(node: &[usize], nodes: &Nodes, sections: &[Option<Section>]) -> Self {
        let instance_at: HashMap<usize, usize> = node.iter().enumerate().map(|(k, &nd)| (nd, k)).collect();
        let at = |nd: usize| (nd != NO_PARENT).then(|| instance_at.get(&nd).copied()).flatten();
        let section = |id: SectionId| sections[id].as_ref().expect("a lowered section");
        let owner = |nd: usize| nodes.owner[nd].expect("an instance's node is a segment's").0;
        let dx = |id: SectionId| section(id).length_um / section(id).nseg() as f64;
        let first_segment = |id: SectionId| {
            let sn = nodes.sections[id].as_ref().expect("a lowered section");
            sn.segment.iter().copied().find(|&nd| nodes.parent[nd] == sn.start)
        };
        let mut nb = Neighbours::default();
        for &nd in node {
            let up = nodes.parent[nd];
            let sec = owner(nd);
            let parent_section = section(sec).parent.map(|(p, _)| p);
            let parent = at(up).or_else(|| {
                let beyond = if up == NO_PARENT { NO_PARENT } else { nodes.parent[up] };
                let by_section = || parent_section.and_then(first_segment).and_then(at);
                if beyond == NO_PARENT {
                    by_section()
                } else {
                    at(beyond).or_else(by_section)
                }
            });
            let (mut af, mut bf) = (0.0, 0.0);
            if let Some(p) = parent {
                let first = nodes.owner[up].is_none_or(|(s, _)| s != sec);
                let rall = if first { section(sec).rallbranch } else { 1.0 };
                let (dxc, dxp) = (dx(sec), dx(owner(node[p])));
                af = 2.0 * rall / dxp / (dxc + dxp);
                bf = 2.0 / dxc / (dxc + dxp);
            }
            nb.parent.push(parent);
            nb.af.push(af);
            nb.bf.push(bf);
        }
        nb
    }

    /// One backward-Euler step of dt (ms) for the state `c` of every instance, with each instance's
    /// LONGITUDINAL_DIFFUSION value `dc` and COMPARTMENT volume `vol` (NEURON's `stagger`, in its order of
    /// operations, then its tree solve).
    pub fn step(&self, c: &mut [f64], dc: &[f64], vol: &[f64], dt: f64) {
        let n = c.len();
        let (mut a, mut b, mut d) = (vec![0.0; n], vec![0.0; n], vec![0.0; n]);
        for i in 0..n {
            if let Some(p) = self.parent[i] {
                let dcf = (dc[i] + dc[p]) / 2.0;
                a[i] = -self.af[i] * dcf / vol[p];
                b[i] = -self.bf[i] * dcf / vol[i];
            }
        }
        for i in 0..n {
            d[i] += 1.0 / dt;
            c[i] /= dt;
            if let Some(p) = self.parent[i] {
                d[i] -= b[i];
                d[p] -= a[i];
            }
        }
        for i in (1..n).rev() {
            if let Some(p) = self.parent[i] {
                let f = a[i] / d[i];
                d[p] -= f * b[i];
                c[p] -= f * c[i];
            }
        }
        for i in 0..n {
            if let Some(p) = self.parent[i] {
                c[i] -= b[i] * c[p];
            }
            c[i] /= d[i];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two instances exchanging: the implicit step conserves vol·c exactly (to rounding) and moves toward
    /// the mean; with no neighbour the state is unchanged.
    #[test]
    fn a_step_conserves_the_amount_and_equalises() {
        let nb = Neighbours { parent: vec![None, Some(0)], af: vec![0.0, 0.02], bf: vec![0.0, 0.02] };
        let (dc, vol) = ([0.5, 0.5], [1.0, 1.0]);
        let mut c = [1.0, 0.0];
        nb.step(&mut c, &dc, &vol, 0.025);
        assert!((c[0] + c[1] - 1.0).abs() < 1e-15);
        assert!(c[0] < 1.0 && c[1] > 0.0 && c[1] < c[0]);
        // backward Euler on x = c0 − c1: x' = −2k x with k = 0.02·0.5 ⇒ x_new = x / (1 + 2k·dt)
        assert!(((c[0] - c[1]) - 1.0 / (1.0 + 2.0 * 0.01 * 0.025)).abs() < 1e-15);
        let alone = Neighbours { parent: vec![None], af: vec![0.0], bf: vec![0.0] };
        let mut c = [0.3];
        alone.step(&mut c, &[1.0], &[1.0], 0.025);
        assert!((c[0] - 0.3).abs() < 1e-15); // (0.3/dt)/(1/dt), as NEURON computes it
    }
}
