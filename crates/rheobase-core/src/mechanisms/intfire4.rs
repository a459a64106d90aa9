//! `IntFire4`: NEURON's integrate-and-fire ARTIFICIAL_CELL with a fast excitatory current and a
//! slower, alpha-like inhibitory current (intfire4.mod, the van Elburg revision of 9.0.2).
//!
//! ```text
//! dE/dt  = −ke·E                      (excitatory input w > 0: e += w)
//! dI1/dt = −ki1·I1                    (inhibitory input w <= 0: i1 += w)
//! dI2/dt = −ki2·I2 + ai1·I1
//! dM/dt  = −km·M + ae·E + ai2·I2      (k = 1/tau, 1/ms; M > 1 − eps fires, then m = 0)
//! ```
//!
//! All four are advanced analytically from the last event (`newstates`). The factors ae, ai1,
//! ai2 (1/ms) are chosen in INITIAL so that a single weight of 1 gives a peak m of 1 (and −1 for
//! inhibition). The firing time is not solved for: each event schedules a self event at the
//! Newton bound (1 − m)/m′, which never overshoots the true crossing, and the cell fires at the
//! first such event where m > 1 − eps. Inputs move that pending event (`net_move`); the engine has
//! no net_move, so the kernel queues a new self event and remembers the valid one's time in a
//! hidden variable (`tnext`): a flag-1 event delivered at any other time is stale and ignored.
//!
//! `M()`, `E()` and `I()` (m, ae·e and ai2·i2 at the current time) are FUNCTIONs of the state
//! and `t`: the Python class computes them from the hidden rate constants and `t0`.

use super::*;

// Variables: taue, taui1, taui2, taum (ms); e, i1, i2, m; nself, nexcite, ninhibit (counts of
// self, excitatory and inhibitory events); ae, ai1, ai2 (1/ms). Hidden: t0 (ms), ke, ki1, ki2, km
// (1/ms), be, bi1, bi2, a, b (the analytic solution's coefficients), tnext (ms, the pending self
// event; NaN while one is being consumed).
const TAUE: usize = 0;
const TAUI1: usize = 1;
const TAUI2: usize = 2;
const TAUM: usize = 3;
const E: usize = 4;
const I1: usize = 5;
const I2: usize = 6;
const M: usize = 7;
const NSELF: usize = 8;
const NEXCITE: usize = 9;
const NINHIBIT: usize = 10;
const AE: usize = 11;
const AI1: usize = 12;
const AI2: usize = 13;
const T0: usize = 14;
const KE: usize = 15;
const KI1: usize = 16;
const KI2: usize = 17;
const KM: usize = 18;
const BE: usize = 19;
const BI1: usize = 20;
const BI2: usize = 21;
const A: usize = 22;
const B: usize = 23;
const TNEXT: usize = 24;

// Globals: ib_IntFire4 (an unused PARAMETER that is not RANGE, so NEURON makes it a GLOBAL),
// eps_IntFire4 (firing margin), taueps_IntFire4 (ms, the smallest allowed gap between taus).
const EPS: usize = 1;
const TAUEPS: usize = 2;

/// What firetimebound returns for "never", ms (NEURON's 1e9).
const NEVER_MS: f64 = 1e9;

