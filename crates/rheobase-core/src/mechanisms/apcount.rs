//! `APCount`: counts upward crossings of `thresh` (mV) at its location (NEURON's apcount.mod).
//! The check runs in INITIAL and after every step with the new v (`SOLVE check METHOD
//! after_cvode`): v ≥ thresh while not firing counts a spike at t (n += 1, time = t, and t goes
//! to the recording); firing ends once v < thresh after that time.

use super::*;

// Variables: n, thresh (mV), time (ms), firing.
const N: usize = 0;
const THRESH: usize = 1;
const TIME: usize = 2;
const FIRING: usize = 3;

pub fn info() -> MechInfo {
    let p = |name, units, default| VarInfo { name, units, default, kind: VarKind::Parameter };
    MechInfo {
        name: "APCount",
        kind: MechKind::Point,
        vars: vec![
            p("n", "1", 0.0),
            p("thresh", "mV", -20.0),
            p("time", "ms", 0.0),
            VarInfo { name: "firing", units: "1", default: 0.0, kind: VarKind::Assigned },
        ],
        ions: vec![],
        globals: vec![],
        electrode_current: false,
        weights: &[],
        ion_conc: Vec::new(),
        make_kernel: std::sync::Arc::new(|| Box::new(APCount)),
    }
}

struct APCount;

/// check(): one instance at time t with membrane potential vm; crossing times go to `times`.
fn check(v: &mut [Vec<f64>], k: usize, vm: f64, t: f64, times: &mut Vec<f64>) {
    if vm >= v[THRESH][k] && v[FIRING][k] == 0.0 {
        v[FIRING][k] = 1.0;
        v[TIME][k] = t;
        v[N][k] += 1.0;
        times.push(t);
    }
    if v[FIRING][k] != 0.0 && vm < v[THRESH][k] && t > v[TIME][k] {
        v[FIRING][k] = 0.0;
    }
}

impl Kernel for APCount {
    fn initialize(&mut self, blk: &mut BlockData, _: &mut [Block], nv: &mut NodeView) {
        for k in 0..blk.node.len() {
            blk.vars[N][k] = 0.0;
            blk.vars[FIRING][k] = 0.0;
            blk.tables[k].clear();
            check(&mut blk.vars, k, nv.v[blk.node[k]], nv.t, &mut blk.tables[k]);
        }
    }

    fn current(&mut self, _: &mut BlockData, _: &mut [Block], _: &mut NodeView) {}

    fn advance_state(&mut self, blk: &mut BlockData, _: &mut [Block], nv: &mut NodeView) {
        for k in 0..blk.node.len() {
            check(&mut blk.vars, k, nv.v[blk.node[k]], nv.t, &mut blk.tables[k]);
        }
    }
}
