//! `IntFire1`: NEURON's simplest integrate-and-fire ARTIFICIAL_CELL (intfire1.mod).
//!
//! The "membrane" m decays with time constant `tau` between inputs and jumps by the weight of
//! each input. m is only brought up to date when an event arrives (m·e^{-(t − t0)/tau}), so the
//! cell costs nothing between events. When an input takes m above 1 the cell fires at that very
//! time, m is set to 2 (a display value) and the cell is refractory for `refrac` ms: a self event
//! with flag 1 ends the refractory period (m = 0), and inputs arriving before it are ignored.
//!
//! `M()`, the decayed m at the current time, is a FUNCTION of the state and `t`: the Python
//! class computes it from the hidden `t0` and `refractory`.

use super::*;

// Variables: tau (ms), refrac (ms), m; hidden: t0 (ms, time m was last brought up to date),
// refractory (0 integrating, 1 refractory).
const TAU: usize = 0;
const REFRAC: usize = 1;
const M: usize = 2;
const T0: usize = 3;
const REFRACTORY: usize = 4;

pub fn info() -> MechInfo {
    let p = |name, units, default| VarInfo { name, units, default, kind: VarKind::Parameter };
    let h = |name, units| VarInfo { name, units, default: 0.0, kind: VarKind::Internal };
    MechInfo {
        name: "IntFire1",
        kind: MechKind::Artificial,
        vars: vec![
            p("tau", "ms", 10.0),
            p("refrac", "ms", 5.0),
            // ASSIGNED in intfire1.mod (MechanismStandard vartype 2), not a STATE.
            VarInfo { name: "m", units: "1", default: 0.0, kind: VarKind::Assigned },
            h("t0", "ms"),
            h("refractory", "1"),
        ],
        ions: vec![],
        globals: vec![],
        electrode_current: false,
        weights: &["w"],
        ion_conc: Vec::new(),
        make_kernel: std::sync::Arc::new(|| Box::new(IntFire1)),
    }
}

struct IntFire1;

impl Kernel for IntFire1 {
    /// INITIAL: m = 0, t0 = t, not refractory. No self event is sent.
    fn initialize(&mut self, blk: &mut BlockData, _: &mut [Block], nv: &mut NodeView) {
        blk.vars[M].fill(0.0);
        blk.vars[T0].fill(nv.t);
        blk.vars[REFRACTORY].fill(0.0);
    }

    fn current(&mut self, _: &mut BlockData, _: &mut [Block], _: &mut NodeView) {}

    fn advance_state(&mut self, _: &mut BlockData, _: &mut [Block], _: &mut NodeView) {}

    fn net_receive(&mut self, blk: &mut BlockData, k: usize, w: &mut [f64], flag: f64, t: f64, out: &mut Outbox) {
        let v = &mut blk.vars;
        if v[REFRACTORY][k] == 0.0 {
            // Any event while excitable is an input, whatever its flag (as in NEURON, where a
            // fake self event of flag 1 sent with nc.event(te, 1) then counts as one too).
            // Self events carry no weights when they were sent from INITIAL: treat as 0.
            let weight = w.first().copied().unwrap_or(0.0);
            let decayed = v[M][k] * hoc_exp(-(t - v[T0][k]) / v[TAU][k]);
            v[T0][k] = t;
            v[M][k] = decayed + weight;
            if v[M][k] > 1.0 {
                v[REFRACTORY][k] = 1.0;
                v[M][k] = 2.0;
                // net_send(refrac, refractory): the flag is the value of `refractory`, i.e. 1.
                out.sends.push((t + v[REFRAC][k], k, v[REFRACTORY][k]));
                // The cell fires at the input's time: no threshold crossing to interpolate.
                out.spikes.push((t, k));
            }
        } else if flag == 1.0 {
            // End of the refractory period: integrate again from m = 0.
            v[T0][k] = t;
            v[REFRACTORY][k] = 0.0;
            v[M][k] = 0.0;
        }
    }
}
