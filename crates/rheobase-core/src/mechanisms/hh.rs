//! `hh`: the Hodgkin–Huxley squid axon channels as NEURON's hh.mod defines them, including its
//! rate TABLE (201 points over −100…100 mV, linear interpolation) used while `usetable_hh` is 1.

use super::*;
use crate::fastmath;

// The kernels unpack the variables by position, in info()'s order (NEURON's psection order).

// Ions, in the order listed in `info().ions`.
const NA: usize = 0;
const K: usize = 1;

const USETABLE: usize = 0;

pub fn info() -> MechInfo {
    let p = |name, units, default| VarInfo { name, units, default, kind: VarKind::Parameter };
    let a = |name, units| VarInfo { name, units, default: 0.0, kind: VarKind::Assigned };
    let s = |name| VarInfo { name, units: "1", default: 0.0, kind: VarKind::State };
    MechInfo {
        name: "hh",
        kind: MechKind::Density,
        vars: vec![
            p("gnabar", "S/cm2", 0.12),
            p("gkbar", "S/cm2", 0.036),
            p("gl", "S/cm2", 0.0003),
            p("el", "mV", -54.3),
            a("gna", "S/cm2"),
            a("gk", "S/cm2"),
            a("il", "mA/cm2"),
            a("minf", "1"),
            a("hinf", "1"),
            a("ninf", "1"),
            a("mtau", "ms"),
            a("htau", "ms"),
            a("ntau", "ms"),
            s("m"),
            s("h"),
            s("n"),
        ],
        ions: vec!["na", "k"],
        globals: vec![GlobalInfo { name: "usetable_hh", default: 1.0, external: false }],
        electrode_current: false,
        weights: &[],
        ion_conc: Vec::new(),
        make_kernel: std::sync::Arc::new(|| Box::new(Hh::default())),
    }
}

/// Steady states and time constants of the three gates at one voltage.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Rates {
    pub minf: f64,
    pub hinf: f64,
    pub ninf: f64,
    pub mtau: f64, // ms
    pub htau: f64, // ms
    pub ntau: f64, // ms
}

/// x/(e^(x/y) − 1), with its limit near x = 0 (hh.mod's vtrap).
fn vtrap(x: f64, y: f64) -> f64 {
    if (x / y).abs() < 1e-6 {
        y * (1.0 - x / y / 2.0)
    } else {
        x / (hoc_exp(x / y) - 1.0)
    }
}

/// hh.mod's `rates(v)` computed exactly (no table).
pub fn exact_rates(v: f64, celsius: f64) -> Rates {
    let q10 = 3f64.powf((celsius - 6.3) / 10.0);
    let alpha = 0.1 * vtrap(-(v + 40.0), 10.0);
    let beta = 4.0 * hoc_exp(-(v + 65.0) / 18.0);
    let sum = alpha + beta;
    let mtau = 1.0 / (q10 * sum);
    let minf = alpha / sum;
    let alpha = 0.07 * hoc_exp(-(v + 65.0) / 20.0);
    let beta = 1.0 / (hoc_exp(-(v + 35.0) / 10.0) + 1.0);
    let sum = alpha + beta;
    let htau = 1.0 / (q10 * sum);
    let hinf = alpha / sum;
    let alpha = 0.01 * vtrap(-(v + 55.0), 10.0);
    let beta = 0.125 * hoc_exp(-(v + 65.0) / 80.0);
    let sum = alpha + beta;
    let ntau = 1.0 / (q10 * sum);
    let ninf = alpha / sum;
    Rates { minf, hinf, ninf, mtau, htau, ntau }
}

const TABLE_VMIN: f64 = -100.0; // mV
const TABLE_VMAX: f64 = 100.0; // mV
const TABLE_INTERVALS: usize = 200;

/// NEURON's TABLE for rates(): values at 201 voltages, rebuilt when celsius changes. Each interval
/// keeps its left values and the differences to the right ones (the same subtraction NEURON does
/// at each lookup, done once), contiguous so that a lookup reads one short run of memory.
#[derive(Debug, Clone)]
pub struct RateTable {
    celsius: f64,
    /// Per interval: [minf, hinf, ninf, mtau, htau, ntau] at its left end, then their increments.
    intervals: Vec<[f64; 12]>,
}

