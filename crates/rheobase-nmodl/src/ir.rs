//! The kernel IR: what a mechanism computes, with every name resolved to a storage place.
//!
//! One [`Program`] per `.mod` file. Its [`Func`]s are the user's FUNCTIONs and PROCEDUREs plus the entry points
//! the engine calls (INITIAL, the BREAKPOINT currents, the state update of each SOLVE). Statements and
//! expressions form trees; the interpreter ([`crate::interp`]) walks them and the JIT compiles them.
//!
//! Storage an instance sees while a function runs:
//! * [`Var::Range`]: its per-instance values (the mechanism's RANGE variables, and hidden per-instance slots
//!   such as its copies of ion variables), laid out as [`Program::range`];
//! * [`Var::Global`]: per-mechanism values ([`Program::globals`]: GLOBAL parameters, file-scope LOCALs, table
//!   switches);
//! * [`Var::Local`]: the running function's frame (arguments first, then the return value of a FUNCTION, then
//!   its LOCALs);
//! * NEURON's specials (`v`, `t`, `dt`, `celsius`, `area`, `diam`), read from the instance's node.

/// Where a value lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Var {
    Range(u32),
    Global(u32),
    Local(u32),
    /// Membrane potential (mV) as the kernel passes it (v + 0.001 for the current's derivative).
    V,
    /// Time, ms.
    T,
    /// Time step, ms.
    Dt,
    /// Temperature, °C.
    Celsius,
    /// Segment area, µm².
    Area,
    /// Segment diameter, µm.
    Diam,
    /// NEURON's `secondorder` flag.
    SecondOrder,
}

/// A scalar or an element of an array variable: `var` is the array's first element, `len` its size (1 for a
/// scalar) and `index` the element's index expression (truncated toward zero, bounds-checked at run time).
#[derive(Debug, Clone, PartialEq)]
pub struct Place {
    pub var: Var,
    pub index: Option<Box<Expr>>,
    pub len: u32,
}

impl Place {
    pub fn scalar(var: Var) -> Self {
        Place { var, index: None, len: 1 }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnOp {
    Neg,
    Not,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Pow,
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
    And,
    Or,
}

/// The math library functions a `.mod` file may call (NEURON's semantics: `exp` saturates like hoc_Exp).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Builtin {
    Exp,
    Log,
    Log10,
    Sqrt,
    Fabs,
    Pow,
    Sin,
    Cos,
    Tan,
    Asin,
    Acos,
    Atan,
    Atan2,
    Sinh,
    Cosh,
    Tanh,
    Floor,
    Ceil,
    Fmod,
    Fmin,
    Fmax,
    /// Truncation toward zero: C's conversion to int, for index expressions (not callable from NMODL).
    Trunc,
}

impl Builtin {
    pub fn from_name(name: &str) -> Option<Builtin> {
        use Builtin::*;
        Some(match name {
            "exp" => Exp,
            "log" => Log,
            "log10" => Log10,
            "sqrt" => Sqrt,
            "fabs" => Fabs,
            "pow" => Pow,
            "sin" => Sin,
            "cos" => Cos,
            "tan" => Tan,
            "asin" => Asin,
            "acos" => Acos,
            "atan" => Atan,
            "atan2" => Atan2,
            "sinh" => Sinh,
            "cosh" => Cosh,
            "tanh" => Tanh,
            "floor" => Floor,
            "ceil" => Ceil,
            "fmod" => Fmod,
            "fmin" => Fmin,
            "fmax" => Fmax,
            _ => return None,
        })
    }

