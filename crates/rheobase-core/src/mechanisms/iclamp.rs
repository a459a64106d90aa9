//! `IClamp`: a current pulse of `amp` nA from `del` for `dur` ms (ELECTRODE_CURRENT: positive
//! depolarises).

use super::*;

// Variables: del (ms), dur (ms), amp (nA), i (nA).
const I: usize = 3;

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
        weights: &[],
        ion_conc: Vec::new(),
        make_kernel: std::sync::Arc::new(|| Box::new(IClamp::default())),
    }
}

#[derive(Default)]
struct IClamp {
    /// 1e2/area per instance (nA → mA/cm² at its node). Areas are fixed for the lifetime of a
    /// lowered simulation, and a new lowering makes a new kernel, so this is computed once.
    scale: Vec<f64>,
}

impl Kernel for IClamp {
    fn initialize(&mut self, blk: &mut BlockData, _: &mut [Block], _: &mut NodeView) {
        blk.vars[I].fill(0.0);
    }

    fn current(&mut self, blk: &mut BlockData, _: &mut [Block], nv: &mut NodeView) {
        if self.scale.len() != blk.node.len() {
            self.scale = point_scale(&blk.node, nv.area);
        }
        let t = nv.t;
        let [del, dur, amp, i] = &mut blk.vars[..] else { unreachable!() };
        let per_instance = blk.node.iter().zip(&self.scale).zip(del.iter().zip(dur.iter())).zip(amp.iter().zip(i));
        for (((&nd, &scale), (&del, &dur)), (&amp, i)) in per_instance {
            *i = if t < del + dur && t >= del { amp } else { 0.0 };
            // The current does not depend on v, so di/dv = 0.
            nv.rhs[nd] += *i * scale;
        }
    }

    fn advance_state(&mut self, _: &mut BlockData, _: &mut [Block], _: &mut NodeView) {}
}
