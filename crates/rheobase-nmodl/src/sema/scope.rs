//! Name resolution over statement bodies.
//!
//! NMODL has one file scope (PARAMETER, STATE, ASSIGNED, CONSTANT, DEFINE, UNITS factors, top-level LOCAL,
//! INDEPENDENT, the NEURON block's ion variables / POINTER / RANDOM / EXTERNAL names, FUNCTIONs and PROCEDUREs)
//! plus nested local scopes: a block's `LOCAL` names (visible from the declaration to the end of the enclosing
//! `{ … }`), function and NET_RECEIVE arguments, the variable of a `FROM i = a TO b` loop and the index of
//! `COMPARTMENT i, …`. Inside a FUNCTION its own name is the return-value variable (`vtrap = …`). NET_RECEIVE has
//! the implicit `flag`, KINETIC blocks `f_flux`/`b_flux`, and every STATE `x` has an implicit `x0` (its initial
//! value, a PARAMETER in NEURON). Anything else that is not a NEURON special or a builtin is an error, as in
//! nocmodl, at the identifier's span.
//!
//! This walk also records SOLVE and TABLE statements and VERBATIM spans, and checks that `x' = …` names a STATE.

use super::{
    const_value, Analyser, Context, Mechanism, NameKind, SolvableKind, Solve, Special, Table, BUILTIN_FUNCTIONS,
    BUILTIN_VALUES,
};
use crate::ast::{self, BlockKind, Expr, ExprKind, StmtBlock, StmtKind};
use std::collections::HashMap;

pub(super) struct Resolver<'a, 'b> {
    an: &'a mut Analyser<'b>,
    declared: &'a HashMap<String, (NameKind, ast::Span)>,
    m: &'a mut Mechanism,
    scopes: Vec<Vec<String>>,
    context: Context,
}

impl<'a, 'b> Resolver<'a, 'b> {
    pub(super) fn new(
        an: &'a mut Analyser<'b>,
        declared: &'a HashMap<String, (NameKind, ast::Span)>,
        m: &'a mut Mechanism,
    ) -> Self {
        Resolver { an, declared, m, scopes: Vec::new(), context: Context::Other }
    }

    pub(super) fn program(&mut self, program: &ast::Program) {
        for block in &program.blocks {
            match &block.kind {
                BlockKind::Initial(b) => self.body(Context::Initial, Vec::new(), b),
                BlockKind::Breakpoint(b) => self.body(Context::Breakpoint, Vec::new(), b),
                BlockKind::Derivative { name, body } => {
                    self.body(Context::Solvable(name.name.clone()), Vec::new(), body)
                }
                BlockKind::Kinetic { name, solvefor, body } => {
                    self.solvefor(solvefor);
                    let implicit = vec!["f_flux".to_string(), "b_flux".to_string()];
                    self.body(Context::Solvable(name.name.clone()), implicit, body)
                }
                BlockKind::Linear { name, solvefor, body } | BlockKind::NonLinear { name, solvefor, body } => {
                    self.solvefor(solvefor);
                    self.body(Context::Solvable(name.name.clone()), Vec::new(), body)
                }
                BlockKind::Function(f) => {
                    let mut names = args(&f.args);
                    names.push(f.name.name.clone());
                    self.body(Context::Function(f.name.name.clone()), names, &f.body)
                }
                BlockKind::Procedure(f) => self.body(Context::Procedure(f.name.name.clone()), args(&f.args), &f.body),
                BlockKind::NetReceive { args: a, body } => {
                    let mut names = args(a);
                    names.push("flag".to_string());
                    self.body(Context::NetReceive, names, body)
                }
                BlockKind::Before { body, .. }
                | BlockKind::After { body, .. }
                | BlockKind::Constructor(body)
                | BlockKind::Destructor(body) => self.body(Context::Other, Vec::new(), body),
                BlockKind::Verbatim(v) => self.m.verbatim.push(v.span.clone()),
                _ => {}
            }
        }
    }

    fn solvefor(&mut self, ids: &[ast::Ident]) {
        for id in ids {
            self.value(id);
        }
    }

