//! A cell group: the lowered arrays of some whole cells (flat node arrays, one instance block per
//! mechanism type, their network part and recordings) and NEURON's fixed step on them (see
//! DESIGN.md, "Numerical contract"). Groups share nothing, so they step on separate threads.

use crate::discretise::{passive_leaf_dv, Nodes};
use crate::hines::{self, NO_PARENT};
use crate::mechanisms::{ions, BaPoint, Block, MechKind, NodeView};
use crate::network::Network;
use crate::pointer::{self, PointerCopy};
use crate::recording::{Recorder, Schedule};

/// Where a recorder reads its value.
#[derive(Debug, Clone, Copy)]
pub enum Source {
    Time,
    Node(usize),
    Var { block: usize, var: usize, instance: usize },
}

/// A recording resolved to its storage in a group: (recorder id in the description, where it
/// reads, the recorder while the simulation is lowered; None once removed).
pub type RecorderSlot = (usize, Source, Option<Recorder>);

/// The parts of finitialize: t = 0, plays at 0 and v set (then NEURON's type-0
/// FInitializeHandlers run); INITIAL blocks (then type 1); events due at 0, the currents and the
/// t = 0 record (then type 2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InitPart {
    Start,
    Mechanisms,
    Finish,
}

/// Time and the integration settings the step needs.
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    /// ms
    pub t: f64,
    /// ms
    pub dt: f64,
    /// °C
    pub celsius: f64,
    /// 0: backward Euler; 1: Crank–Nicolson; 2: CN with ion currents corrected.
    pub secondorder: i32,
}

pub struct Group {
    pub nodes: Nodes,
    /// mV
    pub v: Vec<f64>,
    pub rhs: Vec<f64>,
    pub d: Vec<f64>,
    /// Scratch for the solver.
    pub inv_d: Vec<f64>,
    /// [`Nodes::axial_diagonal`], S/cm².
    pub d_axial: Vec<f64>,
    /// [`hines::independent_runs`] of the solved nodes (their levels).
    pub solve_runs: Vec<(usize, usize)>,
    /// The solved nodes form one unbranched cable (node i's parent is i − 1): solve it from
    /// both ends at once.
    pub path: bool,
    /// In registry order: ion blocks precede every mechanism that uses them.
    pub blocks: Vec<Block>,
    pub recorders: Vec<RecorderSlot>,
    pub network: Network,
    /// POINTER variables, sorted (`pointer::sort`).
    pub pointers: Vec<PointerCopy>,
    /// Whether some kernel has (BEFORE/AFTER blocks, WATCHes, LONGITUDINAL_DIFFUSION): found at the first step.
    pub hooks: Option<(bool, bool, bool)>,
    /// While finitialize computes the currents (`NodeView::initializing`).
    pub initializing: bool,
}

impl Group {
    fn view(&mut self, t: f64, c: &Clock) -> (NodeView<'_>, &mut Vec<Block>) {
        let nv = NodeView {
            v: &self.v,
            rhs: &mut self.rhs,
            d: &mut self.d,
            area: &self.nodes.area_um2,
            diam: &self.nodes.diam_um,
            t,
            dt: c.dt,
            celsius: c.celsius,
            initializing: self.initializing,
        };
        (nv, &mut self.blocks)
    }

    /// Calls `f` on every block with the blocks before it (ions) available.
    fn each_block(&mut self, t: f64, c: &Clock, f: impl Fn(&mut Block, &mut [Block], &mut NodeView)) {
        let all = std::mem::take(&mut self.pointers);
        for k in 0..self.blocks.len() {
            let pointers = pointer::of_block(&all, k);
            pointer::copy_in(pointers, &mut self.blocks, &self.v);
            let (mut nv, blocks) = self.view(t, c);
            let (before, rest) = blocks.split_at_mut(k);
            f(&mut rest[0], before, &mut nv);
            pointer::copy_out(pointers, &mut self.blocks, &mut self.v);
        }
        self.pointers = all;
    }

    fn hooks(&mut self) -> (bool, bool, bool) {
        let blocks = &self.blocks;
        *self.hooks.get_or_insert_with(|| {
            (
                blocks.iter().any(|b| b.kernel.has_before_after()),
                blocks.iter().any(|b| b.kernel.has_watches()),
                blocks.iter().any(|b| b.neighbours.is_some()),
            )
        })
    }

