//! SOLVE statements: a DERIVATIVE block becomes the statements of its integration method.
//!
//! * `cnexp` (NEURON's translator, for HH-style gates): each `x' = f` is linear in x, f = a + b·x, and becomes
//!   x = x + (1 − exp(dt·b))·(−a/b − x) in place (x = x + dt·f when f does not depend on x). b is f's symbolic
//!   derivative and a is f at x = 0, both simplified the way nocmodl writes them, so the update is NEURON's to
//!   the last bits. An equation that is not linear in its state makes nocmodl produce wrong numbers silently;
//!   rheobase solves such a block with `derivimplicit` instead and warns.
//! * `derivimplicit` (also rheobase's when no METHOD is given, with a warning: NEURON 9's fixed step then leaves
//!   the states as they are): backward Euler by Newton's method ([`Stmt::Implicit`]).
//! * `euler`: x = x + dt·f(x_old) for all states at once.
//! * `runge`: scopmath's classical Runge–Kutta (4 evaluations, t at t, t + dt/2, t + dt/2, t + dt with v held;
//!   t restored), then the block once more at the new states, as nocmodl appends it.
//! * A KINETIC block: `sparse` (see `Kinetic`), or `euler` / `runge` on its derivative form.
//!
//! The last three evaluate the block as a function that stores f of each state in a hidden slot `Dx`.

use super::{Lowerer, Name};
use crate::ast::{self, BlockKind, StmtKind};
use crate::ir::*;
use std::collections::HashMap;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Cnexp,
    Slopes,
}

/// x = x + dt·f(x_old) for every state at once: `deriv` stores f of `states[k]` in `slopes[k]`.
fn euler(deriv: usize, states: Vec<Place>, slopes: Vec<Place>) -> Vec<Stmt> {
    let mut out = vec![Stmt::Call(deriv, Vec::new())];
    for (x, dx) in states.into_iter().zip(slopes) {
        let step = Expr::bin(BinOp::Mul, Expr::get(Var::Dt), Expr::Get(dx));
        out.push(Stmt::Set(x.clone(), Expr::bin(BinOp::Add, Expr::Get(x), step)));
    }
    out
}

