//! `Exp2Syn`: a difference of two exponentials normalised so that a weight w gives a peak
//! conductance of w µS (NEURON's exp2syn.mod): A' = −A/tau1, B' = −B/tau2, g = B − A,
//! i = g·(v − e), NET_RECEIVE: A += w·factor, B += w·factor.

use super::active::{decay, decay_factor, ActiveSet};
use super::*;

// Variables: tau1 (ms), tau2 (ms), e (mV), i (nA), g (µS), A (µS), B (µS), factor (1, hidden).
const TAU1: usize = 0;
const TAU2: usize = 1;
const E: usize = 2;
const I: usize = 3;
const G: usize = 4;
const A: usize = 5;
const B: usize = 6;
const FACTOR: usize = 7;

pub fn info() -> MechInfo {
    let p = |name, units, default| VarInfo { name, units, default, kind: VarKind::Parameter };
    MechInfo {
        name: "Exp2Syn",
        kind: MechKind::Point,
        vars: vec![
            p("tau1", "ms", 0.1),
            p("tau2", "ms", 10.0),
            p("e", "mV", 0.0),
            VarInfo { name: "i", units: "nA", default: 0.0, kind: VarKind::Assigned },
            VarInfo { name: "g", units: "uS", default: 0.0, kind: VarKind::Assigned },
            VarInfo { name: "A", units: "uS", default: 0.0, kind: VarKind::State },
            VarInfo { name: "B", units: "uS", default: 0.0, kind: VarKind::State },
            VarInfo { name: "factor", units: "1", default: 0.0, kind: VarKind::Internal },
        ],
        ions: vec![],
        globals: vec![],
        electrode_current: false,
        weights: &["weight"],
        ion_conc: Vec::new(),
        make_kernel: std::sync::Arc::new(|| Box::new(Exp2Syn::default())),
    }
}

#[derive(Default)]
struct Exp2Syn {
    scale: Vec<f64>,
    active: ActiveSet,
}

/// INITIAL's time constants and peak normalisation: tau1 is kept below 0.9999·tau2 and above
/// 1e-9·tau2 (tau1 is changed, as NEURON does); returns (tau1, factor).
pub fn normalisation(tau1: f64, tau2: f64) -> (f64, f64) {
    let mut tau1 = tau1;
    if tau1 / tau2 > 0.9999 {
        tau1 = 0.9999 * tau2;
    }
    if tau1 / tau2 < 1e-9 {
        tau1 = tau2 * 1e-9;
    }
    let tp = (tau1 * tau2) / (tau2 - tau1) * (tau2 / tau1).ln();
    let factor = -(-tp / tau1).exp() + (-tp / tau2).exp();
    (tau1, 1.0 / factor)
}

impl Kernel for Exp2Syn {
    fn initialize(&mut self, blk: &mut BlockData, _: &mut [Block], nv: &mut NodeView) {
        self.scale = point_scale(&blk.node, nv.area);
        for k in 0..blk.len() {
            let (tau1, factor) = normalisation(blk.vars[TAU1][k], blk.vars[TAU2][k]);
            blk.vars[TAU1][k] = tau1;
            blk.vars[FACTOR][k] = factor;
        }
        for var in [A, B, G, I] {
            blk.vars[var].fill(0.0);
        }
        self.active.rebuild(blk.len(), |_| false);
    }

    fn current(&mut self, blk: &mut BlockData, _: &mut [Block], nv: &mut NodeView) {
        if self.scale.len() != blk.len() {
            self.state_written(blk);
            self.scale = point_scale(&blk.node, nv.area);
        }
        for &k in self.active.list() {
            let nd = blk.node[k];
            let g = blk.vars[B][k] - blk.vars[A][k];
            let i = g * (nv.v[nd] - blk.vars[E][k]);
            blk.vars[G][k] = g;
            blk.vars[I][k] = i;
            nv.rhs[nd] -= i * self.scale[k];
            nv.d[nd] += g * self.scale[k];
        }
    }

    fn advance_state(&mut self, blk: &mut BlockData, _: &mut [Block], nv: &mut NodeView) {
        let mut last = (f64::NAN, f64::NAN, 0.0, 0.0); // (tau1, tau2, factor1, factor2)
        let [tau1, tau2, _, i, g, a, b, _] = &mut blk.vars[..] else { unreachable!() };
        for &k in self.active.list() {
            if (tau1[k], tau2[k]) != (last.0, last.1) {
                last = (tau1[k], tau2[k], decay_factor(nv.dt, tau1[k]), decay_factor(nv.dt, tau2[k]));
            }
            a[k] = decay(a[k], last.2);
            b[k] = decay(b[k], last.3);
        }
        self.active.retain(|k| {
            let zero = a[k] == 0.0 && b[k] == 0.0;
            if zero {
                (g[k], i[k]) = (0.0, 0.0);
            }
            !zero
        });
    }

    fn ignores_zero_weights(&self) -> bool {
        true
    }

    fn net_receive(&mut self, blk: &mut BlockData, k: usize, w: &mut [f64], _: f64, _: f64, _: &mut Outbox) {
        let f = blk.vars[FACTOR][k];
        blk.vars[A][k] += w[0] * f;
        blk.vars[B][k] += w[0] * f;
        if blk.vars[A][k] != 0.0 || blk.vars[B][k] != 0.0 {
            self.active.insert(k);
        }
    }

    fn state_written(&mut self, blk: &mut BlockData) {
        let (a, b) = (&blk.vars[A], &blk.vars[B]);
        self.active.rebuild(a.len(), |k| a[k] != 0.0 || b[k] != 0.0);
    }
}