fn as_array(r: &Rates) -> [f64; 6] {
    [r.minf, r.hinf, r.ninf, r.mtau, r.htau, r.ntau]
}

impl RateTable {
    pub fn new(celsius: f64) -> Self {
        let dx = (TABLE_VMAX - TABLE_VMIN) / TABLE_INTERVALS as f64;
        let mut points = Vec::with_capacity(TABLE_INTERVALS + 1);
        let mut x = TABLE_VMIN;
        for _ in 0..=TABLE_INTERVALS {
            points.push(as_array(&exact_rates(x, celsius)));
            x += dx;
        }
        let intervals = points
            .windows(2)
            .map(|w| {
                let mut e = [0.0; 12];
                for q in 0..6 {
                    e[q] = w[0][q];
                    e[6 + q] = w[1][q] - w[0][q];
                }
                e
            })
            .collect();
        RateTable { celsius, intervals }
    }

    /// Linear interpolation, clamped at the ends, as NEURON's generated table lookup does it.
    /// Written without branches so that loops over instances stay tight; at the upper end it
    /// interpolates with weight 1 instead of returning the last point (same value to rounding).
    #[inline(always)]
    pub fn lookup(&self, v: f64) -> Rates {
        let mfac = TABLE_INTERVALS as f64 / (TABLE_VMAX - TABLE_VMIN);
        // clamp keeps NaN, and NaN then propagates through theta, as in NEURON.
        let xi = (mfac * (v - TABLE_VMIN)).clamp(0.0, TABLE_INTERVALS as f64);
        let i = (xi as usize).min(TABLE_INTERVALS - 1);
        let theta = xi - i as f64;
        let e = &self.intervals[i];
        let at = |q: usize| e[q] + theta * e[6 + q];
        Rates { minf: at(0), hinf: at(1), ninf: at(2), mtau: at(3), htau: at(4), ntau: at(5) }
    }
}

#[derive(Default)]
struct Hh {
    table: Option<RateTable>,
    /// v gathered through the node index when instances are not on consecutive nodes (mV).
    v_scratch: Vec<f64>,
}

impl Hh {
    /// rates(v) of every instance into `out`: through the table (rebuilt for a new celsius)
    /// while usetable_hh is 1, else exactly.
    fn rates(&mut self, blk_node: &[usize], contiguous: bool, nv: &NodeView, usetable: bool, out: &mut RateArrays) {
        if !usetable {
            for (k, &nd) in blk_node.iter().enumerate() {
                out.set(k, exact_rates(nv.v[nd], nv.celsius));
            }
            return;
        }
        if self.table.as_ref().is_none_or(|t| t.celsius != nv.celsius) {
            self.table = Some(RateTable::new(nv.celsius));
        }
        let table = self.table.as_ref().unwrap();
        let v = if contiguous {
            let base = blk_node.first().copied().unwrap_or(0);
            &nv.v[base..base + blk_node.len()]
        } else {
            self.v_scratch.clear();
            self.v_scratch.extend(blk_node.iter().map(|&nd| nv.v[nd]));
            &self.v_scratch
        };
        dispatch_lookup(table, v, out);
    }
}

/// cnexp for y' = (yinf − y)/tau over whole arrays: the exact exponential step with frozen
/// coefficients, y += (1 − e^(−dt/tau))·(yinf − y). NEURON's translator writes the same step as
/// y + (1 − e^(b·dt))·(−(yinf/tau)/b − y) with b = −1/tau; the two differ by rounding only
/// (about 1e-16 relative), and this form needs one division instead of three.
#[inline(always)]
fn cnexp_gates(y: &mut [f64], yinf: &[f64], tau: &[f64], dt: f64) {
    for ((y, &yinf), &tau) in y.iter_mut().zip(yinf).zip(tau) {
        *y += (1.0 - fastmath::exp(-dt / tau)) * (yinf - *y);
    }
}

