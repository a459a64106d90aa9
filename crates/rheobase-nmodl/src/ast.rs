//! The typed NMODL syntax tree. Every node carries a [`Span`] (byte range into the source).
//!
//! The tree is purely syntactic: names are not resolved, units are kept as the text written between the
//! parentheses, and `VERBATIM` text is kept verbatim for later passes to judge.

pub use crate::lexer::Span;

/// A name as written, with its span.
#[derive(Debug, Clone, PartialEq)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

/// A unit annotation `( … )`: `text` is what is between the parentheses, trimmed; `span` covers the parentheses.
#[derive(Debug, Clone, PartialEq)]
pub struct Units {
    pub text: String,
    pub span: Span,
}

/// A numeric literal as written (always unsigned in expressions; signed in declarations).
#[derive(Debug, Clone, PartialEq)]
pub struct Number {
    pub value: f64,
    /// Source text, including a leading `-`/`+` for signed declaration values.
    pub text: String,
    pub span: Span,
}

/// A whole `.mod` file.
#[derive(Debug, Clone, PartialEq)]
pub struct Program {
    pub blocks: Vec<Block>,
    pub span: Span,
}

/// A top-level item.
#[derive(Debug, Clone, PartialEq)]
pub struct Block {
    pub kind: BlockKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum BlockKind {
    /// `TITLE text` (the rest of the line, trimmed).
    Title(String),
    /// `INCLUDE "file"` (the file name without quotes).
    Include(String),
    Neuron(Vec<NeuronStmt>),
    Units(Vec<UnitsEntry>),
    Constant(Vec<ConstantDecl>),
    /// `DEFINE name value`.
    Define {
        name: Ident,
        value: Number,
    },
    Parameter(Vec<VarDecl>),
    State(Vec<VarDecl>),
    Assigned(Vec<VarDecl>),
    Independent(Vec<IndependentDecl>),
    /// Top-level `LOCAL a, b[3]` (file-scope locals).
    Local(Vec<LocalVar>),
    Initial(StmtBlock),
    Breakpoint(StmtBlock),
    Derivative {
        name: Ident,
        body: StmtBlock,
    },
    Kinetic {
        name: Ident,
        solvefor: Vec<Ident>,
        body: StmtBlock,
    },
    Linear {
        name: Ident,
        solvefor: Vec<Ident>,
        body: StmtBlock,
    },
    NonLinear {
        name: Ident,
        solvefor: Vec<Ident>,
        body: StmtBlock,
    },
    Function(FunctionDef),
    Procedure(FunctionDef),
    FunctionTable {
        name: Ident,
        args: Vec<Arg>,
        units: Option<Units>,
    },
    NetReceive {
        args: Vec<Arg>,
        body: StmtBlock,
    },
    /// `BEFORE INITIAL|BREAKPOINT|SOLVE|STEP { … }`
    Before {
        when: Ident,
        body: StmtBlock,
    },
    /// `AFTER INITIAL|BREAKPOINT|SOLVE|STEP { … }`
    After {
        when: Ident,
        body: StmtBlock,
    },
    Constructor(StmtBlock),
    Destructor(StmtBlock),
    /// `VERBATIM … ENDVERBATIM` at top level: `text` is between the markers.
    Verbatim(Verbatim),
    /// `UNITSON` / `UNITSOFF` at top level (`true` = on).
    UnitsSwitch(bool),
}

/// Text of a VERBATIM block (between `VERBATIM` and `ENDVERBATIM`); the node's span covers both markers.
#[derive(Debug, Clone, PartialEq)]
pub struct Verbatim {
    pub text: String,
    pub span: Span,
}

/// A statement of the NEURON block.
#[derive(Debug, Clone, PartialEq)]
pub struct NeuronStmt {
    pub kind: NeuronStmtKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum NeuronStmtKind {
    Suffix(Ident),
    PointProcess(Ident),
    ArtificialCell(Ident),
    UseIon { ion: Ident, read: Vec<Ident>, write: Vec<Ident>, valence: Option<Number>, represents: Option<Ident> },
    NonspecificCurrent(Vec<Ident>),
    ElectrodeCurrent(Vec<Ident>),
    Range(Vec<Ident>),
    Global(Vec<Ident>),
    Pointer(Vec<Ident>),
    BbcorePointer(Vec<Ident>),
    External(Vec<Ident>),
    Random(Vec<Ident>),
    Section(Vec<Ident>),
    Threadsafe(Vec<Ident>),
}

/// An entry of a UNITS block.
#[derive(Debug, Clone, PartialEq)]
pub struct UnitsEntry {
    pub kind: UnitsEntryKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum UnitsEntryKind {
    /// `(mV) = (millivolt)`
    Alias { name: Units, definition: Units },
    /// `FARADAY = (faraday) (coulomb)`
    Factor { name: Ident, factor: Units, units: Option<Units> },
    /// `FARADAY = 96485.309 (coul)`
    Value { name: Ident, value: Number, units: Option<Units> },
}

/// `name = value (units)` in a CONSTANT block.
#[derive(Debug, Clone, PartialEq)]
pub struct ConstantDecl {
    pub name: Ident,
    pub value: Number,
    pub units: Option<Units>,
    pub span: Span,
}

/// A declaration in PARAMETER, STATE or ASSIGNED:
/// `name[dim] = default (units) <lo, hi>` or `name (units) FROM a TO b` or `name (units) <abstol>`.
#[derive(Debug, Clone, PartialEq)]
pub struct VarDecl {
    pub name: Ident,
    /// Array size for `name[N]` (a number or a DEFINE'd name).
    pub dim: Option<Dim>,
    pub default: Option<Number>,
    pub units: Option<Units>,
    /// `<lo, hi>` (PARAMETER) or `<tol>` (STATE, absolute tolerance).
    pub range: Option<Limits>,
    /// `FROM lo TO hi` (legacy bounds).
    pub from_to: Option<(Number, Number)>,
    /// `START value` (legacy STATE initial value).
    pub start: Option<Number>,
    pub span: Span,
}

/// An array dimension.
#[derive(Debug, Clone, PartialEq)]
pub enum Dim {
    Number(Number),
    Name(Ident),
}

/// `<lo, hi>` or `<tol>`.
#[derive(Debug, Clone, PartialEq)]
pub enum Limits {
    Range { lo: Number, hi: Number, span: Span },
    Tolerance { value: Number, span: Span },
}

/// `t FROM 0 TO 1 WITH 1 (ms)` in INDEPENDENT.
#[derive(Debug, Clone, PartialEq)]
pub struct IndependentDecl {
    pub name: Ident,
    pub from: Option<Number>,
    pub to: Option<Number>,
    pub with: Option<Number>,
    pub start: Option<Number>,
    pub units: Option<Units>,
    /// `SWEEP` given.
    pub sweep: bool,
    pub span: Span,
}

/// A LOCAL name, possibly an array.
#[derive(Debug, Clone, PartialEq)]
pub struct LocalVar {
    pub name: Ident,
    pub dim: Option<Dim>,
    pub span: Span,
}

/// A formal argument: `v (mV)` or `w`.
#[derive(Debug, Clone, PartialEq)]
pub struct Arg {
    pub name: Ident,
    pub units: Option<Units>,
    pub span: Span,
}

/// FUNCTION or PROCEDURE.
#[derive(Debug, Clone, PartialEq)]
pub struct FunctionDef {
    pub name: Ident,
    pub args: Vec<Arg>,
    /// Return units (FUNCTION) — `FUNCTION f(x) (mV) { … }`.
    pub units: Option<Units>,
    pub body: StmtBlock,
}

/// `{ statements }` with the span of the braces.
#[derive(Debug, Clone, PartialEq)]
pub struct StmtBlock {
    pub stmts: Vec<Stmt>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Stmt {
    pub kind: StmtKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum StmtKind {
    /// `lhs = rhs` where lhs is a name or an indexed name.
    Assign {
        lhs: Expr,
        rhs: Expr,
    },
    /// `x' = rhs` (order = number of primes), or `x'[i]`-free form; `index` for `x[i]' = …`.
    Derivative {
        name: Ident,
        order: u32,
        index: Option<Expr>,
        rhs: Expr,
    },
    /// An expression used as a statement (a call: `rates(v)`, `net_send(0, 1)`, `at_time(t0)`).
    Expr(Expr),
    /// `LOCAL a, b[2]`
    Local(Vec<LocalVar>),
    /// `SOLVE name [METHOD m] [STEADYSTATE m] [IFERROR { … }]`
    Solve {
        block: Ident,
        method: Option<Ident>,
        steadystate: Option<Ident>,
        if_error: Option<StmtBlock>,
    },
    /// `TABLE names DEPEND names FROM e TO e WITH n`
    Table {
        names: Vec<Ident>,
        depend: Vec<Ident>,
        from: Expr,
        to: Expr,
        with: Expr,
    },
    If {
        cond: Expr,
        then: StmtBlock,
        else_ifs: Vec<(Expr, StmtBlock)>,
        else_: Option<StmtBlock>,
    },
    While {
        cond: Expr,
        body: StmtBlock,
    },
    /// `FROM i = a TO b [BY c] { … }`
    From {
        var: Ident,
        from: Expr,
        to: Expr,
        by: Option<Expr>,
        body: StmtBlock,
    },
    /// `~ A + 2B <-> C (kf, kb)` / `~ A -> B (kf)`
    Reaction {
        lhs: Vec<Reactant>,
        rhs: Vec<Reactant>,
        arrow: Arrow,
        rates: Vec<Expr>,
    },
    /// `~ A << (flux)`
    Flux {
        state: Expr,
        flux: Expr,
    },
    /// `~ lhs = rhs` (LINEAR / NONLINEAR)
    Equation {
        lhs: Expr,
        rhs: Expr,
    },
    /// `CONSERVE [n] a + [m] b … = rhs` (the terms are written as a reaction's side, as nocmodl requires)
    Conserve {
        lhs: Vec<Reactant>,
        rhs: Expr,
    },
    /// `COMPARTMENT [i,] volume { states }`
    Compartment {
        index: Option<Ident>,
        volume: Expr,
        states: Vec<Expr>,
    },
    /// `LONGITUDINAL_DIFFUSION [i,] flux { states }`
    LongitudinalDiffusion {
        index: Option<Ident>,
        rate: Expr,
        states: Vec<Expr>,
    },
    /// `WATCH (cond) flag, (cond) flag`
    Watch(Vec<(Expr, Expr)>),
    /// `INITIAL { … }` nested in NET_RECEIVE.
    Initial(StmtBlock),
    /// `FOR_NETCONS(args) { … }`
    ForNetcons {
        args: Vec<Arg>,
        body: StmtBlock,
    },
    Verbatim(Verbatim),
    /// `UNITSON` (`true`) / `UNITSOFF` (`false`)
    UnitsSwitch(bool),
    /// `MUTEXLOCK` (`true`) / `MUTEXUNLOCK` (`false`)
    Mutex(bool),
    /// A nested `{ … }`.
    Block(StmtBlock),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arrow {
    /// `<->`
    Reversible,
    /// `->`
    Forward,
}

/// `2 ca[i]` in a reaction: stoichiometric coefficient and species (a name or an indexed name).
#[derive(Debug, Clone, PartialEq)]
pub struct Reactant {
    pub coefficient: u32,
    pub species: Expr,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    /// A number, with its units when written like `1 (um)`.
    Number {
        value: Number,
        units: Option<Units>,
    },
    Name(Ident),
    /// `name[index]`
    Index {
        name: Ident,
        index: Box<Expr>,
    },
    /// `name(args)`
    Call {
        name: Ident,
        args: Vec<Expr>,
    },
    Unary {
        op: UnaryOp,
        operand: Box<Expr>,
    },
    Binary {
        op: BinOp,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
    },
    /// A string literal (without the quotes, escapes not processed).
    Str(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnaryOp {
    Neg,
    Not,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinOp {
    Or,
    And,
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
    Add,
    Sub,
    Mul,
    Div,
    Rem,
    Pow,
}

impl Expr {
    /// Shape of the expression as an S-expression, ignoring spans: `(- (^ x 2))`. Handy in tests and debugging.
    pub fn sexpr(&self) -> String {
        match &self.kind {
            ExprKind::Number { value, units } => match units {
                Some(u) => format!("{}({})", value.text, u.text),
                None => value.text.clone(),
            },
            ExprKind::Name(n) => n.name.clone(),
            ExprKind::Index { name, index } => format!("{}[{}]", name.name, index.sexpr()),
            ExprKind::Call { name, args } => {
                let a: Vec<String> = args.iter().map(Expr::sexpr).collect();
                format!("{}({})", name.name, a.join(", "))
            }
            ExprKind::Unary { op, operand } => {
                let o = match op {
                    UnaryOp::Neg => "-",
                    UnaryOp::Not => "!",
                };
                format!("({o} {})", operand.sexpr())
            }
            ExprKind::Binary { op, lhs, rhs } => format!("({} {} {})", op.symbol(), lhs.sexpr(), rhs.sexpr()),
            ExprKind::Str(s) => format!("{s:?}"),
        }
    }
}

impl BinOp {
    pub fn symbol(self) -> &'static str {
        match self {
            BinOp::Or => "||",
            BinOp::And => "&&",
            BinOp::Lt => "<",
            BinOp::Le => "<=",
            BinOp::Gt => ">",
            BinOp::Ge => ">=",
            BinOp::Eq => "==",
            BinOp::Ne => "!=",
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::Rem => "%",
            BinOp::Pow => "^",
        }
    }
}
