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

use crate::interp::{Instance, Interpreter};
use crate::ir::{IonField, IonVar, Program, SlotKind};
use crate::jit::{self, Env, JitProgram, Phase, TableView};
use rheobase_core::mechanisms::{
    self, ions, Block, BlockData, GlobalInfo, Kernel, MechId, MechInfo, MechKind, NodeView, VarInfo, VarKind,
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
            },
        })
        .collect();
    let globals = program
        .globals
        .iter()
        .filter(|g| g.exposed)
        .map(|g| GlobalInfo { name: leak(&format!("{}_{suffix}", g.name)), default: g.default })
        .collect();
    let make = Arc::clone(&program);
    let native = if use_jit { jit::compile(&program).map(Arc::new) } else { None };
    MechInfo {
        name: leak(&program.name),
        kind: MechKind::Density,
        vars,
        ions: program.ions.iter().map(|i| leak(&i.name)).collect(),
        globals,
        electrode_current: false,
        weights: &[],
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
}

impl NmodlKernel {
    fn new(program: Arc<Program>, jit: Option<Arc<JitProgram>>) -> Self {
        let globals = program.globals.iter().map(|g| g.default).collect();
        let exposed = program.globals.iter().enumerate().filter(|(_, g)| g.exposed).map(|(k, _)| k).collect();
        let row = vec![0.0; program.range.len()];
        NmodlKernel {
            interp: Interpreter::new(Arc::clone(&program)),
            program,
            jit,
            row,
            globals,
            exposed,
            saved_currents: Vec::new(),
            fault_reported: false,
        }
    }

    /// Builds or refreshes every TABLE (on a DEPEND change) and returns what native code reads of them, with
    /// the pointer arrays that view points into.
    fn table_views(&mut self, env: &Env) -> (Vec<TableView>, Vec<Vec<*const f64>>) {
        let n = self.program.funcs.len();
        let mut views = vec![TableView::default(); n];
        let mut pointers = vec![Vec::new(); n];
        let mut scratch = vec![0.0; self.program.range.len()];
        for f in 0..n {
            let mut inst = instance(env, &mut scratch, &mut self.globals);
            if let Some((tmin, mfac, intervals, values)) = self.interp.table(f, &mut inst) {
                pointers[f] = values.iter().map(|v| v.as_ptr()).collect();
                views[f] = TableView { tmin, mfac, n: intervals as f64, values: pointers[f].as_ptr() };
            }
        }
        (views, pointers)
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
        let mut inst = instance(env, &mut self.row, &mut self.globals);
        self.interp.call(f, &[], &mut inst);
        env.v = inst.v;
        for (j, slot) in self.row.iter().enumerate() {
            // SAFETY: as above.
            unsafe { *(*cols.add(j)).add(k) = *slot };
        }
    }

    fn run(&mut self, phase: Phase, blk: &mut BlockData, ions: &mut [Block], nv: &mut NodeView) {
        for (k, &g) in self.exposed.iter().enumerate() {
            self.globals[g] = blk.globals[k];
        }
        let program = Arc::clone(&self.program);
        // Ion variables into the mechanism's copies: those it reads, and the concentrations it writes.
        for (i, ion) in program.ions.iter().enumerate() {
            let ib = blk.ion_block[i];
            let wanted = |v: &&IonVar| v.read || (v.write && v.field != IonField::Current && phase != Phase::Current);
            for v in ion.vars.iter().filter(wanted) {
                let from = &ions[ib].data.vars[ion_var(v.field)];
                for (dst, &ii) in blk.vars[v.slot as usize].iter_mut().zip(&blk.ion_instance[i]) {
                    *dst = from[ii];
                }
            }
        }
        let cols: Vec<*mut f64> = blk.vars.iter_mut().map(|c| c.as_mut_ptr()).collect();
        let ion_col = |ions: &mut [Block], i: usize, var: usize| ions[blk.ion_block[i]].data.vars[var].as_mut_ptr();
        let ion_index: Vec<*const usize> = blk.ion_instance.iter().map(|ix| ix.as_ptr()).collect();
        let ion_current: Vec<*mut f64> = (0..program.ions.len()).map(|i| ion_col(ions, i, ions::I)).collect();
        let ion_didv: Vec<*mut f64> = (0..program.ions.len()).map(|i| ion_col(ions, i, ions::DIDV)).collect();
        let mut env = Env {
            cols: cols.as_ptr(),
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
            node_v: nv.v.as_ptr(),
            node_area: nv.area.as_ptr(),
            node_diam: nv.diam.as_ptr(),
            node_rhs: nv.rhs.as_mut_ptr(),
            node_d: nv.d.as_mut_ptr(),
            ion_index: ion_index.as_ptr(),
            ion_current: ion_current.as_ptr(),
            ion_didv: ion_didv.as_ptr(),
        };
        if let Some(jit) = self.jit.clone() {
            let (views, _pointers) = self.table_views(&env);
            env.tables = views.as_ptr();
            env.globals = self.globals.as_mut_ptr();
            // SAFETY: every pointer in env is valid for the block's instances, their nodes and ion instances, and
            // nothing else touches that memory during the call.
            unsafe { jit.run(phase, &mut env, blk.len()) };
        } else {
            self.interpret_all(phase, blk, &mut env);
        }
        if phase != Phase::Current {
            for (i, ion) in program.ions.iter().enumerate() {
                let ib = blk.ion_block[i];
                for iv in ion.vars.iter().filter(|iv| iv.write && iv.field != IonField::Current) {
                    let to = &mut ions[ib].data.vars[ion_var(iv.field)];
                    for (src, &ii) in blk.vars[iv.slot as usize].iter().zip(&blk.ion_instance[i]) {
                        to[ii] = *src;
                    }
                }
            }
        }
        for (k, &g) in self.exposed.iter().enumerate() {
            blk.globals[k] = self.globals[g];
        }
        let fault = self.interp.take_fault().or_else(|| (env.fault != 0).then(|| "array index out of bounds".into()));
        if let Some(fault) = fault {
            if !self.fault_reported {
                self.fault_reported = true;
                eprintln!("rheobase: mechanism {}: {fault}", program.name);
            }
        }
    }
}