pub fn info() -> MechInfo {
    let p = |name, default| VarInfo { name, units: "ms", default, kind: VarKind::Parameter };
    let a = |name, units| VarInfo { name, units, default: 0.0, kind: VarKind::Assigned };
    let h = |name, units| VarInfo { name, units, default: 0.0, kind: VarKind::Internal };
    MechInfo {
        name: "IntFire4",
        kind: MechKind::Artificial,
        // NEURON's MechanismStandard order: PARAMETERs, then ASSIGNEDs in declaration order.
        vars: vec![
            p("taue", 5.0),
            p("taui1", 10.0),
            p("taui2", 20.0),
            p("taum", 50.0),
            a("e", "1"),
            a("i1", "1"),
            a("i2", "1"),
            a("m", "1"),
            a("nself", "1"),
            a("nexcite", "1"),
            a("ninhibit", "1"),
            a("ae", "1/ms"),
            a("ai1", "1/ms"),
            a("ai2", "1/ms"),
            h("t0", "ms"),
            h("ke", "1/ms"),
            h("ki1", "1/ms"),
            h("ki2", "1/ms"),
            h("km", "1/ms"),
            h("be", "1"),
            h("bi1", "1"),
            h("bi2", "1"),
            h("a", "1"),
            h("b", "1"),
            h("tnext", "ms"),
        ],
        ions: vec![],
        globals: vec![
            GlobalInfo { name: "ib_IntFire4", default: 0.0, external: false },
            GlobalInfo { name: "eps_IntFire4", default: 1e-6, external: false },
            GlobalInfo { name: "taueps_IntFire4", default: 0.01, external: false },
        ],
        electrode_current: false,
        weights: &["w"],
        ion_conc: Vec::new(),
        make_kernel: std::sync::Arc::new(|| Box::new(IntFire4)),
    }
}

struct IntFire4;

/// The rate constants and coefficients of the analytic solution, fixed by INITIAL.
#[derive(Clone, Copy)]
struct Coefficients {
    ke: f64,
    ki1: f64,
    ki2: f64,
    km: f64,
    be: f64,
    bi1: f64,
    bi2: f64,
    a: f64,
    b: f64,
}

/// e, i1, i2, m at one time.
#[derive(Clone, Copy)]
struct States {
    e: f64,
    i1: f64,
    i2: f64,
    m: f64,
}

impl Coefficients {
    /// `newstates(d)`: the states d ms later (exact solution of the linear system).
    fn advance(&self, s: States, d: f64) -> States {
        let ee = hoc_exp(-self.ke * d);
        let ei1 = hoc_exp(-self.ki1 * d);
        let ei2 = hoc_exp(-self.ki2 * d);
        let em = hoc_exp(-self.km * d);
        States {
            e: s.e * ee,
            i1: s.i1 * ei1,
            i2: s.i2 * ei2 + self.bi1 * s.i1 * (ei2 - ei1),
            m: s.m * em + self.be * s.e * (em - ee) + (self.bi2 * s.i2 + self.a * s.i1) * (em - ei2)
                - self.b * s.i1 * (em - ei1),
        }
    }

    /// `deriv(d)`: proportional to dm/dt at d ms after a single i1 input (sign exact while
    /// ki1 > ki2), used to locate the extremum of m.
    fn deriv(&self, d: f64) -> f64 {
        let (km, ki1, ki2) = (self.km, self.ki1, self.ki2);
        (-km * hoc_exp(-d * km) + ki2 * hoc_exp(-d * ki2)) / (ki2 - km)
            - (-km * hoc_exp(-d * km) + ki1 * hoc_exp(-d * ki1)) / (ki1 - km)
    }

    /// `search()`: the time (ms) of the extremum of m after a single i1 input. An exponential
    /// search from 1 ms brackets the sign change of `deriv` within a factor of 10, then
    /// bisection narrows it to 1e-6 ms (NEURON prints an error and gives 1e-9 or 1e9 when no
    /// bracket is found; this does not print).
    fn search(&self) -> f64 {
        let mut t1 = 1.0f64;
        let mut t2 = 0.0f64;
        let mut failed = false;
        // NEURON leaves the result uninitialised when the bisection loop never runs (only for
        // taus far below taueps); 0 here.
        let mut found = 0.0f64;
        if self.deriv(t1) < 0.0 {
            while self.deriv(t1) < 0.0 && t1 > 1e-9 {
                t2 = t1;
                t1 /= 10.0;
            }
            if self.deriv(t1) < 0.0 {
                failed = true;
                found = 1e-9;
            }
        } else {
            t2 = t1;
            while self.deriv(t2) > 0.0 && t2 < 1e9 {
                t1 = t2;
                t2 *= 10.0;
            }
            if self.deriv(t2) > 0.0 {
                failed = true;
                found = 1e9;
            }
        }
        while t2 - t1 > 1e-6 && !failed {
            found = (t1 + t2) / 2.0;
            if self.deriv(found) > 0.0 {
                t1 = found;
            } else {
                t2 = found;
            }
        }
        found
    }
}

