//! A compiled `.mod` file as an engine mechanism: its [`MechInfo`] for the registry and a [`Kernel`] that runs
//! the kernel program per instance, following NEURON's generated `nrn_init`, `nrn_cur` and `nrn_state`:
//!
//! * every call first copies the ion variables the mechanism reads (and the concentrations it writes) from the
//!   ion into the mechanism's own per-instance copies;
//! * INITIAL sets each state to its start value, then runs the block; written concentrations go back to the
//!   ion;
//! * the current is the BREAKPOINT (without its SOLVE) evaluated at v + 0.001 mV and at v: the membrane gets
//!   i(v) and the conductance (i(v + 0.001) − i(v))/0.001; each written ion current is added to the ion, with
//!   its own finite-difference conductance;
//! * the state update runs the SOLVEs at the new v, then written concentrations go back to the ion.

use crate::interp::{Instance, Interpreter, NetconWeights};
use crate::ir::{self, IonField, IonVar, Kind, Program, SlotKind};
use crate::jit::{self, Env, JitProgram, Phase, TableView};
use rheobase_core::events::Outbox;
use rheobase_core::mechanisms::{
    self, ions, BaPoint, Block, BlockData, GlobalInfo, Kernel, MechId, MechInfo, MechKind, NodeView, VarInfo, VarKind,
};
use std::sync::Arc;

fn leak(s: &str) -> &'static str {
    Box::leak(s.to_string().into_boxed_str())
}

/// Registers a compiled mechanism (superseding one of the same name) and the ions it uses.
pub fn register(program: Arc<Program>, use_jit: bool) -> MechId {
    for ion in &program.ions {
        mechanisms::ensure_ion(&ion.name);
    }
    mechanisms::register(mech_info(program, use_jit))
}

/// The registry entry of a compiled mechanism; its kernels run native code when the JIT compiles the program
/// (and `use_jit` is set), else the interpreter.
pub fn mech_info(program: Arc<Program>, use_jit: bool) -> MechInfo {
    let suffix = program.name.clone();
    let vars = program
        .range
        .iter()
        .map(|r| VarInfo {
            name: leak(&r.name),
            units: leak(&r.units),
            default: r.default,
            kind: match r.kind {
                SlotKind::Parameter => VarKind::Parameter,
                SlotKind::Assigned => VarKind::Assigned,
                SlotKind::State => VarKind::State,
                SlotKind::Hidden => VarKind::Internal,
                SlotKind::Pointer { written } => VarKind::Pointer { written },
            },
        })
        .collect();
    let globals = program
        .globals
        .iter()
        .filter(|g| g.shared())
        .map(|g| GlobalInfo { name: leak(&g.full_name(&suffix)), default: g.default, external: g.external })
        .collect();
    let make = Arc::clone(&program);
    // Artificial cells only run INITIAL and NET_RECEIVE (no node, no step work): the interpreter does it.
    let native = if use_jit && program.kind != Kind::Artificial { jit::compile(&program).map(Arc::new) } else { None };
    MechInfo {
        name: leak(&program.name),
        kind: match program.kind {
            Kind::Density => MechKind::Density,
            Kind::Point => MechKind::Point,
            Kind::Artificial => MechKind::Artificial,
        },
        vars,
        ions: program.ions.iter().map(|i| leak(&i.name)).collect(),
        globals,
        electrode_current: program.electrode,
        ion_conc: program
            .ions
            .iter()
            .map(|ion| {
                let conc = |v: &&IonVar| matches!(v.field, IonField::Inner | IonField::Outer);
                (ion.vars.iter().filter(conc).any(|v| v.read), ion.vars.iter().filter(conc).any(|v| v.write))
            })
            .collect(),
        weights: Box::leak(program.weights.iter().map(|w| leak(w)).collect::<Vec<_>>().into_boxed_slice()),
        make_kernel: Arc::new(move || Box::new(NmodlKernel::new(Arc::clone(&make), native.clone()))),
    }
}

/// The ion block's variable for a field.
fn ion_var(field: IonField) -> usize {
    match field {
        IonField::E => ions::E,
        IonField::Inner => ions::CI,
        IonField::Outer => ions::CO,
        IonField::Current => ions::I,
    }
}

