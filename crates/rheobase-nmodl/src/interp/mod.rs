//! The interpreter of the kernel IR: runs one function of a [`Program`] for one instance. It is the reference
//! the JIT is checked against and the fallback where the JIT is not available.
//!
//! Arithmetic follows NEURON's generated C: `exp` saturates as hoc_Exp does, `^` is `pow`, comparisons give 1
//! or 0, an index is truncated toward zero. An index out of bounds or a Newton iteration that does not
//! converge cannot be reported from inside a time step; the interpreter makes the value NaN (reads) or drops
//! it (writes) and keeps the first such fault for the caller ([`Interpreter::take_fault`]).

mod kinetic;

use crate::ir::*;
use rheobase_core::mechanisms::hoc_exp;
use std::collections::HashMap;
use std::sync::Arc;

/// The storage one instance sees (see [`crate::ir`]).
pub struct Instance<'a> {
    pub range: &'a mut [f64],
    pub globals: &'a mut [f64],
    /// mV
    pub v: f64,
    /// ms
    pub t: f64,
    /// ms
    pub dt: f64,
    /// °C
    pub celsius: f64,
    /// µm²
    pub area: f64,
    /// µm
    pub diam: f64,
    pub secondorder: f64,
    /// Whether `state_discontinuity` assigns now ([`Stmt::Discontinuity`]).
    pub discontinuity: bool,
}

/// A built TABLE: values at `n + 1` points from `tmin` with spacing 1/`mfac`, per output.
#[derive(Debug, Clone)]
struct TableData {
    depend: Vec<f64>,
    tmin: f64,
    mfac: f64,
    n: usize,
    values: Vec<Vec<f64>>,
    /// The same values as native code reads them: per interval i < n, a row of every output's value at point i,
    /// then every output's increment to point i + 1.
    rows: Vec<f64>,
}

/// The weight vectors of every NetCon that targets the instance NET_RECEIVE runs for (FOR_NETCONS), in creation
/// order, and which one delivers the event (None: a self-event or WATCH without weights).
#[derive(Debug, Default)]
pub struct NetconWeights {
    pub all: Vec<Vec<f64>>,
    pub current: Option<usize>,
}

/// The event requests of NET_RECEIVE or INITIAL, in the order made.
#[derive(Debug, Default)]
pub struct Events {
    /// (delivery time ms, flag)
    pub sends: Vec<(f64, f64)>,
    /// spike times, ms
    pub spikes: Vec<f64>,
    /// new times of the flag-1 self-event, ms
    pub moves: Vec<f64>,
}

pub struct Interpreter {
    program: Arc<Program>,
    tables: Vec<Option<TableData>>,
    pub(crate) stack: Vec<f64>,
    fault: Option<String>,
    /// `net_send`s since the last [`Interpreter::take_events`]: (delivery time ms, flag).
    sends: Vec<(f64, f64)>,
    /// `net_event`s since then: spike times, ms.
    spikes: Vec<f64>,
    /// `net_move`s since then: new times of the flag-1 self-event, ms.
    moves: Vec<f64>,
    /// WATCHes executed since then.
    watches: Option<Vec<(usize, f64)>>,
    /// What FOR_NETCONS iterates over during a NET_RECEIVE call (see [`Interpreter::set_netcons`]).
    netcons: Option<NetconWeights>,
    /// The equations a KINETIC block is building while it runs (see [`kinetic`]).
    system: Option<kinetic::System>,
}

/// Newton's method for derivimplicit: at most this many iterations, converged when every state's change is
/// below TOL·(1 + |x|).
const NEWTON_ITERATIONS: usize = 50;
const NEWTON_TOL: f64 = 1e-13;

impl Interpreter {
    pub fn new(program: Arc<Program>) -> Self {
        let n = program.funcs.len();
        Interpreter {
            program,
            tables: vec![None; n],
            stack: Vec::new(),
            fault: None,
            sends: Vec::new(),
            spikes: Vec::new(),
            moves: Vec::new(),
            watches: None,
            netcons: None,
            system: None,
        }
    }

