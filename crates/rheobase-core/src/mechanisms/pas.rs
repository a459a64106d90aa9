//! `pas`: the passive leak, i = g·(v − e).

use super::*;

// Variables: g (S/cm²), e (mV), i (mA/cm²).

pub fn info() -> MechInfo {
    MechInfo {
        name: "pas",
        kind: MechKind::Density,
        vars: vec![
            VarInfo { name: "g", units: "S/cm2", default: 0.001, kind: VarKind::Parameter },
            VarInfo { name: "e", units: "mV", default: -70.0, kind: VarKind::Parameter },
            VarInfo { name: "i", units: "mA/cm2", default: 0.0, kind: VarKind::Assigned },
        ],
        ions: vec![],
        globals: vec![],
        electrode_current: false,
        weights: &[],
        make_kernel: || Box::new(Pas),
    }
}

struct Pas;

impl Kernel for Pas {
    fn initialize(&mut self, _: &mut BlockData, _: &mut [Block], _: &mut NodeView) {}

    fn current(&mut self, blk: &mut BlockData, _: &mut [Block], nv: &mut NodeView) {
        let [g, e, i] = &mut blk.vars[..] else { unreachable!() };
        for k in 0..blk.node.len() {
            let nd = blk.node[k];
            // Linear in v: di/dv is g exactly (NEURON's finite difference gives g to ~1e-11).
            let i_here = g[k] * (nv.v[nd] - e[k]);
            i[k] = i_here;
            nv.rhs[nd] -= i_here;
            nv.d[nd] += g[k];
        }
    }

    fn advance_state(&mut self, _: &mut BlockData, _: &mut [Block], _: &mut NodeView) {}
}