struct NmodlKernel {
    program: Arc<Program>,
    /// Native code, shared by every kernel of this mechanism; None: run on the interpreter.
    jit: Option<Arc<JitProgram>>,
    /// Runs the program when there is no native code, and builds TABLEs for both.
    interp: Interpreter,
    /// One instance's range values while the interpreter runs it.
    row: Vec<f64>,
    /// Every global: the exposed ones mirror the block's, the others (file-scope LOCALs, start values) live
    /// here.
    globals: Vec<f64>,
    /// Index in `globals` of each exposed global, in the block's order.
    exposed: Vec<usize>,
    /// Value of each written ion current at v + 0.001 mV (for its conductance).
    saved_currents: Vec<f64>,
    fault_reported: bool,
    /// What NET_RECEIVE sees of each instance's node, as of the last phase (events arrive between steps, when
    /// v is the step boundary's): v (mV) and area (µm²); and dt (ms) and celsius (°C) of that phase.
    seen: Seen,
    /// The events INITIAL asked for: (time ms, instance, flag) and spikes (time ms, instance).
    initial_sends: Vec<(f64, usize, f64)>,
    initial_spikes: Vec<(f64, usize)>,
    /// Per instance, the time of its outstanding flag-1 self-event (NEURON's `_tqitem`), for net_move.
    tqitem: Vec<Option<f64>>,
    /// Self-events net_move superseded: (instance, time); they are dropped on arrival.
    moved: Vec<(usize, f64)>,
    /// Per phase, the range slots its code (or NET_RECEIVE, which reads what the last phase left) reads or
    /// writes: only those ion variables are copied in and out.
    touched: [Vec<bool>; 3],
    /// Per-instance values of the native state loop's globals (`Env::scratch`).
    scratch: Vec<f64>,
    /// What `Env`'s pointer arrays hold during one phase (rebuilt at every phase).
    pointers: EnvPointers,
    /// Per instance, its active WATCHes (empty unless the program has WATCH statements).
    watches: Vec<Vec<Watch>>,
    /// NET_RECEIVE has a FOR_NETCONS loop: events bring every targeting NetCon's weights.
    for_netcons: bool,
    ba_ions: BaIons,
    /// LONGITUDINAL_DIFFUSION: (state, diffusion value, volume) columns (see `Kernel::diffusing`).
    diffusing: Vec<(usize, usize, usize)>,
    /// What `Instance::discontinuity` is for the next interpreted call (false only in parts of the current
    /// phase: see `Stmt::Discontinuity`).
    discontinuity: bool,
}

/// Whether nocmodl's code for BEFORE/AFTER blocks copies ion variables in and out. It wraps each block in the
/// statements of the current routine -- `cai = _ion_cai;` per read variable and written concentration, then
/// `_ion_ica += ica` per written current (two list items) and `_ion_cai = cai;` per other written variable --
/// but inserts each list only when it has two or more items (nocpout.cpp: `lst->next != lst->prev`).
#[derive(Debug, Clone, Copy, Default)]
struct BaIons {
    copy_in: bool,
    write_back: bool,
}

impl BaIons {
    fn of(ions: &[ir::IonUse]) -> Self {
        let vars = || ions.iter().flat_map(|ion| &ion.vars);
        let gets: usize = vars().map(|v| v.read as usize + (v.write && v.is_concentration()) as usize).sum();
        let sets: usize = vars().filter(|v| v.write).map(|v| if v.field == IonField::Current { 2 } else { 1 }).sum();
        BaIons { copy_in: gets >= 2, write_back: sets >= 2 }
    }
}

fn has_for_netcons(body: &[ir::Stmt]) -> bool {
    body.iter().any(|s| match s {
        ir::Stmt::ForNetcons { .. } => true,
        ir::Stmt::If(_, a, b) => has_for_netcons(a) || has_for_netcons(b),
        ir::Stmt::While(_, b) | ir::Stmt::For { body: b, .. } => has_for_netcons(b),
        _ => false,
    })
}

/// What a call at event time (NET_RECEIVE, a WATCH condition) sees of instance k: its values and the globals
/// loaded from the block into `row` and `globals`, v and area as of the last phase, time `t` (ms).
fn event_instance<'a>(
    row: &'a mut [f64],
    globals: &'a mut [f64],
    exposed: &[usize],
    seen: &Seen,
    blk: &BlockData,
    k: usize,
    t: f64,
) -> Instance<'a> {
    for (slot, col) in row.iter_mut().zip(&blk.vars) {
        *slot = col[k];
    }
    for (j, &g) in exposed.iter().enumerate() {
        globals[g] = blk.globals[j];
    }
    let at = |x: &[f64]| x.get(k).copied().unwrap_or(0.0);
    Instance {
        range: row,
        globals,
        v: at(&seen.v),
        t,
        dt: seen.dt,
        celsius: seen.celsius,
        area: at(&seen.area),
        diam: 0.0,
        secondorder: 0.0,
        discontinuity: true,
    }
}

