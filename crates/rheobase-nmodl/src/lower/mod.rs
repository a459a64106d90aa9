//! From the syntax tree and the first semantic pass ([`crate::sema::Mechanism`]) to the kernel IR
//! ([`crate::ir::Program`]): lays out per-instance and global storage the way NEURON does, resolves every name to a
//! [`Var`], evaluates constants and UNITS factors, and turns each SOLVE into the statements of its method
//! ([`solve`]).
//!
//! Constructs the IR cannot express yet (KINETIC, NET_RECEIVE, POINTER, VERBATIM, the random functions …) are
//! reported as [`NmodlError::unsupported`] errors at their position, never skipped.

mod conductance;
mod kinetic;
mod solve;

use crate::ast::{self, BlockKind, ExprKind, Span, StmtKind};
use crate::ir::*;
use crate::sema::{self, Mechanism, Special, Visibility};
use crate::units::UnitTable;
use crate::NmodlError;
use std::collections::HashMap;

/// The kernel program of an analysed file, and warnings about what NEURON does differently or tolerates.
pub fn lower(
    program: &ast::Program,
    m: &Mechanism,
    source: &str,
    file: Option<&str>,
) -> Result<(Program, Vec<NmodlError>), Vec<NmodlError>> {
    let mut l = Lowerer::new(program, m, source, file);
    let p = l.run();
    if l.errors.is_empty() {
        Ok((p, l.warnings))
    } else {
        l.errors.sort_by_key(|e| e.span.start);
        Err(l.errors)
    }
}

/// What a file-scope name lowers to.
#[derive(Debug, Clone, Copy)]
enum Name {
    Storage(Var, u32),
    Value(f64),
    Func(usize),
}

struct Lowerer<'a> {
    ast: &'a ast::Program,
    m: &'a Mechanism,
    source: &'a str,
    file: Option<&'a str>,
    errors: Vec<NmodlError>,
    warnings: Vec<NmodlError>,
    names: HashMap<String, Name>,
    function_tables: Vec<usize>,
    range: Vec<RangeSlot>,
    globals: Vec<GlobalSlot>,
    funcs: Vec<Func>,
    /// Frame scopes of the function being lowered (innermost last): name → (frame slot, length).
    scopes: Vec<HashMap<String, (u32, u32)>>,
    frame: u32,
    in_net_receive: bool,
    /// Lowering a KINETIC block (its reactions are statements there).
    in_kinetic: bool,
    /// The FUNCTION or PROCEDURE being lowered, and those with VERBATIM C (decided at the end, see `run`).
    current_func: Option<usize>,
    deferred_verbatim: Vec<(usize, Span)>,
    /// The range slot of the RANDOM variable's stream (ids, then sequence number) and its name.
    /// The RANDOM variables and the first slot of each one's stream.
    random: Vec<(String, u32)>,
}

/// The per-instance slot an ion variable name refers to: `ena` → (E), `nai` → (Inner), …
fn ion_field(ion: &str, name: &str) -> Option<IonField> {
    if name == format!("e{ion}") {
        Some(IonField::E)
    } else if name == format!("{ion}i") {
        Some(IonField::Inner)
    } else if name == format!("{ion}o") {
        Some(IonField::Outer)
    } else if name == format!("i{ion}") {
        Some(IonField::Current)
    } else {
        None
    }
}

impl<'a> Lowerer<'a> {
    fn new(ast: &'a ast::Program, m: &'a Mechanism, source: &'a str, file: Option<&'a str>) -> Self {
        Lowerer {
            ast,
            m,
            source,
            file,
            errors: Vec::new(),
            warnings: Vec::new(),
            names: HashMap::new(),
            function_tables: Vec::new(),
            range: Vec::new(),
            globals: Vec::new(),
            funcs: Vec::new(),
            scopes: Vec::new(),
            frame: 0,
            in_net_receive: false,
            in_kinetic: false,
            current_func: None,
            deferred_verbatim: Vec::new(),
            random: Vec::new(),
        }
    }

    fn error(&mut self, span: &Span, msg: impl Into<String>) {
        self.errors.push(NmodlError::new(self.source, self.file, span.clone(), msg));
    }
    fn unsupported(&mut self, span: &Span, msg: impl Into<String>) {
        self.errors.push(NmodlError::unsupported(self.source, self.file, span.clone(), msg));
    }
    fn warn(&mut self, span: &Span, msg: impl Into<String>) {
        self.warnings.push(NmodlError::new(self.source, self.file, span.clone(), msg));
    }

    fn add_range(&mut self, name: &str, units: &str, default: f64, kind: SlotKind, len: u32) -> u32 {
        let at = self.range.len() as u32;
        for k in 0..len {
            let name = if len == 1 { name.to_string() } else { format!("{name}[{k}]") };
            self.range.push(RangeSlot { name, units: units.to_string(), default, kind });
        }
        self.names.insert(name.to_string(), Name::Storage(Var::Range(at), len));
        at
    }

    fn add_global(&mut self, name: &str, default: f64, exposed: bool, len: u32) -> u32 {
        let at = self.globals.len() as u32;
        for k in 0..len {
            let name = if len == 1 { name.to_string() } else { format!("{name}[{k}]") };
            self.globals.push(GlobalSlot { name, default, exposed, external: false });
        }
        self.names.insert(name.to_string(), Name::Storage(Var::Global(at), len));
        at
    }