impl Lowerer<'_> {
    pub(super) fn solve(
        &mut self,
        block: &ast::Ident,
        method: Option<&ast::Ident>,
        steadystate: Option<&ast::Ident>,
    ) -> Vec<Stmt> {
        if let Some(Name::Func(id)) = self.names.get(&block.name).copied() {
            return vec![Stmt::Call(id, Vec::new())]; // SOLVE of a PROCEDURE: called once per step
        }
        let kinetic = self.ast.blocks.iter().find_map(|b| match &b.kind {
            BlockKind::Kinetic { name, body, .. } if name.name == block.name => Some(body),
            _ => None,
        });
        if let Some(body) = kinetic {
            let m = steadystate.or(method);
            return match m.map_or("sparse", |m| m.name.as_str()) {
                "sparse" => self.kinetic(&block.name, body, steadystate.is_some()).into_iter().collect(),
                explicit @ ("euler" | "runge") if steadystate.is_none() => {
                    self.explicit_kinetic(block, body, explicit == "runge")
                }
                other => {
                    let span = m.map_or(&block.span, |m| &m.span);
                    self.error(span, format!("METHOD {other} can't be used with the KINETIC block `{}` (NEURON takes sparse, euler or runge; STEADYSTATE sparse)", block.name));
                    Vec::new()
                }
            };
        }
        let algebraic = self.ast.blocks.iter().find_map(|b| match &b.kind {
            BlockKind::Linear { name, body, .. } | BlockKind::NonLinear { name, body, .. }
                if name.name == block.name =>
            {
                Some(body)
            }
            _ => None,
        });
        if let Some(body) = algebraic {
            return self.algebraic(block, body);
        }
        let body = self.ast.blocks.iter().find_map(|b| match &b.kind {
            BlockKind::Derivative { name, body } if name.name == block.name => Some(body),
            _ => None,
        });
        let Some(body) = body else {
            return Vec::new(); // LINEAR / NONLINEAR: reported as unsupported by `run`
        };
        if let Some(ss) = steadystate {
            return self.derivative_steady_state(block, body, ss);
        }
        if method.is_none() {
            self.warn(
                &block.span,
                format!(
                    "SOLVE `{}` without a METHOD: NEURON 9 leaves its states unchanged in fixed steps (nocmodl sets up \
                     no solver for it); rheobase integrates it with derivimplicit",
                    block.name
                ),
            );
        }
        let method_name = method.map_or("derivimplicit", |m| m.name.as_str());
        match method_name {
            "cnexp" => {
                if let Some(id) = self.derivative(&block.name, body, Mode::Cnexp) {
                    return vec![Stmt::Call(id, Vec::new())];
                }
                self.warn(
                    &block.span,
                    format!(
                        "`{}` is not linear in its states, which METHOD cnexp requires (NEURON would integrate it \
                         wrongly): it is solved with derivimplicit",
                        block.name
                    ),
                );
                self.implicit(block, body, None)
            }
            "derivimplicit" => self.implicit(block, body, None),
            "euler" => {
                let Some(deriv) = self.derivative(&block.name, body, Mode::Slopes) else { return Vec::new() };
                let (states, slopes) = self.solved_states(body);
                euler(deriv, states, slopes)
            }
            "runge" => {
                let Some(deriv) = self.derivative(&block.name, body, Mode::Slopes) else { return Vec::new() };
                let (states, slopes) = self.solved_states(body);
                self.runge(deriv, &states, &slopes)
            }
            other => {
                let span = method.map_or(block.span.clone(), |m| m.span.clone());
                self.unsupported(
                    &span,
                    format!("METHOD {other} is not supported yet (cnexp, derivimplicit, euler, runge are)"),
                );
                Vec::new()
            }
        }
    }

    /// scopmath's `runge` as nocmodl calls it, in its order of operations: with h = dt and f the block (which
    /// stores the slopes), k1 = f(t, y0); y = y0 + h/2·k1, acc = y0 + h/6·k1; t += h/2; k2 = f; y = y0 + h/2·k2,
    /// acc += h/3·k2; k3 = f; y = y0 + h·k3, acc += h/3·k3; t += h/2; k4 = f; y = acc + h/6·k4; t back; then f once
    /// more at the new states.
    /// METHOD euler or runge of a KINETIC block: nocmodl turns the scheme into the derivative form (each state's
    /// rate of change: its fluxes over its compartment's volume; CONSERVE ignored, as nocmodl warns) and integrates
    /// that as it would a DERIVATIVE block.
    fn explicit_kinetic(&mut self, block: &ast::Ident, body: &ast::StmtBlock, runge: bool) -> Vec<Stmt> {
        let Some(Stmt::Kinetic(mut k)) = self.kinetic(&block.name, body, false) else { return Vec::new() };
        let n = k.rows.len() as u32;
        let first = self.add_range(&format!("<{} slopes>", block.name), "", 0.0, SlotKind::Hidden, n);
        let slopes: Vec<u32> = (first..first + n).collect();
        let places = |slots: &[u32]| slots.iter().map(|&r| Place::scalar(Var::Range(r))).collect::<Vec<_>>();
        let (states, slope_places) = (places(&k.rows), places(&slopes));
        k.slopes = Some(slopes);
        self.funcs.push(Func {
            name: format!("{}<slopes>", block.name),
            params: 0,
            frame: 0,
            result: None,
            body: vec![Stmt::Kinetic(k)],
            table: None,
        });
        let deriv = self.funcs.len() - 1;
        if runge {
            self.runge(deriv, &states, &slope_places)
        } else {
            euler(deriv, states, slope_places)
        }
    }

    fn runge(&mut self, deriv: usize, states: &[Place], slopes: &[Place]) -> Vec<Stmt> {
        let local = |l: &mut Self| Place::scalar(Var::Local(l.scratch()));
        let num = Expr::Num;
        let (y0, acc): (Vec<Place>, Vec<Place>) = states.iter().map(|_| (local(self), local(self))).unzip();
        let t0 = local(self);
        let mut out = vec![Stmt::Set(t0.clone(), Expr::get(Var::T))];
        out.extend(states.iter().zip(&y0).map(|(y, y0)| Stmt::Set(y0.clone(), Expr::Get(y.clone()))));
        // y = y0 + a·h·k and acc = (acc or y0) + b·h·k for every state, k the slopes just computed.
        let stage = |out: &mut Vec<Stmt>, a: f64, b: f64, first: bool| {
            out.push(Stmt::Call(deriv, Vec::new()));
            for (((y, y0), acc), k) in states.iter().zip(&y0).zip(&acc).zip(slopes) {
                let hk = |c: f64| {
                    Expr::bin(BinOp::Mul, Expr::bin(BinOp::Mul, num(c), Expr::get(Var::Dt)), Expr::Get(k.clone()))
                };
                let from = if first { y0 } else { acc };
                out.push(Stmt::Set(acc.clone(), Expr::bin(BinOp::Add, Expr::Get(from.clone()), hk(b))));
                if a > 0.0 {
                    out.push(Stmt::Set(y.clone(), Expr::bin(BinOp::Add, Expr::Get(y0.clone()), hk(a))));
                }
            }
        };
        let advance = |out: &mut Vec<Stmt>| {
            let half = Expr::bin(BinOp::Mul, num(0.5), Expr::get(Var::Dt));
            out.push(Stmt::Set(Place::scalar(Var::T), Expr::bin(BinOp::Add, Expr::get(Var::T), half)));
        };
        stage(&mut out, 0.5, 1.0 / 6.0, true);
        advance(&mut out);
        stage(&mut out, 0.5, 1.0 / 3.0, false);
        stage(&mut out, 1.0, 1.0 / 3.0, false);
        advance(&mut out);
        stage(&mut out, 0.0, 1.0 / 6.0, false);
        out.extend(states.iter().zip(&acc).map(|(y, acc)| Stmt::Set(y.clone(), Expr::Get(acc.clone()))));
        out.push(Stmt::Set(Place::scalar(Var::T), Expr::Get(t0)));
        out.push(Stmt::Call(deriv, Vec::new()));
        out
    }

    /// SOLVE of a LINEAR or NONLINEAR block: its equations `~ lhs = rhs` in the STATEs they name, solved by Newton's
    /// method (one step for a linear system, to rounding) each time the SOLVE runs, from the states' current values.
    fn algebraic(&mut self, block: &ast::Ident, body: &ast::StmtBlock) -> Vec<Stmt> {
        /// The STATEs the equations name: (first slot, elements), whole arrays for array states.
        struct States<'a>(&'a [RangeSlot], Vec<(u32, u32)>);
        impl Visitor for States<'_> {
            fn place(&mut self, p: &Place) {
                if let Var::Range(s) = p.var {
                    if self.0[s as usize].kind == SlotKind::State && !self.1.iter().any(|&(at, _)| at == s) {
                        self.1.push((s, p.len));
                    }
                }
            }
        }
        // The equations' residuals go to a hidden array, each `~` to the next element (a loop may state several):
        // as many elements as the mechanism has state elements, the most a system can have unknowns.
        let most = self.range.iter().filter(|r| r.kind == SlotKind::State).count().max(1) as u32;
        let residuals = self.add_range(&format!("<{} residuals>", block.name), "", 0.0, SlotKind::Hidden, most);
        let saved_scopes = std::mem::take(&mut self.scopes);
        let saved_frame = std::mem::replace(&mut self.frame, 0);
        let mut equations = Vec::new();
        self.push_scope();
        let count = Place::scalar(Var::Local(self.scratch()));
        let next = Place { var: Var::Range(residuals), index: Some(Box::new(Expr::Get(count.clone()))), len: most };
        let mut stmts = vec![Stmt::Set(count.clone(), Expr::Num(0.0))];
        stmts.extend(self.block_with(body, &mut |l, s, out| {
            let StmtKind::Equation { lhs, rhs } = &s.kind else { return false };
            let value = Expr::bin(BinOp::Sub, l.expr(lhs), l.expr(rhs));
            equations.push(value.clone());
            out.push(Stmt::Set(next.clone(), value));
            out.push(Stmt::Set(count.clone(), Expr::bin(BinOp::Add, Expr::Get(count.clone()), Expr::Num(1.0))));
            true
        }));
        self.pop_scope();
        let frame = std::mem::replace(&mut self.frame, saved_frame);
        self.scopes = saved_scopes;
        let mut states = States(&self.range, Vec::new());
        equations.iter().for_each(|e| visit_expr(e, &mut states));
        let unknowns: Vec<u32> = states.1.iter().flat_map(|&(at, len)| at..at + len).collect();
        // Equations in loops or IFs are counted as they run (too many is an index fault); the others here.
        if !conditional_equations(&body.stmts, false) && unknowns.len() != equations.len() {
            self.error(
                &block.span,
                format!(
                    "`{}` has {} equations in {} STATE values: they must be as many",
                    block.name,
                    equations.len(),
                    unknowns.len()
                ),
            );
            return Vec::new();
        }
        self.funcs.push(Func {
            name: format!("{}<residuals>", block.name),
            params: 0,
            frame,
            result: None,
            body: stmts,
            table: None,
        });
        let deriv = self.funcs.len() - 1;
        let slots = |first: u32, n: usize| (first..first + n as u32).map(|s| Place::scalar(Var::Range(s))).collect();
        let slopes = slots(residuals, unknowns.len());
        let states = unknowns.iter().map(|&s| Place::scalar(Var::Range(s))).collect();
        vec![Stmt::Implicit(Implicit { deriv, states, slopes, backward_euler: false, dt: None })]
    }

    /// Backward Euler over the step's dt, or over `dt` ms.
    fn implicit(&mut self, block: &ast::Ident, body: &ast::StmtBlock, dt: Option<f64>) -> Vec<Stmt> {
        let Some(deriv) = self.derivative(&block.name, body, Mode::Slopes) else { return Vec::new() };
        let (states, slopes) = self.solved_states(body);
        vec![Stmt::Implicit(Implicit { deriv, states, slopes, backward_euler: true, dt })]
    }

    /// `SOLVE block STEADYSTATE derivimplicit` (in INITIAL), with nocmodl's rule that every SOLVE of the block
    /// uses derivimplicit. NEURON 9's `_ss_derivimplicit_thread` (scopmath/ssimplic_thread.hpp) sets dt to 1e-9
    /// ms where its older non-thread version set 1e9, so what NEURON computes is one backward-Euler step of
    /// 1e-9 ms, which leaves the states almost where INITIAL put them. rheobase computes the same.
    fn derivative_steady_state(&mut self, block: &ast::Ident, body: &ast::StmtBlock, ss: &ast::Ident) -> Vec<Stmt> {
        if ss.name != "derivimplicit" {
            self.error(
                &ss.span,
                format!("STEADYSTATE of the DERIVATIVE block `{}` takes derivimplicit, not {}", block.name, ss.name),
            );
            return Vec::new();
        }
        let other =
            self.m.solves.iter().find(|s| {
                s.block == block.name && s.steadystate.is_none() && s.method.as_deref() != Some("derivimplicit")
            });
        if let Some(other) = other {
            let method = other.method.as_deref().unwrap_or("no METHOD");
            self.error(
                &ss.span,
                format!(
                    "STEADYSTATE requires every SOLVE of `{}` to use METHOD derivimplicit (another uses {method})",
                    block.name
                ),
            );
            return Vec::new();
        }
        self.implicit(block, body, Some(1e-9))
    }

    /// Every element of every state the block differentiates, with its slope slot.
    fn solved_states(&mut self, body: &ast::StmtBlock) -> (Vec<Place>, Vec<Place>) {
        let mut names = Vec::new();
        collect_derivatives(&body.stmts, &mut names);
        let (mut states, mut slopes) = (Vec::new(), Vec::new());
        for n in names {
            let (Some(Name::Storage(var, len)), Some(Name::Storage(dvar, _))) =
                (self.names.get(&n).copied(), self.names.get(&format!("D{n}")).copied())
            else {
                continue;
            };
            for k in 0..len {
                let at = |v: Var| {
                    if len == 1 {
                        Place::scalar(v)
                    } else {
                        Place { var: v, index: Some(Box::new(Expr::Num(k as f64))), len }
                    }
                };
                states.push(at(var));
                slopes.push(at(dvar));
            }
        }
        (states, slopes)
    }

    /// Lowers a DERIVATIVE block into a function of its own; None when `Cnexp` meets a nonlinear equation.
    fn derivative(&mut self, name: &str, body: &ast::StmtBlock, mode: Mode) -> Option<usize> {
        let saved_scopes = std::mem::take(&mut self.scopes);
        let saved_frame = std::mem::replace(&mut self.frame, 0);
        let mut linear = true;
        self.push_scope();
        let stmts = self.block_with(body, &mut |l, s, out| {
            let StmtKind::Derivative { name, index, rhs, .. } = &s.kind else { return false };
            let index = index.as_ref().map(|i| l.expr(i));
            let f = l.expr(rhs);
            let Some(x) = l.place_of(name, index.clone()) else { return true };
            match mode {
                Mode::Cnexp => match cnexp_update(l, &x, f) {
                    Some(update) => out.push(Stmt::Set(x, update)),
                    None => linear = false,
                },
                Mode::Slopes => {
                    let len = x.len;
                    let dname = format!("D{}", name.name);
                    let dvar = match l.names.get(&dname) {
                        Some(Name::Storage(v, _)) => *v,
                        _ => Var::Range(l.add_range(&dname, "", 0.0, SlotKind::Hidden, len)),
                    };
                    out.push(Stmt::Set(Place { var: dvar, index: index.map(Box::new), len }, f));
                }
            }
            true
        });
        self.pop_scope();
        let frame = std::mem::replace(&mut self.frame, saved_frame);
        self.scopes = saved_scopes;
        if !linear {
            return None;
        }
        let suffix = if mode == Mode::Cnexp { "" } else { "<slopes>" };
        self.funcs.push(Func {
            name: format!("{name}{suffix}"),
            params: 0,
            frame,
            result: None,
            body: stmts,
            table: None,
        });
        Some(self.funcs.len() - 1)
    }
}