    /// The first fault since the last call (index out of bounds, Newton not converging), if any.
    pub fn take_fault(&mut self) -> Option<String> {
        self.fault.take()
    }

    /// The `net_send`s ((time, flag)), `net_event`s (times) and `net_move`s (times) of the calls since the last
    /// take.
    pub fn take_events(&mut self) -> Events {
        Events {
            sends: std::mem::take(&mut self.sends),
            spikes: std::mem::take(&mut self.spikes),
            moves: std::mem::take(&mut self.moves),
        }
    }

    /// The NetCons FOR_NETCONS sees in the next NET_RECEIVE calls; taken back with [`Interpreter::take_netcons`].
    pub fn set_netcons(&mut self, netcons: NetconWeights) {
        self.netcons = Some(netcons);
    }

    pub fn take_netcons(&mut self) -> Option<NetconWeights> {
        self.netcons.take()
    }

    /// The WATCHes executed since the last call, (condition function, flag): they replace the instance's earlier
    /// ones. None when there was none.
    pub fn take_watches(&mut self) -> Option<Vec<(usize, f64)>> {
        self.watches.take()
    }

    /// NET_RECEIVE (function `f`) with the NetCon's weight vector, which it may change, and `flag`.
    pub fn net_receive(&mut self, f: usize, weights: &mut [f64], flag: f64, inst: &mut Instance) {
        let program = Arc::clone(&self.program);
        let func = &program.funcs[f];
        let n = func.params as usize - 1;
        let fp = self.stack.len();
        self.stack.resize(fp + func.frame as usize, 0.0);
        // A self-event from INITIAL carries no weights (NEURON passes a null pointer): they read as 0.
        for (slot, w) in self.stack[fp..fp + n].iter_mut().zip(weights.iter()) {
            *slot = *w;
        }
        self.stack[fp + n] = flag;
        self.stmts(&func.body, fp, inst);
        for (w, slot) in weights.iter_mut().zip(&self.stack[fp..fp + n]) {
            *w = *slot;
        }
        self.stack.truncate(fp);
    }

    pub(crate) fn fault(&mut self, msg: String) {
        self.fault.get_or_insert(msg);
    }

    /// Runs function `f` with `args`; returns its value (0 for a PROCEDURE).
    pub fn call(&mut self, f: usize, args: &[f64], inst: &mut Instance) -> f64 {
        let program = Arc::clone(&self.program);
        let func = &program.funcs[f];
        if program.function_tables.contains(&f) {
            return match function_table(&program.name, &func.name) {
                Some(table) => table.at(args),
                None => {
                    self.fault(format!(
                        "FUNCTION_TABLE {} has no values: set them with table_{}_{}(…)",
                        func.name, func.name, program.name
                    ));
                    f64::NAN
                }
            };
        }
        if let Some(t) = &func.table {
            if inst.globals[t.usetable as usize] != 0.0 {
                return self.table_call(f, func, t, args, inst);
            }
        }
        self.run(func, args, inst)
    }

    fn run(&mut self, func: &Func, args: &[f64], inst: &mut Instance) -> f64 {
        let fp = self.stack.len();
        self.stack.resize(fp + func.frame as usize, 0.0);
        self.stack[fp..fp + args.len()].copy_from_slice(args);
        self.stmts(&func.body, fp, inst);
        let result = func.result.map_or(0.0, |r| self.stack[fp + r as usize]);
        self.stack.truncate(fp);
        result
    }

    /// Builds function `f`'s TABLE if it has none or a DEPEND value changed (NEURON's check).
    fn check_table(&mut self, f: usize, func: &Func, t: &Table, args: &[f64], inst: &mut Instance) {
        let depend: Vec<f64> = t.depend.iter().map(|p| self.load(p, 0, inst)).collect();
        if self.tables[f].as_ref().is_none_or(|d| d.depend != depend) {
            let built = self.build_table(func, t, args, depend, inst);
            self.tables[f] = Some(built);
        }
    }