    fn run(&mut self) -> Program {
        self.constants();
        let ions = self.layout();
        // Function ids first, so bodies can call functions defined later in the file.
        for block in &self.ast.blocks {
            if let BlockKind::Function(f) | BlockKind::Procedure(f) = &block.kind {
                let id = self.funcs.len();
                let is_fn = matches!(block.kind, BlockKind::Function(_));
                self.funcs.push(Func {
                    name: f.name.name.clone(),
                    params: f.args.len() as u32,
                    frame: 0,
                    result: is_fn.then_some(f.args.len() as u32),
                    body: Vec::new(),
                    table: None,
                });
                self.names.insert(f.name.name.clone(), Name::Func(id));
            }
            if let BlockKind::FunctionTable { name, args, .. } = &block.kind {
                let n = args.len() as u32;
                let func = Func {
                    name: name.name.clone(),
                    params: n,
                    frame: n + 1,
                    result: Some(n),
                    body: Vec::new(),
                    table: None,
                };
                self.funcs.push(func);
                self.names.insert(name.name.clone(), Name::Func(self.funcs.len() - 1));
                self.function_tables.push(self.funcs.len() - 1);
            }
        }
        for block in &self.ast.blocks {
            if let BlockKind::Function(f) | BlockKind::Procedure(f) = &block.kind {
                self.function(f, matches!(block.kind, BlockKind::Function(_)));
            }
        }
        let (mut net_receive, mut net_init) = (None, None);
        let mut before_after = Vec::new();
        let mut lifecycle = Vec::new();
        let mut initial = (Vec::new(), 0);
        let mut current = (Vec::new(), 0);
        let mut state = Vec::new();
        for block in &self.ast.blocks {
            match &block.kind {
                BlockKind::Initial(b) => initial = self.entry(b, None),
                BlockKind::Breakpoint(b) => current = self.entry(b, Some(&mut state)),
                BlockKind::NetReceive { .. } if self.m.kind == sema::MechanismKind::Density => {
                    self.error(&block.span, "NET_RECEIVE belongs in a POINT_PROCESS or ARTIFICIAL_CELL")
                }
                BlockKind::NetReceive { args, body } => {
                    let (f, init) = self.net_receive(args, body);
                    (net_receive, net_init) = (Some(f), init);
                }
                BlockKind::Before { when, body } | BlockKind::After { when, body } => {
                    use rheobase_core::mechanisms::BaPoint;
                    let before = matches!(block.kind, BlockKind::Before { .. });
                    let at = match (before, when.name.as_str()) {
                        (true, "INITIAL") => BaPoint::BeforeInitial,
                        (false, "INITIAL") => BaPoint::AfterInitial,
                        (true, "BREAKPOINT") => BaPoint::BeforeBreakpoint,
                        (false, "SOLVE") => BaPoint::AfterSolve,
                        (true, "STEP") => BaPoint::BeforeStep,
                        (_, other) => {
                            let which = if before { "BEFORE" } else { "AFTER" };
                            self.error(
                                &when.span,
                                format!(
                                    "{which} {other} does not exist in NEURON (BEFORE INITIAL, \
                                AFTER INITIAL, BEFORE BREAKPOINT, AFTER SOLVE and BEFORE STEP do)"
                                ),
                            );
                            continue;
                        }
                    };
                    let (body, frame) = self.entry(body, None);
                    let name = format!("<{} {}>", if before { "BEFORE" } else { "AFTER" }, when.name);
                    self.funcs.push(Func { name, params: 0, frame, result: None, body, table: None });
                    before_after.push((at, self.funcs.len() - 1));
                }
                BlockKind::Destructor(b) if self.m.kind == sema::MechanismKind::Density => {
                    self.error(&b.span, "DESTRUCTOR only permitted for POINT_PROCESS")
                }
                // Run from Python as an instance is allocated (NEURON's nrn_alloc: a point process as it is created,
                // a density mechanism's per segment) and as a point process is deleted (its destructor).
                BlockKind::Constructor(b) | BlockKind::Destructor(b) => {
                    let name = if matches!(block.kind, BlockKind::Constructor(_)) { CONSTRUCTOR } else { DESTRUCTOR };
                    let (body, frame) = self.entry(b, None);
                    self.funcs.push(Func { name: name.into(), params: 0, frame, result: None, body, table: None });
                    lifecycle.push(self.funcs.len() - 1);
                }
                BlockKind::Verbatim(v) => self.verbatim(v),
                _ => {}
            }
        }
        let entry = |name: &str, (body, frame): (Vec<Stmt>, u32), funcs: &mut Vec<Func>| {
            funcs.push(Func { name: name.into(), params: 0, frame, result: None, body, table: None });
            funcs.len() - 1
        };
        let starts = self.state_starts().into_iter().map(|(p, e)| Stmt::Set(p, e)).collect();
        let start = entry("<START>", (starts, 0), &mut self.funcs);
        let initial = entry("<INITIAL>", initial, &mut self.funcs);
        let currents = self.currents(&ions);
        if currents.is_empty() {
            // Without a current nocmodl writes no nrn_cur: BREAKPOINT's other statements run in nrn_state, after
            // its SOLVEs (so once per step, at the step's end, and not in finitialize).
            state.append(&mut current.0);
        }
        let conductance = self.conductance(&current.0, current.1, &ions, &currents);
        // The SOLVEs' own locals (runge's stages) were numbered in BREAKPOINT's frame.
        let solve_frame = current.1;
        let current = entry("<BREAKPOINT>", current, &mut self.funcs);
        let state = entry("<SOLVE>", (state, solve_frame), &mut self.funcs);
        // VERBATIM C in a FUNCTION or PROCEDURE: refused if the mechanism's own blocks call it, else only that
        // function is unavailable (netstim.mod's noiseFromRandom).
        let diffusion = self.diffusion();
        let mut roots = vec![start, initial, current, state];
        roots.extend(diffusion.as_ref().map(|d| d.func));
        roots.extend(lifecycle);
        roots.extend(net_receive);
        roots.extend(net_init);
        roots.extend(before_after.iter().map(|&(_, f)| f));
        let reached = reachable(&self.funcs, &roots);
        let mut unavailable = Vec::new();
        for (f, span) in std::mem::take(&mut self.deferred_verbatim) {
            let what = "VERBATIM C code is not supported (only includes, extern declarations and `return 0;`)";
            if reached[f] {
                self.unsupported(&span, what);
            } else {
                let at = NmodlError::new(self.source, self.file, span, "");
                let name = &self.funcs[f].name;
                unavailable.push((f, format!("{name}: line {} of the .mod file: {what}", at.line)));
            }
        }
        Program {
            name: self.m.name.clone(),
            kind: match self.m.kind {
                sema::MechanismKind::Density => Kind::Density,
                sema::MechanismKind::Point => Kind::Point,
                sema::MechanismKind::Artificial => Kind::Artificial,
            },
            electrode: !self.m.electrode_currents.is_empty(),
            net_receive,
            net_init,
            random: self.random.iter().map(|(name, _)| name.clone()).collect(),
            function_tables: std::mem::take(&mut self.function_tables),
            before_after,
            weights: self.m.net_receive.clone().unwrap_or_default(),
            unavailable,
            range: std::mem::take(&mut self.range),
            globals: std::mem::take(&mut self.globals),
            ions,
            funcs: std::mem::take(&mut self.funcs),
            start,
            initial,
            current,
            state,
            currents,
            conductance,
            diffusion,
        }
    }