    /// LONGITUDINAL_DIFFUSION, after every mechanism's states (NEURON's nonvint): each diffusing state of each
    /// mechanism, one implicit step of dt over its instances.
    fn diffuse(&mut self, t: f64, c: &Clock) {
        if !self.hooks().2 {
            return;
        }
        self.each_block(t, c, |b, ions, nv| {
            if let Some(nb) = &b.neighbours {
                b.kernel.diffusion_terms(&mut b.data, ions, nv);
                for &(state, dc, vol) in b.kernel.diffusing() {
                    let mut x = std::mem::take(&mut b.data.vars[state]);
                    nb.step(&mut x, &b.data.vars[dc], &b.data.vars[vol], nv.dt);
                    b.data.vars[state] = x;
                }
            }
        });
    }

    /// Every mechanism's BEFORE/AFTER blocks of point `at`.
    fn before_after(&mut self, at: BaPoint, t: f64, c: &Clock) {
        if !self.hooks().0 {
            return;
        }
        self.each_block(t, c, |b, ions, nv| b.kernel.before_after(at, &mut b.data, ions, nv));
    }

    /// rhs and d of the tree matrix for a step of size dt (NEURON's setup_tree_matrix): the
    /// capacitance and the constant axial part of the diagonal, every mechanism's current and
    /// conductance, then (for the cable solve; the tree solve does it in its own pass) the axial
    /// currents. (NEURON sums in another order; the results differ by rounding only.)
    fn setup_matrix(&mut self, t: f64, c: &Clock) {
        let cj = if c.secondorder > 0 { 2.0 / c.dt } else { 1.0 / c.dt };
        let cfac = 0.001 * cj;
        for (((d, rhs), &cm), &dax) in
            self.d.iter_mut().zip(&mut self.rhs).zip(&self.nodes.cm_uf_cm2).zip(&self.d_axial)
        {
            *d = cfac * cm + dax;
            *rhs = 0.0;
        }
        self.before_after(BaPoint::BeforeBreakpoint, t, c);
        self.each_block(t, c, |b, ions, nv| b.kernel.current(&mut b.data, ions, nv));
        if !self.path {
            return; // the tree solve adds the axial currents on its way
        }
        let nd = &self.nodes;
        // Passive leaves (beyond `solved`) are left out: their terms cancel in the solve.
        let m = nd.solved;
        let (parent, a, b, v) = (&nd.parent[..m], &nd.a[..m], &nd.b[..m], &self.v[..]);
        let rhs = &mut self.rhs[..];
        for i in 0..m {
            let p = parent[i];
            if p != NO_PARENT {
                let dv = v[p] - v[i];
                rhs[i] -= b[i] * dv;
                rhs[p] += a[i] * dv;
            }
        }
    }

    /// One part of finitialize (NEURON's order; FInitializeHandlers run between the parts).
    pub fn initialize(&mut self, c: &mut Clock, part: InitPart, v_init: Option<f64>) {
        let t = c.t;
        match part {
            InitPart::Start => {
                // Plays take their t = 0 values, then v is set.
                self.network.reset(c.dt);
                self.network.play_continuous(t, &mut self.blocks, &mut self.v);
                self.network.deliver(t, &mut self.blocks, &mut self.v, &self.pointers);
                if let Some(v) = v_init {
                    self.v.fill(v);
                }
            }
            InitPart::Mechanisms => {
                self.before_after(BaPoint::BeforeInitial, t, c);
                self.each_block(t, c, |b, ions, nv| b.kernel.initialize(&mut b.data, ions, nv));
                self.network.initial_events(&mut self.blocks);
                self.before_after(BaPoint::AfterInitial, t, c);
            }
            InitPart::Finish => {
                // Events due at t = 0 (NetStim with start 0, delay 0) act before the t = 0 sample.
                self.network.deliver(t, &mut self.blocks, &mut self.v, &self.pointers);
                self.initializing = true;
                self.setup_matrix(t, c);
                self.initializing = false;
                self.before_after(BaPoint::BeforeStep, t, c);
                for (_, _, r) in &mut self.recorders {
                    if let Some(r) = r {
                        r.restart();
                    }
                }
                self.record(c, true, c.t, c.t);
            }
        }
    }

