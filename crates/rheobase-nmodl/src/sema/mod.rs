//! First semantic pass: from the syntax tree ([`crate::ast::Program`]) to a [`Mechanism`] description that the
//! kernel IR, the JIT and the engine's mechanism registry consume.
//!
//! What this pass does, following NEURON's translator (nocmodl):
//!
//! * reads the NEURON block: the mechanism's name and kind (`SUFFIX` → [`MechanismKind::Density`],
//!   `POINT_PROCESS` → [`MechanismKind::Point`], `ARTIFICIAL_CELL` → [`MechanismKind::Artificial`]), `USEION`,
//!   `NONSPECIFIC_CURRENT`, `ELECTRODE_CURRENT`, `RANGE`, `GLOBAL`, `POINTER`, `EXTERNAL`, `RANDOM`, `THREADSAFE`;
//! * collects the declared variables (PARAMETER, STATE, ASSIGNED) with units, default, limits and array size, and
//!   decides whether each is a range (per-instance) or global (per-mechanism-type) variable — see [`Visibility`];
//! * separates NEURON's special variables (`v`, `t`, `dt`, `celsius`, `area`, `diam`) and ion variables (the
//!   `USEION … READ/WRITE` names), which a `.mod` file may declare but which belong to the section or the ion, not
//!   to the mechanism;
//! * lists the callable and solvable blocks, SOLVE statements, TABLEs, NET_RECEIVE and VERBATIM spans;
//! * resolves every identifier used in an expression or an assignment (module `scope`), and reports errors at the
//!   offending identifier's exact position.
//!
//! The pass does not evaluate units, inline functions or judge VERBATIM text; later passes do.

mod scope;

use crate::ast::{self, BlockKind, NeuronStmtKind, Span};
use crate::NmodlError;
use std::collections::HashMap;

/// How NEURON instantiates the mechanism.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MechanismKind {
    /// `SUFFIX name`: a distributed (density) mechanism, inserted in sections; currents in mA/cm2.
    Density,
    /// `POINT_PROCESS name`: an object attached to one segment; currents in nA.
    Point,
    /// `ARTIFICIAL_CELL name`: a point process that never touches the membrane potential (event-driven).
    Artificial,
}

/// The block a variable is declared in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VarKind {
    Parameter,
    State,
    Assigned,
}

/// Where the value of a mechanism variable lives.
///
/// NEURON's rule (nocmodl): a PARAMETER is GLOBAL (one value per mechanism type) unless it is named in RANGE; a
/// STATE or an ASSIGNED is a range variable (one value per instance) unless it is named in GLOBAL. A name in
/// `POINTER` / `BBCOREPOINTER` is a per-instance reference to a variable elsewhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Visibility {
    Range,
    Global,
    Pointer,
}

/// A default value as written: the parser accepts signed numbers (`el = -54.3`).
#[derive(Debug, Clone, PartialEq)]
pub struct DefaultValue {
    /// The value, when it is a number (always, with the current parser).
    pub value: Option<f64>,
    /// The text as written (a constant's name would be kept here unresolved).
    pub text: String,
}

/// An array size `x[3]` or `x[NANN]`.
#[derive(Debug, Clone, PartialEq)]
pub enum ArraySize {
    Fixed(usize),
    /// A name: a `DEFINE` (then `value` is its value) or something unresolved (`value` is `None`).
    Named {
        name: String,
        value: Option<usize>,
    },
}

impl ArraySize {
    /// The number of elements, when known.
    pub fn elements(&self) -> Option<usize> {
        match self {
            ArraySize::Fixed(n) => Some(*n),
            ArraySize::Named { value, .. } => *value,
        }
    }
}

/// A PARAMETER, STATE or ASSIGNED variable that belongs to the mechanism.
#[derive(Debug, Clone, PartialEq)]
pub struct Variable {
    pub name: String,
    pub span: Span,
    pub kind: VarKind,
    pub visibility: Visibility,
    /// Named explicitly in the NEURON block's RANGE or GLOBAL (so visible from Python/hoc by name).
    pub listed: bool,
    /// Units text between the parentheses, e.g. `S/cm2`.
    pub units: Option<String>,
    pub default: Option<DefaultValue>,
    /// `<lo, hi>` (a PARAMETER's allowed range) or legacy `FROM lo TO hi`.
    pub range: Option<(f64, f64)>,
    /// `<tol>` on a STATE: the absolute tolerance for CVode.
    pub tolerance: Option<f64>,
    /// `START value` (legacy STATE initial value).
    pub start: Option<f64>,
    pub array: Option<ArraySize>,
}