    fn body(&mut self, context: Context, names: Vec<String>, b: &StmtBlock) {
        self.context = context;
        self.scopes.push(names);
        self.block(b);
        self.scopes.pop();
        self.context = Context::Other;
    }

    fn scoped(&mut self, names: Vec<String>, b: &StmtBlock) {
        self.scopes.push(names);
        self.block(b);
        self.scopes.pop();
    }

    fn block(&mut self, b: &StmtBlock) {
        self.scopes.push(Vec::new());
        for s in &b.stmts {
            self.stmt(s);
        }
        self.scopes.pop();
    }

    fn stmt(&mut self, s: &ast::Stmt) {
        match &s.kind {
            StmtKind::Assign { lhs, rhs } => {
                self.expr(lhs);
                self.expr(rhs);
            }
            StmtKind::Derivative { name, index, rhs, .. } => {
                self.derivative(name);
                if let Some(i) = index {
                    self.expr(i);
                }
                self.expr(rhs);
            }
            StmtKind::Expr(e) => self.expr(e),
            StmtKind::Local(vars) => {
                if let Some(scope) = self.scopes.last_mut() {
                    scope.extend(vars.iter().map(|v| v.name.name.clone()));
                }
            }
            StmtKind::Solve { block, method, steadystate, if_error } => {
                self.solve(block, method, steadystate);
                if let Some(b) = if_error {
                    self.block(b);
                }
            }
            StmtKind::Table { names, depend, from, to, with } => {
                for id in names.iter().chain(depend) {
                    self.value(id);
                }
                for e in [from, to, with] {
                    self.expr(e);
                }
                let owner = match &self.context {
                    Context::Function(n) | Context::Procedure(n) | Context::Solvable(n) => n.clone(),
                    _ => String::new(),
                };
                let table = Table {
                    span: s.span.clone(),
                    owner,
                    names: names.iter().map(|i| i.name.clone()).collect(),
                    depend: depend.iter().map(|i| i.name.clone()).collect(),
                    from: self.an.text(&from.span),
                    to: self.an.text(&to.span),
                    with: self.an.text(&with.span),
                    from_value: const_value(from),
                    to_value: const_value(to),
                    with_value: const_value(with),
                };
                self.m.tables.push(table);
            }
            StmtKind::If { cond, then, else_ifs, else_ } => {
                self.expr(cond);
                self.block(then);
                for (c, b) in else_ifs {
                    self.expr(c);
                    self.block(b);
                }
                if let Some(b) = else_ {
                    self.block(b);
                }
            }
            StmtKind::While { cond, body } => {
                self.expr(cond);
                self.block(body);
            }
            StmtKind::From { var, from, to, by, body } => {
                self.expr(from);
                self.expr(to);
                if let Some(b) = by {
                    self.expr(b);
                }
                self.scoped(vec![var.name.clone()], body);
            }
            StmtKind::Reaction { lhs, rhs, rates, .. } => {
                for r in lhs.iter().chain(rhs) {
                    self.expr(&r.species);
                }
                for e in rates {
                    self.expr(e);
                }
            }
            StmtKind::Flux { state, flux } => {
                self.expr(state);
                self.expr(flux);
            }
            StmtKind::Equation { lhs, rhs } => {
                self.expr(lhs);
                self.expr(rhs);
            }
            StmtKind::Conserve { lhs, rhs } => {
                for r in lhs {
                    self.expr(&r.species);
                }
                self.expr(rhs);
            }
            StmtKind::Compartment { index, volume, states }
            | StmtKind::LongitudinalDiffusion { index, rate: volume, states } => {
                self.scopes.push(index.iter().map(|i| i.name.clone()).collect());
                self.expr(volume);
                self.scopes.pop();
                for e in states {
                    self.expr(e);
                }
            }
            StmtKind::Watch(pairs) => {
                for (c, f) in pairs {
                    self.expr(c);
                    self.expr(f);
                }
            }
            StmtKind::Initial(b) => self.block(b),
            StmtKind::ForNetcons { args: a, body } => self.scoped(args(a), body),
            StmtKind::Verbatim(v) => self.m.verbatim.push(v.span.clone()),
            StmtKind::UnitsSwitch(_) | StmtKind::Mutex(_) => {}
            StmtKind::Block(b) => self.block(b),
        }
    }