fastmath::avx2_dispatch!(fn advance_gates(y: &mut [f64], yinf: &[f64], tau: &[f64], dt: f64) => cnexp_gates);

/// Everything hh's BREAKPOINT reads and writes, as slices.
struct Currents<'a> {
    gnabar: &'a [f64],
    gkbar: &'a [f64],
    gl: &'a [f64],
    el: &'a [f64],
    gna: &'a mut [f64],
    gk: &'a mut [f64],
    il: &'a mut [f64],
    m: &'a [f64],
    h: &'a [f64],
    n: &'a [f64],
    ena: &'a [f64],
    ek: &'a [f64],
    ina_sum: &'a mut [f64],
    dina_dv: &'a mut [f64],
    ik_sum: &'a mut [f64],
    dik_dv: &'a mut [f64],
    v: &'a [f64],
    rhs: &'a mut [f64],
    d: &'a mut [f64],
}

/// Where instance k lives: through index arrays, or (None) at base + k / at k.
struct Span<'a> {
    node: Option<&'a [usize]>,
    ion_na: Option<&'a [usize]>,
    ion_k: Option<&'a [usize]>,
    base: usize,
    count: usize,
}

#[inline(always)]
fn currents(c: &mut Currents, s: &Span) {
    // Two copies of the loop, so the contiguous one has no index loads and vectorises.
    if s.node.is_none() {
        currents_at::<true>(c, s)
    } else {
        currents_at::<false>(c, s)
    }
}

#[inline(always)]
fn currents_at<const CONTIGUOUS: bool>(c: &mut Currents, s: &Span) {
    let ix = |x: Option<&[usize]>, k: usize| if CONTIGUOUS { k } else { x.unwrap()[k] };
    for k in 0..s.count {
        let nd = if CONTIGUOUS { s.base + k } else { ix(s.node, k) };
        let (ia, ib) = (ix(s.ion_na, k), ix(s.ion_k, k));
        let v = c.v[nd];
        let g_na = c.gnabar[k] * c.m[k] * c.m[k] * c.m[k] * c.h[k];
        let g_k = c.gkbar[k] * c.n[k] * c.n[k] * c.n[k] * c.n[k];
        let g_l = c.gl[k];
        // BREAKPOINT currents. NEURON differentiates them numerically (at v + 0.001 mV); they
        // are linear in v, so the exact derivative is the conductance, which the finite
        // difference reproduces to about 1e-11 relative at a fraction of the cost.
        let ina = g_na * (v - c.ena[ia]);
        let ik = g_k * (v - c.ek[ib]);
        let i_l = g_l * (v - c.el[k]);
        c.gna[k] = g_na;
        c.gk[k] = g_k;
        c.il[k] = i_l;
        c.dina_dv[ia] += g_na;
        c.ina_sum[ia] += ina;
        c.dik_dv[ib] += g_k;
        c.ik_sum[ib] += ik;
        c.rhs[nd] -= ina + ik + i_l;
        c.d[nd] += g_na + g_k + g_l;
    }
}

fastmath::avx2_dispatch!(fn dispatch_currents(c: &mut Currents, s: &Span) => currents);

impl Kernel for Hh {
    fn initialize(&mut self, blk: &mut BlockData, _: &mut [Block], nv: &mut NodeView) {
        let usetable = blk.globals[USETABLE] != 0.0;
        let [_, _, _, _, _, _, _, minf, hinf, ninf, mtau, htau, ntau, m, h, n] = &mut blk.vars[..] else {
            unreachable!()
        };
        self.rates(&blk.node, blk.contiguous, nv, usetable, &mut RateArrays { minf, hinf, ninf, mtau, htau, ntau });
        // INITIAL: the gates start at their steady state.
        m.copy_from_slice(minf);
        h.copy_from_slice(hinf);
        n.copy_from_slice(ninf);
    }