    /// Function `f`'s TABLE, built or rebuilt as needed: (tmin, 1/dx, intervals, rows of the values and
    /// increments of each interval).
    pub fn table(&mut self, f: usize, inst: &mut Instance) -> Option<(f64, f64, usize, &[f64])> {
        let program = Arc::clone(&self.program);
        let func = &program.funcs[f];
        let t = func.table.as_ref()?;
        let args = vec![0.0; func.params as usize];
        self.check_table(f, func, t, &args, inst);
        self.tables[f].as_ref().map(|d| (d.tmin, d.mfac, d.n, d.rows.as_slice()))
    }

    fn table_call(&mut self, f: usize, func: &Func, t: &Table, args: &[f64], inst: &mut Instance) -> f64 {
        self.check_table(f, func, t, args, inst);
        let data = self.tables[f].take().expect("built above");
        let xi = data.mfac * (args[0] - data.tmin);
        let at = |vals: &[f64]| {
            if xi.is_nan() {
                xi
            } else if xi <= 0.0 {
                vals[0]
            } else if xi >= data.n as f64 {
                vals[data.n]
            } else {
                let i = xi as usize;
                let theta = xi - i as f64;
                vals[i] + theta * (vals[i + 1] - vals[i])
            }
        };
        let mut result = 0.0;
        for (out, vals) in t.outputs.iter().zip(&data.values) {
            let y = at(vals);
            if let Var::Local(_) = out.var {
                result = y; // a FUNCTION's own value
            } else {
                self.store(out, 0, y, inst);
            }
        }
        self.tables[f] = Some(data);
        result
    }

    /// NEURON's table: `with + 1` points from `from` to `to`, the function run at each.
    fn build_table(
        &mut self,
        func: &Func,
        t: &Table,
        args: &[f64],
        depend: Vec<f64>,
        inst: &mut Instance,
    ) -> TableData {
        let tmin = self.eval(&t.from, 0, inst);
        let tmax = self.eval(&t.to, 0, inst);
        let n = self.eval(&t.with, 0, inst).max(1.0) as usize;
        let dx = (tmax - tmin) / n as f64;
        let mut values = vec![Vec::with_capacity(n + 1); t.outputs.len()];
        let mut a = args.to_vec();
        let mut x = tmin;
        for _ in 0..=n {
            a[0] = x;
            let fp = self.stack.len();
            self.stack.resize(fp + func.frame as usize, 0.0);
            self.stack[fp..fp + a.len()].copy_from_slice(&a);
            self.stmts(&func.body, fp, inst);
            for (out, vals) in t.outputs.iter().zip(&mut values) {
                vals.push(self.load(out, fp, inst));
            }
            self.stack.truncate(fp);
            x += dx;
        }
        let rows = (0..n)
            .flat_map(|i| {
                let at = values.iter().map(move |v| v[i]);
                at.chain(values.iter().map(move |v| v[i + 1] - v[i]))
            })
            .collect();
        TableData { depend, tmin, mfac: 1.0 / dx, n, values, rows }
    }