    pub fn arity(self) -> usize {
        match self {
            Builtin::Pow | Builtin::Atan2 | Builtin::Fmod | Builtin::Fmin | Builtin::Fmax => 2,
            _ => 1,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Num(f64),
    Get(Place),
    Unary(UnOp, Box<Expr>),
    Binary(BinOp, Box<Expr>, Box<Expr>),
    Builtin(Builtin, Vec<Expr>),
    /// A user FUNCTION (index into [`Program::funcs`]); its value is the function's return slot.
    Call(usize, Vec<Expr>),
    /// A random number function (it changes a generator's state): see [`Random`].
    Random(Random, Vec<Expr>),
}

/// The random functions a `.mod` file may call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Random {
    /// A function of a RANDOM variable (NEURON 9): the instance's Random123 stream, whose ids and sequence
    /// number are the four range slots from `stream`.
    Stream {
        stream: u32,
        op: StreamOp,
    },
    /// The legacy functions, on NEURON's one process-wide generator (a 32-bit LCG): `scop_random()`,
    /// `set_seed(s)`, `exprand(mean)`, `normrand(mean, sd)`.
    ScopRandom,
    SetSeed,
    Exprand,
    Normrand,
    /// `poisrand(mean)`: scopmath's Poisson draw (products of uniforms until below e^−mean).
    Poisrand,
}

/// What a `random_*` function does with its stream (NEURON's nrnran123.cpp, word by word): the arguments after
/// the RANDOM variable are optional where NEURON overloads the function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamOp {
    /// `random_negexp(r [, mean])`: −ln(u)·mean, u uniform in (0, 1).
    Negexp,
    /// `random_uniform(r [, a, b])`: u, or a + u·(b − a).
    Uniform,
    /// `random_normal(r [, mu, sigma])`: the polar method on pairs of draws until one falls in the unit disk.
    Normal,
    /// `random_ipick(r)`: the next 32-bit word.
    Ipick,
    /// `random_dpick(r)`: u.
    Dpick,
    /// `random_setseq(r, n)`: the stream continues at sequence number n.
    SetSeq,
    /// `random_setids(r, id1, id2, id3)`.
    SetIds,
}

impl StreamOp {
    /// The function's name and the numbers of arguments it takes, RANDOM variable included.
    pub const ALL: [(&'static str, StreamOp, &'static [usize]); 7] = [
        ("random_negexp", StreamOp::Negexp, &[1, 2]),
        ("random_uniform", StreamOp::Uniform, &[1, 3]),
        ("random_normal", StreamOp::Normal, &[1, 3]),
        ("random_ipick", StreamOp::Ipick, &[1]),
        ("random_dpick", StreamOp::Dpick, &[1]),
        ("random_setseq", StreamOp::SetSeq, &[2]),
        ("random_setids", StreamOp::SetIds, &[4]),
    ];
}

impl Expr {
    pub fn get(var: Var) -> Expr {
        Expr::Get(Place::scalar(var))
    }
    pub fn bin(op: BinOp, a: Expr, b: Expr) -> Expr {
        Expr::Binary(op, Box::new(a), Box::new(b))
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Stmt {
    Set(Place, Expr),
    If(Expr, Vec<Stmt>, Vec<Stmt>),
    While(Expr, Vec<Stmt>),
    /// `FROM i = from TO to BY by { body }` as nocmodl's C loop `for (i = (int)from; i <= (int)to; i += (int)by)`:
    /// `var` is a frame slot, `to` is evaluated again before every iteration (a downward loop tests `>=`).
    For {
        var: u32,
        from: Expr,
        to: Expr,
        by: Expr,
        body: Vec<Stmt>,
    },
    /// A FUNCTION or PROCEDURE called for its effects.
    Call(usize, Vec<Expr>),
    /// Backward Euler on the equations of a DERIVATIVE block (`derivimplicit`): see [`Implicit`].
    Implicit(Implicit),
    /// `net_send(delay, flag)`: a self-event at t + delay (ms).
    NetSend {
        delay: Expr,
        flag: Expr,
    },
    /// `net_event(t)`: a spike of this point process at time t (ms).
    NetEvent(Expr),
    /// `state_discontinuity(x, e)` outside NET_RECEIVE: x = e where NEURON's `state_discontinuity` lets it
    /// happen. Not during finitialize's current evaluation, and in a step's BREAKPOINT only during the first
    /// of its two evaluations (at v + 0.001 mV; nocmodl's `state_discon_flag_` blocks the second); elsewhere
    /// (INITIAL, SOLVEs) always. [`crate::interp::Instance::discontinuity`] says which.
    Discontinuity(Place, Expr),
    /// `net_move(t)`: the outstanding self-event of flag 1 moves to time t (ms).
    NetMove(Expr),
    /// `WATCH (cond) flag` in NET_RECEIVE: from now on, each step (at its start) where function `cond` (no
    /// arguments; its value non-zero for true) turns true delivers `flag` to NET_RECEIVE. The first WATCH a
    /// NET_RECEIVE call executes replaces the instance's earlier ones.
    Watch {
        cond: usize,
        flag: Expr,
    },
    /// `FOR_NETCONS(a, b, …) { body }` in NET_RECEIVE: the body once per NetCon that targets the instance (in
    /// creation order), frame slots `args` bound to that NetCon's weight vector elements (which keep what the body
    /// assigns; the delivering NetCon's are NET_RECEIVE's own arguments).
    ForNetcons {
        args: Vec<u32>,
        body: Vec<Stmt>,
    },
    /// SOLVE of a KINETIC block by NEURON's `sparse` method (see [`Kinetic`]).
    Kinetic(Kinetic),
    /// `~ A + 2B <-> C (kf, kb)` inside a KINETIC block: mass-action fluxes f = kf·A·B², b = kb·C into the
    /// equations of the states among the species; other species are constant factors. `fluxes` are the frame
    /// slots of `f_flux` and `b_flux`.
    Reaction {
        lhs: Vec<(Place, u32)>,
        rhs: Vec<(Place, u32)>,
        kf: Expr,
        kb: Option<Expr>,
        fluxes: (u32, u32),
    },
    /// `~ x << (flux)`: flux (amount per ms) into x's equation only.
    Flux {
        state: Place,
        flux: Expr,
        fluxes: (u32, u32),
    },
    /// `COMPARTMENT [i,] volume { states }`: the equations of `states` are weighted by `volume`; with an index
    /// (frame slot `index`) every element k of an array state gets the volume evaluated at i = k.
    Compartment {
        index: Option<u32>,
        volume: Expr,
        states: Vec<Place>,
    },
    /// `CONSERVE Σ coef·state = value`: replaces the equation of one of its states (the last-named still free).
    Conserve {
        terms: Vec<(Place, f64)>,
        value: Expr,
    },
}

/// `SOLVE block METHOD sparse` (or `STEADYSTATE sparse`) of a KINETIC block (or the rates of change of its
/// states for METHOD euler or runge: see `slopes`): backward Euler on the
/// compartment-weighted mass-action system, by Newton's method as NEURON's `sparse_thread` (one solve for a linear
/// scheme; else until Σ|Δ| ≤ 1e-6, negative states clamped to 0); the block then runs once more at the new states.
#[derive(Debug, Clone, PartialEq)]
pub struct Kinetic {
    /// The block as a function (its Reaction, Flux, Compartment and Conserve statements build the system).
    pub block: usize,
    /// The range slot of every state element, in equation order.
    pub rows: Vec<u32>,
    /// No reaction multiplies two states or has a stoichiometry above 1.
    pub linear: bool,
    /// STEADYSTATE (in INITIAL): dt = 1e9 and NEURON's steady-state passes.
    pub steady: bool,
    /// METHOD euler or runge: no solve; the block's rates of change (Σ fluxes / compartment volume, CONSERVE
    /// ignored, as nocmodl's derivative form) go to these range slots, one per row, for the explicit method.
    pub slopes: Option<Vec<u32>>,
}

impl Stmt {
    /// Statements only the interpreter runs: Newton and sparse solves, event requests, and the reactions of a
    /// KINETIC block (which build its system).
    pub fn interpreter_only(&self) -> bool {
        matches!(
            self,
            Stmt::Implicit(_)
                | Stmt::NetSend { .. }
                | Stmt::NetEvent(_)
                | Stmt::NetMove(_)
                | Stmt::Discontinuity(..)
                | Stmt::Watch { .. }
                | Stmt::ForNetcons { .. }
                | Stmt::Kinetic(_)
                | Stmt::Reaction { .. }
                | Stmt::Flux { .. }
                | Stmt::Compartment { .. }
                | Stmt::Conserve { .. }
        )
    }
}

/// `SOLVE name METHOD derivimplicit`: find the states x at t + dt with x − x_old − dt·f(x) = 0 by Newton's method
/// with a finite-difference Jacobian (as NEURON's `derivimplicit`). `deriv` is the function that evaluates the
/// DERIVATIVE block, storing f(x) of `states[k]` in `slopes[k]`. Without `backward_euler` (SOLVE of a LINEAR or
/// NONLINEAR block) the system is f(x) = 0 itself: `deriv` stores each equation's lhs − rhs.
#[derive(Debug, Clone, PartialEq)]
pub struct Implicit {
    pub deriv: usize,
    pub states: Vec<Place>,
    pub slopes: Vec<Place>,
    pub backward_euler: bool,
    /// The dt of the solve, when not the step's (read by the block too): 1e-9 ms for `SOLVE … STEADYSTATE
    /// derivimplicit`, as NEURON 9's `_ss_derivimplicit_thread` sets it.
    pub dt: Option<f64>,
}

/// A `TABLE` on a FUNCTION or PROCEDURE: while the mechanism's `usetable` global is non-zero, calls with the
/// first argument x interpolate linearly in tabulated values at `with + 1` points from `from` to `to`, rebuilt
/// when a `depend` value changes (NEURON's rule, including its clamping at the ends).
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// The tabulated outputs: for a PROCEDURE, the variables it assigns; for a FUNCTION, its return slot.
    pub outputs: Vec<Place>,
    pub depend: Vec<Place>,
    pub from: Expr,
    pub to: Expr,
    pub with: Expr,
    /// The global that switches tables on (`usetable_<suffix>`).
    pub usetable: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Func {
    pub name: String,
    pub params: u32,
    /// Frame size: arguments, then (FUNCTION) the return value, then LOCALs.
    pub frame: u32,
    /// The return slot of a FUNCTION.
    pub result: Option<u32>,
    pub body: Vec<Stmt>,
    pub table: Option<Table>,
}

/// What a per-instance slot holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlotKind {
    Parameter,
    Assigned,
    State,
    /// Not visible to the user (an ion variable the mechanism does not list in RANGE, a state's derivative …).
    Hidden,
    /// A POINTER: the engine copies the value of the variable it points to in before the mechanism's code runs
    /// and, when `written` (some statement assigns it), back out after.
    Pointer {
        written: bool,
    },
}

/// A per-instance slot.
#[derive(Debug, Clone, PartialEq)]
pub struct RangeSlot {
    pub name: String,
    pub units: String,
    pub default: f64,
    pub kind: SlotKind,
}

#[derive(Debug, Clone, PartialEq)]
pub struct GlobalSlot {
    /// The name without the suffix; `exposed` globals are visible as `name_suffix`.
    pub name: String,
    pub default: f64,
    pub exposed: bool,
    /// NMODL's EXTERNAL: another mechanism's global, named in full (the engine gives it the owner's value).
    pub external: bool,
}

impl GlobalSlot {
    /// Held by the engine (a block's globals, settable from Python): exposed or EXTERNAL.
    pub fn shared(&self) -> bool {
        self.exposed || self.external
    }

