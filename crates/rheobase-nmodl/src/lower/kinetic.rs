//! KINETIC blocks: reaction schemes solved by NEURON's `sparse` method ([`Stmt::Kinetic`]).
//!
//! The block becomes a function whose reactions, fluxes, COMPARTMENTs and CONSERVEs are statements the
//! interpreter turns into the rows of the backward-Euler system while it runs the block (the other statements,
//! rate computations, run as usual). The equations are the states the block names, arrays expanded, in order of
//! first mention. Its LONGITUDINAL_DIFFUSION statements are not part of the scheme: the engine diffuses those
//! states after the step's solves (rheobase-core's `ldifus`), with values one function computes.

use super::{Lowerer, Name};
use crate::ast::{self, BlockKind, ExprKind, StmtKind};
use crate::ir::*;

impl Lowerer<'_> {
    /// `SOLVE name METHOD sparse` / `STEADYSTATE sparse` of the KINETIC block `body`.
    pub(super) fn kinetic(&mut self, name: &str, body: &ast::StmtBlock, steady: bool) -> Option<Stmt> {
        let saved_scopes = std::mem::take(&mut self.scopes);
        let saved_frame = std::mem::replace(&mut self.frame, 0);
        self.push_scope();
        self.local("f_flux", 1);
        self.local("b_flux", 1);
        self.in_kinetic = true;
        let stmts = self.block_with(body, &mut |_, _, _| false);
        self.in_kinetic = false;
        self.pop_scope();
        let frame = std::mem::replace(&mut self.frame, saved_frame);
        self.scopes = saved_scopes;
        let mut names = Vec::new();
        let mut linear = true;
        species_of(&body.stmts, &mut names, &mut linear, &|n: &str| self.is_state(n));
        let mut rows = Vec::new();
        for n in names {
            if let Some(Name::Storage(Var::Range(at), len)) = self.names.get(&n).copied() {
                rows.extend(at..at + len);
            }
        }
        self.funcs.push(Func { name: name.to_string(), params: 0, frame, result: None, body: stmts, table: None });
        Some(Stmt::Kinetic(Kinetic { block: self.funcs.len() - 1, rows, linear, steady, slopes: None }))
    }

    /// The LONGITUDINAL_DIFFUSION statements of every KINETIC block, as one function (nocmodl's `_difcoef`s) that
    /// stores, for each state element they name, its diffusion value (the statement's expression, its index
    /// variable at the element) and its volume (the expression of the COMPARTMENT that names the state, else 1)
    /// in hidden slots; None without such statements.
    pub(super) fn diffusion(&mut self) -> Option<Diffusion> {
        let ast = self.ast;
        let mut statements = Vec::new();
        for block in &ast.blocks {
            if let BlockKind::Kinetic { body, .. } = &block.kind {
                let (first, mut compartments) = (statements.len(), Vec::new());
                collect(&body.stmts, &mut statements, &mut compartments);
                for s in &mut statements[first..] {
                    s.compartments = compartments.clone(); // the volumes of its own block
                }
            }
        }
        if statements.is_empty() {
            return None;
        }
        let saved = (std::mem::take(&mut self.scopes), std::mem::replace(&mut self.frame, 0));
        self.push_scope();
        let (mut body, mut slots) = (Vec::new(), Vec::new());
        for d in &statements {
            for state in d.states {
                let Some(place) = self.species(state) else { continue };
                let Var::Range(first) = place.var else { continue };
                let elements: Vec<u32> = match (&place.index, state_index(state)) {
                    (None, _) => (0..place.len).collect(),
                    (Some(_), Some(k)) => vec![k],
                    (Some(_), None) => {
                        self.error(
                            &state.span,
                            "a LONGITUDINAL_DIFFUSION state is a name or an element at a constant index",
                        );
                        continue;
                    }
                };
                let name = species_name_of(state).unwrap_or_default();
                let compartment = d.compartments.iter().find(|c| c.2.iter().any(|e| species_name_of(e) == Some(name)));
                for e in elements {
                    let dc = self.add_range(&format!("<{name}[{e}] diffusion>"), "", 0.0, SlotKind::Hidden, 1);
                    let vol = self.add_range(&format!("<{name}[{e}] volume>"), "", 1.0, SlotKind::Hidden, 1);
                    let value = self.indexed_value(d.index, d.rate, e, &mut body);
                    body.push(Stmt::Set(Place::scalar(Var::Range(dc)), value));
                    let volume = match compartment {
                        Some(c) => self.indexed_value(c.0, c.1, e, &mut body),
                        None => Expr::Num(1.0),
                    };
                    body.push(Stmt::Set(Place::scalar(Var::Range(vol)), volume));
                    slots.push((first + e, dc, vol));
                }
            }
        }
        self.pop_scope();
        let frame = std::mem::replace(&mut self.frame, saved.1);
        self.scopes = saved.0;
        self.funcs.push(Func {
            name: "<LONGITUDINAL_DIFFUSION>".into(),
            params: 0,
            frame,
            result: None,
            body,
            table: None,
        });
        Some(Diffusion { func: self.funcs.len() - 1, slots })
    }

    /// `expr` for element `e`: its index variable `index` (if any) is a local set to e by a statement in `out`.
    fn indexed_value(&mut self, index: Option<&ast::Ident>, expr: &ast::Expr, e: u32, out: &mut Vec<Stmt>) -> Expr {
        self.push_scope();
        if let Some(i) = index {
            let slot = self.local(&i.name, 1);
            out.push(Stmt::Set(Place::scalar(Var::Local(slot)), Expr::Num(e as f64)));
        }
        let value = self.expr(expr);
        self.pop_scope();
        value
    }

    fn is_state(&self, name: &str) -> bool {
        self.m.variables.iter().any(|v| v.name == name && v.kind == crate::sema::VarKind::State)
            || self.m.foreign.iter().any(|f| f.name == name && f.kind == crate::sema::VarKind::State)
    }

    /// The slots of f_flux and b_flux in the block's frame.
    fn fluxes(&self) -> (u32, u32) {
        let slot = |n: &str| self.scopes.iter().rev().find_map(|s| s.get(n)).map_or(0, |&(at, _)| at);
        (slot("f_flux"), slot("b_flux"))
    }

    /// A species or a COMPARTMENT entry: a name (a whole array when it has no index) or an indexed name.
    fn species(&mut self, e: &ast::Expr) -> Option<Place> {
        match &e.kind {
            ExprKind::Name(id) => match self.names.get(&id.name).copied() {
                Some(Name::Storage(var, len)) if len > 1 => Some(Place { var, index: None, len }),
                _ => self.place_of(id, None),
            },
            _ => self.target(e),
        }
    }

    pub(super) fn kinetic_stmt(&mut self, s: &ast::Stmt, out: &mut Vec<Stmt>) {
        match &s.kind {
            StmtKind::Reaction { lhs, rhs, arrow, rates } => {
                let side = |l: &mut Self, rs: &[ast::Reactant]| -> Vec<(Place, u32)> {
                    rs.iter().filter_map(|r| l.target(&r.species).map(|p| (p, r.coefficient))).collect()
                };
                let (lhs, rhs) = (side(self, lhs), side(self, rhs));
                let want = if *arrow == ast::Arrow::Reversible { 2 } else { 1 };
                if rates.len() != want {
                    self.error(
                        &s.span,
                        format!("this reaction takes {want} rate(s) in parentheses, {} given", rates.len()),
                    );
                    return;
                }
                let kf = self.expr(&rates[0]);
                let kb = rates.get(1).map(|r| self.expr(r));
                out.push(Stmt::Reaction { lhs, rhs, kf, kb, fluxes: self.fluxes() });
            }
            StmtKind::Flux { state, flux } => {
                let flux = self.expr(flux);
                if let Some(state) = self.target(state) {
                    out.push(Stmt::Flux { state, flux, fluxes: self.fluxes() });
                }
            }
            StmtKind::Compartment { index, volume, states } => {
                self.push_scope();
                let index = index.as_ref().map(|i| self.local(&i.name, 1));
                let volume = self.expr(volume);
                self.pop_scope();
                let states = states.iter().filter_map(|e| self.species(e)).collect();
                out.push(Stmt::Compartment { index, volume, states });
            }
            StmtKind::Conserve { lhs, rhs } => {
                let terms = lhs.iter().filter_map(|r| Some((self.target(&r.species)?, r.coefficient as f64))).collect();
                let value = self.expr(rhs);
                out.push(Stmt::Conserve { terms, value });
            }
            _ => unreachable!("only kinetic statements are passed here"),
        }
    }
}

