//! `IntFire2`: NEURON's integrate-and-fire ARTIFICIAL_CELL with a synaptic current
//! (intfire2.mod).
//!
//! The synaptic current i relaxes to the bias `ib` with time constant `taus` and jumps by the
//! weight of each input; the membrane m integrates it with time constant `taum`:
//!
//! ```text
//! taus·di/dt + i = ib        (an input of weight w: i += w)
//! taum·dm/dt + m = i         (m reaching 1 fires the cell, then m = 0)
//! ```
//!
//! Both are solved exactly between events. The next firing time is found by Newton's method
//! (`firetime`) and kept as one pending self event of flag 1; every input recomputes it and
//! *moves* that event (`net_move`). The engine has no net_move, so the kernel does it itself:
//! it queues a new self event and remembers the time of the valid one in a hidden variable
//! (`tnext`); a flag-1 event delivered at any other time has been superseded and is ignored.
//!
//! `M()` and `I()`, m and i at the current time, are FUNCTIONs of the state and `t`: the
//! Python class computes them from the hidden `t0`.

use super::*;

// Variables: taus (ms), taum (ms), ib, i, m; hidden: t0 (ms, time i and m were last brought up
// to date), tnext (ms, time of the pending self event; NaN while one is being consumed).
const TAUS: usize = 0;
const TAUM: usize = 1;
const IB: usize = 2;
const I: usize = 3;
const M: usize = 4;
const T0: usize = 5;
const TNEXT: usize = 6;

/// What firetime returns for "never", ms (NEURON's 1e9).
const NEVER_MS: f64 = 1e9;

pub fn info() -> MechInfo {
    let p = |name, units, default| VarInfo { name, units, default, kind: VarKind::Parameter };
    let a = |name| VarInfo { name, units: "1", default: 0.0, kind: VarKind::Assigned };
    let h = |name| VarInfo { name, units: "ms", default: 0.0, kind: VarKind::Internal };
    MechInfo {
        name: "IntFire2",
        kind: MechKind::Artificial,
        vars: vec![
            p("taus", "ms", 20.0),
            p("taum", "ms", 10.0),
            p("ib", "1", 0.0),
            // i and m are ASSIGNED in intfire2.mod (MechanismStandard vartype 2).
            a("i"),
            a("m"),
            h("t0"),
            h("tnext"),
        ],
        ions: vec![],
        globals: vec![],
        electrode_current: false,
        weights: &["w"],
        ion_conc: Vec::new(),
        make_kernel: std::sync::Arc::new(|| Box::new(IntFire2)),
    }
}

struct IntFire2;

/// `firetime(a, b, c)`: the time s (ms) at which m(s) = a + b·e^{-s/taus} + (c − a − b)·e^{-s/taum}
/// first reaches 1, from m(0) = c < 1 (a = ib, b = the decaying part of the current scaled by
/// taus/(taus − taum), c = m now). 1e9 when it never does.
///
/// With x = e^{-s/taum} and r = taum/taus (< 1) this is 1 = a + b·x^r + (c − a − b)·x on 0 < x <= 1,
/// solved by Newton from a start chosen so that it converges to the first crossing. When b is
/// so negative that the slope at x = 1 points out of the domain, NEURON solves in x' = e^{-s/taus}
/// instead: 1 = a + (c − a − b)·x'^{1/r} + b·x'. The branches, start points and operation order
/// are NEURON's, so that spike times agree to the last bit.
fn firetime(a: f64, b: f64, c: f64, taus: f64, taum: f64) -> f64 {
    let r = taum / taus;
    if a <= 1.0 && a + b <= 1.0 {
        // Neither the level m relaxes to (a) nor a + b exceeds 1: m stays below 1.
        NEVER_MS
    } else if a > 1.0 && b <= 0.0 {
        // The asymptote is above 1, so there is exactly one crossing.
        let cab = c - a - b;
        let m = r * b + cab; // slope at x = 1
        if m >= 0.0 {
            -taus * newton1(a, cab, b, 1.0 / r, 0.0).ln()
        } else {
            // Start from where the tangent at x = 1 (value c there) crosses 1.
            let x = (1.0 - c + m) / m;
            if x <= 0.0 {
                -taus * newton1(a, cab, b, 1.0 / r, 0.0).ln()
            } else {
                -taum * newton1(a, b, cab, r, x).ln()
            }
        }
    } else {
        // A crossing exists only if the maximum of the curve lies inside 0 < x < 1 and above 1
        // (NEURON notes cases with the maximum at x > 1, e.g. a=0, b=1.1, c=.9, r=.5).
        let cab = c - a - b;
        let x = (-cab / (r * b)).powf(1.0 / (r - 1.0));
        let f = a + b * x.powf(r) + cab * x;
        if x >= 1.0 || f <= 1.0 {
            NEVER_MS
        } else {
            let m = r * b + cab;
            let x = (1.0 - c + m) / m;
            -taum * newton1(a, b, cab, r, x).ln()
        }
    }
}