/// The arrays of pointers an [`Env`] refers to: columns, and per ion its instance index, current and di/dv.
#[derive(Default)]
struct EnvPointers {
    cols: Vec<*mut f64>,
    ion_index: Vec<*const usize>,
    ion_current: Vec<*mut f64>,
    ion_didv: Vec<*mut f64>,
    views: Vec<TableView>,
}

/// An active `WATCH (cond) flag`: `on` is the condition's value at the last check (it fires on turning true).
#[derive(Clone)]
struct Watch {
    cond: usize,
    flag: f64,
    on: bool,
}

#[derive(Default)]
struct Seen {
    v: Vec<f64>,
    area: Vec<f64>,
    dt: f64,
    celsius: f64,
}

impl NmodlKernel {
    fn new(program: Arc<Program>, jit: Option<Arc<JitProgram>>) -> Self {
        let globals = program.globals.iter().map(|g| g.default).collect();
        let exposed = program.globals.iter().enumerate().filter(|(_, g)| g.shared()).map(|(k, _)| k).collect();
        let row = vec![0.0; program.range.len()];
        let mut touched = [Phase::Init, Phase::Current, Phase::State].map(|phase| {
            let mut roots = match phase {
                Phase::Init => vec![program.start, program.initial],
                Phase::Current => {
                    vec![program.current, program.conductance.as_ref().map_or(program.current, |c| c.func)]
                }
                Phase::State => vec![program.state],
            };
            roots.extend(program.net_receive);
            program.touched_slots(&roots)
        });
        let for_netcons = [program.net_receive, program.net_init]
            .into_iter()
            .flatten()
            .any(|f| has_for_netcons(&program.funcs[f].body));
        let ba_ions = BaIons::of(&program.ions);
        let diffusing = program.diffusion.iter().flat_map(|d| &d.slots);
        let diffusing = diffusing.map(|&(s, c, v)| (s as usize, c as usize, v as usize)).collect();
        if !program.before_after.is_empty() && !ba_ions.copy_in {
            // Those blocks read the copies the phases left, which NEURON's phases refresh whether or not their
            // code reads them.
            for v in program.ions.iter().flat_map(|ion| &ion.vars).filter(|v| v.copied_in()) {
                for t in &mut touched {
                    t[v.slot as usize] = true;
                }
            }
        }
        NmodlKernel {
            interp: Interpreter::new(Arc::clone(&program)),
            program,
            jit,
            row,
            globals,
            exposed,
            saved_currents: Vec::new(),
            fault_reported: false,
            seen: Seen::default(),
            initial_sends: Vec::new(),
            initial_spikes: Vec::new(),
            tqitem: Vec::new(),
            moved: Vec::new(),
            touched,
            scratch: Vec::new(),
            pointers: EnvPointers::default(),
            watches: Vec::new(),
            for_netcons,
            ba_ions,
            diffusing,
            discontinuity: true,
        }
    }

    /// Builds or refreshes every TABLE (on a DEPEND change) and sets what native code reads of them in
    /// `pointers.views` (views into the interpreter's tables, valid until it rebuilds one).
    fn table_views(&mut self, env: &Env) {
        let program = Arc::clone(&self.program);
        if program.funcs.iter().all(|f| f.table.is_none()) {
            return;
        }
        let n = program.funcs.len();
        let mut views = std::mem::take(&mut self.pointers.views);
        views.clear();
        views.resize(n, TableView::default());
        let mut scratch = vec![0.0; program.range.len()];
        for f in (0..n).filter(|&f| program.funcs[f].table.is_some()) {
            let mut inst = instance(env, &mut scratch, &mut self.globals, true);
            if let Some((tmin, mfac, intervals, rows)) = self.interp.table(f, &mut inst) {
                views[f] = TableView { tmin, mfac, n: intervals as f64, rows: rows.as_ptr() };
            }
        }
        self.pointers.views = views;
    }