/// `fixprecondition()`: nudges (taue, taui1, taui2, taum) in place so that taue < taui2,
/// taui1 < taui2 and no two taus that meet in a denominator are closer than taueps (which would
/// divide by zero, need t·e^{-t} solutions, or converge poorly); first keeps them far enough
/// from 0 that the later shifts cannot reach it. NEURON prints a warning when it swaps taui1 and
/// taui2 or lowers taue below a smaller taui2; this does not print.
fn fix_precondition(tau: &mut [f64; 4], taueps: f64) {
    let [taue, taui1, taui2, taum] = tau;
    if *taui2 < 4.0 * taueps {
        *taui2 = 4.0 * taueps;
    }
    if *taui1 < 3.0 * taueps {
        *taui1 = 3.0 * taueps;
    }
    if *taue < 2.0 * taueps {
        *taue = 2.0 * taueps;
    }
    // taue < taui2
    if *taue > *taui2 || *taui2 - *taue < taueps {
        *taue = *taui2 - taueps;
    }
    // taui1 < taui2; taui2 is final after this
    if *taui1 > *taui2 {
        std::mem::swap(taui1, taui2);
    }
    if *taui2 - *taui1 < taueps {
        *taui1 = *taui2 - taueps;
    }
    if *taum <= *taui2 {
        if *taui2 - *taum < taueps {
            *taum = *taui2 - taueps;
        }
        if (*taui1 - *taum).abs() < taueps {
            *taum = *taui1 - taueps;
        }
        if (*taui1 - *taum).abs() < taueps {
            if *taui1 - *taum < 0.0 {
                *taum = *taui1 - taueps;
            } else {
                *taui1 = *taum - taueps;
            }
        }
        if (*taue - *taum).abs() < taueps {
            if *taue - *taum < 0.0 {
                *taum = *taue - taueps;
            } else {
                *taue = *taum - taueps;
            }
        }
        if (*taui1 - *taum).abs() < taueps {
            *taum = *taui1 - taueps;
        }
    } else if *taum - *taui2 < taueps {
        *taum = *taui2 + taueps;
    }
}

/// `factors()`: the rate constants and the normalisations (ae, ai1, ai2 in 1/ms).
/// ae: a single e of 1 gives a peak m of 1. ai1: a single i1 of 1 gives a peak i2 of 1.
/// ai2: that i2 time course gives a peak m of 1, found numerically (`search`).
fn factors(taue: f64, taui1: f64, taui2: f64, taum: f64) -> (Coefficients, [f64; 3]) {
    let (ke, ki1, ki2, km) = (1.0 / taue, 1.0 / taui1, 1.0 / taui2, 1.0 / taum);

    // Peak of be·(e^{-km·t} − e^{-ke·t}) at tp.
    let tp = (km / ke).ln() / (km - ke);
    let be = 1.0 / (hoc_exp(-km * tp) - hoc_exp(-ke * tp));
    let ae = be * (ke - km);

    // Peak of bi1·(e^{-ki2·t} − e^{-ki1·t}) at tp.
    let tp = (ki2 / ki1).ln() / (ki2 - ki1);
    let bi1 = 1.0 / (hoc_exp(-ki2 * tp) - hoc_exp(-ki1 * tp));
    let ai1 = bi1 * (ki1 - ki2);

    // With bi2 = 1, find the extremum of m after i1 = 1, then rescale so it is 1.
    let mut c = Coefficients { ke, ki1, ki2, km, be, bi1, bi2: 1.0, a: 0.0, b: 0.0 };
    c.a = c.bi2 * bi1;
    c.b = c.a * (ki2 - km) / (ki1 - km);
    let tp = c.search();
    let unit_i1 = States { e: 0.0, i1: 1.0, i2: 0.0, m: 0.0 };
    c.bi2 = 1.0 / c.advance(unit_i1, tp).m;
    let ai2 = c.bi2 * (ki2 - km);
    c.a = c.bi2 * bi1;
    c.b = c.a * (ki2 - km) / (ki1 - km);
    (c, [ae, ai1, ai2])
}

