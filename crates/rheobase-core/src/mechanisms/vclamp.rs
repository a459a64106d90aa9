//! `VClamp`: NEURON's two-amplifier voltage clamp (vclmp.mod): a control amplifier of `gain`
//! and time constant `tau2` drives the cell through `rstim` (MΩ) from the difference between
//! the command level and the measured potential (input amplifier with `tau1`, feedback `fac`).
//! Three levels amp[j] (mV) for dur[j] (ms) from t = 0; off (i = 0) after their sum. The clamp
//! states (e, vo, vi) follow NEURON's LINEAR block, solved each evaluation with the potential
//! of the moment; as in NEURON the current is recomputed with the new v after each step.
//! Backward Euler only (NEURON: "do not use this model except with secondorder=0").

use super::*;

// Variables: gain, rstim (MΩ), tau1, tau2 (ms), fac, e0, vo0, vi0 (mV), i (nA), e, vo, vi (mV);
// hidden: dur0..2 (ms), amp0..2 (mV) (Python shows them as vc.dur[j], vc.amp[j]), stim (mV), tc (ms).
const GAIN: usize = 0;
const RSTIM: usize = 1;
const TAU1: usize = 2;
const TAU2: usize = 3;
const FAC: usize = 4;
const E0: usize = 5;
const VO0: usize = 6;
const VI0: usize = 7;
const I: usize = 8;
const E: usize = 9;
const VO: usize = 10;
const VI: usize = 11;
const DUR: usize = 12;
const AMP: usize = 15;
const STIM: usize = 18;
const TC: usize = 19;

pub fn info() -> MechInfo {
    let p = |name, units, default| VarInfo { name, units, default, kind: VarKind::Parameter };
    let s = |name| VarInfo { name, units: "mV", default: 0.0, kind: VarKind::State };
    let h = |name, units| VarInfo { name, units, default: 0.0, kind: VarKind::Internal };
    MechInfo {
        name: "VClamp",
        kind: MechKind::Point,
        vars: vec![
            p("gain", "1", 1e5),
            p("rstim", "megohm", 1.0),
            p("tau1", "ms", 0.001),
            p("tau2", "ms", 0.0),
            p("fac", "1", 0.0),
            p("e0", "mV", 0.0),
            p("vo0", "mV", 0.0),
            p("vi0", "mV", 0.0),
            VarInfo { name: "i", units: "nA", default: 0.0, kind: VarKind::Assigned },
            s("e"),
            s("vo"),
            s("vi"),
            h("dur0", "ms"),
            h("dur1", "ms"),
            h("dur2", "ms"),
            h("amp0", "mV"),
            h("amp1", "mV"),
            h("amp2", "mV"),
            h("stim", "mV"),
            h("tc", "ms"),
        ],
        ions: vec![],
        globals: vec![],
        electrode_current: true,
        weights: &[],
        ion_conc: Vec::new(),
        make_kernel: std::sync::Arc::new(|| Box::new(VClamp::default())),
    }
}

#[derive(Default)]
struct VClamp {
    scale: Vec<f64>,
}

/// vstim(): the command level at t and the time the clamp stays on until (+100 ms once a
/// level holds t, so that "on" is unambiguous).
fn command(x: &mut [Vec<f64>], k: usize, t: f64) {
    let mut tc = 0.0;
    for j in 0..3 {
        x[STIM][k] = x[AMP + j][k];
        tc += x[DUR + j][k];
        if t < tc {
            tc += 100.0;
            break;
        }
    }
    x[TC][k] = tc;
}

/// icur(): the clamp current at potential v (nA), solving the LINEAR block for (e, vo, vi).
fn clamp_current(x: &mut [Vec<f64>], k: usize, v: f64, t: f64, dt: f64) -> f64 {
    if t > x[TC][k] {
        x[E0][k] = 0.0;
        x[VO0][k] = 0.0;
        return 0.0;
    }
    let (t1, t2) = (x[TAU1][k] / dt, x[TAU2][k] / dt);
    let (fac, gain, stim) = (x[FAC][k], x[GAIN][k], x[STIM][k]);
    // Unknowns (e, vo, vi), one row per equation of the LINEAR block.
    let mut m = [
        [0.0, -fac, 1.0, v - fac * v],
        [gain, t2 + 1.0, 0.0, t2 * x[VO0][k]],
        [-(2.0 + t1), 0.0, 1.0 + t1, stim + t1 * (x[VI0][k] - x[E0][k])],
    ];
    let [e, vo, vi] = gauss3(&mut m);
    (x[E][k], x[VO][k], x[VI][k]) = (e, vo, vi);
    (vo - v) / x[RSTIM][k]
}

/// Gaussian elimination with partial pivoting of a 3×3 system (augmented rows).
fn gauss3(m: &mut [[f64; 4]; 3]) -> [f64; 3] {
    for c in 0..3 {
        let piv = (c..3).max_by(|&i, &j| m[i][c].abs().total_cmp(&m[j][c].abs())).unwrap();
        m.swap(c, piv);
        let pivot_row = m[c];
        for row in m.iter_mut().skip(c + 1) {
            let f = row[c] / pivot_row[c];
            for (x, p) in row.iter_mut().zip(pivot_row).skip(c) {
                *x -= f * p;
            }
        }
    }
    let mut x = [0.0; 3];
    for r in (0..3).rev() {
        let s: f64 = (r + 1..3).map(|j| m[r][j] * x[j]).sum();
        x[r] = (m[r][3] - s) / m[r][r];
    }
    x
}

impl Kernel for VClamp {
    fn initialize(&mut self, blk: &mut BlockData, _: &mut [Block], nv: &mut NodeView) {
        self.scale = point_scale(&blk.node, nv.area);
        let x = &mut blk.vars;
        for (k, &nd) in blk.node.iter().enumerate() {
            let v = nv.v[nd];
            (x[E0][k], x[VO][k], x[VO0][k], x[VI][k], x[VI0][k], x[E][k]) = (0.0, v, v, v, v, 0.0);
        }
    }

    fn current(&mut self, blk: &mut BlockData, _: &mut [Block], nv: &mut NodeView) {
        if self.scale.len() != blk.len() {
            self.scale = point_scale(&blk.node, nv.area);
        }
        for k in 0..blk.node.len() {
            let nd = blk.node[k];
            command(&mut blk.vars, k, nv.t);
            // NEURON's finite difference: the current at v + 0.001 mV, then at v.
            let i_up = clamp_current(&mut blk.vars, k, nv.v[nd] + 0.001, nv.t, nv.dt);
            let i = clamp_current(&mut blk.vars, k, nv.v[nd], nv.t, nv.dt);
            blk.vars[I][k] = i;
            // Electrode current: positive inward, di/dv enters with the opposite sign.
            nv.rhs[nd] += i * self.scale[k];
            nv.d[nd] -= (i_up - i) / 0.001 * self.scale[k];
        }
    }

    fn advance_state(&mut self, blk: &mut BlockData, _: &mut [Block], nv: &mut NodeView) {
        // update(): the current with the new v, then the clamp's states become the old ones.
        for k in 0..blk.node.len() {
            let i = clamp_current(&mut blk.vars, k, nv.v[blk.node[k]], nv.t, nv.dt);
            let x = &mut blk.vars;
            x[I][k] = i;
            (x[E0][k], x[VO0][k], x[VI0][k]) = (x[E][k], x[VO][k], x[VI][k]);
        }
    }
}