    /// Runs function `f` for instance `k` on the interpreter.
    ///
    /// # Safety
    /// `env.cols` points to one column per range slot, each with more than `k` elements.
    unsafe fn interpret(&mut self, f: usize, k: usize, env: &mut Env) {
        let cols = env.cols;
        for (j, slot) in self.row.iter_mut().enumerate() {
            // SAFETY: the caller's contract.
            *slot = unsafe { *(*cols.add(j)).add(k) };
        }
        let mut inst = instance(env, &mut self.row, &mut self.globals, self.discontinuity);
        self.interp.call(f, &[], &mut inst);
        env.v = inst.v;
        for (j, slot) in self.row.iter().enumerate() {
            // SAFETY: as above.
            unsafe { *(*cols.add(j)).add(k) = *slot };
        }
    }

    /// A phase for every instance; with `block` a function instead of the phase's, on the interpreter: a
    /// BEFORE/AFTER block (with nocmodl's ion statements around it, see `BaIons`) or the LONGITUDINAL_DIFFUSION
    /// values (no ion copies: nocmodl's `_difcoef` reads the mechanism's own).
    fn run(&mut self, phase: Phase, block: Option<usize>, blk: &mut BlockData, ions: &mut [Block], nv: &mut NodeView) {
        let before_after = block.is_some_and(|f| self.program.before_after.iter().any(|&(_, g)| g == f));
        let artificial = self.program.kind == Kind::Artificial;
        if artificial && phase != Phase::Init {
            return; // no current, no per-step work: artificial cells change only through events
        }
        let node_value = |x: &[f64], nd: usize| if artificial { 0.0 } else { x[nd] };
        if self.program.net_receive.is_some() || artificial {
            self.seen.v = blk.node.iter().map(|&nd| node_value(nv.v, nd)).collect();
            self.seen.area = blk.node.iter().map(|&nd| node_value(nv.area, nd)).collect();
        }
        (self.seen.dt, self.seen.celsius) = (nv.dt, nv.celsius);
        if phase == Phase::Init {
            self.watches = vec![Vec::new(); blk.len()]; // finitialize ends every WATCH
            self.tqitem = vec![None; blk.len()];
            self.moved.clear();
            self.initial_sends.clear();
            self.initial_spikes.clear();
        }
        for (k, &g) in self.exposed.iter().enumerate() {
            self.globals[g] = blk.globals[k];
        }
        let program = Arc::clone(&self.program);
        // Ion variables into the mechanism's copies: those it reads, and the concentrations it writes.
        for (i, ion) in program.ions.iter().enumerate() {
            let ib = blk.ion_block[i];
            let touched = &self.touched[phase as usize];
            let wanted = |v: &&IonVar| match block {
                Some(_) => before_after && self.ba_ions.copy_in && v.copied_in(),
                None => {
                    touched[v.slot as usize]
                        && (v.read || (v.write && v.field != IonField::Current && phase != Phase::Current))
                }
            };
            for v in ion.vars.iter().filter(wanted) {
                let from = &ions[ib].data.vars[ion_var(v.field)];
                let to = &mut blk.vars[v.slot as usize];
                if blk.contiguous {
                    let n = to.len();
                    to.copy_from_slice(&from[..n]);
                } else {
                    for (dst, &ii) in to.iter_mut().zip(&blk.ion_instance[i]) {
                        *dst = from[ii];
                    }
                }
            }
        }
        // The pointer arrays Env points into, refilled in place (no allocation per phase).
        let p = &mut self.pointers;
        p.cols.clear();
        p.cols.extend(blk.vars.iter_mut().map(|c| c.as_mut_ptr()));
        p.ion_index.clear();
        p.ion_index.extend(blk.ion_instance.iter().map(|ix| ix.as_ptr()));
        p.ion_current.clear();
        p.ion_didv.clear();
        for &ib in &blk.ion_block[..program.ions.len()] {
            p.ion_current.push(ions[ib].data.vars[ions::I].as_mut_ptr());
            p.ion_didv.push(ions[ib].data.vars[ions::DIDV].as_mut_ptr());
        }
        let mut env = Env {
            cols: p.cols.as_ptr(),
            globals: std::ptr::null_mut(),
            tables: std::ptr::null(),
            v: 0.0,
            t: nv.t,
            dt: nv.dt,
            celsius: nv.celsius,
            area: 0.0,
            diam: 0.0,
            secondorder: 0.0,
            fault: 0,
            node: blk.node.as_ptr(),
            // Artificial cells read these through `seen` (their node index means nothing).
            node_v: if artificial { self.seen.v.as_ptr() } else { nv.v.as_ptr() },
            node_area: if artificial { self.seen.area.as_ptr() } else { nv.area.as_ptr() },
            node_diam: if artificial { self.seen.area.as_ptr() } else { nv.diam.as_ptr() },
            node_rhs: nv.rhs.as_mut_ptr(),
            node_d: nv.d.as_mut_ptr(),
            ion_index: p.ion_index.as_ptr(),
            ion_current: p.ion_current.as_ptr(),
            ion_didv: p.ion_didv.as_ptr(),
            contiguous: (blk.contiguous && !artificial) as u64,
            node_first: blk.node.first().map_or(0, |&nd| nd as u64),
            scratch: std::ptr::null_mut(),
        };
        if let Some(jit) = self.jit.clone().filter(|_| block.is_none()) {
            self.table_views(&env);
            env.tables = self.pointers.views.as_ptr();
            env.globals = self.globals.as_mut_ptr();
            self.scratch.resize(blk.len() * jit.scratch_per_instance, 0.0);
            env.scratch = self.scratch.as_mut_ptr();
            // SAFETY: every pointer in env is valid for the block's instances, their nodes and ion instances, and
            // nothing else touches that memory during the call.
            unsafe { jit.run(phase, &mut env, blk.len()) };
        } else {
            self.interpret_all(phase, block, blk, &mut env, nv.initializing);
        }
        if before_after {
            self.before_after_ions_out(blk, ions, nv);
        } else if block.is_none() && phase != Phase::Current {
            for (i, ion) in program.ions.iter().enumerate() {
                let ib = blk.ion_block[i];
                let mut wrote_conc = false;
                let touched = &self.touched[phase as usize];
                for iv in
                    ion.vars.iter().filter(|iv| iv.write && iv.field != IonField::Current && touched[iv.slot as usize])
                {
                    let to = &mut ions[ib].data.vars[ion_var(iv.field)];
                    for (src, &ii) in blk.vars[iv.slot as usize].iter().zip(&blk.ion_instance[i]) {
                        to[ii] = *src;
                    }
                    wrote_conc |= iv.field != IonField::E;
                }
                // NEURON's nrn_wrote_conc after INITIAL: e follows the new concentrations (during the run the
                // ion recomputes it at the next step instead).
                let data = &mut ions[ib].data;
                if phase == Phase::Init && wrote_conc && data.globals.get(ions::STYLE_EINIT) == Some(&1.0) {
                    let z = data.globals[ions::STYLE_VALENCE];
                    for &ii in &blk.ion_instance[i] {
                        data.vars[ions::E][ii] =
                            ions::nernst(data.vars[ions::CI][ii], data.vars[ions::CO][ii], z, nv.celsius);
                    }
                }
            }
        }
        for (k, &g) in self.exposed.iter().enumerate() {
            blk.globals[k] = self.globals[g];
        }
        let fault = self.interp.take_fault().or_else(|| (env.fault != 0).then(|| "array index out of bounds".into()));
        if let Some(fault) = fault {
            self.fault(fault);
        }
    }
}

