//! `ExpSyn`: a conductance that jumps by the NetCon weight and decays with `tau`
//! (NEURON's expsyn.mod): g' = −g/tau, i = g·(v − e), NET_RECEIVE: g += weight.

use super::active::{decay, decay_factor, ActiveSet};
use super::*;

// Variables: tau (ms), e (mV), i (nA), g (µS).
const E: usize = 1;
const I: usize = 2;
const G: usize = 3;

pub fn info() -> MechInfo {
    MechInfo {
        name: "ExpSyn",
        kind: MechKind::Point,
        vars: vec![
            VarInfo { name: "tau", units: "ms", default: 0.1, kind: VarKind::Parameter },
            VarInfo { name: "e", units: "mV", default: 0.0, kind: VarKind::Parameter },
            VarInfo { name: "i", units: "nA", default: 0.0, kind: VarKind::Assigned },
            VarInfo { name: "g", units: "uS", default: 0.0, kind: VarKind::State },
        ],
        ions: vec![],
        globals: vec![],
        electrode_current: false,
        weights: &["weight"],
        ion_conc: Vec::new(),
        make_kernel: std::sync::Arc::new(|| Box::new(ExpSyn::default())),
    }
}

#[derive(Default)]
struct ExpSyn {
    scale: Vec<f64>,
    active: ActiveSet,
}

impl Kernel for ExpSyn {
    fn initialize(&mut self, blk: &mut BlockData, _: &mut [Block], nv: &mut NodeView) {
        self.scale = point_scale(&blk.node, nv.area);
        blk.vars[G].fill(0.0);
        blk.vars[I].fill(0.0);
        self.active.rebuild(blk.len(), |_| false);
    }

    fn current(&mut self, blk: &mut BlockData, _: &mut [Block], nv: &mut NodeView) {
        if self.scale.len() != blk.len() {
            // A first step without finitialize (states as the user left them).
            self.state_written(blk);
            self.scale = point_scale(&blk.node, nv.area);
        }
        for &k in self.active.list() {
            let nd = blk.node[k];
            let g = blk.vars[G][k];
            let i = g * (nv.v[nd] - blk.vars[E][k]);
            blk.vars[I][k] = i;
            nv.rhs[nd] -= i * self.scale[k];
            // Linear in v: di/dv = g exactly.
            nv.d[nd] += g * self.scale[k];
        }
    }

    fn advance_state(&mut self, blk: &mut BlockData, _: &mut [Block], nv: &mut NodeView) {
        let mut last = (f64::NAN, 0.0); // (tau, factor): synapses mostly share tau
        let [tau, _, i, g] = &mut blk.vars[..] else { unreachable!() };
        for &k in self.active.list() {
            if tau[k] != last.0 {
                last = (tau[k], decay_factor(nv.dt, tau[k]));
            }
            g[k] = decay(g[k], last.1);
        }
        self.active.retain(|k| {
            let zero = g[k] == 0.0;
            if zero {
                i[k] = 0.0;
            }
            !zero
        });
    }

    fn ignores_zero_weights(&self) -> bool {
        true
    }

    fn net_receive(&mut self, blk: &mut BlockData, k: usize, w: &mut [f64], _: f64, _: f64, _: &mut Outbox) {
        blk.vars[G][k] += w[0];
        // A zero weight leaves a silent synapse silent.
        if blk.vars[G][k] != 0.0 {
            self.active.insert(k);
        }
    }

    fn state_written(&mut self, blk: &mut BlockData) {
        let g = &blk.vars[G];
        self.active.rebuild(g.len(), |k| g[k] != 0.0);
    }
}