/// A NEURON special variable (belongs to the section / simulator, not to the mechanism).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Special {
    V,
    T,
    Dt,
    Celsius,
    Area,
    Diam,
}

impl Special {
    pub fn from_name(name: &str) -> Option<Special> {
        Some(match name {
            "v" => Special::V,
            "t" => Special::T,
            "dt" => Special::Dt,
            "celsius" => Special::Celsius,
            "area" => Special::Area,
            "diam" => Special::Diam,
            _ => return None,
        })
    }
}

/// A declaration in PARAMETER/STATE/ASSIGNED of a variable the mechanism does not own: a [`Special`] or an ion
/// variable. Kept so later passes know its units and, for a STATE ion concentration (`cai` in a pump), that the
/// mechanism integrates it.
#[derive(Debug, Clone, PartialEq)]
pub struct ForeignDecl {
    pub name: String,
    pub span: Span,
    pub kind: VarKind,
    pub units: Option<String>,
    /// `Some(ion)` for an ion variable, `None` for a special.
    pub ion: Option<String>,
    pub special: Option<Special>,
    pub array: Option<ArraySize>,
}

/// `USEION name READ … WRITE … VALENCE z`.
#[derive(Debug, Clone, PartialEq)]
pub struct Ion {
    pub name: String,
    pub span: Span,
    pub read: Vec<String>,
    pub write: Vec<String>,
    pub valence: Option<f64>,
}

/// A named constant: CONSTANT, DEFINE, or a UNITS-block factor such as `FARADAY = (faraday) (coulomb)`.
#[derive(Debug, Clone, PartialEq)]
pub struct Constant {
    pub name: String,
    pub span: Span,
    pub origin: ConstantOrigin,
    /// Numeric value if written as a number (`CONSTANT`, `DEFINE`, `FARADAY = 96485.309 (coul)`); unit factors
    /// such as `(faraday) (coulomb)` are left for the units pass.
    pub value: Option<f64>,
    /// The text on the right side, e.g. `(faraday) (coulomb)`.
    pub text: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConstantOrigin {
    Constant,
    Define,
    Units,
}

/// A FUNCTION or PROCEDURE.
#[derive(Debug, Clone, PartialEq)]
pub struct Callable {
    pub name: String,
    pub span: Span,
    pub params: Vec<String>,
    /// Return units of a FUNCTION.
    pub units: Option<String>,
}

/// The kind of a block a SOLVE statement can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SolvableKind {
    Derivative,
    Kinetic,
    Linear,
    NonLinear,
    /// `SOLVE proc` of a PROCEDURE (no METHOD) — NEURON calls it once per step.
    Procedure,
}

/// A DERIVATIVE / KINETIC / LINEAR / NONLINEAR block.
#[derive(Debug, Clone, PartialEq)]
pub struct Solvable {
    pub name: String,
    pub span: Span,
    pub kind: SolvableKind,
    /// `SOLVEFOR` names of KINETIC/LINEAR/NONLINEAR.
    pub solvefor: Vec<String>,
}

/// The block a statement appears in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Context {
    Initial,
    Breakpoint,
    NetReceive,
    Function(String),
    Procedure(String),
    Solvable(String),
    Other,
}

/// `SOLVE block METHOD m STEADYSTATE s`.
#[derive(Debug, Clone, PartialEq)]
pub struct Solve {
    pub block: String,
    pub span: Span,
    pub method: Option<String>,
    pub steadystate: Option<String>,
    /// The kind of the named block (resolved).
    pub target: SolvableKind,
    pub context: Context,
}