impl NmodlKernel {
    /// After a BEFORE/AFTER block, what nocmodl's code for it writes to the ions: each written current is added
    /// again (point processes: nA scaled by 100/area), concentrations and reversal potentials are assigned
    /// (without nrn_wrote_conc) -- but nothing when that would be a single statement (see `BaIons`).
    fn before_after_ions_out(&self, blk: &BlockData, ions: &mut [Block], nv: &NodeView) {
        if !self.ba_ions.write_back {
            return;
        }
        let point = self.program.kind == Kind::Point;
        for (i, ion) in self.program.ions.iter().enumerate() {
            let ion_vars = &mut ions[blk.ion_block[i]].data.vars;
            for iv in ion.vars.iter().filter(|iv| iv.write) {
                let (to, from) = (&mut ion_vars[ion_var(iv.field)], &blk.vars[iv.slot as usize]);
                for (k, (&x, &ii)) in from.iter().zip(&blk.ion_instance[i]).enumerate() {
                    if iv.field == IonField::Current {
                        to[ii] += if point { x * 100.0 / nv.area[blk.node[k]] } else { x };
                    } else {
                        to[ii] = x;
                    }
                }
            }
        }
    }

    /// What [`jit::JitProgram::run`] does, on the interpreter, through the pointers of `env`.
    /// `initializing`: finitialize's current evaluation (where state_discontinuity does nothing).
    fn interpret_all(
        &mut self,
        phase: Phase,
        block: Option<usize>,
        blk: &BlockData,
        env: &mut Env,
        initializing: bool,
    ) {
        let program = Arc::clone(&self.program);
        // SAFETY (for the calls and accesses below): env's pointers are valid for the block's instances, their
        // nodes and ion instances (see `run`), and k < blk.len().
        let cols = env.cols;
        let at = |slot: u32, k: usize| unsafe { *(*cols.add(slot as usize)).add(k) };
        for k in 0..blk.len() {
            let nd = blk.node[k];
            let v = unsafe { *env.node_v.add(nd) };
            (env.v, env.area, env.diam) = unsafe { (v, *env.node_area.add(nd), *env.node_diam.add(nd)) };
            match phase {
                Phase::Init => {
                    unsafe {
                        self.interpret(program.start, k, env);
                        self.interpret(program.initial, k, env);
                    }
                    self.collect_events(k, None);
                }
                Phase::State => unsafe { self.interpret(block.unwrap_or(program.state), k, env) },
                Phase::Current => {
                    // A point process's current (nA) into the node's density (mA/cm²).
                    let scale = if program.kind == Kind::Point { 1e2 / env.area } else { 1.0 };
                    let sum = |k: usize| program.currents.iter().map(|&c| at(c, k)).sum::<f64>();
                    // Conductances: exact (one evaluation) or NEURON's finite difference (two).
                    let (rhs, g, ion_g) = match &program.conductance {
                        Some(c) => {
                            env.v = v;
                            unsafe { self.interpret(c.func, k, env) };
                            (sum(k), at(c.total, k), c.ions.iter().map(|&s| at(s, k)).collect::<Vec<f64>>())
                        }
                        None => {
                            // NEURON's state_discontinuity assigns in the first evaluation of a step only.
                            self.discontinuity = !initializing;
                            env.v = v + 0.001;
                            unsafe { self.interpret(program.current, k, env) };
                            self.discontinuity = false;
                            let g = sum(k);
                            self.saved_currents.clear();
                            for ion in &program.ions {
                                for iv in ion.vars.iter().filter(|iv| iv.field == IonField::Current && iv.write) {
                                    self.saved_currents.push(at(iv.slot, k));
                                }
                            }
                            env.v = v;
                            unsafe { self.interpret(program.current, k, env) };
                            self.discontinuity = true;
                            let rhs = sum(k);
                            let mut ion_g = Vec::new();
                            let mut saved = self.saved_currents.iter();
                            for ion in &program.ions {
                                for iv in ion.vars.iter().filter(|iv| iv.field == IonField::Current && iv.write) {
                                    let at_dv = *saved.next().expect("one saved current per written current");
                                    ion_g.push((at_dv - at(iv.slot, k)) / 0.001);
                                }
                            }
                            (rhs, (g - rhs) / 0.001, ion_g)
                        }
                    };
                    let mut ion_g = ion_g.into_iter();
                    for (i, ion) in program.ions.iter().enumerate() {
                        for iv in ion.vars.iter().filter(|iv| iv.field == IonField::Current && iv.write) {
                            let now = at(iv.slot, k);
                            let di = ion_g.next().expect("one conductance per written current");
                            unsafe {
                                let ii = *(*env.ion_index.add(i)).add(k);
                                *(*env.ion_didv.add(i)).add(ii) += di * scale;
                                *(*env.ion_current.add(i)).add(ii) += now * scale;
                            }
                        }
                    }
                    let (rhs, g) = (rhs * scale, g * scale);
                    unsafe {
                        if program.electrode {
                            *env.node_rhs.add(nd) += rhs;
                            *env.node_d.add(nd) -= g;
                        } else {
                            *env.node_rhs.add(nd) -= rhs;
                            *env.node_d.add(nd) += g;
                        }
                    }
                }
            }
        }
    }
}