fn collect_derivatives(stmts: &[ast::Stmt], out: &mut Vec<String>) {
    for s in stmts {
        match &s.kind {
            StmtKind::Derivative { name, .. } if !out.contains(&name.name) => out.push(name.name.clone()),
            StmtKind::If { then, else_ifs, else_, .. } => {
                collect_derivatives(&then.stmts, out);
                for (_, b) in else_ifs {
                    collect_derivatives(&b.stmts, out);
                }
                if let Some(b) = else_ {
                    collect_derivatives(&b.stmts, out);
                }
            }
            StmtKind::While { body, .. } | StmtKind::From { body, .. } | StmtKind::Block(body) => {
                collect_derivatives(&body.stmts, out)
            }
            _ => {}
        }
    }
}

/// x = x + (1 − exp(dt·b))·(−a/b − x) for x' = f = a + b·x; None when f is not linear in x.
fn cnexp_update(l: &Lowerer, x: &Place, f: Expr) -> Option<Expr> {
    if x.index.is_some() {
        return None; // array states: solved implicitly
    }
    let reads = |e: &Expr| depends(e, x.var, &l.funcs, &mut HashMap::new());
    let b = diff(&f, x.var, &reads)?;
    if reads(&b) {
        return None;
    }
    let get_x = Expr::Get(x.clone());
    if b == Expr::Num(0.0) {
        return Some(Expr::bin(BinOp::Add, get_x, Expr::bin(BinOp::Mul, Expr::get(Var::Dt), f)));
    }
    let a = subst_zero(&f, x.var);
    let decay = Expr::bin(
        BinOp::Sub,
        Expr::Num(1.0),
        Expr::Builtin(Builtin::Exp, vec![Expr::bin(BinOp::Mul, Expr::get(Var::Dt), b.clone())]),
    );
    let target = Expr::bin(BinOp::Sub, steady_state(a, b), get_x.clone());
    Some(Expr::bin(BinOp::Add, get_x, Expr::bin(BinOp::Mul, decay, target)))
}