    fn solve(&mut self, block: &ast::Ident, method: &Option<ast::Ident>, steadystate: &Option<ast::Ident>) {
        let target = match self.declared.get(&block.name) {
            Some((NameKind::Solvable(k), _)) => Some(*k),
            Some((NameKind::Procedure, _)) => Some(SolvableKind::Procedure),
            _ => None,
        };
        let Some(target) = target else {
            let msg = match self.declared.get(&block.name) {
                Some(_) => format!(
                    "SOLVE names `{}`, which is not a DERIVATIVE, KINETIC, LINEAR, NONLINEAR or PROCEDURE block",
                    block.name
                ),
                None => format!("SOLVE names `{}`, but no block of that name exists", block.name),
            };
            self.an.error(block.span.clone(), msg);
            return;
        };
        self.m.solves.push(Solve {
            block: block.name.clone(),
            span: block.span.clone(),
            method: method.as_ref().map(|i| i.name.clone()),
            steadystate: steadystate.as_ref().map(|i| i.name.clone()),
            target,
            context: self.context.clone(),
        });
    }

    fn is_state(&self, name: &str) -> bool {
        matches!(self.declared.get(name), Some((NameKind::State, _)))
            || self.m.foreign.iter().any(|f| f.name == name && f.kind == super::VarKind::State)
    }

    fn derivative(&mut self, name: &ast::Ident) {
        if self.is_state(&name.name) {
            return;
        }
        if self.lookup(&name.name) {
            self.an.error(
                name.span.clone(),
                format!("`{}'` is a derivative of `{}`, which is not a STATE", name.name, name.name),
            );
        } else {
            self.an.error(name.span.clone(), format!("undeclared identifier `{}`", name.name));
        }
    }

    /// Whether `name` is a valid value (not a function) here.
    fn lookup(&self, name: &str) -> bool {
        if self.scopes.iter().rev().any(|s| s.iter().any(|n| n == name)) {
            return true;
        }
        match self.declared.get(name) {
            Some((NameKind::Function | NameKind::Procedure | NameKind::FunctionTable | NameKind::Solvable(_), _)) => {
                false
            }
            Some(_) => true,
            None => {
                Special::from_name(name).is_some()
                    || BUILTIN_VALUES.contains(&name)
                    || name.strip_suffix('0').is_some_and(|s| self.is_state(s))
            }
        }
    }

    fn value(&mut self, id: &ast::Ident) {
        if !self.lookup(&id.name) {
            let msg = match self.declared.get(&id.name) {
                Some((NameKind::Function | NameKind::FunctionTable, _)) => {
                    format!("`{}` is a FUNCTION; call it with arguments", id.name)
                }
                Some(_) => format!("`{}` names a block, not a variable", id.name),
                None => format!("undeclared identifier `{}`", id.name),
            };
            self.an.error(id.span.clone(), msg);
        }
    }

    fn call(&mut self, id: &ast::Ident) {
        let ok = BUILTIN_FUNCTIONS.contains(&id.name.as_str())
            || matches!(
                self.declared.get(&id.name),
                Some((NameKind::Function | NameKind::Procedure | NameKind::FunctionTable, _))
            );
        if !ok {
            self.an.error(id.span.clone(), format!("call of undeclared function `{}`", id.name));
        }
    }

    fn expr(&mut self, e: &Expr) {
        match &e.kind {
            ExprKind::Number { .. } | ExprKind::Str(_) => {}
            ExprKind::Name(id) => self.value(id),
            ExprKind::Index { name, index } => {
                self.value(name);
                self.expr(index);
            }
            ExprKind::Call { name, args } => {
                self.call(name);
                for a in args {
                    self.expr(a);
                }
            }
            ExprKind::Unary { operand, .. } => self.expr(operand),
            ExprKind::Binary { lhs, rhs, .. } => {
                self.expr(lhs);
                self.expr(rhs);
            }
        }
    }
}

fn args(a: &[ast::Arg]) -> Vec<String> {
    a.iter().map(|a| a.name.name.clone()).collect()
}