    /// One fixed step of dt (NEURON's fadvance).
    pub fn step(&mut self, c: &mut Clock) {
        let t_start = c.t;
        self.network.check_thresholds(&self.v, t_start);
        if self.hooks().1 {
            self.network.check_watches(&mut self.blocks, t_start);
        }
        self.network.deliver(t_start + 0.5 * c.dt, &mut self.blocks, &mut self.v, &self.pointers);
        self.record(c, false, t_start + 0.5 * c.dt, t_start);
        c.t += 0.5 * c.dt;
        let t_mid = c.t;
        self.network.play_continuous(t_mid, &mut self.blocks, &mut self.v);
        self.setup_matrix(t_mid, c);
        let nd = &self.nodes;
        let m = nd.solved;
        if self.path {
            hines::solve_path(&nd.a[..m], &nd.b[..m], &mut self.d[..m], &mut self.rhs[..m]);
        } else {
            let v = Some(&self.v[..]);
            hines::solve(
                &nd.parent[..m],
                &self.solve_runs,
                &nd.a,
                &nd.b,
                v,
                &mut self.d,
                &mut self.rhs,
                &mut self.inv_d,
            );
        }
        for i in m..nd.parent.len() {
            let p = nd.parent[i];
            self.rhs[i] = passive_leaf_dv(self.v[i], self.v[p], self.rhs[p]);
        }
        if c.secondorder == 2 {
            self.correct_ion_currents();
        }
        let factor = if c.secondorder > 0 { 2.0 } else { 1.0 };
        for (v, dv) in self.v.iter_mut().zip(&self.rhs) {
            *v += factor * dv;
        }
        c.t += 0.5 * c.dt;
        let t = c.t;
        self.network.play_continuous(t, &mut self.blocks, &mut self.v);
        self.each_block(t, c, |b, ions, nv| b.kernel.advance_state(&mut b.data, ions, nv));
        self.diffuse(t, c);
        self.before_after(BaPoint::AfterSolve, t, c);
        self.before_after(BaPoint::BeforeStep, t, c);
        self.record(c, true, t, t_start);
        // Events due by the new t act now; those up to t + dt/2 wait for the next step's start.
        self.network.deliver(t, &mut self.blocks, &mut self.v, &self.pointers);
    }

    /// secondorder 2: ion currents move to the step midpoint, i += di/dv · Δv.
    fn correct_ion_currents(&mut self) {
        for b in &mut self.blocks {
            if crate::mechanisms::info(b.data.mech).kind != MechKind::Ion {
                continue;
            }
            let (vars, node) = (&mut b.data.vars, &b.data.node);
            for k in 0..node.len() {
                vars[ions::I][k] += vars[ions::DIDV][k] * self.rhs[node[k]];
            }
        }
    }

    pub fn read(&self, s: Source, t: f64) -> f64 {
        match s {
            Source::Time => t,
            Source::Node(i) => self.v[i],
            Source::Var { block, var, instance } => self.blocks[block].data.vars[var][instance],
        }
    }

    /// Samples every-step recorders (`every_step`) and the timed samples due by `limit` (ms),
    /// from the state at c.t. `t_before` is the time a sample-time recording of t stores: at the
    /// end of a step NEURON's global t still holds the step's start.
    fn record(&mut self, c: &Clock, every_step: bool, limit: f64, t_before: f64) {
        let mut slots = std::mem::take(&mut self.recorders);
        for (_, s, rec) in &mut slots {
            let (s, Some(rec)) = (*s, rec.as_mut()) else { continue };
            if rec.schedule == Schedule::EveryStep {
                if every_step {
                    rec.push(self.read(s, c.t));
                }
                continue;
            }
            while let Some(te) = rec.next_time().filter(|&te| te <= limit) {
                let value = match (s, &rec.schedule) {
                    (Source::Time, Schedule::Interval(_)) => te,
                    (Source::Time, _) => t_before,
                    _ => self.read(s, c.t),
                };
                rec.push(value);
            }
        }
        self.recorders = slots;
    }
}