    fn stmts(&mut self, stmts: &[Stmt], fp: usize, inst: &mut Instance) {
        for s in stmts {
            match s {
                Stmt::Set(p, e) => {
                    let v = self.eval(e, fp, inst);
                    self.store(p, fp, v, inst);
                }
                Stmt::Discontinuity(p, e) => {
                    if inst.discontinuity {
                        let v = self.eval(e, fp, inst);
                        self.store(p, fp, v, inst);
                    }
                }
                Stmt::If(c, a, b) => {
                    if self.eval(c, fp, inst) != 0.0 {
                        self.stmts(a, fp, inst)
                    } else {
                        self.stmts(b, fp, inst)
                    }
                }
                Stmt::While(c, body) => {
                    while self.eval(c, fp, inst) != 0.0 {
                        self.stmts(body, fp, inst);
                    }
                }
                Stmt::For { var, from, to, by, body } => {
                    let from = self.eval(from, fp, inst).trunc();
                    let by = self.eval(by, fp, inst).trunc();
                    if by == 0.0 || by.is_nan() {
                        self.fault("FROM … BY 0".into());
                        continue;
                    }
                    let mut i = from;
                    loop {
                        let to = self.eval(to, fp, inst).trunc();
                        if !((by > 0.0 && i <= to) || (by < 0.0 && i >= to)) {
                            break;
                        }
                        self.stack[fp + *var as usize] = i;
                        self.stmts(body, fp, inst);
                        i += by;
                    }
                }
                Stmt::Call(f, args) => {
                    let a: Vec<f64> = args.iter().map(|e| self.eval(e, fp, inst)).collect();
                    self.call(*f, &a, inst);
                }
                Stmt::Implicit(imp) => self.implicit(imp, fp, inst),
                Stmt::NetSend { delay, flag } => {
                    let (delay, flag) = (self.eval(delay, fp, inst), self.eval(flag, fp, inst));
                    if delay < 0.0 || delay.is_nan() {
                        self.fault(format!("net_send with delay {delay} < 0 at t = {}", inst.t));
                    } else {
                        self.sends.push((inst.t + delay, flag));
                    }
                }
                Stmt::NetEvent(t) => {
                    let t = self.eval(t, fp, inst);
                    self.spikes.push(t);
                }
                Stmt::ForNetcons { args, body } => self.for_netcons(args, body, fp, inst),
                Stmt::Watch { cond, flag } => {
                    let flag = self.eval(flag, fp, inst);
                    self.watches.get_or_insert_with(Vec::new).push((*cond, flag));
                }
                Stmt::NetMove(t) => {
                    let t = self.eval(t, fp, inst);
                    self.moves.push(t);
                }
                Stmt::Kinetic(k) => self.kinetic(k, inst),
                Stmt::Reaction { lhs, rhs, kf, kb, fluxes } => {
                    self.reaction(lhs, rhs, kf, kb.as_ref(), *fluxes, fp, inst)
                }
                Stmt::Flux { state, flux, fluxes } => self.flux(state, flux, *fluxes, fp, inst),
                Stmt::Compartment { index, volume, states } => self.compartment(*index, volume, states, fp, inst),
                Stmt::Conserve { terms, value } => self.conserve(terms, value, fp, inst),
            }
        }
    }

    /// Backward Euler by Newton: residual r(x) = f(x) − (x − x_old)/dt, Jacobian by finite differences.
    /// FOR_NETCONS in the frame of NET_RECEIVE (at `fp`): the delivering NetCon's weights are NET_RECEIVE's own
    /// arguments (frame slots 0..n), so they pass into the loop and back out of it.
    fn for_netcons(&mut self, args: &[u32], body: &[Stmt], fp: usize, inst: &mut Instance) {
        let Some(mut nw) = self.netcons.take() else {
            // The engine passes the NetCons to every NET_RECEIVE (and its INITIAL) of a mechanism that has
            // FOR_NETCONS; a call without them is a bug worth a message, not a silent empty loop.
            self.fault("FOR_NETCONS needs the NetCons of the instance, which this call was not given".into());
            return;
        };
        let program = Arc::clone(&self.program);
        let n = program.net_receive.map_or(0, |f| program.funcs[f].params as usize - 1);
        if let Some(c) = nw.current {
            for a in 0..n.min(nw.all[c].len()) {
                nw.all[c][a] = self.stack[fp + a];
            }
        }
        for j in 0..nw.all.len() {
            for (k, &slot) in args.iter().enumerate() {
                self.stack[fp + slot as usize] = nw.all[j].get(k).copied().unwrap_or(0.0);
            }
            self.stmts(body, fp, inst);
            for (k, &slot) in args.iter().enumerate().take(nw.all[j].len()) {
                nw.all[j][k] = self.stack[fp + slot as usize];
            }
        }
        if let Some(c) = nw.current {
            for a in 0..n.min(nw.all[c].len()) {
                self.stack[fp + a] = nw.all[c][a];
            }
        }
        self.netcons = Some(nw);
    }

