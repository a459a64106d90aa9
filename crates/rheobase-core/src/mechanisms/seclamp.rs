//! `SEClamp`: a single-electrode voltage clamp through a series resistance rs (MΩ), holding
//! amp1, amp2, amp3 (mV) for dur1, dur2, dur3 (ms) from t = 0 (NEURON's svclmp.mod).
//! i = (vc − v)/rs nA, an ELECTRODE_CURRENT (positive depolarises). As NEURON does, the current
//! is evaluated at the step midpoint for the matrix and recomputed with the new v after the
//! step (its `SOLVE icur METHOD after_cvode`), which is the value recorded.

use super::*;

// Variables: rs (MΩ), dur1, amp1, dur2, amp2, dur3, amp3 (ms, mV), i (nA), vc (mV); hidden:
// tc2, tc3 (ms), on.
const RS: usize = 0;
const DUR1: usize = 1;
const AMP1: usize = 2;
const AMP2: usize = 4;
const AMP3: usize = 6;
const I: usize = 7;
const VC: usize = 8;
const TC2: usize = 9;
const TC3: usize = 10;
const ON: usize = 11;

pub fn info() -> MechInfo {
    let p = |name, units, default| VarInfo { name, units, default, kind: VarKind::Parameter };
    let h = |name, units| VarInfo { name, units, default: 0.0, kind: VarKind::Internal };
    MechInfo {
        name: "SEClamp",
        kind: MechKind::Point,
        vars: vec![
            p("rs", "megohm", 1.0),
            p("dur1", "ms", 0.0),
            p("amp1", "mV", 0.0),
            p("dur2", "ms", 0.0),
            p("amp2", "mV", 0.0),
            p("dur3", "ms", 0.0),
            p("amp3", "mV", 0.0),
            VarInfo { name: "i", units: "nA", default: 0.0, kind: VarKind::Assigned },
            VarInfo { name: "vc", units: "mV", default: 0.0, kind: VarKind::Assigned },
            h("tc2", "ms"),
            h("tc3", "ms"),
            h("on", "1"),
        ],
        ions: vec![],
        globals: vec![],
        electrode_current: true,
        weights: &[],
        ion_conc: Vec::new(),
        make_kernel: std::sync::Arc::new(|| Box::new(SEClamp::default())),
    }
}

#[derive(Default)]
struct SEClamp {
    scale: Vec<f64>,
}

/// vstim(): the command voltage and whether the clamp is on at time t.
fn command(v: &mut [Vec<f64>], k: usize, t: f64) {
    let (vc, on) = if t < v[DUR1][k] {
        (v[AMP1][k], 1.0)
    } else if t < v[TC2][k] {
        (v[AMP2][k], 1.0)
    } else if t < v[TC3][k] {
        (v[AMP3][k], 1.0)
    } else {
        (0.0, 0.0)
    };
    (v[VC][k], v[ON][k]) = (vc, on);
}

/// icur(): the clamp current at membrane potential `vm`, nA.
fn clamp_current(v: &[Vec<f64>], k: usize, vm: f64) -> f64 {
    if v[ON][k] != 0.0 {
        (v[VC][k] - vm) / v[RS][k]
    } else {
        0.0
    }
}

impl Kernel for SEClamp {
    fn initialize(&mut self, blk: &mut BlockData, _: &mut [Block], nv: &mut NodeView) {
        self.scale = point_scale(&blk.node, nv.area);
        let [_, dur1, _, dur2, _, dur3, _, _, _, tc2, tc3, on] = &mut blk.vars[..] else { unreachable!() };
        for k in 0..dur1.len() {
            tc2[k] = dur1[k] + dur2[k];
            tc3[k] = tc2[k] + dur3[k];
            on[k] = 0.0;
        }
    }

    fn current(&mut self, blk: &mut BlockData, _: &mut [Block], nv: &mut NodeView) {
        if self.scale.len() != blk.len() {
            self.scale = point_scale(&blk.node, nv.area);
        }
        for k in 0..blk.node.len() {
            let nd = blk.node[k];
            command(&mut blk.vars, k, nv.t);
            let i = clamp_current(&blk.vars, k, nv.v[nd]);
            blk.vars[I][k] = i;
            // Electrode current: positive inward. di/dv = −1/rs while on.
            nv.rhs[nd] += i * self.scale[k];
            if blk.vars[ON][k] != 0.0 {
                nv.d[nd] += self.scale[k] / blk.vars[RS][k];
            }
        }
    }

    fn advance_state(&mut self, blk: &mut BlockData, _: &mut [Block], nv: &mut NodeView) {
        for k in 0..blk.node.len() {
            blk.vars[I][k] = clamp_current(&blk.vars, k, nv.v[blk.node[k]]);
        }
    }
}