    /// CONSTANT, DEFINE and UNITS-block names, and NEURON's PI.
    fn constants(&mut self) {
        let mut table = UnitTable::new();
        self.names.insert("PI".into(), Name::Value(std::f64::consts::PI));
        for block in &self.ast.blocks {
            let BlockKind::Units(entries) = &block.kind else { continue };
            for e in entries {
                match &e.kind {
                    ast::UnitsEntryKind::Alias { name, definition } => {
                        if let Err(msg) = table.alias(&name.text, &definition.text) {
                            self.unsupported(&definition.span, msg);
                        }
                    }
                    ast::UnitsEntryKind::Factor { name, factor, units } => {
                        let to = units.as_ref().map_or("1", |u| u.text.as_str());
                        match table.factor(&factor.text, to) {
                            Ok(v) => {
                                self.names.insert(name.name.clone(), Name::Value(v));
                            }
                            Err(msg) => self.error(&factor.span, msg),
                        }
                    }
                    ast::UnitsEntryKind::Value { name, value, .. } => {
                        self.names.insert(name.name.clone(), Name::Value(value.value));
                    }
                }
            }
        }
        for c in &self.m.constants {
            if let Some(v) = c.value {
                self.names.insert(c.name.clone(), Name::Value(v));
            }
        }
    }

    /// Per-instance and global storage in NEURON's order, and the ions' variables.
    fn layout(&mut self) -> Vec<IonUse> {
        let m = self.m;
        let units = |v: &sema::Variable| v.units.clone().unwrap_or_default();
        let len = |a: &Option<sema::ArraySize>| a.as_ref().and_then(|a| a.elements()).unwrap_or(1) as u32;
        let is_current = |n: &str| m.nonspecific_currents.iter().chain(&m.electrode_currents).any(|c| c == n);
        // RANGE parameters, then RANGE assigned, then states: NEURON's psection order.
        for kind in [sema::VarKind::Parameter, sema::VarKind::Assigned, sema::VarKind::State] {
            for v in m.variables.iter().filter(|v| v.kind == kind) {
                let default = v.default.as_ref().and_then(|d| d.value).unwrap_or(0.0);
                match v.visibility {
                    Visibility::Range => {
                        let slot = match kind {
                            sema::VarKind::Parameter => SlotKind::Parameter,
                            sema::VarKind::State => SlotKind::State,
                            sema::VarKind::Assigned if v.listed || is_current(&v.name) => SlotKind::Assigned,
                            sema::VarKind::Assigned => SlotKind::Hidden,
                        };
                        self.add_range(&v.name, &units(v), default, slot, len(&v.array));
                    }
                    Visibility::Global => {
                        self.add_global(&v.name, default, true, len(&v.array));
                    }
                    Visibility::Pointer => {
                        self.add_range(&v.name, &units(v), 0.0, SlotKind::Pointer { written: false }, 1);
                    }
                }
            }
        }
        for name in &m.pointers {
            if !self.names.contains_key(name) {
                self.add_range(name, "", 0.0, SlotKind::Pointer { written: false }, 1);
            }
        }
        // The mechanism's copies of ion variables.
        let mut ions = Vec::new();
        for ion in &m.ions {
            let mut vars: Vec<IonVar> = Vec::new();
            for (name, write) in ion.read.iter().map(|n| (n, false)).chain(ion.write.iter().map(|n| (n, true))) {
                let Some(field) = ion_field(&ion.name, name) else {
                    self.error(&ion.span, format!("`{name}` is not a variable of ion {}", ion.name));
                    continue;
                };
                if let Some(v) = vars.iter_mut().find(|v| v.field == field) {
                    v.write |= write;
                    v.read |= !write;
                    continue;
                }
                let decl = m.foreign.iter().find(|f| &f.name == name);
                let listed = self.ast_lists_range(name);
                let kind = match decl.map(|d| d.kind) {
                    Some(sema::VarKind::State) => SlotKind::State,
                    _ if listed => SlotKind::Assigned,
                    _ => SlotKind::Hidden,
                };
                let units = decl.and_then(|d| d.units.clone()).unwrap_or_default();
                let slot = self.add_range(name, &units, 0.0, kind, 1);
                vars.push(IonVar { field, slot, read: !write, write });
            }
            ions.push(IonUse { name: ion.name.clone(), valence: ion.valence, vars });
        }
        // Each RANDOM variable r: its Random123 stream (`random123::STREAM_SLOTS`) as hidden slots `r:id1`,
        // `r:id2`, `r:id3`, `r:seq`, `r:block1..3`; the engine gives each new instance's streams their ids
        // (1, 0, serial number), as NEURON does.
        for name in &m.randoms {
            let at = self.add_range(&format!("{name}:id1"), "", 0.0, SlotKind::Hidden, 1);
            for part in ["id2", "id3", "seq", "block1", "block2", "block3"] {
                self.add_range(&format!("{name}:{part}"), "", 0.0, SlotKind::Hidden, 1);
            }
            self.random.push((name.clone(), at));
        }
        // EXTERNAL names: another mechanism's GLOBAL (`q_other`), a global of this block too, which the engine
        // gives the owner's value (nocmodl: `extern double q_other;`, the owner's variable itself).
        for name in &self.m.externals.clone() {
            if !self.names.contains_key(name) {
                let at = self.add_global(name, 0.0, false, 1);
                self.globals[at as usize].external = true;
            }
        }
        // Globals NEURON adds: the table switch, file-scope LOCALs (shared by all instances), state start values.
        if !m.tables.is_empty() {
            self.add_global("usetable", 1.0, true, 1);
        }
        for block in &self.ast.blocks {
            if let BlockKind::Local(vars) = &block.kind {
                for v in vars {
                    let n = self.dim(&v.dim);
                    self.add_global(&v.name.name, 0.0, false, n);
                }
            }
        }
        // A state's start value `x0`: the file's own `x0` when it declares one (the NMODL idiom for setting it),
        // else a hidden global.
        for v in m.variables.iter().filter(|v| v.kind == sema::VarKind::State) {
            let name = format!("{}0", v.name);
            if !self.names.contains_key(&name) {
                self.add_global(&name, v.start.unwrap_or(0.0), false, 1);
            }
        }
        ions
    }