    fn implicit(&mut self, imp: &Implicit, fp: usize, inst: &mut Instance) {
        let n = imp.states.len();
        let old: Vec<f64> = imp.states.iter().map(|p| self.load(p, fp, inst)).collect();
        let mut x = old.clone();
        let step_dt = inst.dt;
        let dt = imp.dt.unwrap_or(step_dt);
        inst.dt = dt;
        let residual = |me: &mut Self, x: &[f64], inst: &mut Instance| -> Vec<f64> {
            for (p, &xi) in imp.states.iter().zip(x) {
                me.store(p, fp, xi, inst);
            }
            me.call(imp.deriv, &[], inst);
            let step = |i: usize| if imp.backward_euler { (x[i] - old[i]) / dt } else { 0.0 };
            (0..n).map(|i| me.load(&imp.slopes[i], fp, inst) - step(i)).collect()
        };
        let mut converged = false;
        for _ in 0..NEWTON_ITERATIONS {
            let r = residual(self, &x, inst);
            let mut jac = vec![0.0; n * n];
            for j in 0..n {
                let h = 1e-7 * x[j].abs().max(1e-7);
                let mut xh = x.clone();
                xh[j] += h;
                let rh = residual(self, &xh, inst);
                for i in 0..n {
                    jac[i * n + j] = (rh[i] - r[i]) / h;
                }
            }
            let Some(delta) = solve_dense(&mut jac, r.iter().map(|v| -v).collect(), n) else { break };
            let mut done = true;
            for (xi, di) in x.iter_mut().zip(&delta) {
                done &= di.abs() <= NEWTON_TOL * (1.0 + xi.abs());
                *xi += di;
            }
            if done {
                converged = true;
                break;
            }
        }
        if !converged {
            let what = if imp.backward_euler { "derivimplicit" } else { "LINEAR/NONLINEAR" };
            self.fault(format!("{what}: Newton's method did not converge at t = {}", inst.t));
        }
        for (p, &xi) in imp.states.iter().zip(&x) {
            self.store(p, fp, xi, inst);
        }
        self.call(imp.deriv, &[], inst); // leave the slopes and assigned values of the final states
        inst.dt = step_dt;
    }

    pub(crate) fn index(&mut self, p: &Place, fp: usize, inst: &mut Instance) -> Option<usize> {
        let Some(i) = &p.index else { return Some(0) };
        let i = self.eval(i, fp, inst).trunc();
        if i >= 0.0 && i < p.len as f64 {
            Some(i as usize)
        } else {
            self.fault(format!("array index {i} out of bounds (size {})", p.len));
            None
        }
    }

    pub(crate) fn load(&mut self, p: &Place, fp: usize, inst: &mut Instance) -> f64 {
        let Some(i) = self.index(p, fp, inst) else { return f64::NAN };
        match p.var {
            Var::Range(k) => inst.range[k as usize + i],
            Var::Global(k) => inst.globals[k as usize + i],
            Var::Local(k) => self.stack[fp + k as usize + i],
            Var::V => inst.v,
            Var::T => inst.t,
            Var::Dt => inst.dt,
            Var::Celsius => inst.celsius,
            Var::Area => inst.area,
            Var::Diam => inst.diam,
            Var::SecondOrder => inst.secondorder,
        }
    }

