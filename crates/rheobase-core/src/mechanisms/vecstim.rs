//! `VecStim`: an ARTIFICIAL_CELL that emits a spike at each time of a Vector (`vs.play(tvec)`),
//! as the vecevent.mod that NEURON ships among its examples (and 54 ModelDB models copy): the
//! times are taken in order, each by a self event, so an unsorted Vector plays up to its first
//! decrease as NEURON's does.

use super::*;

// Hidden variables: index of the next time (−1 when exhausted), etime (ms).
const INDEX: usize = 0;
const ETIME: usize = 1;

pub fn info() -> MechInfo {
    let h = |name, units| VarInfo { name, units, default: 0.0, kind: VarKind::Internal };
    MechInfo {
        name: "VecStim",
        kind: MechKind::Artificial,
        vars: vec![h("index", "1"), h("etime", "ms")],
        ions: vec![],
        globals: vec![],
        electrode_current: false,
        weights: &["w"],
        ion_conc: Vec::new(),
        make_kernel: std::sync::Arc::new(|| Box::new(VecStim)),
    }
}

struct VecStim;

/// element(): moves to the next time of the instance's Vector (its table).
fn element(blk: &mut BlockData, k: usize) {
    let i = blk.vars[INDEX][k];
    if i >= 0.0 {
        match blk.tables[k].get(i as usize) {
            Some(&te) => {
                blk.vars[ETIME][k] = te;
                blk.vars[INDEX][k] = i + 1.0;
            }
            None => blk.vars[INDEX][k] = -1.0,
        }
    }
}

impl Kernel for VecStim {
    fn initialize(&mut self, blk: &mut BlockData, _: &mut [Block], _: &mut NodeView) {
        for k in 0..blk.len() {
            blk.vars[INDEX][k] = 0.0;
            element(blk, k);
        }
    }

    fn initial_events(&mut self, blk: &mut BlockData, out: &mut Outbox) {
        for k in 0..blk.len() {
            if blk.vars[INDEX][k] > 0.0 {
                out.sends.push((blk.vars[ETIME][k], k, 1.0));
            }
        }
    }

    fn current(&mut self, _: &mut BlockData, _: &mut [Block], _: &mut NodeView) {}

    fn advance_state(&mut self, _: &mut BlockData, _: &mut [Block], _: &mut NodeView) {}

    fn net_receive(&mut self, blk: &mut BlockData, k: usize, _: &mut [f64], flag: f64, t: f64, out: &mut Outbox) {
        if flag == 1.0 {
            out.spikes.push((t, k));
            element(blk, k);
            if blk.vars[INDEX][k] > 0.0 {
                // net_send(etime − t, 1), rounded as NEURON rounds it.
                out.sends.push((t + (blk.vars[ETIME][k] - t), k, 1.0));
            }
        }
    }
}