/// One instance's variables, named as in intfire4.mod.
struct Cell<'a> {
    vars: &'a mut [Vec<f64>],
    k: usize,
}

impl Cell<'_> {
    fn get(&self, var: usize) -> f64 {
        self.vars[var][self.k]
    }

    fn set(&mut self, var: usize, x: f64) {
        self.vars[var][self.k] = x;
    }

    fn coefficients(&self) -> Coefficients {
        Coefficients {
            ke: self.get(KE),
            ki1: self.get(KI1),
            ki2: self.get(KI2),
            km: self.get(KM),
            be: self.get(BE),
            bi1: self.get(BI1),
            bi2: self.get(BI2),
            a: self.get(A),
            b: self.get(B),
        }
    }

    fn states(&self) -> States {
        States { e: self.get(E), i1: self.get(I1), i2: self.get(I2), m: self.get(M) }
    }

    fn set_states(&mut self, s: States) {
        self.set(E, s.e);
        self.set(I1, s.i1);
        self.set(I2, s.i2);
        self.set(M, s.m);
    }

    /// `firetimebound()`: ms until m would reach 1 if it kept its present slope
    /// m′ = −km·m + ae·e + ai2·i2; 1e9 if m′ <= 1e-9 (then m provably never reaches 1).
    fn firetime_bound(&self) -> f64 {
        let slope = -self.get(KM) * self.get(M) + self.get(AE) * self.get(E) + self.get(AI2) * self.get(I2);
        if slope <= 1e-9 {
            NEVER_MS
        } else {
            (1.0 - self.get(M)) / slope
        }
    }

    /// Queues the one valid flag-1 self event at `te` (ms): net_send(…, 1) and net_move both
    /// come here; an earlier event still in the queue becomes stale.
    fn schedule(&mut self, te: f64, out: &mut Outbox) {
        self.set(TNEXT, te);
        out.sends.push((te, self.k, 1.0));
    }
}

impl Kernel for IntFire4 {
    /// INITIAL: fixprecondition (the adjusted taus stay visible), factors, all states 0, the
    /// counters 0, and a self event at firetimebound() (1e9 ms: nothing drives m yet).
    fn initialize(&mut self, blk: &mut BlockData, _: &mut [Block], nv: &mut NodeView) {
        let taueps = blk.globals[TAUEPS];
        for k in 0..blk.len() {
            let mut cell = Cell { vars: &mut blk.vars, k };
            let mut tau = [cell.get(TAUE), cell.get(TAUI1), cell.get(TAUI2), cell.get(TAUM)];
            fix_precondition(&mut tau, taueps);
            for (var, x) in [TAUE, TAUI1, TAUI2, TAUM].into_iter().zip(tau) {
                cell.set(var, x);
            }
            let (c, [ae, ai1, ai2]) = factors(tau[0], tau[1], tau[2], tau[3]);
            for (var, x) in [
                (KE, c.ke),
                (KI1, c.ki1),
                (KI2, c.ki2),
                (KM, c.km),
                (BE, c.be),
                (BI1, c.bi1),
                (BI2, c.bi2),
                (A, c.a),
                (B, c.b),
                (AE, ae),
                (AI1, ai1),
                (AI2, ai2),
            ] {
                cell.set(var, x);
            }
            cell.set_states(States { e: 0.0, i1: 0.0, i2: 0.0, m: 0.0 });
            cell.set(T0, nv.t);
            let te = nv.t + cell.firetime_bound();
            cell.set(TNEXT, te);
            cell.set(NSELF, 0.0);
            cell.set(NEXCITE, 0.0);
            cell.set(NINHIBIT, 0.0);
        }
    }