/// The states a KINETIC body names (in order of first mention), and whether its scheme is linear.
fn species_of(stmts: &[ast::Stmt], out: &mut Vec<String>, linear: &mut bool, is_state: &dyn Fn(&str) -> bool) {
    let note = |e: &ast::Expr, out: &mut Vec<String>| {
        let name = match &e.kind {
            ExprKind::Name(id) | ExprKind::Index { name: id, .. } => &id.name,
            _ => return,
        };
        if is_state(name) && !out.contains(name) {
            out.push(name.clone());
        }
    };
    for s in stmts {
        match &s.kind {
            StmtKind::Reaction { lhs, rhs, .. } => {
                for side in [lhs, rhs] {
                    let states: Vec<&ast::Reactant> =
                        side.iter().filter(|r| species_name(r).is_some_and(is_state)).collect();
                    if states.len() > 1 || states.iter().any(|r| r.coefficient > 1) {
                        *linear = false;
                    }
                    for r in side {
                        note(&r.species, out);
                    }
                }
            }
            StmtKind::Flux { state, .. } => note(state, out),
            StmtKind::Conserve { lhs, .. } => lhs.iter().for_each(|r| note(&r.species, out)),
            StmtKind::If { then, else_ifs, else_, .. } => {
                species_of(&then.stmts, out, linear, is_state);
                for (_, b) in else_ifs {
                    species_of(&b.stmts, out, linear, is_state);
                }
                if let Some(b) = else_ {
                    species_of(&b.stmts, out, linear, is_state);
                }
            }
            StmtKind::From { body, .. } | StmtKind::While { body, .. } | StmtKind::Block(body) => {
                species_of(&body.stmts, out, linear, is_state)
            }
            _ => {}
        }
    }
}

