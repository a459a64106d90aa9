//! BREAKPOINT with exact conductances ([`Conductance`]): when BREAKPOINT is straight-line assignments and every
//! current is linear in v (as `i = g*(v - e)`), one evaluation gives the currents and, by forward
//! differentiation, d(current)/dv — NEURON evaluates twice (v + 0.001 mV and v) for a finite difference, which
//! for a linear current agrees to rounding. Each assignment's derivative is captured in a frame slot right after
//! it, so a place assigned again later cannot change what an earlier derivative read.

use super::Lowerer;
use crate::ir::*;
use std::collections::HashMap;

impl Lowerer<'_> {
    /// The BREAKPOINT body `body` (frame size `frame`) with conductances, if it qualifies.
    pub(super) fn conductance(
        &mut self,
        body: &[Stmt],
        frame: u32,
        ions: &[IonUse],
        currents: &[u32],
    ) -> Option<Conductance> {
        if currents.is_empty() {
            return None;
        }
        let mut out = Vec::new();
        let mut deriv: HashMap<Var, Expr> = HashMap::new();
        let mut next = frame;
        for s in body {
            let Stmt::Set(p, e) = s else { return None };
            if p.index.is_some() || p.var == Var::V {
                return None;
            }
            let d = derivative(e, &deriv)?;
            out.push(s.clone());
            if d == Expr::Num(0.0) {
                deriv.remove(&p.var);
            } else {
                let slot = next;
                next += 1;
                out.push(Stmt::Set(Place::scalar(Var::Local(slot)), d));
                deriv.insert(p.var, Expr::get(Var::Local(slot)));
            }
        }
        let d_of = |slot: u32| deriv.get(&Var::Range(slot)).cloned().unwrap_or(Expr::Num(0.0));
        let total = self.add_range("<g>", "S/cm2", 0.0, crate::ir::SlotKind::Hidden, 1);
        let sum =
            currents.iter().map(|&c| d_of(c)).reduce(|a, b| Expr::bin(BinOp::Add, a, b)).unwrap_or(Expr::Num(0.0));
        out.push(Stmt::Set(Place::scalar(Var::Range(total)), sum));
        let mut ion_slots = Vec::new();
        for ion in ions {
            for iv in ion.vars.iter().filter(|iv| iv.field == IonField::Current && iv.write) {
                let slot = self.add_range(&format!("<di{}>", ion.name), "S/cm2", 0.0, crate::ir::SlotKind::Hidden, 1);
                out.push(Stmt::Set(Place::scalar(Var::Range(slot)), d_of(iv.slot)));
                ion_slots.push(slot);
            }
        }
        self.funcs.push(Func {
            name: "<BREAKPOINT+g>".into(),
            params: 0,
            frame: next,
            result: None,
            body: out,
            table: None,
        });
        Some(Conductance { func: self.funcs.len() - 1, total, ions: ion_slots })
    }
}

/// Whether `e` varies with v (reads v, or a place whose derivative is not 0).
fn varies(e: &Expr, deriv: &HashMap<Var, Expr>) -> bool {
    match e {
        Expr::Num(_) => false,
        Expr::Get(p) => {
            p.var == Var::V || deriv.contains_key(&p.var) || p.index.as_deref().is_some_and(|i| varies(i, deriv))
        }
        Expr::Unary(_, a) => varies(a, deriv),
        Expr::Binary(_, a, b) => varies(a, deriv) || varies(b, deriv),
        // A call could read v or such a place through the mechanism's storage: assume it does.
        Expr::Builtin(_, args) => args.iter().any(|a| varies(a, deriv)),
        Expr::Call(..) | Expr::Random(..) => true,
    }
}

/// de/dv for an expression linear in v (its derivative does not vary with v); None otherwise.
fn derivative(e: &Expr, deriv: &HashMap<Var, Expr>) -> Option<Expr> {
    if !varies(e, deriv) {
        return Some(Expr::Num(0.0));
    }
    match e {
        Expr::Get(p) if p.var == Var::V => Some(Expr::Num(1.0)),
        Expr::Get(p) if p.index.is_none() => deriv.get(&p.var).cloned(),
        Expr::Unary(UnOp::Neg, a) => Some(Expr::Unary(UnOp::Neg, Box::new(derivative(a, deriv)?))),
        Expr::Binary(op, a, b) => {
            let (va, vb) = (varies(a, deriv), varies(b, deriv));
            let (da, db) = (derivative(a, deriv)?, derivative(b, deriv)?);
            match op {
                BinOp::Add | BinOp::Sub => Some(folded(*op, da, db)),
                BinOp::Mul if va && vb => None, // quadratic in v
                BinOp::Mul if va => Some(folded(BinOp::Mul, da, (**b).clone())),
                BinOp::Mul => Some(folded(BinOp::Mul, (**a).clone(), db)),
                BinOp::Div if !vb => Some(folded(BinOp::Div, da, (**b).clone())),
                _ => None,
            }
        }
        _ => None,
    }
}

/// a op b with the exact simplifications a derivative brings (d(v − e)/dv = 1 − 0 = 1, then 1·g = g): constants
/// computed, x ± 0 → x and 1·x, x·1, x/1 → x. Cranelift folds no float arithmetic.
fn folded(op: BinOp, a: Expr, b: Expr) -> Expr {
    match (op, &a, &b) {
        (_, Expr::Num(x), Expr::Num(y)) => Expr::Num(crate::interp::binary(op, *x, *y)),
        (BinOp::Add | BinOp::Sub, _, Expr::Num(z)) if *z == 0.0 => a,
        (BinOp::Add, Expr::Num(z), _) if *z == 0.0 => b,
        (BinOp::Mul | BinOp::Div, _, Expr::Num(one)) if *one == 1.0 => a,
        (BinOp::Mul, Expr::Num(one), _) if *one == 1.0 => b,
        _ => Expr::bin(op, a, b),
    }
}