    fn ast_lists_range(&self, name: &str) -> bool {
        self.ast.blocks.iter().any(|b| match &b.kind {
            BlockKind::Neuron(stmts) => stmts
                .iter()
                .any(|s| matches!(&s.kind, ast::NeuronStmtKind::Range(ids) if ids.iter().any(|i| i.name == name))),
            _ => false,
        })
    }

    fn dim(&mut self, dim: &Option<ast::Dim>) -> u32 {
        match dim {
            None => 1,
            Some(ast::Dim::Number(n)) => n.value as u32,
            Some(ast::Dim::Name(id)) => match self.names.get(&id.name) {
                Some(Name::Value(v)) => *v as u32,
                _ => {
                    self.error(&id.span, format!("array size `{}` is not a DEFINE'd name", id.name));
                    1
                }
            },
        }
    }

    fn currents(&self, ions: &[IonUse]) -> Vec<u32> {
        let mut out: Vec<u32> = ions
            .iter()
            .flat_map(|i| i.vars.iter().filter(|v| v.field == IonField::Current && v.write).map(|v| v.slot))
            .collect();
        for name in self.m.nonspecific_currents.iter().chain(&self.m.electrode_currents) {
            if let Some(Name::Storage(Var::Range(k), _)) = self.names.get(name) {
                out.push(*k);
            }
        }
        out
    }

    fn state_starts(&self) -> Vec<(Place, Expr)> {
        let mut out = Vec::new();
        for v in self.m.variables.iter().filter(|v| v.kind == sema::VarKind::State) {
            if let (Some(Name::Storage(var, len)), Some(Name::Storage(g, _))) =
                (self.names.get(&v.name), self.names.get(&format!("{}0", v.name)))
            {
                for k in 0..*len {
                    let place = if *len == 1 {
                        Place::scalar(*var)
                    } else {
                        Place { var: *var, index: Some(Box::new(Expr::Num(k as f64))), len: *len }
                    };
                    out.push((place, Expr::get(*g)));
                }
            }
        }
        out
    }

    fn verbatim(&mut self, v: &ast::Verbatim) {
        // The idioms that do nothing in rheobase: includes, declarations of C helpers nobody calls, `return 0;`.
        let trivial = v.text.lines().map(str::trim).all(|l| {
            l.is_empty()
                || l.starts_with("#include")
                || l.starts_with("//")
                || l == "return 0;"
                || l.starts_with("extern ")
                || l.starts_with("/*")
                || l.starts_with('*')
        });
        if !trivial {
            match self.current_func {
                Some(f) => self.deferred_verbatim.push((f, v.span.clone())),
                None => self.unsupported(
                    &v.span,
                    "VERBATIM C code is not supported (only includes, extern declarations and `return 0;`)",
                ),
            }
        }
    }

    // ------------------------------------------------------------------------- function bodies

    fn push_scope(&mut self) {
        self.scopes.push(HashMap::new());
    }
    fn pop_scope(&mut self) {
        self.scopes.pop();
    }
    fn local(&mut self, name: &str, len: u32) -> u32 {
        let at = self.frame;
        self.frame += len;
        self.scopes.last_mut().expect("a scope").insert(name.to_string(), (at, len));
        at
    }