/// `TABLE names DEPEND names FROM lo TO hi WITH n`.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub span: Span,
    /// The FUNCTION or PROCEDURE holding the TABLE statement.
    pub owner: String,
    /// Tabulated variables (a PROCEDURE's assigned outputs); empty in a FUNCTION (the function itself is tabulated).
    pub names: Vec<String>,
    pub depend: Vec<String>,
    /// Source text of FROM/TO/WITH expressions; `*_value` when the expression is a plain (possibly negated) number.
    pub from: String,
    pub to: String,
    pub with: String,
    pub from_value: Option<f64>,
    pub to_value: Option<f64>,
    pub with_value: Option<f64>,
}

/// The interface and structure of one `.mod` file.
#[derive(Debug, Clone, PartialEq)]
pub struct Mechanism {
    pub name: String,
    /// Where the name is written (SUFFIX, POINT_PROCESS or ARTIFICIAL_CELL).
    pub name_span: Span,
    pub kind: MechanismKind,
    pub title: Option<String>,
    pub ions: Vec<Ion>,
    pub nonspecific_currents: Vec<String>,
    pub electrode_currents: Vec<String>,
    /// The mechanism's own PARAMETER / STATE / ASSIGNED variables, in declaration order.
    pub variables: Vec<Variable>,
    /// Declarations of specials and ion variables in PARAMETER / STATE / ASSIGNED.
    pub foreign: Vec<ForeignDecl>,
    pub constants: Vec<Constant>,
    pub pointers: Vec<String>,
    pub externals: Vec<String>,
    /// `RANDOM` names (NEURON 9 random streams).
    pub randoms: Vec<String>,
    pub threadsafe: bool,
    pub functions: Vec<Callable>,
    pub procedures: Vec<Callable>,
    pub function_tables: Vec<Callable>,
    pub solvables: Vec<Solvable>,
    /// Every SOLVE statement (BREAKPOINT's, and INITIAL's steady-state solves), in source order.
    pub solves: Vec<Solve>,
    pub has_initial: bool,
    pub has_breakpoint: bool,
    /// NET_RECEIVE's argument names, if the block exists.
    pub net_receive: Option<Vec<String>>,
    pub tables: Vec<Table>,
    /// Spans of all VERBATIM blocks (top level and nested); their text is not analysed here.
    pub verbatim: Vec<Span>,
    /// Problems NEURON tolerates (it warns or silently ignores); see [`analyse`].
    pub warnings: Vec<NmodlError>,
}

impl Mechanism {
    pub fn variable(&self, name: &str) -> Option<&Variable> {
        self.variables.iter().find(|v| v.name == name)
    }
    pub fn ion(&self, name: &str) -> Option<&Ion> {
        self.ions.iter().find(|i| i.name == name)
    }
    /// The SOLVE statements of BREAKPOINT.
    pub fn breakpoint_solves(&self) -> impl Iterator<Item = &Solve> {
        self.solves.iter().filter(|s| s.context == Context::Breakpoint)
    }
}

/// Names NEURON provides to every `.mod` file as functions: the math library, the legacy SCoP random functions,
/// `nernst`/`ghk`, event functions for NET_RECEIVE, and NEURON 9's `random_*` stream API. `printf` is passed
/// through to C by nocmodl and is common in real files.
pub const BUILTIN_FUNCTIONS: &[&str] = &[
    "exp",
    "log",
    "log10",
    "sqrt",
    "fabs",
    "pow",
    "sin",
    "cos",
    "tan",
    "asin",
    "acos",
    "atan",
    "atan2",
    "sinh",
    "cosh",
    "tanh",
    "floor",
    "ceil",
    "fmod",
    "fmin",
    "fmax",
    "erf",
    "erfc",
    "exprand",
    "normrand",
    "unifrand",
    "poisrand",
    "scop_random",
    "set_seed",
    "nernst",
    "ghk",
    "nrn_ghk",
    "at_time",
    "net_send",
    "net_event",
    "net_move",
    "state_discontinuity",
    "printf",
    "random_negexp",
    "random_normal",
    "random_uniform",
    "random_ipick",
    "random_dpick",
    "random_setseq",
    "random_setids",
    "random_clear",
];

/// Names NEURON provides as values: `PI` (scoplib's constant) and `secondorder` (the integrator's order flag).
pub const BUILTIN_VALUES: &[&str] = &["PI", "secondorder"];