    /// The name Python and the engine know it by.
    pub fn full_name(&self, suffix: &str) -> String {
        if self.external {
            self.name.clone()
        } else {
            format!("{}_{suffix}", self.name)
        }
    }
}

/// The field of an ion a mechanism reads or writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IonField {
    /// Reversal potential `eX`, mV.
    E,
    /// Inner concentration `Xi`, mM.
    Inner,
    /// Outer concentration `Xo`, mM.
    Outer,
    /// Current `iX`, mA/cm².
    Current,
}

/// How one ion variable moves between the ion and the mechanism's copy of it (range slot `slot`).
#[derive(Debug, Clone, PartialEq)]
pub struct IonVar {
    pub field: IonField,
    pub slot: u32,
    pub read: bool,
    pub write: bool,
}

impl IonVar {
    pub fn is_concentration(&self) -> bool {
        matches!(self.field, IonField::Inner | IonField::Outer)
    }

    /// Copied into the mechanism before its code runs (nocmodl's get_ion_variables): read, or a written
    /// concentration.
    pub fn copied_in(&self) -> bool {
        self.read || (self.write && self.is_concentration())
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct IonUse {
    pub name: String,
    pub valence: Option<f64>,
    pub vars: Vec<IonVar>,
}

/// BREAKPOINT with the derivative of every current by v carried along: `func` leaves the membrane conductance
/// d(Σ currents)/dv in range slot `total` and, for each written ion current (in `IonUse` order), its own in
/// `ions`.
#[derive(Debug, Clone, PartialEq)]
pub struct Conductance {
    pub func: usize,
    pub total: u32,
    pub ions: Vec<u32>,
}

/// How NEURON instantiates a mechanism.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// SUFFIX: currents in mA/cm².
    Density,
    /// POINT_PROCESS: currents in nA, scaled by 100/area (µm²) into the node.
    Point,
    /// ARTIFICIAL_CELL: no node, no current; driven by events.
    Artificial,
}

/// The functions of a point process's CONSTRUCTOR and DESTRUCTOR blocks, callable by these names.
pub const CONSTRUCTOR: &str = "<CONSTRUCTOR>";
pub const DESTRUCTOR: &str = "<DESTRUCTOR>";

/// The kernel program of one mechanism.
#[derive(Debug, Clone, PartialEq)]
pub struct Program {
    pub name: String,
    pub kind: Kind,
    /// An ELECTRODE_CURRENT makes the whole current count positive inward (NEURON flips the sign for the
    /// mechanism, not per current).
    pub electrode: bool,
    /// NET_RECEIVE: the function (its parameters are the weight vector's elements, then `flag`) and the
    /// argument names (the NetCon weight vector's names).
    pub net_receive: Option<usize>,
    /// FUNCTION_TABLEs: functions of one argument whose values Python sets (`n.table_<f>_<suffix>(…)`,
    /// [`crate::interp::set_function_table`]).
    pub function_tables: Vec<usize>,
    /// The RANDOM variables' names (r's stream lives in the hidden slots from `r:id1`: see `random123::STREAM_SLOTS`).
    pub random: Vec<String>,
    /// BEFORE/AFTER blocks: (where, function), in the file's order.
    pub before_after: Vec<(rheobase_core::mechanisms::BaPoint, usize)>,
    /// NET_RECEIVE's INITIAL block: run at finitialize for each NetCon that targets the instance, on that NetCon's
    /// weight vector (same arguments as NET_RECEIVE; flag 0).
    pub net_init: Option<usize>,
    pub weights: Vec<String>,
    /// FUNCTIONs and PROCEDUREs that hold VERBATIM C code, which the mechanism's own blocks never call: the
    /// mechanism loads, and calling one from Python raises NotImplementedError with this message.
    pub unavailable: Vec<(usize, String)>,
    pub range: Vec<RangeSlot>,
    pub globals: Vec<GlobalSlot>,
    pub ions: Vec<IonUse>,
    pub funcs: Vec<Func>,
    /// Sets every state to its start value (`x0`, 0 unless START gives one); runs before INITIAL.
    pub start: usize,
    /// INITIAL.
    pub initial: usize,
    /// BREAKPOINT without its SOLVE statements: computes the currents.
    pub current: usize,
    /// The SOLVE statements of BREAKPOINT, in order: advances the states over dt.
    pub state: usize,
    /// Range slots the BREAKPOINT currents are read from (ion currents and NONSPECIFIC_CURRENTs): the membrane
    /// current is their sum.
    pub currents: Vec<u32>,
    /// When every current is linear in v: BREAKPOINT once, with the exact conductances (see [`Conductance`]),
    /// instead of NEURON's two evaluations for a finite difference (the same numbers to ~1e-12 relative).
    pub conductance: Option<Conductance>,
    /// LONGITUDINAL_DIFFUSION of the KINETIC blocks.
    pub diffusion: Option<Diffusion>,
}

/// LONGITUDINAL_DIFFUSION: the engine diffuses each state element after the step's solves (rheobase-core's
/// `ldifus`), with the values `func` computes.
#[derive(Debug, Clone, PartialEq)]
pub struct Diffusion {
    /// Evaluates every diffusion value (µm⁴/ms) and volume into their slots.
    pub func: usize,
    /// For each diffusing state element: (its range slot, its diffusion value's, its volume's).
    pub slots: Vec<(u32, u32, u32)>,
}

impl Program {
    pub fn func(&self, name: &str) -> Option<usize> {
        self.funcs.iter().position(|f| f.name == name)
    }
}

/// What a walk over statements reports, without entering called functions: every place read or written (frame
/// slots used without a place, such as a FROM loop's variable, as `Var::Local` places; a random stream as its four
/// range slots), and every function called.
pub trait Visitor {
    fn place(&mut self, p: &Place);
    fn call(&mut self, _f: usize) {}
}

pub fn visit_expr(e: &Expr, v: &mut impl Visitor) {
    match e {
        Expr::Num(_) => {}
        Expr::Get(p) => visit_place(p, v),
        Expr::Unary(_, a) => visit_expr(a, v),
        Expr::Binary(_, a, b) => {
            visit_expr(a, v);
            visit_expr(b, v);
        }
        Expr::Builtin(_, args) => args.iter().for_each(|a| visit_expr(a, v)),
        Expr::Call(f, args) => {
            args.iter().for_each(|a| visit_expr(a, v));
            v.call(*f);
        }
        Expr::Random(r, args) => {
            args.iter().for_each(|a| visit_expr(a, v));
            if let Random::Stream { stream, .. } = r {
                v.place(&Place { var: Var::Range(*stream), index: None, len: 4 });
            }
        }
    }
}

fn visit_place(p: &Place, v: &mut impl Visitor) {
    v.place(p);
    if let Some(i) = &p.index {
        visit_expr(i, v);
    }
}

fn frame_slot(s: u32, v: &mut impl Visitor) {
    v.place(&Place::scalar(Var::Local(s)));
}

pub fn visit_stmts(body: &[Stmt], v: &mut impl Visitor) {
    for s in body {
        match s {
            Stmt::Set(p, e) | Stmt::Discontinuity(p, e) => {
                visit_place(p, v);
                visit_expr(e, v);
            }
            Stmt::If(c, a, b) => {
                visit_expr(c, v);
                visit_stmts(a, v);
                visit_stmts(b, v);
            }
            Stmt::While(c, body) => {
                visit_expr(c, v);
                visit_stmts(body, v);
            }
            Stmt::For { var, from, to, by, body } => {
                frame_slot(*var, v);
                [from, to, by].into_iter().for_each(|e| visit_expr(e, v));
                visit_stmts(body, v);
            }
            Stmt::Call(f, args) => {
                args.iter().for_each(|a| visit_expr(a, v));
                v.call(*f);
            }
            Stmt::Implicit(i) => {
                i.states.iter().chain(&i.slopes).for_each(|p| visit_place(p, v));
                v.call(i.deriv);
            }
            Stmt::NetSend { delay, flag } => {
                visit_expr(delay, v);
                visit_expr(flag, v);
            }
            Stmt::NetEvent(e) | Stmt::NetMove(e) => visit_expr(e, v),
            Stmt::Watch { cond, flag } => {
                visit_expr(flag, v);
                v.call(*cond);
            }
            Stmt::ForNetcons { args, body } => {
                args.iter().for_each(|&a| frame_slot(a, v));
                visit_stmts(body, v);
            }
            Stmt::Kinetic(k) => {
                k.rows.iter().chain(k.slopes.iter().flatten()).for_each(|&r| v.place(&Place::scalar(Var::Range(r))));
                v.call(k.block);
            }
            Stmt::Reaction { lhs, rhs, kf, kb, fluxes } => {
                lhs.iter().chain(rhs).for_each(|(p, _)| visit_place(p, v));
                visit_expr(kf, v);
                kb.iter().for_each(|e| visit_expr(e, v));
                frame_slot(fluxes.0, v);
                frame_slot(fluxes.1, v);
            }
            Stmt::Flux { state, flux, fluxes } => {
                visit_place(state, v);
                visit_expr(flux, v);
                frame_slot(fluxes.0, v);
                frame_slot(fluxes.1, v);
            }
            Stmt::Compartment { index, volume, states } => {
                index.iter().for_each(|&i| frame_slot(i, v));
                visit_expr(volume, v);
                states.iter().for_each(|p| visit_place(p, v));
            }
            Stmt::Conserve { terms, value } => {
                terms.iter().for_each(|(p, _)| visit_place(p, v));
                visit_expr(value, v);
            }
        }
    }
}

impl Program {
    /// Visits `body` and every function it calls, directly or not (with their TABLE declarations), once each.
    pub fn walk(&self, body: &[Stmt], v: &mut impl Visitor) {
        walk(&self.funcs, body, v)
    }
}

/// [`Program::walk`] over a list of functions.
pub fn walk(funcs: &[Func], body: &[Stmt], v: &mut impl Visitor) {
    {
        struct Reach<'v, V> {
            inner: &'v mut V,
            seen: Vec<bool>,
            pending: Vec<usize>,
        }
        impl<V: Visitor> Visitor for Reach<'_, V> {
            fn place(&mut self, p: &Place) {
                self.inner.place(p);
            }
            fn call(&mut self, f: usize) {
                self.inner.call(f);
                if !std::mem::replace(&mut self.seen[f], true) {
                    self.pending.push(f);
                }
            }
        }
        let mut reach = Reach { inner: v, seen: vec![false; funcs.len()], pending: Vec::new() };
        visit_stmts(body, &mut reach);
        while let Some(f) = reach.pending.pop() {
            let func = &funcs[f];
            if let Some(t) = &func.table {
                t.outputs.iter().chain(&t.depend).for_each(|p| visit_place(p, &mut reach));
                [&t.from, &t.to, &t.with].into_iter().for_each(|e| visit_expr(e, &mut reach));
            }
            visit_stmts(&func.body, &mut reach);
        }
    }
}

impl Program {
    /// The range slots that functions `roots`, with everything they call, read or write.
    pub fn touched_slots(&self, roots: &[usize]) -> Vec<bool> {
        struct Slots(Vec<bool>);
        impl Visitor for Slots {
            fn place(&mut self, p: &Place) {
                if let Var::Range(s) = p.var {
                    for s in s..s + p.len {
                        self.0[s as usize] = true;
                    }
                }
            }
        }
        let mut slots = Slots(vec![false; self.range.len()]);
        let calls: Vec<Stmt> = roots.iter().map(|&f| Stmt::Call(f, Vec::new())).collect();
        self.walk(&calls, &mut slots);
        slots.0
    }
}
