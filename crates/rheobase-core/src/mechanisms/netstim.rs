//! `NetStim`: an ARTIFICIAL_CELL that emits `number` spikes from `start`, `interval` apart, with
//! a fraction `noise` of each interval drawn from a negative exponential (NEURON's netstim.mod,
//! including its self-event protocol: flag 3 from INITIAL, flag 1 per spike, flag 0 external).

use super::*;
use crate::random123;

// Variables: interval (ms), number, start (ms), noise (0..1); hidden: event (ms), on, ispike,
// and the Random123 stream (`random123::STREAM_SLOTS` values from RAN).
const INTERVAL: usize = 0;
const NUMBER: usize = 1;
const START: usize = 2;
const NOISE: usize = 3;
const EVENT: usize = 4;
const ON: usize = 5;
const ISPIKE: usize = 6;
const RAN: usize = 7;

pub fn info() -> MechInfo {
    let p = |name, units, default| VarInfo { name, units, default, kind: VarKind::Parameter };
    let h = |name, units| VarInfo { name, units, default: 0.0, kind: VarKind::Internal };
    MechInfo {
        name: "NetStim",
        kind: MechKind::Artificial,
        vars: vec![
            p("interval", "ms", 10.0),
            p("number", "1", 10.0),
            p("start", "ms", 50.0),
            p("noise", "1", 0.0),
            h("event", "ms"),
            h("on", "1"),
            h("ispike", "1"),
            h("ranvar:id1", "1"),
            h("ranvar:id2", "1"),
            h("ranvar:id3", "1"),
            h("ranvar:seq", "1"),
            h("ranvar:block1", "1"),
            h("ranvar:block2", "1"),
            h("ranvar:block3", "1"),
        ],
        ions: vec![],
        globals: vec![],
        electrode_current: false,
        weights: &["w"],
        ion_conc: Vec::new(),
        make_kernel: std::sync::Arc::new(|| Box::new(NetStim)),
    }
}

struct NetStim;

/// One instance's variables, named as in netstim.mod.
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

    /// invl(mean): the next interval, ms.
    fn invl(&mut self, mean: f64) -> f64 {
        let mean = if mean <= 0.0 { 0.01 } else { mean };
        let noise = self.get(NOISE);
        if noise == 0.0 {
            mean
        } else {
            (1.0 - noise) * mean + noise * mean * self.erand()
        }
    }

    /// This instance's Random123 stream, changed by `f`.
    fn with_stream<T>(&mut self, f: impl FnOnce(&mut [f64; random123::STREAM_SLOTS]) -> T) -> T {
        let mut s = [0.0; random123::STREAM_SLOTS];
        s.iter_mut().enumerate().for_each(|(j, x)| *x = self.get(RAN + j));
        let out = f(&mut s);
        s.iter().enumerate().for_each(|(j, &x)| self.set(RAN + j, x));
        out
    }

    /// A draw from the negative exponential of mean 1, from this instance's Random123 stream.
    fn erand(&mut self) -> f64 {
        -self.with_stream(random123::next_uniform).ln()
    }

    fn init_sequence(&mut self) {
        if self.get(NUMBER) > 0.0 {
            self.set(ON, 1.0);
            self.set(EVENT, 0.0);
            self.set(ISPIKE, 0.0);
        }
    }

    fn next_invl(&mut self) {
        if self.get(NUMBER) > 0.0 {
            let e = self.invl(self.get(INTERVAL));
            self.set(EVENT, e);
        }
        if self.get(ISPIKE) >= self.get(NUMBER) {
            self.set(ON, 0.0);
        }
    }
}

impl Kernel for NetStim {
    fn initialize(&mut self, blk: &mut BlockData, _: &mut [Block], _: &mut NodeView) {
        for k in 0..blk.len() {
            let mut c = Cell { vars: &mut blk.vars, k };
            c.with_stream(|s| random123::set_seq(s, 0));
            c.set(ON, 0.0);
            c.set(ISPIKE, 0.0);
            c.set(NOISE, c.get(NOISE).clamp(0.0, 1.0));
            if c.get(START) >= 0.0 && c.get(NUMBER) > 0.0 {
                c.set(ON, 1.0);
                // The first spike falls on average at start + noise·interval, not before 0.
                let interval = c.get(INTERVAL);
                let first = c.get(START) + c.invl(interval) - interval * (1.0 - c.get(NOISE));
                c.set(EVENT, first.max(0.0));
            }
        }
    }

    fn initial_events(&mut self, blk: &mut BlockData, out: &mut Outbox) {
        for k in 0..blk.len() {
            if blk.vars[ON][k] == 1.0 {
                out.sends.push((blk.vars[EVENT][k], k, 3.0));
            }
        }
    }

    fn current(&mut self, _: &mut BlockData, _: &mut [Block], _: &mut NodeView) {}

    fn advance_state(&mut self, _: &mut BlockData, _: &mut [Block], _: &mut NodeView) {}

    fn net_receive(&mut self, blk: &mut BlockData, k: usize, w: &mut [f64], flag: f64, t: f64, out: &mut Outbox) {
        let mut c = Cell { vars: &mut blk.vars, k };
        if flag == 0.0 {
            if w[0] > 0.0 && c.get(ON) == 0.0 {
                // Turn a sequence on; its first spike comes after the noisy part of an interval.
                c.init_sequence();
                c.next_invl();
                let e = c.get(EVENT) - c.get(INTERVAL) * (1.0 - c.get(NOISE));
                c.set(EVENT, e);
                out.sends.push((t + e, k, 1.0));
            } else if w[0] < 0.0 {
                c.set(ON, 0.0);
            }
        }
        if flag == 3.0 && c.get(ON) == 1.0 {
            c.init_sequence();
            out.sends.push((t, k, 1.0));
        }
        if flag == 1.0 && c.get(ON) == 1.0 {
            c.set(ISPIKE, c.get(ISPIKE) + 1.0);
            out.spikes.push((t, k));
            c.next_invl();
            if c.get(ON) == 1.0 {
                out.sends.push((t + c.get(EVENT), k, 1.0));
            }
        }
    }
}