/// Analyse a parsed file.
///
/// Errors (the file is rejected, as nocmodl rejects it): no SUFFIX/POINT_PROCESS/ARTIFICIAL_CELL; an identifier
/// that is not declared; a call of an unknown function; a SOLVE of a missing block; a derivative `x' = …` of
/// something that is not a STATE; a name declared twice (PARAMETER, STATE, ASSIGNED, CONSTANT, DEFINE, UNITS
/// factors, top-level LOCAL, FUNCTION, PROCEDURE and solvable block names share one namespace).
///
/// Warnings ([`Mechanism::warnings`]): RANGE/GLOBAL naming something never declared (nocmodl accepts such a
/// name — the variable simply does not exist, or is created only as an interface name — so rheobase does not
/// refuse the file), a name both RANGE and GLOBAL, a second SUFFIX/POINT_PROCESS.
pub fn analyse(program: &ast::Program, source: &str, file: Option<&str>) -> Result<Mechanism, Vec<NmodlError>> {
    let mut a = Analyser { source, file, errors: Vec::new(), warnings: Vec::new() };
    let m = a.run(program);
    if a.errors.is_empty() {
        let mut m = m;
        m.warnings = a.warnings;
        Ok(m)
    } else {
        a.errors.sort_by_key(|e| e.span.start);
        Err(a.errors)
    }
}

struct Analyser<'a> {
    source: &'a str,
    file: Option<&'a str>,
    errors: Vec<NmodlError>,
    warnings: Vec<NmodlError>,
}

/// What a file-scope name is, for duplicate detection and resolution.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NameKind {
    Variable(VarKind),
    State,
    Constant,
    Local,
    Independent,
    Function,
    Procedure,
    FunctionTable,
    Solvable(SolvableKind),
    Ion,
    Special,
    Pointer,
    Random,
    External,
}