impl NmodlKernel {
    /// The events the interpreter collected for instance `k` into `out` (None: INITIAL's, kept for
    /// `initial_events`), with NEURON's bookkeeping of the flag-1 self-event for net_move.
    fn collect_events(&mut self, k: usize, mut out: Option<&mut Outbox>) {
        let events = self.interp.take_events();
        for (t, flag) in events.sends {
            if flag == 1.0 {
                self.tqitem[k] = Some(t);
            }
            match out.as_deref_mut() {
                Some(o) => o.sends.push((t, k, flag)),
                None => self.initial_sends.push((t, k, flag)),
            }
        }
        for t in events.spikes {
            match out.as_deref_mut() {
                Some(o) => o.spikes.push((t, k)),
                None => self.initial_spikes.push((t, k)),
            }
        }
        for t in events.moves {
            let Some(old) = self.tqitem[k].replace(t) else {
                self.fault(format!("net_move at t = {t} without an outstanding self-event"));
                continue;
            };
            self.moved.push((k, old));
            match out.as_deref_mut() {
                Some(o) => o.sends.push((t, k, 1.0)),
                None => self.initial_sends.push((t, k, 1.0)),
            }
        }
    }

    fn fault(&mut self, fault: String) {
        if !self.fault_reported {
            self.fault_reported = true;
            eprintln!("rheobase: mechanism {}: {fault}", self.program.name);
        }
    }
}