    fn initial_events(&mut self, blk: &mut BlockData, out: &mut Outbox) {
        for k in 0..blk.len() {
            out.sends.push((blk.vars[TNEXT][k], k, 1.0));
        }
    }

    fn current(&mut self, _: &mut BlockData, _: &mut [Block], _: &mut NodeView) {}

    fn advance_state(&mut self, _: &mut BlockData, _: &mut [Block], _: &mut NodeView) {}

    fn net_receive(&mut self, blk: &mut BlockData, k: usize, w: &mut [f64], flag: f64, t: f64, out: &mut Outbox) {
        let eps = blk.globals[EPS];
        let mut cell = Cell { vars: &mut blk.vars, k };
        if flag == 1.0 {
            if t != cell.get(TNEXT) {
                return; // superseded by a later net_move: NEURON no longer has this event
            }
            // Consumed: a stale duplicate at the same time must not count again.
            cell.set(TNEXT, f64::NAN);
        }
        // newstates(t − t0); update()
        let now = cell.coefficients().advance(cell.states(), t - cell.get(T0));
        cell.set_states(now);
        cell.set(T0, t);
        if cell.get(M) > 1.0 - eps {
            out.spikes.push((t, k));
            cell.set(M, 0.0);
        }
        if flag == 1.0 {
            cell.set(NSELF, cell.get(NSELF) + 1.0);
            let te = t + cell.firetime_bound();
            cell.schedule(te, out);
        } else {
            let weight = w.first().copied().unwrap_or(0.0);
            if weight > 0.0 {
                cell.set(NEXCITE, cell.get(NEXCITE) + 1.0);
                cell.set(E, cell.get(E) + weight);
            } else {
                // A weight of 0 counts as inhibitory, as in NEURON.
                cell.set(NINHIBIT, cell.get(NINHIBIT) + 1.0);
                cell.set(I1, cell.get(I1) + weight);
            }
            let te = cell.firetime_bound() + t;
            cell.schedule(te, out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_factors_match_neuron() {
        let mut tau = [5.0, 10.0, 20.0, 50.0];
        fix_precondition(&mut tau, 0.01);
        assert_eq!(tau, [5.0, 10.0, 20.0, 50.0]);
        let (_, [ae, ai1, ai2]) = factors(tau[0], tau[1], tau[2], tau[3]);
        assert_eq!((ae, ai1, ai2), (0.2583099330029768, 0.2, 0.04899307871004155));
    }

    #[test]
    fn normalised_inhibition_peaks_at_one() {
        let (c, _) = factors(5.0, 10.0, 20.0, 50.0);
        let tp = c.search();
        let m = c.advance(States { e: 0.0, i1: 1.0, i2: 0.0, m: 0.0 }, tp).m;
        assert!((m - 1.0).abs() < 1e-12, "{m}");
    }

    #[test]
    fn preconditions_are_enforced() {
        // taui1 > taui2 swaps them; equal taus are pulled taueps apart.
        let mut tau = [5.0, 30.0, 20.0, 50.0];
        fix_precondition(&mut tau, 0.01);
        assert_eq!(tau, [5.0, 20.0, 30.0, 50.0]);
        let mut tau = [20.0, 20.0, 20.0, 20.0];
        fix_precondition(&mut tau, 0.01);
        assert!(tau[0] < tau[2] && tau[1] < tau[2]);
        for (i, j) in [(0, 2), (1, 2), (2, 3), (1, 3), (0, 3)] {
            assert!((tau[i] - tau[j]).abs() >= 0.01 - 1e-12, "{tau:?}");
        }
    }
}