/// `newton1(a, b, c, r, x)`: solves 1 = a + b·x^r + c·x by Newton from x, keeping x in (0, 1]
/// (x <= 0 restarts at 1e-4, x > 1 is clamped to 1). Stops when both the step and the residual
/// are within 1e-6, or after 11 iterations (NEURON prints "Intfire2 iter ..." there; this does
/// not print).
fn newton1(a: f64, b: f64, c: f64, r: f64, mut x: f64) -> f64 {
    let mut dx = 1.0f64;
    let mut f = 0.0f64;
    let mut iter = 0;
    while dx.abs() > 1e-6 || (f - 1.0).abs() > 1e-6 {
        f = a + b * x.powf(r) + c * x;
        let df = r * b * x.powf(r - 1.0) + c;
        dx = (1.0 - f) / df;
        x += dx;
        if x <= 0.0 {
            x = 1e-4;
        } else if x > 1.0 {
            x = 1.0;
        }
        iter += 1;
        if iter > 10 {
            f = 1.0;
            dx = 0.0;
        }
    }
    x
}

impl IntFire2 {
    /// Queues the one valid flag-1 self event at `te` (ms): net_send(…, 1) and net_move both
    /// come here; an earlier event still in the queue becomes stale.
    fn schedule(vars: &mut [Vec<f64>], k: usize, te: f64, out: &mut Outbox) {
        vars[TNEXT][k] = te;
        out.sends.push((te, k, 1.0));
    }
}

impl Kernel for IntFire2 {
    /// INITIAL: i = ib, m = 0; taus <= taum is changed to taum + 0.1 (visible afterwards: the
    /// solution needs taus > taum); the first self event at firetime(ib, 0, 0), which is finite
    /// only when the bias alone drives m above 1 (ib > 1).
    fn initialize(&mut self, blk: &mut BlockData, _: &mut [Block], nv: &mut NodeView) {
        let v = &mut blk.vars;
        for k in 0..v[TAUS].len() {
            v[I][k] = v[IB][k];
            v[M][k] = 0.0;
            if v[TAUS][k] <= v[TAUM][k] {
                v[TAUS][k] = v[TAUM][k] + 0.1;
            }
            v[T0][k] = nv.t;
            v[TNEXT][k] = nv.t + firetime(v[IB][k], 0.0, 0.0, v[TAUS][k], v[TAUM][k]);
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
        let v = &mut blk.vars;
        if flag == 1.0 {
            if t != v[TNEXT][k] {
                return; // superseded by a later net_move: NEURON no longer has this event
            }
            // Consumed: a stale duplicate at the same time must not count again.
            v[TNEXT][k] = f64::NAN;
        }
        let (taus, taum, ib) = (v[TAUS][k], v[TAUM][k], v[IB][k]);
        let (i, t0) = (v[I][k], v[T0][k]);
        let f = taus / (taus - taum);
        let x = (i - ib) * hoc_exp(-(t - t0) / taus);
        let mut inew = ib + x;
        if flag == 1.0 {
            // Time to fire: m restarts from 0 and the next crossing is computed from there.
            out.spikes.push((t, k));
            v[M][k] = 0.0;
            let ibf = (inew - ib) * f;
            Self::schedule(v, k, t + firetime(ib, ibf, 0.0, taus, taum), out);
        } else {
            // An input: bring m up to date, add the weight to the current and move the pending
            // firing time (to now if m is already at threshold).
            let m = ib + f * x + (v[M][k] - (ib + (i - ib) * f)) * hoc_exp(-(t - t0) / taum);
            v[M][k] = m;
            inew += w.first().copied().unwrap_or(0.0);
            if m >= 1.0 {
                Self::schedule(v, k, t, out);
            } else {
                let ibf = (inew - ib) * f;
                Self::schedule(v, k, firetime(ib, ibf, m, taus, taum) + t, out);
            }
        }
        v[T0][k] = t;
        v[I][k] = inew;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bias_above_threshold_fires_periodically() {
        // ib = 1.2, defaults: m(s) = 1.2·(1 − e^{-s/10}) reaches 1 at s = 10·ln 6 (NEURON:
        // 17.917594692280552).
        let s = firetime(1.2, 0.0, 0.0, 20.0, 10.0);
        assert_eq!(s, 17.917594692280552);
        assert!((s - 10.0 * 6f64.ln()).abs() < 1e-9);
    }

    #[test]
    fn subthreshold_never_fires() {
        assert_eq!(firetime(0.0, 0.0, 0.0, 20.0, 10.0), NEVER_MS);
        assert_eq!(firetime(0.5, 0.4, 0.2, 20.0, 10.0), NEVER_MS);
        // A current that peaks below threshold.
        assert_eq!(firetime(0.0, 1.2, 0.0, 20.0, 10.0), NEVER_MS);
    }

    #[test]
    fn newton_solves_the_crossing() {
        // i = 3 after an input (b = i·taus/(taus − taum) = 6): m peaks at 1.5 at x = 1/4.
        let (a, b, c, taus, taum) = (0.0, 6.0, 0.0, 20.0, 10.0);
        let s = firetime(a, b, c, taus, taum);
        let m = a + b * (-s / taus).exp() + (c - a - b) * (-s / taum).exp();
        assert!(s > 0.0 && s < NEVER_MS && (m - 1.0).abs() < 1e-6, "s={s} m={m}");
    }
}