impl NmodlKernel {
    /// What [`jit::JitProgram::run`] does, on the interpreter, through the pointers of `env`.
    fn interpret_all(&mut self, phase: Phase, blk: &BlockData, env: &mut Env) {
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
                Phase::Init => unsafe {
                    self.interpret(program.start, k, env);
                    self.interpret(program.initial, k, env);
                },
                Phase::State => unsafe { self.interpret(program.state, k, env) },
                Phase::Current => {
                    let sum = |k: usize| program.currents.iter().map(|&c| at(c, k)).sum::<f64>();
                    env.v = v + 0.001;
                    unsafe { self.interpret(program.current, k, env) };
                    let g = sum(k);
                    self.saved_currents.clear();
                    for ion in &program.ions {
                        for iv in ion.vars.iter().filter(|iv| iv.field == IonField::Current && iv.write) {
                            self.saved_currents.push(at(iv.slot, k));
                        }
                    }
                    env.v = v;
                    unsafe { self.interpret(program.current, k, env) };
                    let rhs = sum(k);
                    let mut saved = self.saved_currents.iter();
                    for (i, ion) in program.ions.iter().enumerate() {
                        for iv in ion.vars.iter().filter(|iv| iv.field == IonField::Current && iv.write) {
                            let now = at(iv.slot, k);
                            let at_dv = *saved.next().expect("one saved current per written current");
                            unsafe {
                                let ii = *(*env.ion_index.add(i)).add(k);
                                *(*env.ion_didv.add(i)).add(ii) += (at_dv - now) / 0.001;
                                *(*env.ion_current.add(i)).add(ii) += now;
                            }
                        }
                    }
                    unsafe {
                        *env.node_rhs.add(nd) -= rhs;
                        *env.node_d.add(nd) += (g - rhs) / 0.001;
                    }
                }
            }
        }
    }
}

/// The interpreter's view of an instance: `row` and `globals` with the node scalars of `env`.
fn instance<'a>(env: &Env, row: &'a mut [f64], globals: &'a mut [f64]) -> Instance<'a> {
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
    }
}

// SAFETY: the raw pointers a kernel builds live only inside one call.
unsafe impl Send for NmodlKernel {}
unsafe impl Sync for NmodlKernel {}

impl Kernel for NmodlKernel {
    fn initialize(&mut self, blk: &mut BlockData, ions: &mut [Block], nv: &mut NodeView) {
        self.run(Phase::Init, blk, ions, nv);
    }
    fn current(&mut self, blk: &mut BlockData, ions: &mut [Block], nv: &mut NodeView) {
        self.run(Phase::Current, blk, ions, nv);
    }
    fn advance_state(&mut self, blk: &mut BlockData, ions: &mut [Block], nv: &mut NodeView) {
        self.run(Phase::State, blk, ions, nv);
    }
}