fn species_name(r: &ast::Reactant) -> Option<&str> {
    species_name_of(&r.species)
}

/// A LONGITUDINAL_DIFFUSION statement and the COMPARTMENTs of its KINETIC block: (index, volume, states).
struct Diffusing<'a> {
    index: Option<&'a ast::Ident>,
    rate: &'a ast::Expr,
    states: &'a [ast::Expr],
    compartments: Vec<(Option<&'a ast::Ident>, &'a ast::Expr, &'a [ast::Expr])>,
}

/// The LONGITUDINAL_DIFFUSION statements and COMPARTMENTs of a KINETIC body, nested ones included.
fn collect<'a>(
    stmts: &'a [ast::Stmt],
    diffusing: &mut Vec<Diffusing<'a>>,
    compartments: &mut Vec<(Option<&'a ast::Ident>, &'a ast::Expr, &'a [ast::Expr])>,
) {
    for s in stmts {
        match &s.kind {
            StmtKind::LongitudinalDiffusion { index, rate, states } => {
                diffusing.push(Diffusing { index: index.as_ref(), rate, states, compartments: Vec::new() })
            }
            StmtKind::Compartment { index, volume, states } => compartments.push((index.as_ref(), volume, states)),
            StmtKind::If { then, else_ifs, else_, .. } => {
                collect(&then.stmts, diffusing, compartments);
                for (_, b) in else_ifs {
                    collect(&b.stmts, diffusing, compartments);
                }
                if let Some(b) = else_ {
                    collect(&b.stmts, diffusing, compartments);
                }
            }
            StmtKind::From { body, .. } | StmtKind::While { body, .. } | StmtKind::Block(body) => {
                collect(&body.stmts, diffusing, compartments)
            }
            _ => {}
        }
    }
}

fn species_name_of(e: &ast::Expr) -> Option<&str> {
    match &e.kind {
        ExprKind::Name(id) | ExprKind::Index { name: id, .. } => Some(&id.name),
        _ => None,
    }
}

/// The constant index of `name[k]`.
fn state_index(e: &ast::Expr) -> Option<u32> {
    match &e.kind {
        ExprKind::Index { index, .. } => match &index.kind {
            ExprKind::Number { value, .. } if value.value >= 0.0 && value.value.fract() == 0.0 => {
                Some(value.value as u32)
            }
            _ => None,
        },
        _ => None,
    }
}
