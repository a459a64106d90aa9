//! `AlphaSynapse`: a conductance g = gmax·α((t − onset)/tau) with α(x) = x·e^(1−x) on [0, 10]
//! (peak gmax at onset + tau), i = g·(v − e) (NEURON's syn.mod). Not driven by events.

use super::*;

// Variables: onset (ms), tau (ms), gmax (µS), e (mV), i (nA); hidden: g (µS).
const ONSET: usize = 0;
const TAU: usize = 1;
const GMAX: usize = 2;
const E: usize = 3;
const I: usize = 4;
const G: usize = 5;

pub fn info() -> MechInfo {
    let p = |name, units, default| VarInfo { name, units, default, kind: VarKind::Parameter };
    MechInfo {
        name: "AlphaSynapse",
        kind: MechKind::Point,
        vars: vec![
            p("onset", "ms", 0.0),
            p("tau", "ms", 0.1),
            p("gmax", "uS", 0.0),
            p("e", "mV", 0.0),
            VarInfo { name: "i", units: "nA", default: 0.0, kind: VarKind::Assigned },
            VarInfo { name: "g", units: "uS", default: 0.0, kind: VarKind::Internal },
        ],
        ions: vec![],
        globals: vec![],
        electrode_current: false,
        weights: &[],
        ion_conc: Vec::new(),
        make_kernel: std::sync::Arc::new(|| Box::new(AlphaSynapse::default())),
    }
}

/// syn.mod's alpha(x).
fn alpha(x: f64) -> f64 {
    if !(0.0..=10.0).contains(&x) {
        0.0
    } else {
        x * (1.0 - x).exp()
    }
}

#[derive(Default)]
struct AlphaSynapse {
    scale: Vec<f64>,
}

impl Kernel for AlphaSynapse {
    fn initialize(&mut self, blk: &mut BlockData, _: &mut [Block], nv: &mut NodeView) {
        self.scale = point_scale(&blk.node, nv.area);
    }

    fn current(&mut self, blk: &mut BlockData, _: &mut [Block], nv: &mut NodeView) {
        if self.scale.len() != blk.len() {
            self.scale = point_scale(&blk.node, nv.area);
        }
        for k in 0..blk.len() {
            let nd = blk.node[k];
            let v = &mut blk.vars;
            let g = v[GMAX][k] * alpha((nv.t - v[ONSET][k]) / v[TAU][k]);
            let i = g * (nv.v[nd] - v[E][k]);
            (v[G][k], v[I][k]) = (g, i);
            nv.rhs[nd] -= i * self.scale[k];
            nv.d[nd] += g * self.scale[k];
        }
    }

    fn advance_state(&mut self, _: &mut BlockData, _: &mut [Block], _: &mut NodeView) {}
}