impl Analyser<'_> {
    fn error(&mut self, span: Span, msg: impl Into<String>) {
        self.errors.push(NmodlError::new(self.source, self.file, span, msg));
    }
    fn warn(&mut self, span: Span, msg: impl Into<String>) {
        self.warnings.push(NmodlError::new(self.source, self.file, span, msg));
    }
    fn text(&self, span: &Span) -> String {
        self.source.get(span.clone()).unwrap_or("").trim().to_string()
    }

    fn run(&mut self, program: &ast::Program) -> Mechanism {
        let mut m = Mechanism {
            name: String::new(),
            name_span: 0..0,
            kind: MechanismKind::Density,
            title: None,
            ions: Vec::new(),
            nonspecific_currents: Vec::new(),
            electrode_currents: Vec::new(),
            variables: Vec::new(),
            foreign: Vec::new(),
            constants: Vec::new(),
            pointers: Vec::new(),
            externals: Vec::new(),
            randoms: Vec::new(),
            threadsafe: false,
            functions: Vec::new(),
            procedures: Vec::new(),
            function_tables: Vec::new(),
            solvables: Vec::new(),
            solves: Vec::new(),
            has_initial: false,
            has_breakpoint: false,
            net_receive: None,
            tables: Vec::new(),
            verbatim: Vec::new(),
            warnings: Vec::new(),
        };

        // --- NEURON block ---
        let mut neuron_span: Option<Span> = None;
        let mut named = false;
        let mut range_names: Vec<&ast::Ident> = Vec::new();
        let mut global_names: Vec<&ast::Ident> = Vec::new();
        let mut pointer_names: Vec<&ast::Ident> = Vec::new();
        // Interface names that are declared by the NEURON block itself.
        let mut file_names: HashMap<String, (NameKind, Span)> = HashMap::new();
        let mut ion_of: HashMap<String, String> = HashMap::new();
        for block in &program.blocks {
            match &block.kind {
                BlockKind::Title(t) => m.title = Some(t.clone()),
                BlockKind::Neuron(stmts) => {
                    neuron_span.get_or_insert(block.span.clone());
                    for s in stmts {
                        let set_name = |kind: MechanismKind, id: &ast::Ident, a: &mut Self, m: &mut Mechanism| {
                            if named {
                                a.warn(id.span.clone(), format!("second mechanism name `{}` ignored", id.name));
                            } else {
                                m.name = id.name.clone();
                                m.name_span = id.span.clone();
                                m.kind = kind;
                            }
                        };
                        match &s.kind {
                            NeuronStmtKind::Suffix(id) => {
                                set_name(MechanismKind::Density, id, self, &mut m);
                                named = true;
                            }
                            NeuronStmtKind::PointProcess(id) => {
                                set_name(MechanismKind::Point, id, self, &mut m);
                                named = true;
                            }
                            NeuronStmtKind::ArtificialCell(id) => {
                                set_name(MechanismKind::Artificial, id, self, &mut m);
                                named = true;
                            }
                            NeuronStmtKind::UseIon { ion, read, write, valence, .. } => {
                                for id in read.iter().chain(write) {
                                    ion_of.insert(id.name.clone(), ion.name.clone());
                                    file_names.entry(id.name.clone()).or_insert((NameKind::Ion, id.span.clone()));
                                }
                                m.ions.push(Ion {
                                    name: ion.name.clone(),
                                    span: ion.span.clone(),
                                    read: read.iter().map(|i| i.name.clone()).collect(),
                                    write: write.iter().map(|i| i.name.clone()).collect(),
                                    valence: valence.as_ref().map(|n| n.value),
                                });
                            }
                            NeuronStmtKind::NonspecificCurrent(ids) => {
                                m.nonspecific_currents.extend(ids.iter().map(|i| i.name.clone()))
                            }
                            NeuronStmtKind::ElectrodeCurrent(ids) => {
                                m.electrode_currents.extend(ids.iter().map(|i| i.name.clone()))
                            }
                            NeuronStmtKind::Range(ids) => range_names.extend(ids),
                            NeuronStmtKind::Global(ids) => global_names.extend(ids),
                            NeuronStmtKind::Pointer(ids) | NeuronStmtKind::BbcorePointer(ids) => {
                                pointer_names.extend(ids);
                                m.pointers.extend(ids.iter().map(|i| i.name.clone()));
                            }
                            NeuronStmtKind::External(ids) => {
                                for id in ids {
                                    file_names.entry(id.name.clone()).or_insert((NameKind::External, id.span.clone()));
                                    m.externals.push(id.name.clone());
                                }
                            }
                            NeuronStmtKind::Random(ids) => {
                                for id in ids {
                                    file_names.entry(id.name.clone()).or_insert((NameKind::Random, id.span.clone()));
                                    m.randoms.push(id.name.clone());
                                }
                            }
                            NeuronStmtKind::Threadsafe(_) => m.threadsafe = true,
                            NeuronStmtKind::Section(_) => {}
                        }
                    }
                }
                _ => {}
            }
        }
        if !named {
            let span = neuron_span.clone().unwrap_or(0..0);
            self.error(span, "no SUFFIX, POINT_PROCESS or ARTIFICIAL_CELL: the mechanism has no name");
        }
        for id in &pointer_names {
            file_names.entry(id.name.clone()).or_insert((NameKind::Pointer, id.span.clone()));
        }

        // --- declarations ---
        let mut declared: HashMap<String, (NameKind, Span)> = HashMap::new();
        let mut defines: HashMap<String, f64> = HashMap::new();
        for block in &program.blocks {
            if let BlockKind::Define { name, value } = &block.kind {
                defines.insert(name.name.clone(), value.value);
            }
        }
        let is_listed = |names: &[&ast::Ident], n: &str| names.iter().any(|i| i.name == n);
        for block in &program.blocks {
            let (decls, kind) = match &block.kind {
                BlockKind::Parameter(d) => (d, VarKind::Parameter),
                BlockKind::State(d) => (d, VarKind::State),
                BlockKind::Assigned(d) => (d, VarKind::Assigned),
                BlockKind::Constant(cs) => {
                    for c in cs {
                        self.declare(&mut declared, &c.name, NameKind::Constant);
                        m.constants.push(Constant {
                            name: c.name.name.clone(),
                            span: c.name.span.clone(),
                            origin: ConstantOrigin::Constant,
                            value: Some(c.value.value),
                            text: c.value.text.clone(),
                        });
                    }
                    continue;
                }
                BlockKind::Define { name, value } => {
                    self.declare(&mut declared, name, NameKind::Constant);
                    m.constants.push(Constant {
                        name: name.name.clone(),
                        span: name.span.clone(),
                        origin: ConstantOrigin::Define,
                        value: Some(value.value),
                        text: value.text.clone(),
                    });
                    continue;
                }
                BlockKind::Units(entries) => {
                    for e in entries {
                        let (name, value) = match &e.kind {
                            ast::UnitsEntryKind::Alias { .. } => continue,
                            ast::UnitsEntryKind::Factor { name, .. } => (name, None),
                            ast::UnitsEntryKind::Value { name, value, .. } => (name, Some(value.value)),
                        };
                        self.declare(&mut declared, name, NameKind::Constant);
                        let rhs = e.span.start.max(name.span.end)..e.span.end;
                        let text = self.text(&rhs).trim_start_matches('=').trim().to_string();
                        m.constants.push(Constant {
                            name: name.name.clone(),
                            span: name.span.clone(),
                            origin: ConstantOrigin::Units,
                            value,
                            text,
                        });
                    }
                    continue;
                }
                BlockKind::Local(vars) => {
                    for v in vars {
                        self.declare(&mut declared, &v.name, NameKind::Local);
                    }
                    continue;
                }
                BlockKind::Independent(ds) => {
                    for d in ds {
                        if d.name.name != "t" {
                            self.declare(&mut declared, &d.name, NameKind::Independent);
                        }
                    }
                    continue;
                }
                _ => continue,
            };
            for d in decls {
                let array = d.dim.as_ref().map(|dim| match dim {
                    ast::Dim::Number(n) => ArraySize::Fixed(n.value as usize),
                    ast::Dim::Name(id) => {
                        ArraySize::Named { name: id.name.clone(), value: defines.get(&id.name).map(|v| *v as usize) }
                    }
                });
                if let Some(ast::Dim::Name(id)) = &d.dim {
                    if !defines.contains_key(&id.name) {
                        self.error(id.span.clone(), format!("array size `{}` is not a DEFINE'd name", id.name));
                    }
                }
                let units = d.units.as_ref().map(|u| u.text.clone());
                let special = Special::from_name(&d.name.name);
                let ion = ion_of.get(&d.name.name).cloned();
                if special.is_some() || ion.is_some() {
                    self.declare(&mut declared, &d.name, if ion.is_some() { NameKind::Ion } else { NameKind::Special });
                    m.foreign.push(ForeignDecl {
                        name: d.name.name.clone(),
                        span: d.name.span.clone(),
                        kind,
                        units,
                        ion,
                        special,
                        array,
                    });
                    continue;
                }
                self.declare(
                    &mut declared,
                    &d.name,
                    if kind == VarKind::State { NameKind::State } else { NameKind::Variable(kind) },
                );
                let in_range = is_listed(&range_names, &d.name.name);
                let in_global = is_listed(&global_names, &d.name.name);
                let visibility = if is_listed(&pointer_names, &d.name.name) {
                    Visibility::Pointer
                } else {
                    match kind {
                        VarKind::Parameter if !in_range => Visibility::Global,
                        VarKind::Assigned if in_global => Visibility::Global,
                        _ => Visibility::Range,
                    }
                };
                let (range, tolerance) = match &d.range {
                    Some(ast::Limits::Range { lo, hi, .. }) => (Some((lo.value, hi.value)), None),
                    Some(ast::Limits::Tolerance { value, .. }) => (None, Some(value.value)),
                    None => (d.from_to.as_ref().map(|(a, b)| (a.value, b.value)), None),
                };
                m.variables.push(Variable {
                    name: d.name.name.clone(),
                    span: d.name.span.clone(),
                    kind,
                    visibility,
                    listed: in_range || in_global,
                    units,
                    default: d.default.as_ref().map(|n| DefaultValue { value: Some(n.value), text: n.text.clone() }),
                    range,
                    tolerance,
                    start: d.start.as_ref().map(|n| n.value),
                    array,
                });
            }
        }

        // --- callables and solvable blocks ---
        for block in &program.blocks {
            let callable = |f: &ast::FunctionDef| Callable {
                name: f.name.name.clone(),
                span: f.name.span.clone(),
                params: f.args.iter().map(|a| a.name.name.clone()).collect(),
                units: f.units.as_ref().map(|u| u.text.clone()),
            };
            let names = |ids: &[ast::Ident]| ids.iter().map(|i| i.name.clone()).collect::<Vec<_>>();
            let (name, kind, solvefor) = match &block.kind {
                BlockKind::Function(f) => {
                    self.declare(&mut declared, &f.name, NameKind::Function);
                    m.functions.push(callable(f));
                    continue;
                }
                BlockKind::Procedure(f) => {
                    self.declare(&mut declared, &f.name, NameKind::Procedure);
                    m.procedures.push(callable(f));
                    continue;
                }
                BlockKind::FunctionTable { name, args, units } => {
                    self.declare(&mut declared, name, NameKind::FunctionTable);
                    m.function_tables.push(Callable {
                        name: name.name.clone(),
                        span: name.span.clone(),
                        params: args.iter().map(|a| a.name.name.clone()).collect(),
                        units: units.as_ref().map(|u| u.text.clone()),
                    });
                    continue;
                }
                BlockKind::Derivative { name, .. } => (name, SolvableKind::Derivative, Vec::new()),
                BlockKind::Kinetic { name, solvefor, .. } => (name, SolvableKind::Kinetic, names(solvefor)),
                BlockKind::Linear { name, solvefor, .. } => (name, SolvableKind::Linear, names(solvefor)),
                BlockKind::NonLinear { name, solvefor, .. } => (name, SolvableKind::NonLinear, names(solvefor)),
                BlockKind::Initial(_) => {
                    m.has_initial = true;
                    continue;
                }
                BlockKind::Breakpoint(_) => {
                    m.has_breakpoint = true;
                    continue;
                }
                BlockKind::NetReceive { args, .. } => {
                    m.net_receive = Some(args.iter().map(|a| a.name.name.clone()).collect());
                    continue;
                }
                _ => continue,
            };
            self.declare(&mut declared, name, NameKind::Solvable(kind));
            m.solvables.push(Solvable { name: name.name.clone(), span: name.span.clone(), kind, solvefor });
        }

        // Names from the NEURON block that are not declared elsewhere (ion variables, POINTER, RANDOM, EXTERNAL).
        for (name, v) in file_names {
            declared.entry(name).or_insert(v);
        }

        // --- RANGE / GLOBAL checks (warnings, see `analyse`) ---
        for (list, what) in [(&range_names, "RANGE"), (&global_names, "GLOBAL")] {
            for id in list.iter() {
                if !declared.contains_key(&id.name) && Special::from_name(&id.name).is_none() {
                    self.warn(id.span.clone(), format!("{what} names `{}`, which is never declared", id.name));
                }
            }
        }
        for id in &global_names {
            if is_listed(&range_names, &id.name) {
                self.warn(id.span.clone(), format!("`{}` is both RANGE and GLOBAL; RANGE wins", id.name));
            }
        }

        // --- bodies: name resolution, SOLVE, TABLE, derivatives, VERBATIM ---
        let mut resolver = scope::Resolver::new(self, &declared, &mut m);
        resolver.program(program);
        m
    }

    /// Record a file-scope declaration, reporting a second declaration of the same name.
    fn declare(&mut self, declared: &mut HashMap<String, (NameKind, Span)>, id: &ast::Ident, kind: NameKind) {
        if let Some((_, first)) = declared.get(&id.name) {
            let first = NmodlError::new(self.source, self.file, first.clone(), "");
            self.error(
                id.span.clone(),
                format!("`{}` is declared twice (first declared at {}:{})", id.name, first.line, first.column),
            );
        } else {
            declared.insert(id.name.clone(), (kind, id.span.clone()));
        }
    }
}

/// A number, or a negated number, as written in a TABLE bound.
fn const_value(e: &ast::Expr) -> Option<f64> {
    match &e.kind {
        ast::ExprKind::Number { value, .. } => Some(value.value),
        ast::ExprKind::Unary { op: ast::UnaryOp::Neg, operand } => const_value(operand).map(|v| -v),
        _ => None,
    }
}
