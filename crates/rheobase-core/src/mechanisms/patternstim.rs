//! `PatternStim`: replays a recorded spike pattern, (time, gid) pairs, into the NetCons that
//! listen to those gids (NEURON's pattern.mod with `ps.play(tvec, gidvec)`). As in NEURON
//! 9.0.2, a spike only reaches gids that have no cell here (gid_connect'ed inputs; its
//! `fake_output` has no effect there), and spikes are sent in batches ahead of their times.

use super::*;

// Variables: fake_output (kept for scripts that set it); hidden: index of the next spike.
const INDEX: usize = 1;

pub fn info() -> MechInfo {
    MechInfo {
        name: "PatternStim",
        kind: MechKind::Artificial,
        vars: vec![
            VarInfo { name: "fake_output", units: "1", default: 0.0, kind: VarKind::Parameter },
            VarInfo { name: "index", units: "1", default: 0.0, kind: VarKind::Internal },
        ],
        ions: vec![],
        globals: vec![],
        electrode_current: false,
        weights: &["w"],
        ion_conc: Vec::new(),
        make_kernel: std::sync::Arc::new(|| Box::new(PatternStim)),
    }
}

struct PatternStim;

/// A batch stops at a spike later than now once more than this many were sent (NEURON's
/// `i > 100` on a 0-based count).
const BATCH: usize = 101;

impl Kernel for PatternStim {
    fn initialize(&mut self, blk: &mut BlockData, _: &mut [Block], _: &mut NodeView) {
        blk.vars[INDEX].fill(0.0);
    }

    fn initial_events(&mut self, blk: &mut BlockData, out: &mut Outbox) {
        for k in 0..blk.len() {
            if !blk.tables[k].is_empty() {
                out.sends.push((0.0, k, 1.0));
            }
        }
    }

    fn current(&mut self, _: &mut BlockData, _: &mut [Block], _: &mut NodeView) {}

    fn advance_state(&mut self, _: &mut BlockData, _: &mut [Block], _: &mut NodeView) {}

    fn net_receive(&mut self, blk: &mut BlockData, k: usize, _: &mut [f64], flag: f64, t: f64, out: &mut Outbox) {
        if flag != 1.0 {
            return;
        }
        // The table holds (time, gid) pairs.
        let pairs = &blk.tables[k];
        let n = pairs.len() / 2;
        let mut index = blk.vars[INDEX][k] as usize;
        let mut sent = 0;
        while index < n {
            out.gid_spikes.push((pairs[2 * index], pairs[2 * index + 1] as i64));
            index += 1;
            sent += 1;
            if sent > BATCH && index < n && t < pairs[2 * index] {
                break;
            }
        }
        blk.vars[INDEX][k] = index as f64;
        if index < n {
            let next = pairs[2 * index];
            if next >= t {
                out.sends.push((t + (next - t), k, 1.0));
            }
        }
    }
}