/// −a/b, the value x tends to. HH-style gates give a = yinf/tau and b = −1/tau; the common divisor cancels and
/// −a/b is yinf itself (NEURON's generated code divides three times; the results differ by rounding only).
fn steady_state(a: Expr, b: Expr) -> Expr {
    if let (Expr::Binary(BinOp::Div, an, ad), Expr::Binary(BinOp::Div, bn, bd)) = (&a, &b) {
        if ad == bd {
            return neg(div((**an).clone(), (**bn).clone()));
        }
    }
    neg(div(a, b))
}

/// Whether `e` reads `var` (directly, or in a FUNCTION it calls).
fn depends(e: &Expr, var: Var, funcs: &[Func], seen: &mut HashMap<usize, bool>) -> bool {
    match e {
        Expr::Num(_) => false,
        Expr::Get(p) => p.var == var || p.index.as_deref().is_some_and(|i| depends(i, var, funcs, seen)),
        Expr::Unary(_, a) => depends(a, var, funcs, seen),
        Expr::Binary(_, a, b) => depends(a, var, funcs, seen) || depends(b, var, funcs, seen),
        Expr::Builtin(_, args) => args.iter().any(|a| depends(a, var, funcs, seen)),
        Expr::Call(id, args) => args.iter().any(|a| depends(a, var, funcs, seen)) || func_reads(*id, var, funcs, seen),
        Expr::Random(..) => true, // a fresh draw: never a constant
    }
}