/// The interpreter's view of an instance: `row` and `globals` with the node scalars of `env`.
fn instance<'a>(env: &Env, row: &'a mut [f64], globals: &'a mut [f64], discontinuity: bool) -> Instance<'a> {
    Instance {
        range: row,
        globals,
        v: env.v,
        t: env.t,
        dt: env.dt,
        celsius: env.celsius,
        area: env.area,
        diam: env.diam,
        secondorder: env.secondorder,
        discontinuity,
    }
}

// SAFETY: the raw pointers a kernel builds live only inside one call.
unsafe impl Send for NmodlKernel {}
unsafe impl Sync for NmodlKernel {}

impl Kernel for NmodlKernel {
    fn initialize(&mut self, blk: &mut BlockData, ions: &mut [Block], nv: &mut NodeView) {
        self.run(Phase::Init, None, blk, ions, nv);
    }
    fn current(&mut self, blk: &mut BlockData, ions: &mut [Block], nv: &mut NodeView) {
        self.run(Phase::Current, None, blk, ions, nv);
    }
    fn advance_state(&mut self, blk: &mut BlockData, ions: &mut [Block], nv: &mut NodeView) {
        self.run(Phase::State, None, blk, ions, nv);
    }

    fn before_after(&mut self, at: BaPoint, blk: &mut BlockData, ions: &mut [Block], nv: &mut NodeView) {
        for k in 0..self.program.before_after.len() {
            let (when, f) = self.program.before_after[k];
            if when == at {
                self.run(Phase::State, Some(f), blk, ions, nv);
            }
        }
    }

    fn initial_events(&mut self, _blk: &mut BlockData, out: &mut Outbox) {
        out.sends.append(&mut self.initial_sends);
        out.spikes.append(&mut self.initial_spikes);
    }

    fn net_receive(&mut self, blk: &mut BlockData, k: usize, weights: &mut [f64], flag: f64, t: f64, out: &mut Outbox) {
        let Some(f) = self.program.net_receive else { return };
        if self.tqitem.len() != blk.len() {
            self.tqitem = vec![None; blk.len()]; // an event before any finitialize
        }
        if flag == 1.0 {
            if let Some(at) = self.moved.iter().position(|&(i, tm)| i == k && tm == t) {
                self.moved.swap_remove(at); // superseded by net_move
                return;
            }
            if self.tqitem[k] == Some(t) {
                self.tqitem[k] = None; // NEURON clears _tqitem as its flag-1 event arrives
            }
        }
        self.run_on_weights(f, blk, k, weights, flag, t, out);
    }

    fn has_before_after(&self) -> bool {
        !self.program.before_after.is_empty()
    }

    fn has_watches(&self) -> bool {
        self.program.funcs.iter().any(|f| f.name.starts_with("<WATCH"))
    }

    fn uses_all_weights(&self) -> bool {
        self.for_netcons
    }

    fn diffusing(&self) -> &[(usize, usize, usize)] {
        &self.diffusing
    }

    fn diffusion_terms(&mut self, blk: &mut BlockData, ions: &mut [Block], nv: &mut NodeView) {
        if let Some(f) = self.program.diffusion.as_ref().map(|d| d.func) {
            self.run(Phase::State, Some(f), blk, ions, nv);
        }
    }