    fn current(&mut self, blk: &mut BlockData, ions: &mut [Block], nv: &mut NodeView) {
        let BlockData { node, vars, ion_block, ion_instance, contiguous, .. } = blk;
        let [na, kb] = ions.get_disjoint_mut([ion_block[NA], ion_block[K]]).expect("distinct ion blocks");
        let [ena, _, _, ina_sum, dina_dv] = &mut na.data.vars[..] else { unreachable!() };
        let [ek, _, _, ik_sum, dik_dv] = &mut kb.data.vars[..] else { unreachable!() };
        let [gnabar, gkbar, gl, el, gna, gk, il, _, _, _, _, _, _, m, h, n] = &mut vars[..] else { unreachable!() };
        let count = node.len();
        let mut c = Currents {
            gnabar,
            gkbar,
            gl,
            el,
            gna,
            gk,
            il,
            m,
            h,
            n,
            ena,
            ek,
            ina_sum,
            dina_dv,
            ik_sum,
            dik_dv,
            v: nv.v,
            rhs: nv.rhs,
            d: nv.d,
        };
        if *contiguous {
            // Same nodes in the same order for hh and its ions: plain slices, which vectorise.
            let base = node.first().copied().unwrap_or(0);
            let span = Span { node: None, ion_na: None, ion_k: None, base, count };
            dispatch_currents(&mut c, &span);
        } else {
            let span = Span {
                node: Some(node),
                ion_na: Some(&ion_instance[NA]),
                ion_k: Some(&ion_instance[K]),
                base: 0,
                count,
            };
            dispatch_currents(&mut c, &span);
        }
    }

    fn advance_state(&mut self, blk: &mut BlockData, _: &mut [Block], nv: &mut NodeView) {
        let usetable = blk.globals[USETABLE] != 0.0;
        let [_, _, _, _, _, _, _, minf, hinf, ninf, mtau, htau, ntau, m, h, n] = &mut blk.vars[..] else {
            unreachable!()
        };
        // Rates at the new v, then the exponential gate steps over contiguous arrays.
        self.rates(&blk.node, blk.contiguous, nv, usetable, &mut RateArrays { minf, hinf, ninf, mtau, htau, ntau });
        advance_gates(m, minf, mtau, nv.dt);
        advance_gates(h, hinf, htau, nv.dt);
        advance_gates(n, ninf, ntau, nv.dt);
    }
}

/// Where the rates of each instance go.
struct RateArrays<'a> {
    minf: &'a mut [f64],
    hinf: &'a mut [f64],
    ninf: &'a mut [f64],
    mtau: &'a mut [f64],
    htau: &'a mut [f64],
    ntau: &'a mut [f64],
}

impl RateArrays<'_> {
    #[inline(always)]
    fn set(&mut self, k: usize, r: Rates) {
        (self.minf[k], self.hinf[k], self.ninf[k]) = (r.minf, r.hinf, r.ninf);
        (self.mtau[k], self.htau[k], self.ntau[k]) = (r.mtau, r.htau, r.ntau);
    }
}

#[inline(always)]
fn lookup_all(table: &RateTable, v: &[f64], out: &mut RateArrays) {
    for (k, &v) in v.iter().enumerate() {
        out.set(k, table.lookup(v));
    }
}

fastmath::avx2_dispatch!(fn dispatch_lookup(table: &RateTable, v: &[f64], out: &mut RateArrays) => lookup_all);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steady_state_at_rest_matches_neuron() {
        // NEURON 9.0.2 after finitialize(-65) at 6.3 °C, table on.
        let r = RateTable::new(6.3).lookup(-65.0);
        assert!((r.minf - 0.052932485).abs() < 1e-9);
        assert!((r.hinf - 0.596120754).abs() < 1e-9);
        assert!((r.ninf - 0.317676914).abs() < 1e-9);
    }

    #[test]
    fn table_interpolates_between_exact_points() {
        let t = RateTable::new(6.3);
        let at_grid = t.lookup(-30.0);
        assert_eq!(at_grid, exact_rates(-30.0, 6.3));
        let mid = t.lookup(-29.5);
        let (a, b) = (exact_rates(-30.0, 6.3), exact_rates(-29.0, 6.3));
        assert!((mid.minf - 0.5 * (a.minf + b.minf)).abs() < 1e-15);
        assert_eq!(t.lookup(-500.0), exact_rates(-100.0, 6.3));
    }
}