fn func_reads(id: usize, var: Var, funcs: &[Func], seen: &mut HashMap<usize, bool>) -> bool {
    if let Some(&r) = seen.get(&id) {
        return r;
    }
    seen.insert(id, false); // recursion: assume no until proven
    let r = funcs.get(id).is_some_and(|f| stmts_read(&f.body, var, funcs, seen));
    seen.insert(id, r);
    r
}

fn stmts_read(stmts: &[Stmt], var: Var, funcs: &[Func], seen: &mut HashMap<usize, bool>) -> bool {
    stmts.iter().any(|s| match s {
        Stmt::Set(p, e) | Stmt::Discontinuity(p, e) => {
            depends(e, var, funcs, seen) || p.index.as_deref().is_some_and(|i| depends(i, var, funcs, seen))
        }
        Stmt::If(c, a, b) => {
            depends(c, var, funcs, seen) || stmts_read(a, var, funcs, seen) || stmts_read(b, var, funcs, seen)
        }
        Stmt::While(c, b) => depends(c, var, funcs, seen) || stmts_read(b, var, funcs, seen),
        Stmt::For { from, to, by, body, .. } => {
            [from, to, by].iter().any(|e| depends(e, var, funcs, seen)) || stmts_read(body, var, funcs, seen)
        }
        Stmt::Call(id, args) => args.iter().any(|a| depends(a, var, funcs, seen)) || func_reads(*id, var, funcs, seen),
        Stmt::Implicit(_) => true,
        Stmt::NetSend { delay, flag } => depends(delay, var, funcs, seen) || depends(flag, var, funcs, seen),
        Stmt::NetEvent(t) | Stmt::NetMove(t) | Stmt::Watch { flag: t, .. } => depends(t, var, funcs, seen),
        Stmt::ForNetcons { body, .. } => stmts_read(body, var, funcs, seen),
        Stmt::Kinetic(_)
        | Stmt::Reaction { .. }
        | Stmt::Flux { .. }
        | Stmt::Compartment { .. }
        | Stmt::Conserve { .. } => true,
    })
}