    fn net_receive_all(
        &mut self,
        blk: &mut BlockData,
        k: usize,
        all: &mut Vec<Vec<f64>>,
        current: Option<usize>,
        flag: f64,
        t: f64,
        out: &mut Outbox,
    ) {
        self.with_netcons(all, current, |this, weights| this.net_receive(blk, k, weights, flag, t, out));
    }

    fn net_init_all(
        &mut self,
        blk: &mut BlockData,
        k: usize,
        all: &mut Vec<Vec<f64>>,
        current: usize,
        out: &mut Outbox,
    ) -> bool {
        self.with_netcons(all, Some(current), |this, weights| this.net_init(blk, k, weights, out))
    }

    fn check_watches(&mut self, blk: &mut BlockData, t: f64, fired: &mut Vec<(usize, f64)>) {
        for k in 0..self.watches.len().min(blk.len()) {
            if self.watches[k].is_empty() {
                continue;
            }
            // The state the last step left: v as of the last phase.
            let mut inst = event_instance(&mut self.row, &mut self.globals, &self.exposed, &self.seen, blk, k, t);
            for w in &mut self.watches[k] {
                let now = self.interp.call(w.cond, &[], &mut inst) != 0.0;
                if now && !w.on {
                    fired.push((k, w.flag));
                }
                w.on = now;
            }
        }
    }

    fn watch_fired(&mut self, blk: &mut BlockData, k: usize, flag: f64, t: f64, out: &mut Outbox) {
        if let Some(f) = self.program.net_receive {
            self.run_on_weights(f, blk, k, &mut [], flag, t, out);
        }
    }

    fn net_init(&mut self, blk: &mut BlockData, k: usize, weights: &mut [f64], out: &mut Outbox) -> bool {
        let Some(f) = self.program.net_init else { return false };
        self.run_on_weights(f, blk, k, weights, 0.0, 0.0, out);
        true
    }
}

impl NmodlKernel {
    /// Runs `f` on the delivering NetCon's weights (`all[current]`) with every NetCon's weights available to
    /// FOR_NETCONS; `all` keeps what either assigns.
    fn with_netcons<T>(
        &mut self,
        all: &mut Vec<Vec<f64>>,
        current: Option<usize>,
        f: impl FnOnce(&mut Self, &mut Vec<f64>) -> T,
    ) -> T {
        let mut weights = current.map(|c| all[c].clone()).unwrap_or_default();
        self.interp.set_netcons(NetconWeights { all: std::mem::take(all), current });
        let result = f(self, &mut weights);
        *all = self.interp.take_netcons().map(|n| n.all).unwrap_or_default();
        if let Some(c) = current {
            all[c] = weights;
        }
        result
    }

    /// Runs NET_RECEIVE (or its INITIAL block, `f`) for instance k on a NetCon's weight vector, which keeps what
    /// the code assigns to its arguments; events it asks for go to `out`.
    #[allow(clippy::too_many_arguments)]
    fn run_on_weights(
        &mut self,
        f: usize,
        blk: &mut BlockData,
        k: usize,
        weights: &mut [f64],
        flag: f64,
        t: f64,
        out: &mut Outbox,
    ) {
        let mut inst = event_instance(&mut self.row, &mut self.globals, &self.exposed, &self.seen, blk, k, t);
        self.interp.net_receive(f, weights, flag, &mut inst);
        // WATCHes the call executed replace the instance's (NET_RECEIVE's INITIAL has none left: NEURON clears
        // them after those blocks). A condition already true when set fires only after turning false.
        if let Some(set) = self.interp.take_watches().filter(|_| Some(f) != self.program.net_init) {
            if self.watches.len() != blk.len() {
                self.watches = vec![Vec::new(); blk.len()];
            }
            self.watches[k] = set
                .into_iter()
                .map(|(cond, flag)| Watch { cond, flag, on: self.interp.call(cond, &[], &mut inst) != 0.0 })
                .collect();
        }
        for (slot, col) in self.row.iter().zip(blk.vars.iter_mut()) {
            col[k] = *slot;
        }
        for (j, &g) in self.exposed.iter().enumerate() {
            blk.globals[j] = self.globals[g];
        }
        self.collect_events(k, Some(out));
        if let Some(fault) = self.interp.take_fault() {
            self.fault(fault);
        }
    }
}
