//! `IClamp`: a current pulse of `amp` nA from `del` for `dur` ms (ELECTRODE_CURRENT: positive
//! depolarises).

use super::*;

const DEL: usize = 0; // ms
const DUR: usize = 1; // ms
const AMP: usize = 2; // nA
const I: usize = 3; // nA

pub fn info() -> MechInfo {
    MechInfo {
        name: "IClamp",
        kind: MechKind::Point,
        vars: vec![
            VarInfo { name: "del", units: "ms", default: 0.0, kind: VarKind::Parameter },
            VarInfo { name: "dur", units: "ms", default: 0.0, kind: VarKind::Parameter },
            VarInfo { name: "amp", units: "nA", default: 0.0, kind: VarKind::Parameter },
            VarInfo { name: "i", units: "nA", default: 0.0, kind: VarKind::Assigned },
        ],
        ions: vec![],
        globals: vec![],
        electrode_current: true,
        make_kernel: || Box::new(IClamp),
    }
}

struct IClamp;

impl Kernel for IClamp {
    fn initialize(&mut self, blk: &mut BlockData, _: &mut [Block], _: &mut NodeView) {
        blk.vars[I].fill(0.0);
    }

    fn current(&mut self, blk: &mut BlockData, _: &mut [Block], nv: &mut NodeView) {
        let t = nv.t;
        for k in 0..blk.node.len() {
            let nd = blk.node[k];
            let (del, dur, amp) = (blk.vars[DEL][k], blk.vars[DUR][k], blk.vars[AMP][k]);
            let i = if t < del + dur && t >= del { amp } else { 0.0 };
            blk.vars[I][k] = i;
            // nA → mA/cm² at this node; the current does not depend on v, so di/dv = 0.
            nv.rhs[nd] += i * (1.0e2 / nv.area[nd]);
        }
    }

    fn advance_state(&mut self, _: &mut BlockData, _: &mut [Block], _: &mut NodeView) {}
}
