//! NEURON's `sparse` method for KINETIC blocks, on the interpreter.
//!
//! Each Newton iteration runs the block: its rate statements run as usual, and its reactions, fluxes,
//! COMPARTMENTs and CONSERVEs add to a [`System`] M·Δ = F, where F is the compartment-weighted backward-Euler
//! residual vol·(s_old − s)/dt + Σ fluxes and M = −∂F/∂s (mass-action derivatives, rates held fixed); a CONSERVE
//! replaces its row. The rules follow scopmath's `sparse_thread` and `_ss_sparse_thread`.

use super::{solve_dense, Instance, Interpreter};
use crate::ir::*;

/// Newton stops when Σ|Δ| falls to this (scopmath's CONVERGE), after at most MAX_STEPS + 2 solves.
const CONVERGE: f64 = 1e-6;
const MAX_STEPS: usize = 20;

pub(crate) struct System {
    /// Range slot of each row.
    rows: Vec<u32>,
    m: Vec<f64>,
    f: Vec<f64>,
    vol: Vec<f64>,
    conserve: Vec<Conserve>,
}

/// A CONSERVE statement's equation: it replaces row `row` by Σ coef·vol·s = total.
struct Conserve {
    row: usize,
    /// (row of the state, if it is one; its value; coefficient)
    terms: Vec<(Option<usize>, f64, f64)>,
    total: f64,
}

impl System {
    fn row_of(&self, slot: usize) -> Option<usize> {
        self.rows.iter().position(|&r| r as usize == slot)
    }
}

impl Interpreter {
    /// The row of a place's element, if it is one of the system's states.
    fn row(&mut self, p: &Place, fp: usize, inst: &mut Instance) -> Option<usize> {
        let Var::Range(base) = p.var else { return None };
        let i = self.index(p, fp, inst)?;
        self.system.as_ref()?.row_of(base as usize + i)
    }

    pub(super) fn kinetic(&mut self, k: &Kinetic, inst: &mut Instance) {
        if let Some(slopes) = &k.slopes {
            // The fluxes into each state's equation at the current states, over its compartment's volume.
            let sys = self.run_block(k, inst);
            for ((&slot, f), vol) in slopes.iter().zip(sys.f).zip(sys.vol) {
                inst.range[slot as usize] = f / vol;
            }
            return;
        }
        let dt = if k.steady { 1e9 } else { inst.dt };
        if !k.steady {
            self.sparse(k, dt, k.linear, inst);
        } else if k.linear {
            self.sparse(k, dt, false, inst); // scopmath passes the flag inverted here: iterate, clamped
        } else {
            let mut done = false;
            for _ in 0..7 {
                self.sparse(k, dt, true, inst);
                // check_state: states below −1e-6 are set to 0 and the pass is repeated.
                let mut fixed = false;
                for &r in &k.rows {
                    if inst.range[r as usize] < -1e-6 {
                        inst.range[r as usize] = 0.0;
                        fixed = true;
                    }
                }
                if !fixed {
                    self.sparse(k, dt, false, inst);
                    done = true;
                    break;
                }
            }
            if !done {
                self.fault("STEADYSTATE sparse did not find a non-negative steady state".into());
            }
        }
    }

    /// One `sparse_thread` call: Newton from the current states.
    fn sparse(&mut self, k: &Kinetic, dt: f64, linear: bool, inst: &mut Instance) {
        let n = k.rows.len();
        let old: Vec<f64> = k.rows.iter().map(|&r| inst.range[r as usize]).collect();
        let mut err = 1.0;
        let mut j = 0;
        while err > CONVERGE {
            let (mut m, f) = self.build(k, &old, dt, inst);
            let Some(delta) = solve_dense(&mut m, f, n) else {
                self.fault(format!("KINETIC: singular system at t = {}", inst.t));
                break;
            };
            err = 0.0;
            for (&r, d) in k.rows.iter().zip(&delta) {
                let s = &mut inst.range[r as usize];
                *s += d;
                if !linear && *s < 0.0 {
                    *s = 0.0;
                }
                err += d.abs();
            }
            if j > MAX_STEPS {
                self.fault(format!("KINETIC: Newton's method did not converge at t = {}", inst.t));
                break;
            }
            if linear {
                break;
            }
            j += 1;
        }
        // Once more at the new states, so what the block assigns (fluxes, currents) belongs to them.
        self.build(k, &old, dt, inst);
    }

    /// Runs the block at the current states: the mass-action system (M, the fluxes F, the compartment volumes
    /// and the CONSERVE equations, not yet applied).
    fn run_block(&mut self, k: &Kinetic, inst: &mut Instance) -> System {
        let n = k.rows.len();
        self.system = Some(System {
            rows: k.rows.clone(),
            m: vec![0.0; n * n],
            f: vec![0.0; n],
            vol: vec![1.0; n],
            conserve: Vec::new(),
        });
        self.call(k.block, &[], inst);
        self.system.take().expect("set above")
    }