    pub(crate) fn store(&mut self, p: &Place, fp: usize, value: f64, inst: &mut Instance) {
        let Some(i) = self.index(p, fp, inst) else { return };
        match p.var {
            Var::Range(k) => inst.range[k as usize + i] = value,
            Var::Global(k) => inst.globals[k as usize + i] = value,
            Var::Local(k) => self.stack[fp + k as usize + i] = value,
            // A mechanism's copy of v (a FUNCTION argument named v is a Local); NEURON's `v = …` in a mechanism
            // changes only that copy.
            Var::V => inst.v = value,
            Var::T => inst.t = value,
            Var::Dt => inst.dt = value,
            Var::Celsius => inst.celsius = value,
            Var::Area => inst.area = value,
            Var::Diam => inst.diam = value,
            Var::SecondOrder => inst.secondorder = value,
        }
    }

    pub(crate) fn eval(&mut self, e: &Expr, fp: usize, inst: &mut Instance) -> f64 {
        match e {
            Expr::Num(v) => *v,
            Expr::Get(p) => self.load(p, fp, inst),
            Expr::Unary(op, a) => {
                let a = self.eval(a, fp, inst);
                match op {
                    UnOp::Neg => -a,
                    UnOp::Not => (a == 0.0) as i32 as f64,
                }
            }
            Expr::Binary(op, a, b) => {
                let x = self.eval(a, fp, inst);
                // && and || short-circuit, as in C.
                match op {
                    BinOp::And if x == 0.0 => return 0.0,
                    BinOp::Or if x != 0.0 => return 1.0,
                    _ => {}
                }
                let y = self.eval(b, fp, inst);
                binary(*op, x, y)
            }
            Expr::Builtin(f, args) => {
                let x = args.first().map_or(0.0, |a| self.eval(a, fp, inst));
                let y = args.get(1).map_or(0.0, |a| self.eval(a, fp, inst));
                builtin(*f, x, y)
            }
            Expr::Call(f, args) => {
                let a: Vec<f64> = args.iter().map(|e| self.eval(e, fp, inst)).collect();
                self.call(*f, &a, inst)
            }
            Expr::Random(op, args) => {
                let a: Vec<f64> = args.iter().map(|e| self.eval(e, fp, inst)).collect();
                random(*op, &a, inst)
            }
        }
    }
}

/// A FUNCTION_TABLE's values as Python set them (NEURON's hoc_spec_table): a constant, or values over a grid
/// with one axis per argument, in row order (the last argument's index varies fastest).
#[derive(Debug, Clone, PartialEq)]
pub enum FunctionTable {
    Constant(f64),
    Grid { axes: Vec<Axis>, ys: Vec<f64> },
}

/// The points of one argument: ascending values, or `n` even points from `min` to `max`.
#[derive(Debug, Clone, PartialEq)]
pub enum Axis {
    Points(Vec<f64>),
    Even { n: usize, min: f64, max: f64 },
}

impl Axis {
    pub fn points(&self) -> usize {
        match self {
            Axis::Points(xs) => xs.len(),
            Axis::Even { n, .. } => *n,
        }
    }

    /// NEURON's arg_index: the point at or below x and the fraction of the way to the next (0 at and beyond
    /// the ends, which hold their values).
    fn locate(&self, x: f64) -> (usize, f64) {
        match self {
            Axis::Points(xs) => {
                let last = xs.len() - 1;
                if x <= xs[0] {
                    (0, 0.0)
                } else if x >= xs[last] {
                    (last, 0.0)
                } else {
                    let j = xs.partition_point(|&p| p <= x) - 1;
                    (j, (x - xs[j]) / (xs[j + 1] - xs[j]))
                }
            }
            Axis::Even { n, min, max } => {
                if x <= *min {
                    (0, 0.0)
                } else if x >= *max {
                    (n - 1, 0.0)
                } else {
                    let x1 = (x - min) / ((max - min) / (n - 1) as f64);
                    (x1 as usize, x1 - x1.trunc())
                }
            }
        }
    }
}