    fn function(&mut self, f: &ast::FunctionDef, is_fn: bool) {
        let id = match self.names.get(&f.name.name) {
            Some(Name::Func(id)) => *id,
            _ => return,
        };
        self.frame = 0;
        self.current_func = Some(id);
        self.push_scope();
        for a in &f.args {
            self.local(&a.name.name, 1);
        }
        if is_fn {
            self.local(&f.name.name, 1);
        }
        let mut table = None;
        let body = self.block_with(&f.body, &mut |l, s, _| {
            if let StmtKind::Table { names, depend, from, to, with } = &s.kind {
                table = l.table(s, names, depend, from, to, with, is_fn);
                true
            } else {
                false
            }
        });
        self.pop_scope();
        self.current_func = None;
        let func = &mut self.funcs[id];
        func.frame = self.frame;
        func.body = body;
        if let Some(mut t) = table {
            if is_fn {
                t.outputs = vec![Place::scalar(Var::Local(f.args.len() as u32))];
            }
            if f.args.is_empty() {
                self.error(&f.name.span, "a TABLE needs the function's first argument to tabulate over");
            }
            self.funcs[id].table = Some(t);
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn table(
        &mut self,
        s: &ast::Stmt,
        names: &[ast::Ident],
        depend: &[ast::Ident],
        from: &ast::Expr,
        to: &ast::Expr,
        with: &ast::Expr,
        is_fn: bool,
    ) -> Option<Table> {
        if is_fn && !names.is_empty() {
            self.error(&s.span, "a TABLE in a FUNCTION tabulates the function itself: it takes no names");
        }
        let places = |l: &mut Self, ids: &[ast::Ident]| -> Vec<Place> {
            ids.iter().filter_map(|id| l.place_of(id, None)).collect()
        };
        let outputs = places(self, names);
        let depend = places(self, depend);
        let usetable = match self.names.get("usetable") {
            Some(Name::Storage(Var::Global(g), _)) => *g,
            _ => return None,
        };
        Some(Table { outputs, depend, from: self.expr(from), to: self.expr(to), with: self.expr(with), usetable })
    }

    /// NET_RECEIVE as a function of the weight vector's elements and `flag` (frame slots 0..n, then n), and its
    /// INITIAL block (if any) as a function of the same arguments.
    fn net_receive(&mut self, args: &[ast::Arg], body: &ast::StmtBlock) -> (usize, Option<usize>) {
        self.frame = 0;
        self.push_scope();
        for a in args {
            self.local(&a.name.name, 1);
        }
        self.local("flag", 1);
        self.in_net_receive = true;
        let mut initial = None;
        let stmts = self.block_with(body, &mut |l, s, _| match &s.kind {
            StmtKind::Initial(b) => {
                if initial.is_some() {
                    l.error(&s.span, "NET_RECEIVE has one INITIAL block");
                }
                initial = Some(l.block(b, &mut |_, _, _| false));
                true
            }
            _ => false,
        });
        self.in_net_receive = false;
        self.pop_scope();
        let push = |name: &str, body: Vec<Stmt>, funcs: &mut Vec<Func>, frame: u32| {
            let params = args.len() as u32 + 1;
            funcs.push(Func { name: name.into(), params, frame, result: None, body, table: None });
            funcs.len() - 1
        };
        let f = push("<NET_RECEIVE>", stmts, &mut self.funcs, self.frame);
        let init = initial.map(|body| push("<NET_RECEIVE INITIAL>", body, &mut self.funcs, self.frame));
        (f, init)
    }

    /// An entry block (INITIAL, BREAKPOINT): its SOLVE statements are lowered into `solves`, the rest returned
    /// with its frame size.
    /// `solves` None: the SOLVEs run in place (INITIAL integrates once, as nocmodl's generated code does).
    fn entry(&mut self, b: &ast::StmtBlock, mut solves: Option<&mut Vec<Stmt>>) -> (Vec<Stmt>, u32) {
        self.frame = 0;
        self.push_scope();
        let body = self.block_with(b, &mut |l, s, out| {
            if let StmtKind::Solve { block, method, steadystate, .. } = &s.kind {
                let stmts = l.solve(block, method.as_ref(), steadystate.as_ref());
                match solves.as_deref_mut() {
                    Some(solves) => solves.extend(stmts),
                    None => out.extend(stmts),
                }
                true
            } else {
                false
            }
        });
        self.pop_scope();
        (body, self.frame)
    }

    /// Statements of a block; `special` handles (and returns true for) statements its caller lowers itself.
    fn block_with(
        &mut self,
        b: &ast::StmtBlock,
        special: &mut dyn FnMut(&mut Self, &ast::Stmt, &mut Vec<Stmt>) -> bool,
    ) -> Vec<Stmt> {
        self.push_scope();
        let mut out = Vec::new();
        for s in &b.stmts {
            if !special(self, s, &mut out) {
                self.stmt(s, &mut out, special);
            }
        }
        self.pop_scope();
        out
    }

    fn block(
        &mut self,
        b: &ast::StmtBlock,
        special: &mut dyn FnMut(&mut Self, &ast::Stmt, &mut Vec<Stmt>) -> bool,
    ) -> Vec<Stmt> {
        self.block_with(b, special)
    }

    fn stmt(
        &mut self,
        s: &ast::Stmt,
        out: &mut Vec<Stmt>,
        special: &mut dyn FnMut(&mut Self, &ast::Stmt, &mut Vec<Stmt>) -> bool,
    ) {
        match &s.kind {
            StmtKind::Assign { lhs, rhs } => {
                let value = self.expr(rhs);
                if let Some(place) = self.target(lhs) {
                    out.push(Stmt::Set(place, value));
                }
            }
            StmtKind::Expr(e) => match &e.kind {
                ExprKind::Call { name, .. } if name.name == "printf" => {
                    // printf only prints; rheobase does not reproduce C's formatting.
                }
                ExprKind::Call { name, args } if name.name == "net_send" && args.len() == 2 => {
                    let (delay, flag) = (self.expr(&args[0]), self.expr(&args[1]));
                    out.push(Stmt::NetSend { delay, flag });
                }
                ExprKind::Call { name, args } if name.name == "state_discontinuity" && args.len() == 2 => {
                    // In NET_RECEIVE nocmodl makes it a plain assignment (fixed step); elsewhere NEURON's
                    // state_discontinuity() decides when it assigns (see Stmt::Discontinuity).
                    let value = self.expr(&args[1]);
                    if let Some(place) = self.target(&args[0]) {
                        out.push(if self.in_net_receive {
                            Stmt::Set(place, value)
                        } else {
                            Stmt::Discontinuity(place, value)
                        });
                    }
                }
                ExprKind::Call { name, args } if name.name == "net_move" && args.len() == 1 => {
                    let t = self.expr(&args[0]);
                    out.push(Stmt::NetMove(t));
                }
                ExprKind::Call { name, args } if name.name == "net_event" && args.len() == 1 => {
                    if self.m.kind == sema::MechanismKind::Density {
                        self.error(&name.span, "net_event belongs in a POINT_PROCESS or ARTIFICIAL_CELL");
                    }
                    let t = self.expr(&args[0]);
                    out.push(Stmt::NetEvent(t));
                }
                ExprKind::Call { name, args } => {
                    if let Some(Name::Func(id)) = self.names.get(&name.name).copied() {
                        let args = self.args(name, id, args);
                        out.push(Stmt::Call(id, args));
                    } else {
                        let e = self.expr(e);
                        out.push(Stmt::Set(Place::scalar(Var::Local(self.scratch())), e));
                    }
                }
                _ => {
                    self.warn(&e.span, "an expression statement has no effect");
                }
            },
            StmtKind::Local(vars) => {
                for v in vars {
                    let n = self.dim(&v.dim);
                    self.local(&v.name.name, n);
                }
            }
            StmtKind::If { cond, then, else_ifs, else_ } => {
                let mut tail = else_.as_ref().map(|b| self.block(b, special)).unwrap_or_default();
                for (c, b) in else_ifs.iter().rev() {
                    let c = self.expr(c);
                    let b = self.block(b, special);
                    tail = vec![Stmt::If(c, b, tail)];
                }
                let c = self.expr(cond);
                let then = self.block(then, special);
                out.push(Stmt::If(c, then, tail));
            }
            StmtKind::While { cond, body } => {
                let c = self.expr(cond);
                let body = self.block(body, special);
                out.push(Stmt::While(c, body));
            }
            StmtKind::From { var, from, to, by, body } => {
                let (from, to) = (self.expr(from), self.expr(to));
                let by = by.as_ref().map_or(Expr::Num(1.0), |b| self.expr(b));
                self.push_scope();
                let slot = self.local(&var.name, 1);
                let body = self.block(body, special);
                self.pop_scope();
                out.push(Stmt::For { var: slot, from, to, by, body });
            }
            StmtKind::Block(b) => out.extend(self.block(b, special)),
            StmtKind::UnitsSwitch(_) | StmtKind::Mutex(_) => {}
            StmtKind::Verbatim(v) => self.verbatim(v),
            StmtKind::Table { .. } => self.error(&s.span, "TABLE belongs at the start of a FUNCTION or PROCEDURE"),
            StmtKind::Solve { block, method, steadystate, .. } => {
                // In a FUNCTION or PROCEDURE (cabpump's `ss()`): solved in place when called.
                let stmts = self.solve(block, method.as_ref(), steadystate.as_ref());
                out.extend(stmts);
            }
            StmtKind::Derivative { name, .. } => {
                self.error(&name.span, "a derivative `x' = …` belongs in a DERIVATIVE block")
            }
            StmtKind::Reaction { .. }
            | StmtKind::Flux { .. }
            | StmtKind::Conserve { .. }
            | StmtKind::Compartment { .. }
                if self.in_kinetic =>
            {
                self.kinetic_stmt(s, out)
            }
            StmtKind::Reaction { .. }
            | StmtKind::Flux { .. }
            | StmtKind::Conserve { .. }
            | StmtKind::Compartment { .. } => {
                self.error(&s.span, "reactions, fluxes, CONSERVE and COMPARTMENT belong in a KINETIC block")
            }
            // Lowered with the mechanism's other diffusion statements (`diffusion`); nothing to do in the scheme.
            StmtKind::LongitudinalDiffusion { .. } if self.in_kinetic => {}
            StmtKind::LongitudinalDiffusion { .. } => {
                self.error(&s.span, "LONGITUDINAL_DIFFUSION belongs in a KINETIC block")
            }
            StmtKind::Equation { .. } => self.error(&s.span, "`~ lhs = rhs` belongs in a LINEAR or NONLINEAR block"),
            StmtKind::Initial(_) => self
                .error(&s.span, "an INITIAL block belongs at the top level of NET_RECEIVE (or is the mechanism's own)"),
            StmtKind::Watch(watches) if self.in_net_receive => {
                for (cond, flag) in watches {
                    if let Some(cond) = self.watch_condition(cond) {
                        out.push(Stmt::Watch { cond, flag: self.expr(flag) });
                    }
                }
            }
            StmtKind::Watch(_) => self.error(&s.span, "WATCH belongs in NET_RECEIVE"),
            StmtKind::ForNetcons { args, body } if self.in_net_receive => {
                self.push_scope();
                let slots = args.iter().map(|a| self.local(&a.name.name, 1)).collect();
                let body = self.block(body, special);
                self.pop_scope();
                out.push(Stmt::ForNetcons { args: slots, body });
            }
            StmtKind::ForNetcons { .. } => self.error(&s.span, "FOR_NETCONS belongs in NET_RECEIVE"),
        }
    }

    /// A WATCH condition as a function of its own (checked every step, outside NET_RECEIVE): its value is the
    /// condition's (non-zero for true). None (with an error) when it reads NET_RECEIVE's arguments or locals.
    fn watch_condition(&mut self, cond: &ast::Expr) -> Option<usize> {
        struct Locals(bool);
        impl Visitor for Locals {
            fn place(&mut self, p: &Place) {
                self.0 |= matches!(p.var, Var::Local(_));
            }
        }
        let value = self.expr(cond);
        let mut locals = Locals(false);
        visit_expr(&value, &mut locals);
        if locals.0 {
            // nocmodl puts the condition in a C function of its own, where they are not in scope: nrnivmodl's
            // compile fails (`_lw` was not declared).
            self.error(
                &cond.span,
                "a WATCH condition cannot read NET_RECEIVE's arguments or LOCALs (NEURON's nrnivmodl does not \
                 compile it either): copy the value to a RANGE variable first",
            );
            return None;
        }
        let n = self.funcs.iter().filter(|f| f.name.starts_with("<WATCH")).count();
        let body = vec![Stmt::Set(Place::scalar(Var::Local(0)), value)];
        self.funcs.push(Func { name: format!("<WATCH {n}>"), params: 0, frame: 1, result: Some(0), body, table: None });
        Some(self.funcs.len() - 1)
    }

    /// A frame slot for a value nobody reads (a FUNCTION called as a statement).
    fn scratch(&mut self) -> u32 {
        let at = self.frame;
        self.frame += 1;
        at
    }

    /// The place an assignment writes.
    fn target(&mut self, lhs: &ast::Expr) -> Option<Place> {
        if let ExprKind::Name(id) | ExprKind::Index { name: id, .. } = &lhs.kind {
            if let Some(Name::Storage(Var::Range(s), _)) = self.names.get(&id.name).copied() {
                let slot = &mut self.range[s as usize];
                if let SlotKind::Pointer { written } = &mut slot.kind {
                    *written = true; // the engine writes it back to its target
                }
            }
        }
        match &lhs.kind {
            ExprKind::Name(id) => self.place_of(id, None),
            ExprKind::Index { name, index } => {
                let i = self.index_expr(index);
                self.place_of(name, Some(i))
            }
            _ => {
                self.error(&lhs.span, "only a variable can be assigned");
                None
            }
        }
    }

    /// The storage a name refers to here (locals first), optionally indexed.
    fn place_of(&mut self, id: &ast::Ident, index: Option<Expr>) -> Option<Place> {
        let (var, len) = if let Some(&(slot, len)) = self.scopes.iter().rev().find_map(|s| s.get(&id.name)) {
            (Var::Local(slot), len)
        } else if let Some(s) = Special::from_name(&id.name) {
            let var = match s {
                Special::V => Var::V,
                Special::T => Var::T,
                Special::Dt => Var::Dt,
                Special::Celsius => Var::Celsius,
                Special::Area => Var::Area,
                Special::Diam => Var::Diam,
            };
            (var, 1)
        } else if id.name == "secondorder" {
            (Var::SecondOrder, 1)
        } else {
            match self.names.get(&id.name) {
                Some(Name::Storage(var, len)) => (*var, *len),
                Some(Name::Value(_)) => {
                    self.error(&id.span, format!("`{}` is a constant and cannot be assigned", id.name));
                    return None;
                }
                Some(Name::Func(_)) => {
                    self.error(&id.span, format!("`{}` is a FUNCTION or PROCEDURE, not a variable", id.name));
                    return None;
                }
                None => {
                    if self.m.pointers.contains(&id.name) {
                        self.unsupported(&id.span, format!("POINTER `{}` is not supported yet", id.name));
                    } else if self.m.randoms.contains(&id.name) {
                        self.unsupported(
                            &id.span,
                            format!("RANDOM `{}` is only usable as a random_* argument", id.name),
                        );
                    } else {
                        self.error(&id.span, format!("undeclared identifier `{}`", id.name));
                    }
                    return None;
                }
            }
        };
        match (index, len) {
            (None, 1) => Some(Place::scalar(var)),
            (None, _) => {
                self.error(&id.span, format!("`{}` is an array of {len}: give an index", id.name));
                None
            }
            (Some(i), _) if len > 1 => Some(Place { var, index: Some(Box::new(i)), len }),
            (Some(_), _) => {
                self.error(&id.span, format!("`{}` is not an array", id.name));
                None
            }
        }
    }

    /// A random function's call, or None for other names.
    fn random_call(&mut self, name: &ast::Ident, args: &[ast::Expr]) -> Option<Expr> {
        if let Some(&(_, op, arities)) = StreamOp::ALL.iter().find(|(n, ..)| *n == name.name) {
            return Some(self.stream_call(name, op, arities, args));
        }
        let (op, arity) = match name.name.as_str() {
            "scop_random" => (Random::ScopRandom, 0),
            "set_seed" => (Random::SetSeed, 1),
            "exprand" => (Random::Exprand, 1),
            "normrand" => (Random::Normrand, 2),
            "poisrand" => (Random::Poisrand, 1),
            _ => return None,
        };
        if args.len() != arity {
            self.error(&name.span, format!("`{}` takes {arity} arguments, {} given", name.name, args.len()));
            return Some(Expr::Num(f64::NAN));
        }
        let values = args.iter().map(|a| self.expr(a)).collect();
        Some(Expr::Random(op, values))
    }

    /// `random_*(r, …)` of a RANDOM variable r.
    fn stream_call(&mut self, name: &ast::Ident, op: StreamOp, arities: &[usize], args: &[ast::Expr]) -> Expr {
        if !arities.contains(&args.len()) {
            let counts: Vec<String> = arities.iter().map(|n| n.to_string()).collect();
            let counts = counts.join(" or ");
            self.error(&name.span, format!("`{}` takes {counts} arguments, {} given", name.name, args.len()));
            return Expr::Num(f64::NAN);
        }
        let named = match &args[0].kind {
            ExprKind::Name(id) => Some(id.name.as_str()),
            _ => None,
        };
        let stream = self.random.iter().find(|(r, _)| Some(r.as_str()) == named).map(|&(_, at)| at);
        let Some(stream) = stream else {
            self.error(&args[0].span, format!("the first argument of `{}` must be a RANDOM variable", name.name));
            return Expr::Num(f64::NAN);
        };
        let values = args[1..].iter().map(|a| self.expr(a)).collect();
        Expr::Random(Random::Stream { stream, op }, values)
    }

    /// An array index: nocmodl makes it a C int expression, each name cast to int before the arithmetic.
    fn index_expr(&mut self, e: &ast::Expr) -> Expr {
        fn ints(e: Expr) -> Expr {
            match e {
                Expr::Get(p) => Expr::Builtin(Builtin::Trunc, vec![Expr::Get(p)]),
                Expr::Unary(op, a) => Expr::Unary(op, Box::new(ints(*a))),
                Expr::Binary(op, a, b) => {
                    let r = Expr::Binary(op, Box::new(ints(*a)), Box::new(ints(*b)));
                    // C's integer division truncates.
                    if op == BinOp::Div {
                        Expr::Builtin(Builtin::Trunc, vec![r])
                    } else {
                        r
                    }
                }
                other => other,
            }
        }
        let e = self.expr(e);
        ints(e)
    }

    fn args(&mut self, name: &ast::Ident, id: usize, args: &[ast::Expr]) -> Vec<Expr> {
        let want = self.funcs[id].params as usize;
        if args.len() != want {
            self.error(&name.span, format!("`{}` takes {want} arguments, {} given", name.name, args.len()));
        }
        args.iter().map(|a| self.expr(a)).collect()
    }

    fn expr(&mut self, e: &ast::Expr) -> Expr {
        match &e.kind {
            ExprKind::Number { value, .. } => Expr::Num(value.value),
            ExprKind::Name(id) => {
                if self.scopes.iter().rev().all(|s| !s.contains_key(&id.name)) {
                    if let Some(Name::Value(v)) = self.names.get(&id.name) {
                        return Expr::Num(*v);
                    }
                }
                self.place_of(id, None).map_or(Expr::Num(f64::NAN), Expr::Get)
            }
            ExprKind::Index { name, index } => {
                let i = self.index_expr(index);
                self.place_of(name, Some(i)).map_or(Expr::Num(f64::NAN), Expr::Get)
            }
            ExprKind::Call { name, args } => self.call(name, args),
            ExprKind::Unary { op, operand } => {
                let o = self.expr(operand);
                let op = match op {
                    ast::UnaryOp::Neg => UnOp::Neg,
                    ast::UnaryOp::Not => UnOp::Not,
                };
                Expr::Unary(op, Box::new(o))
            }
            ExprKind::Binary { op, lhs, rhs } => {
                let (a, b) = (self.expr(lhs), self.expr(rhs));
                let op = match op {
                    ast::BinOp::Or => BinOp::Or,
                    ast::BinOp::And => BinOp::And,
                    ast::BinOp::Lt => BinOp::Lt,
                    ast::BinOp::Le => BinOp::Le,
                    ast::BinOp::Gt => BinOp::Gt,
                    ast::BinOp::Ge => BinOp::Ge,
                    ast::BinOp::Eq => BinOp::Eq,
                    ast::BinOp::Ne => BinOp::Ne,
                    ast::BinOp::Add => BinOp::Add,
                    ast::BinOp::Sub => BinOp::Sub,
                    ast::BinOp::Mul => BinOp::Mul,
                    ast::BinOp::Div => BinOp::Div,
                    ast::BinOp::Pow => BinOp::Pow,
                    ast::BinOp::Rem => {
                        return Expr::Builtin(Builtin::Fmod, vec![a, b]);
                    }
                };
                Expr::bin(op, a, b)
            }
            ExprKind::Str(_) => {
                self.error(&e.span, "a string is only allowed as printf's format");
                Expr::Num(f64::NAN)
            }
        }
    }

    fn call(&mut self, name: &ast::Ident, args: &[ast::Expr]) -> Expr {
        if let Some(Name::Func(id)) = self.names.get(&name.name).copied() {
            if self.funcs[id].result.is_none() {
                self.error(&name.span, format!("`{}` is a PROCEDURE: it has no value", name.name));
            }
            let args = self.args(name, id, args);
            return Expr::Call(id, args);
        }
        if let Some(r) = self.random_call(name, args) {
            return r;
        }
        if name.name == "at_time" && args.len() == 1 {
            // Fixed step (NEURON's cvodestb.cpp): true while the step holds te, x = te − 1e-11 with t − dt < x ≤ t.
            let te = self.expr(&args[0]);
            let x = Expr::bin(BinOp::Sub, te, Expr::Num(1e-11));
            let t_minus_dt = Expr::bin(BinOp::Sub, Expr::get(Var::T), Expr::get(Var::Dt));
            return Expr::bin(
                BinOp::And,
                Expr::bin(BinOp::Le, x.clone(), Expr::get(Var::T)),
                Expr::bin(BinOp::Gt, x, t_minus_dt),
            );
        }
        if matches!(name.name.as_str(), "nrn_ghk" | "ghk") {
            let [v, ci, co, z] = args else {
                self.error(
                    &name.span,
                    format!("`{}` takes 4 arguments (v, ci, co, z), {} given", name.name, args.len()),
                );
                return Expr::Num(f64::NAN);
            };
            return ghk([v, ci, co, z].map(|a| self.expr(a)));
        }
        if let Some(b) = Builtin::from_name(&name.name) {
            if args.len() != b.arity() {
                self.error(&name.span, format!("`{}` takes {} arguments, {} given", name.name, b.arity(), args.len()));
            }
            return Expr::Builtin(b, args.iter().map(|a| self.expr(a)).collect());
        }
        self.unsupported(&name.span, format!("the function `{}` is not supported yet", name.name));
        Expr::Num(f64::NAN)
    }
}

/// NEURON's `nrn_ghk(v, ci, co, z)` (eion.cpp; hoc's `ghk`): the GHK flux 0.001·z·F·(ci·efun(−x) − co·efun(x)) in
/// mC/cm³ (mA/cm² per cm/s of permeability) with x = z·v/ktf, ktf = 1000·R·(celsius + 273.15)/F mV and
/// efun(x) = x/(e^x − 1), or 1 − x/2 for |x| < 1e-4. The IR has no conditional expression: with c = (|x| < 1e-4),
/// efun = c·(1 − x/2) + (1 − c)·x/(e^x − 1 + c), where the c in the divisor keeps the unused branch finite.
/// The arguments are evaluated more than once (they are pure in practice).
fn ghk([v, ci, co, z]: [Expr; 4]) -> Expr {
    use rheobase_core::mechanisms::ions::{FARADAY, GAS_CONSTANT};
    let (add, sub, mul, div) = (
        |a, b| Expr::bin(BinOp::Add, a, b),
        |a, b| Expr::bin(BinOp::Sub, a, b),
        |a, b| Expr::bin(BinOp::Mul, a, b),
        |a, b| Expr::bin(BinOp::Div, a, b),
    );
    let kelvin = add(Expr::get(Var::Celsius), Expr::Num(273.15));
    let ktf = div(mul(Expr::Num(1000.0 * GAS_CONSTANT), kelvin), Expr::Num(FARADAY));
    let x = div(mul(z.clone(), v), ktf);
    let efun = |x: Expr| {
        let small = Expr::bin(BinOp::Lt, Expr::Builtin(Builtin::Fabs, vec![x.clone()]), Expr::Num(1e-4));
        let series = sub(Expr::Num(1.0), div(x.clone(), Expr::Num(2.0)));
        let divisor = add(sub(Expr::Builtin(Builtin::Exp, vec![x.clone()]), Expr::Num(1.0)), small.clone());
        add(mul(small.clone(), series), mul(sub(Expr::Num(1.0), small), div(x, divisor)))
    };
    let inward = mul(ci, efun(Expr::Unary(UnOp::Neg, Box::new(x.clone()))));
    let outward = mul(co, efun(x));
    mul(mul(Expr::Num(0.001 * FARADAY), z), sub(inward, outward))
}

/// Which functions the `roots` call, directly or not (the roots included).
fn reachable(funcs: &[Func], roots: &[usize]) -> Vec<bool> {
    struct Calls(Vec<bool>);
    impl Visitor for Calls {
        fn place(&mut self, _: &Place) {}
        fn call(&mut self, f: usize) {
            self.0[f] = true;
        }
    }
    let mut calls = Calls(vec![false; funcs.len()]);
    let body: Vec<Stmt> = roots.iter().map(|&f| Stmt::Call(f, Vec::new())).collect();
    walk(funcs, &body, &mut calls);
    calls.0
}