fn num(e: &Expr) -> Option<f64> {
    match e {
        Expr::Num(v) => Some(*v),
        _ => None,
    }
}

fn add(a: Expr, b: Expr) -> Expr {
    match (num(&a), num(&b)) {
        (Some(x), Some(y)) => Expr::Num(x + y),
        (Some(0.0), _) => b,
        (_, Some(0.0)) => a,
        _ => Expr::bin(BinOp::Add, a, b),
    }
}

fn sub(a: Expr, b: Expr) -> Expr {
    match (num(&a), num(&b)) {
        (Some(x), Some(y)) => Expr::Num(x - y),
        (_, Some(0.0)) => a,
        (Some(0.0), _) => neg(b),
        _ => Expr::bin(BinOp::Sub, a, b),
    }
}

fn mul(a: Expr, b: Expr) -> Expr {
    match (num(&a), num(&b)) {
        (Some(x), Some(y)) => Expr::Num(x * y),
        (Some(0.0), _) | (_, Some(0.0)) => Expr::Num(0.0),
        (Some(1.0), _) => b,
        (_, Some(1.0)) => a,
        _ => Expr::bin(BinOp::Mul, a, b),
    }
}

fn div(a: Expr, b: Expr) -> Expr {
    match (num(&a), num(&b)) {
        (Some(0.0), _) => Expr::Num(0.0),
        (_, Some(1.0)) => a,
        (_, Some(-1.0)) => neg(a),
        _ => Expr::bin(BinOp::Div, a, b),
    }
}