impl FunctionTable {
    /// NEURON's hoc_func_table at `args` (one per axis): linear interpolation in one argument, bilinear in
    /// two (in its order of operations), and the value at the grid point below for three or more.
    pub fn at(&self, args: &[f64]) -> f64 {
        let (axes, ys) = match self {
            FunctionTable::Constant(c) => return *c,
            FunctionTable::Grid { axes, ys } => (axes, ys),
        };
        let inter = |frac: f64, j: usize| if frac > 0.0 { (1.0 - frac) * ys[j] + frac * ys[j + 1] } else { ys[j] };
        let mut j = 0;
        let mut fracs = Vec::with_capacity(axes.len());
        for (axis, &x) in axes.iter().zip(args) {
            let (i, frac) = axis.locate(x);
            j = j * axis.points() + i;
            fracs.push(frac);
        }
        match fracs[..] {
            [f] => inter(f, j),
            [fx, fy] => {
                let y1 = inter(fy, j);
                if fx > 0.0 {
                    let y2 = inter(fy, j + axes[1].points());
                    (1.0 - fx) * y1 + fx * y2
                } else {
                    y1
                }
            }
            _ => ys[j],
        }
    }
}

type FunctionTables = std::sync::Mutex<HashMap<(String, String), Arc<FunctionTable>>>;
static FUNCTION_TABLES: std::sync::OnceLock<FunctionTables> = std::sync::OnceLock::new();

/// Sets the values of FUNCTION_TABLE `func` of mechanism `mech` (shared by every instance, as in NEURON).
pub fn set_function_table(mech: &str, func: &str, table: FunctionTable) {
    let tables = FUNCTION_TABLES.get_or_init(Default::default);
    tables.lock().unwrap_or_else(|e| e.into_inner()).insert((mech.into(), func.into()), Arc::new(table));
}

fn function_table(mech: &str, func: &str) -> Option<Arc<FunctionTable>> {
    let tables = FUNCTION_TABLES.get_or_init(Default::default);
    tables.lock().unwrap_or_else(|e| e.into_inner()).get(&(mech.to_string(), func.to_string())).cloned()
}

/// NEURON's legacy generator (scoprand.cpp): one process-wide 32-bit LCG, seeded 1.
static SCOP_STATE: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(1);

fn scop_random() -> f64 {
    use std::sync::atomic::Ordering;
    let next = |v: u32| v.wrapping_mul(2_147_437_301).wrapping_add(453_816_981);
    let prev = SCOP_STATE.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |v| Some(next(v))).unwrap_or(1);
    (next(prev) as f64 / u32::MAX as f64).abs()
}

/// A random function (see [`Random`]).
fn random(op: Random, a: &[f64], inst: &mut Instance) -> f64 {
    use rheobase_core::random123;
    match op {
        Random::Stream { stream, op } => {
            let slots = &mut inst.range[stream as usize..stream as usize + random123::STREAM_SLOTS];
            let s: &mut [f64; random123::STREAM_SLOTS] = slots.try_into().expect("a stream's slots");
            match op {
                StreamOp::Negexp => -random123::next_uniform(s).ln() * a.first().copied().unwrap_or(1.0),
                StreamOp::Uniform => match a {
                    [lo, hi] => lo + random123::next_uniform(s) * (hi - lo),
                    _ => random123::next_uniform(s),
                },
                StreamOp::Normal => {
                    let (u1, w) = loop {
                        let u1 = 2.0 * random123::next_uniform(s) - 1.0;
                        let u2 = 2.0 * random123::next_uniform(s) - 1.0;
                        let w = u1 * u1 + u2 * u2;
                        if w <= 1.0 {
                            break (u1, w);
                        }
                    };
                    let x = u1 * ((-2.0 * w.ln()) / w).sqrt();
                    match a {
                        [mu, sigma] => mu + x * sigma,
                        _ => x,
                    }
                }
                StreamOp::Ipick => random123::next_word(s) as f64,
                StreamOp::Dpick => random123::next_uniform(s),
                StreamOp::SetSeq => {
                    random123::set_seq(s, a[0].max(0.0).trunc() as u64);
                    0.0
                }
                StreamOp::SetIds => {
                    // Only the ids: NEURON keeps the block it has (see random123::STREAM_SLOTS).
                    for (k, id) in a.iter().take(3).enumerate() {
                        s[k] = id.max(0.0).trunc();
                    }
                    0.0
                }
            }
        }
        Random::ScopRandom => scop_random(),
        Random::SetSeed => {
            SCOP_STATE.store(a[0] as u32, std::sync::atomic::Ordering::Relaxed);
            0.0
        }
        Random::Exprand => -a[0] * scop_random().ln(),
        Random::Poisrand => {
            // scopmath's poisrand: an int, n − 1 for the first n with a product of n uniforms < e^−mean.
            let (s, mut q, mut n) = ((-a[0]).exp(), 1.0, 0);
            while q >= s {
                q *= scop_random();
                n += 1;
            }
            (n - 1) as f64
        }
        Random::Normrand => {
            // Polar Box–Muller as scopmath's normrand: one of the pair is used.
            let (mut s, mut v1) = (1.0, 0.0);
            while s >= 1.0 {
                v1 = 2.0 * scop_random() - 1.0;
                let v2 = 2.0 * scop_random() - 1.0;
                s = v1 * v1 + v2 * v2;
            }
            v1 * (-2.0 * s.ln() / s).sqrt() * a[1] + a[0]
        }
    }
}

