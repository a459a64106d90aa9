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
        ion_conc: Vec::new(),
        make_kernel: std::sync::Arc::new(|| Box::new(Pas)),
    }
}

struct Pas;

/// i = g·(v − e) over one run of instances on consecutive nodes. Linear in v: di/dv is g exactly
/// (NEURON's finite difference gives g to ~1e-11).
#[inline(always)]
fn leak(g: &[f64], e: &[f64], i: &mut [f64], v: &[f64], rhs: &mut [f64], d: &mut [f64]) {
    let n = g.len();
    let (e, i, v, rhs, d) = (&e[..n], &mut i[..n], &v[..n], &mut rhs[..n], &mut d[..n]);
    for k in 0..n {
        let i_here = g[k] * (v[k] - e[k]);
        i[k] = i_here;
        rhs[k] -= i_here;
        d[k] += g[k];
    }
}

crate::fastmath::avx2_dispatch!(fn leak_current(g: &[f64], e: &[f64], i: &mut [f64], v: &[f64], rhs: &mut [f64], d: &mut [f64]) => leak);

impl Kernel for Pas {
    fn initialize(&mut self, _: &mut BlockData, _: &mut [Block], _: &mut NodeView) {}

    fn current(&mut self, blk: &mut BlockData, _: &mut [Block], nv: &mut NodeView) {
        let [g, e, i] = &mut blk.vars[..] else { unreachable!() };
        for &(k0, n0, len) in &blk.runs {
            let (k, n) = (k0..k0 + len, n0..n0 + len);
            leak_current(
                &g[k.clone()],
                &e[k.clone()],
                &mut i[k],
                &nv.v[n.clone()],
                &mut nv.rhs[n.clone()],
                &mut nv.d[n],
            );
        }
    }

    fn advance_state(&mut self, _: &mut BlockData, _: &mut [Block], _: &mut NodeView) {}
}