fn neg(a: Expr) -> Expr {
    match num(&a) {
        Some(x) => Expr::Num(-x),
        None => Expr::Unary(UnOp::Neg, Box::new(a)),
    }
}

/// ∂e/∂var for the expressions a linear equation can contain; None for anything else that involves var.
fn diff(e: &Expr, var: Var, reads: &dyn Fn(&Expr) -> bool) -> Option<Expr> {
    if !reads(e) {
        return Some(Expr::Num(0.0));
    }
    match e {
        Expr::Get(p) if p.var == var && p.index.is_none() => Some(Expr::Num(1.0)),
        Expr::Unary(UnOp::Neg, a) => Some(neg(diff(a, var, reads)?)),
        Expr::Binary(op, a, b) => {
            let (da, db) = (diff(a, var, reads)?, diff(b, var, reads)?);
            match op {
                BinOp::Add => Some(add(da, db)),
                BinOp::Sub => Some(sub(da, db)),
                BinOp::Mul => Some(add(mul((**a).clone(), db), mul(da, (**b).clone()))),
                BinOp::Div if !reads(b) => Some(div(da, (**b).clone())),
                _ => None,
            }
        }
        _ => None,
    }
}

/// `e` with `var` replaced by 0, simplified.
fn subst_zero(e: &Expr, var: Var) -> Expr {
    match e {
        Expr::Get(p) if p.var == var && p.index.is_none() => Expr::Num(0.0),
        Expr::Unary(UnOp::Neg, a) => neg(subst_zero(a, var)),
        Expr::Unary(op, a) => Expr::Unary(*op, Box::new(subst_zero(a, var))),
        Expr::Binary(op, a, b) => {
            let (a, b) = (subst_zero(a, var), subst_zero(b, var));
            match op {
                BinOp::Add => add(a, b),
                BinOp::Sub => sub(a, b),
                BinOp::Mul => mul(a, b),
                BinOp::Div => div(a, b),
                _ => Expr::bin(*op, a, b),
            }
        }
        Expr::Builtin(f, args) => Expr::Builtin(*f, args.iter().map(|a| subst_zero(a, var)).collect()),
        Expr::Call(id, args) => Expr::Call(*id, args.iter().map(|a| subst_zero(a, var)).collect()),
        other => other.clone(),
    }
}

/// Whether a `~` equation sits in a FROM or WHILE loop or an IF (so how many run is known only when they do).
fn conditional_equations(stmts: &[ast::Stmt], inside: bool) -> bool {
    stmts.iter().any(|s| match &s.kind {
        StmtKind::Equation { .. } => inside,
        StmtKind::From { body, .. } | StmtKind::While { body, .. } => conditional_equations(&body.stmts, true),
        StmtKind::Block(body) => conditional_equations(&body.stmts, inside),
        StmtKind::If { then, else_ifs, else_, .. } => std::iter::once(then)
            .chain(else_ifs.iter().map(|(_, b)| b))
            .chain(else_)
            .any(|b| conditional_equations(&b.stmts, true)),
        _ => false,
    })
}