pub fn binary(op: BinOp, x: f64, y: f64) -> f64 {
    let b = |c: bool| c as i32 as f64;
    match op {
        BinOp::Add => x + y,
        BinOp::Sub => x - y,
        BinOp::Mul => x * y,
        BinOp::Div => x / y,
        BinOp::Pow => x.powf(y),
        BinOp::Lt => b(x < y),
        BinOp::Le => b(x <= y),
        BinOp::Gt => b(x > y),
        BinOp::Ge => b(x >= y),
        BinOp::Eq => b(x == y),
        BinOp::Ne => b(x != y),
        BinOp::And => b(x != 0.0 && y != 0.0),
        BinOp::Or => b(x != 0.0 || y != 0.0),
    }
}

pub fn builtin(f: Builtin, x: f64, y: f64) -> f64 {
    use Builtin::*;
    match f {
        Exp => hoc_exp(x),
        Log => x.ln(),
        Log10 => x.log10(),
        Sqrt => x.sqrt(),
        Fabs => x.abs(),
        Pow => x.powf(y),
        Sin => x.sin(),
        Cos => x.cos(),
        Tan => x.tan(),
        Asin => x.asin(),
        Acos => x.acos(),
        Atan => x.atan(),
        Atan2 => x.atan2(y),
        Sinh => x.sinh(),
        Cosh => x.cosh(),
        Tanh => x.tanh(),
        Floor => x.floor(),
        Ceil => x.ceil(),
        Fmod => x % y,
        Fmin => x.min(y),
        Fmax => x.max(y),
        Trunc => x.trunc(),
    }
}

/// Solves a·x = b (a is n×n, row-major) by Gaussian elimination with partial pivoting; None if singular.
pub(crate) fn solve_dense(a: &mut [f64], mut b: Vec<f64>, n: usize) -> Option<Vec<f64>> {
    for c in 0..n {
        let p = (c..n).max_by(|&i, &j| a[i * n + c].abs().total_cmp(&a[j * n + c].abs()))?;
        if a[p * n + c] == 0.0 || !a[p * n + c].is_finite() {
            return None;
        }
        if p != c {
            for k in 0..n {
                a.swap(p * n + k, c * n + k);
            }
            b.swap(p, c);
        }
        for r in c + 1..n {
            let f = a[r * n + c] / a[c * n + c];
            for k in c..n {
                a[r * n + k] -= f * a[c * n + k];
            }
            b[r] -= f * b[c];
        }
    }
    for c in (0..n).rev() {
        let s: f64 = (c + 1..n).map(|k| a[c * n + k] * b[k]).sum();
        b[c] = (b[c] - s) / a[c * n + c];
    }
    Some(b)
}