    /// Runs the block to build M and F at the current states.
    fn build(&mut self, k: &Kinetic, old: &[f64], dt: f64, inst: &mut Instance) -> (Vec<f64>, Vec<f64>) {
        let n = k.rows.len();
        let saved_dt = std::mem::replace(&mut inst.dt, dt);
        let mut sys = self.run_block(k, inst);
        inst.dt = saved_dt;
        for (i, (&slot, &old)) in k.rows.iter().zip(old).enumerate() {
            let s = inst.range[slot as usize];
            sys.f[i] += -sys.vol[i] * (s - old) / dt;
            sys.m[i * n + i] += sys.vol[i] / dt;
        }
        for Conserve { row, terms, total } in &sys.conserve {
            sys.m[row * n..(row + 1) * n].fill(0.0);
            let mut f = *total;
            for &(r, value, coef) in terms {
                let vol = r.map_or(1.0, |r| sys.vol[r]);
                f -= coef * vol * value;
                if let Some(r) = r {
                    sys.m[row * n + r] += coef * vol;
                }
            }
            sys.f[*row] = f;
        }
        (sys.m, sys.f)
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn reaction(
        &mut self,
        lhs: &[(Place, u32)],
        rhs: &[(Place, u32)],
        kf: &Expr,
        kb: Option<&Expr>,
        fluxes: (u32, u32),
        fp: usize,
        inst: &mut Instance,
    ) {
        let kf = self.eval(kf, fp, inst);
        let kb = kb.map_or(0.0, |e| self.eval(e, fp, inst));
        let side = |me: &mut Self, s: &[(Place, u32)], inst: &mut Instance| -> Vec<(Option<usize>, f64, u32)> {
            s.iter().map(|(p, c)| (me.row(p, fp, inst), me.load(p, fp, inst), *c)).collect()
        };
        let (l, r) = (side(self, lhs, inst), side(self, rhs, inst));
        let product = |s: &[(Option<usize>, f64, u32)], skip: Option<usize>| {
            s.iter()
                .enumerate()
                .filter(|(i, _)| Some(*i) != skip)
                .map(|(_, (_, x, c))| x.powi(*c as i32))
                .product::<f64>()
        };
        let (f, b) = (kf * product(&l, None), kb * product(&r, None));
        self.stack[fp + fluxes.0 as usize] = f;
        self.stack[fp + fluxes.1 as usize] = b;
        let Some(sys) = self.system.as_mut() else {
            self.fault("a reaction runs only while its KINETIC block is solved".into());
            return;
        };
        let n = sys.rows.len();
        // Flux into each species' row: reactants lose, products gain.
        for &(row, _, c) in &l {
            if let Some(i) = row {
                sys.f[i] -= c as f64 * (f - b);
            }
        }
        for &(row, _, c) in &r {
            if let Some(i) = row {
                sys.f[i] += c as f64 * (f - b);
            }
        }
        // M = −∂F/∂s: the derivative of f by each reactant state and of b by each product state.
        for (side, k, sign) in [(&l, kf, 1.0), (&r, kb, -1.0)] {
            for (j, &(row_j, x, c)) in side.iter().enumerate() {
                let Some(col) = row_j else { continue };
                let d = sign * k * c as f64 * x.powi(c as i32 - 1) * product(side, Some(j));
                for &(row, _, ci) in &l {
                    if let Some(i) = row {
                        sys.m[i * n + col] += ci as f64 * d;
                    }
                }
                for &(row, _, ci) in &r {
                    if let Some(i) = row {
                        sys.m[i * n + col] -= ci as f64 * d;
                    }
                }
            }
        }
    }

    pub(super) fn flux(&mut self, state: &Place, flux: &Expr, fluxes: (u32, u32), fp: usize, inst: &mut Instance) {
        let x = self.eval(flux, fp, inst);
        self.stack[fp + fluxes.0 as usize] = 0.0;
        self.stack[fp + fluxes.1 as usize] = x;
        if let Some(i) = self.row(state, fp, inst) {
            self.system.as_mut().expect("row() found the system").f[i] += x;
        }
    }

    pub(super) fn compartment(
        &mut self,
        index: Option<u32>,
        volume: &Expr,
        states: &[Place],
        fp: usize,
        inst: &mut Instance,
    ) {
        for p in states {
            let Var::Range(base) = p.var else { continue };
            let elements: Vec<usize> = match &p.index {
                Some(_) => self.index(p, fp, inst).into_iter().collect(),
                None => (0..p.len as usize).collect(),
            };
            for e in elements {
                if let Some(slot) = index {
                    self.stack[fp + slot as usize] = e as f64;
                }
                let vol = self.eval(volume, fp, inst);
                if let Some(sys) = self.system.as_mut() {
                    if let Some(i) = sys.row_of(base as usize + e) {
                        sys.vol[i] = vol;
                    }
                }
            }
        }
    }

    pub(super) fn conserve(&mut self, terms: &[(Place, f64)], value: &Expr, fp: usize, inst: &mut Instance) {
        let total = self.eval(value, fp, inst);
        let resolved: Vec<(Option<usize>, f64, f64)> =
            terms.iter().map(|(p, c)| (self.row(p, fp, inst), self.load(p, fp, inst), *c)).collect();
        let Some(sys) = self.system.as_mut() else { return };
        // The equation replaced is the last-named state's that no other CONSERVE took.
        let taken: Vec<usize> = sys.conserve.iter().map(|c| c.row).collect();
        let Some(row) = resolved.iter().rev().filter_map(|t| t.0).find(|r| !taken.contains(r)) else {
            self.fault("CONSERVE names no state whose equation is free".into());
            return;
        };
        sys.conserve.push(Conserve { row, terms: resolved, total });
    }
}
