//! The JIT: every function of a kernel program compiled to native code with Cranelift.
//!
//! A compiled function takes `(env, k, args…) -> f64`: `env` points to an [`Env`] (the instance columns, the
//! globals, the tables and the scalars of the node being computed) and `k` is the instance. Range variables
//! are read straight from the block's columns (`cols[slot][k]`), so nothing is gathered per instance. Locals
//! live in SSA variables (arrays in a stack slot). `exp` is inlined (the same reduction and polynomial as
//! the engine's built-in mechanisms, see `rheobase_core::fastmath`), so gate updates are not libm calls; the
//! rest of the math library is called through small `extern "C"` wrappers.
//!
//! Semantics are the interpreter's ([`crate::interp`]): an array index out of bounds reads NaN, drops the
//! write and sets `env.fault`. Programs that use `derivimplicit` ([`Stmt::Implicit`]) are not compiled:
//! [`compile`] returns None and the mechanism runs on the interpreter.

use crate::ir::*;
use cranelift_codegen::ir::condcodes::{FloatCC, IntCC};
use cranelift_codegen::ir::{
    types, AbiParam, Block, Endianness, InstBuilder, MemFlags, StackSlot, StackSlotData, StackSlotKind, Value,
};
use cranelift_codegen::settings::{self, Configurable};
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext, Variable};
use cranelift_jit::{JITBuilder, JITModule};
use cranelift_module::{FuncId, Linkage, Module};
use std::collections::HashMap;
use std::mem::offset_of;

/// What compiled code reads and writes (layout shared with the generated code).
#[repr(C)]
pub struct Env {
    /// One pointer per range slot: that slot's column over the instances.
    pub cols: *const *mut f64,
    pub globals: *mut f64,
    /// One per function of the program (meaningful for functions with a TABLE).
    pub tables: *const TableView,
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
    /// Non-zero after an index out of bounds.
    pub fault: u64,
    // For the loops over instances (`JitProgram::run`):
    /// Node of each instance.
    pub node: *const usize,
    /// Per node: membrane potential (mV), area (µm²), diameter (µm), and the matrix's rhs and diagonal.
    pub node_v: *const f64,
    pub node_area: *const f64,
    pub node_diam: *const f64,
    pub node_rhs: *mut f64,
    pub node_d: *mut f64,
    /// Per ion the mechanism uses: the ion instance of each instance, the ion's current and its di/dv.
    pub ion_index: *const *const usize,
    pub ion_current: *const *mut f64,
    pub ion_didv: *const *mut f64,
    /// Non-zero when instance k sits at node `node_first + k` and is instance k of every ion it uses (the
    /// core's `BlockData::contiguous`): the loops then read and write whole vectors instead of lane by lane.
    pub contiguous: u64,
    pub node_first: u64,
    /// [`JitProgram::scratch_per_instance`] values per instance (the state loop's per-instance globals).
    pub scratch: *mut f64,
}

/// The loops over instances compiled for each phase of a time step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Start values, then INITIAL.
    Init,
    /// BREAKPOINT at v + 0.001 and v: membrane and ion currents with their conductances.
    Current,
    /// The SOLVEs.
    State,
}

/// A built table as compiled code reads it: `n` intervals from `tmin`, spacing 1/`mfac`; per interval a row of the
/// m outputs' values at its start, then their increments over it (2m values).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct TableView {
    pub tmin: f64,
    pub mfac: f64,
    pub n: f64,
    pub rows: *const f64,
}

impl Default for TableView {
    fn default() -> Self {
        TableView { tmin: 0.0, mfac: 0.0, n: 0.0, rows: std::ptr::null() }
    }
}

pub type EntryFn = unsafe extern "C" fn(*mut Env, i64) -> f64;

/// The native code of a program. The module owns the memory the function pointers point into.
pub struct JitProgram {
    _module: JITModule,
    /// Native entry of each function; only entries without arguments are called from Rust.
    entries: Vec<*const u8>,
    /// The loop of each [`Phase`], in declaration order.
    loops: [*const u8; 3],
    /// How many values per instance `Env::scratch` must hold.
    pub scratch_per_instance: usize,
}

// SAFETY: the compiled code is immutable after finalisation and only reads memory passed in `Env`.
unsafe impl Send for JitProgram {}
unsafe impl Sync for JitProgram {}

impl JitProgram {
    /// Function `f` (which takes no arguments) for instance `k`.
    ///
    /// # Safety
    /// `env` must point to columns and globals laid out as the program says, with more than `k` instances.
    pub unsafe fn call(&self, f: usize, env: *mut Env, k: usize) -> f64 {
        // SAFETY: entries[f] was compiled with the EntryFn signature for a function without arguments.
        let fun: EntryFn = unsafe { std::mem::transmute(self.entries[f]) };
        unsafe { fun(env, k as i64) }
    }

    /// Function `f` with up to three arguments for instance `k` (tests compare it with the interpreter).
    ///
    /// # Safety
    /// As [`JitProgram::call`]; `args` must have as many values as `f` has parameters.
    pub unsafe fn call_with(&self, f: usize, env: *mut Env, k: usize, args: &[f64]) -> Option<f64> {
        let p = self.entries[f];
        let k = k as i64;
        // SAFETY: each arm transmutes to the signature `f` was compiled with (env, k, one f64 per parameter).
        unsafe {
            Some(match *args {
                [] => std::mem::transmute::<*const u8, EntryFn>(p)(env, k),
                [a] => std::mem::transmute::<*const u8, unsafe extern "C" fn(*mut Env, i64, f64) -> f64>(p)(env, k, a),
                [a, b] => std::mem::transmute::<*const u8, unsafe extern "C" fn(*mut Env, i64, f64, f64) -> f64>(p)(
                    env, k, a, b,
                ),
                [a, b, c] => {
                    std::mem::transmute::<*const u8, unsafe extern "C" fn(*mut Env, i64, f64, f64, f64) -> f64>(p)(
                        env, k, a, b, c,
                    )
                }
                _ => return None,
            })
        }
    }

    /// One phase for instances 0..n.
    ///
    /// # Safety
    /// Every pointer of `env` must be valid for the `n` instances (and their nodes and ion instances).
    pub unsafe fn run(&self, phase: Phase, env: *mut Env, n: usize) {
        // SAFETY: the loops are compiled with the EntryFn signature (the instance count in place of k).
        let fun: EntryFn = unsafe { std::mem::transmute(self.loops[phase as usize]) };
        unsafe { fun(env, n as i64) };
    }
}

/// Compiles a program; None when a phase needs the interpreter (see `native_functions`) or when Cranelift does
/// not support the host.
pub fn compile(program: &Program) -> Option<JitProgram> {
    let native = native_functions(program)?;
    let mut flags = settings::builder();
    flags.set("opt_level", "speed").ok()?;
    flags.set("is_pic", "false").ok()?;
    let isa = cranelift_native::builder().ok()?.finish(settings::Flags::new(flags)).ok()?;
    let mut jb = JITBuilder::with_isa(isa, cranelift_module::default_libcall_names());
    for (name, f) in MATH {
        jb.symbol(*name, *f);
    }
    let mut module = JITModule::new(jb);
    let ptr = module.target_config().pointer_type();
    let mut ids = Vec::new();
    for (i, f) in program.funcs.iter().enumerate() {
        let mut sig = module.make_signature();
        sig.params.push(AbiParam::new(ptr));
        sig.params.push(AbiParam::new(types::I64));
        for _ in 0..f.params {
            sig.params.push(AbiParam::new(types::F64));
        }
        sig.returns.push(AbiParam::new(types::F64));
        ids.push(module.declare_function(&format!("f{i}"), Linkage::Local, &sig).ok()?);
    }
    let mut math_ids = HashMap::new();
    for (name, _) in MATH {
        let mut sig = module.make_signature();
        let arity = if name.ends_with('2') { 2 } else { 1 };
        for _ in 0..arity {
            sig.params.push(AbiParam::new(types::F64));
        }
        sig.returns.push(AbiParam::new(types::F64));
        math_ids.insert(*name, module.declare_function(name, Linkage::Import, &sig).ok()?);
    }
    let mut ctx = module.make_context();
    let mut fctx = FunctionBuilderContext::new();
    for (i, f) in program.funcs.iter().enumerate() {
        ctx.func.signature = module.declarations().get_function_decl(ids[i]).signature.clone();
        {
            let b = FunctionBuilder::new(&mut ctx.func, &mut fctx);
            let mut g = Gen::new(b, &mut module, &ids, &math_ids, program, ptr);
            if native[i] {
                g.function(i, f);
            } else {
                g.stub();
            }
            g.b.finalize();
        }
        module.define_function(ids[i], &mut ctx).ok()?;
        module.clear_context(&mut ctx);
    }
    let mut loop_ids = Vec::new();
    let mut scratch_per_instance = 0;
    for (i, phase) in [Phase::Init, Phase::Current, Phase::State].into_iter().enumerate() {
        let mut sig = module.make_signature();
        sig.params.push(AbiParam::new(ptr));
        sig.params.push(AbiParam::new(types::I64));
        sig.returns.push(AbiParam::new(types::F64));
        let id = module.declare_function(&format!("loop{i}"), Linkage::Local, &sig).ok()?;
        ctx.func.signature = sig;
        {
            let b = FunctionBuilder::new(&mut ctx.func, &mut fctx);
            let mut g = Gen::new(b, &mut module, &ids, &math_ids, program, ptr);
            g.phase_loop(phase, program);
            scratch_per_instance = scratch_per_instance.max(g.scratch_globals.len());
            g.b.finalize();
        }
        module.define_function(id, &mut ctx).ok()?;
        // For profiling: the loops' Cranelift IR and machine code (disassemble with
        // `objdump -b binary -m i386:x86-64 -D loopN.bin`; perf's map names them loopN).
        if let (Ok(dir), Some(code)) = (std::env::var("RHEOBASE_JIT_DUMP"), ctx.compiled_code()) {
            let _ = std::fs::write(format!("{dir}/{}_loop{i}.clif", program.name), ctx.func.display().to_string());
            let _ = std::fs::write(format!("{dir}/{}_loop{i}.bin", program.name), code.code_buffer());
        }
        module.clear_context(&mut ctx);
        loop_ids.push(id);
    }
    module.finalize_definitions().ok()?;
    let entries = ids.iter().map(|&id| module.get_finalized_function(id)).collect();
    let loops = [0, 1, 2].map(|i| module.get_finalized_function(loop_ids[i]));
    Some(JitProgram { _module: module, entries, loops, scratch_per_instance })
}

/// Which functions run natively: every function that needs nothing only the interpreter does (derivimplicit,
/// and net_send/net_event/net_move, whose events the interpreter collects). None when a phase needs the
/// interpreter; NET_RECEIVE always runs on the interpreter (it is called per event, not per step).
fn native_functions(program: &Program) -> Option<Vec<bool>> {
    fn stmts_need(stmts: &[Stmt], program: &Program, memo: &mut [Option<bool>]) -> bool {
        let mut called = Vec::new();
        for s in stmts {
            let nested = match s {
                Stmt::If(c, a, b) => {
                    calls(c, &mut called);
                    stmts_need(a, program, memo) || stmts_need(b, program, memo)
                }
                Stmt::While(c, b) => {
                    calls(c, &mut called);
                    stmts_need(b, program, memo)
                }
                Stmt::For { from, to, by, body, .. } => {
                    for e in [from, to, by] {
                        calls(e, &mut called);
                    }
                    stmts_need(body, program, memo)
                }
                Stmt::Set(p, e) => {
                    calls(e, &mut called);
                    if let Some(i) = &p.index {
                        calls(i, &mut called);
                    }
                    false
                }
                Stmt::Call(f, args) => {
                    args.iter().for_each(|a| calls(a, &mut called));
                    called.push(*f);
                    false
                }
                interpreter_only => {
                    debug_assert!(interpreter_only.interpreter_only());
                    return true;
                }
            };
            if nested {
                return true;
            }
        }
        called.into_iter().any(|f| f == NEEDS_INTERPRETER || needs(f, program, memo))
    }
    const NEEDS_INTERPRETER: usize = usize::MAX;
    fn needs(f: usize, program: &Program, memo: &mut [Option<bool>]) -> bool {
        if let Some(n) = memo[f] {
            return n;
        }
        // Recursion is decided by the rest of the body; a FUNCTION_TABLE's values live in the interpreter.
        memo[f] = Some(false);
        let n = program.function_tables.contains(&f) || stmts_need(&program.funcs[f].body, program, memo);
        memo[f] = Some(n);
        n
    }
    fn calls(e: &Expr, out: &mut Vec<usize>) {
        match e {
            Expr::Num(_) => {}
            Expr::Get(p) => {
                if let Some(i) = &p.index {
                    calls(i, out);
                }
            }
            Expr::Unary(_, a) => calls(a, out),
            Expr::Binary(_, a, b) => {
                calls(a, out);
                calls(b, out);
            }
            Expr::Builtin(_, args) => args.iter().for_each(|a| calls(a, out)),
            Expr::Call(f, args) => {
                args.iter().for_each(|a| calls(a, out));
                out.push(*f);
            }
            // A generator's state lives with the interpreter: listed as a call of no function, which needs it.
            Expr::Random(_, _) => out.push(NEEDS_INTERPRETER),
        }
    }
    let mut memo = vec![None; program.funcs.len()];
    if [program.start, program.initial, program.current, program.state].iter().any(|&f| needs(f, program, &mut memo)) {
        return None;
    }
    Some((0..program.funcs.len()).map(|f| !needs(f, program, &mut memo)).collect())
}

// The math library for compiled code (libm through Rust): names end in '2' for two-argument functions.
macro_rules! math_library {
    ($($unary:ident => $u:ident),*; $($binary:ident => $b:expr),*) => {
        $(extern "C" fn $unary(x: f64) -> f64 { x.$u() })*
        $(extern "C" fn $binary(x: f64, y: f64) -> f64 { ($b)(x, y) })*
        const MATH: &[(&str, *const u8)] = &[
            $((stringify!($unary), $unary as extern "C" fn(f64) -> f64 as *const u8),)*
            $((stringify!($binary), $binary as extern "C" fn(f64, f64) -> f64 as *const u8),)*
        ];
    };
}

math_library!(
    rb_log => ln, rb_log10 => log10, rb_sin => sin, rb_cos => cos, rb_tan => tan, rb_asin => asin,
    rb_acos => acos, rb_atan => atan, rb_sinh => sinh, rb_cosh => cosh, rb_tanh => tanh;
    rb_pow2 => f64::powf, rb_atan2 => f64::atan2, rb_fmod2 => |x: f64, y: f64| x % y, rb_fmin2 => f64::min,
    rb_fmax2 => f64::max
);

fn math_name(f: Builtin) -> Option<&'static str> {
    use Builtin::*;
    Some(match f {
        Log => "rb_log",
        Log10 => "rb_log10",
        Sin => "rb_sin",
        Cos => "rb_cos",
        Tan => "rb_tan",
        Asin => "rb_asin",
        Acos => "rb_acos",
        Atan => "rb_atan",
        Sinh => "rb_sinh",
        Cosh => "rb_cosh",
        Tanh => "rb_tanh",
        Pow => "rb_pow2",
        Atan2 => "rb_atan2",
        Fmod => "rb_fmod2",
        Fmin => "rb_fmin2",
        Fmax => "rb_fmax2",
        Exp | Sqrt | Fabs | Floor | Ceil | Trunc => return None,
    })
}

/// Marks the frame slots a body indexes (LOCAL arrays).
fn mark_arrays(stmts: &[Stmt], mem: &mut [bool]) {
    struct Indexed<'m>(&'m mut [bool]);
    impl Visitor for Indexed<'_> {
        fn place(&mut self, p: &Place) {
            if let (Var::Local(s), Some(_)) = (p.var, &p.index) {
                self.0[s as usize..(s + p.len) as usize].fill(true);
            }
        }
    }
    visit_stmts(stmts, &mut Indexed(mem));
}

/// Where a place is in memory: an address and a byte offset, after the bounds check.
enum Addr {
    Mem(Value, i32),
    Var(Variable),
}

/// Where a frame slot lives in compiled code.
#[derive(Clone, Copy)]
enum Slot {
    Var(Variable),
    /// Element `offset` of the frame's stack array.
    Mem(u32),
}

struct Gen<'a, 'b> {
    b: FunctionBuilder<'b>,
    module: &'a mut JITModule,
    ids: &'a [FuncId],
    math: &'a HashMap<&'static str, FuncId>,
    program: &'a Program,
    ptr: types::Type,
    /// The frames of the function being emitted and of the calls inlined into it (innermost last).
    frames: Vec<Frame>,
    /// Loaded once in the entry block: env.cols, env.globals, k·8 and the column of each scalar range slot the
    /// function uses.
    hoisted: Option<Hoisted>,
    /// The function's `env` and `k` arguments.
    params: Option<(Value, Value)>,
    /// 1, or 2 while emitting the two-instance (f64x2) body of a loop: instances k and k + 1.
    lanes: u32,
    /// The lanes a statement applies to, inside IFs of a two-instance body (an i64x2 mask); None: all.
    mask: Option<Value>,
    /// v (mV), area (µm²) and diam (µm) of the instances, in a two-instance body.
    node_vals: Option<[Variable; 3]>,
    /// Globals the two-instance loop writes (per lane while it runs, see [`vectorizable`]), and their variables
    /// in the iteration being emitted.
    private_globals: Vec<u32>,
    private: Vec<(u32, Variable)>,
    /// The value of a scalar range slot as last loaded or stored in the current block: later reads in the
    /// block use it instead of memory (Cranelift does not forward stores to loads).
    known: HashMap<u32, (Block, Value)>,
    /// In a split state loop ([`fission`]): the globals kept per instance, with their scratch columns.
    scratch_globals: Vec<(u32, Value)>,
    /// Range slots held in variables instead of their columns while an iteration runs (the exact conductances:
    /// nothing reads them after the current loop).
    in_registers: Vec<(u32, Variable)>,
}

/// What the loops over instances keep in registers: env, the node arrays, the current columns and, per
/// written ion current, [its column, the ion instance index, the ion's current and di/dv].
struct LoopCtx {
    env: Value,
    node: Value,
    node_v: Value,
    node_area: Value,
    node_diam: Value,
    node_rhs: Value,
    node_d: Value,
    /// node_first·8 while emitting the loops for contiguous instances (see [`Env::contiguous`]).
    node_first8: Option<Value>,
    currents: Vec<u32>,
    written: Vec<(u32, [Value; 3])>,
    /// Of a split state loop: the function and the statements of its body this loop runs.
    part: Option<(usize, std::ops::Range<usize>)>,
}

struct Frame {
    func: usize,
    vars: Vec<Slot>,
    stack: Option<StackSlot>,
}

/// Calls deeper than this are real calls rather than inlined code.
const MAX_INLINE_DEPTH: usize = 8;

#[derive(Clone)]
struct Hoisted {
    cols: Value,
    globals: Value,
    k_bytes: Value,
    columns: HashMap<u32, Value>,
}

const FLAGS: MemFlags = MemFlags::trusted();
/// Vector accesses to node and ion arrays at any instance offset (8-byte aligned only).
const UNALIGNED: MemFlags = MemFlags::new().with_notrap();
/// Loads of pointers that do not change during a call (column and table pointers): the optimiser may hoist and
/// merge them.
const INVARIANT: MemFlags = MemFlags::trusted().with_readonly().with_can_move();

impl<'a, 'b> Gen<'a, 'b> {
    fn new(
        b: FunctionBuilder<'b>,
        module: &'a mut JITModule,
        ids: &'a [FuncId],
        math: &'a HashMap<&'static str, FuncId>,
        program: &'a Program,
        ptr: types::Type,
    ) -> Self {
        Gen {
            b,
            module,
            ids,
            math,
            program,
            ptr,
            frames: Vec::new(),
            hoisted: None,
            params: None,
            lanes: 1,
            mask: None,
            node_vals: None,
            private_globals: Vec::new(),
            private: Vec::new(),
            known: HashMap::new(),
            scratch_globals: Vec::new(),
            in_registers: Vec::new(),
        }
    }

    fn env(&mut self) -> Value {
        self.params.expect("set at the function's entry").0
    }
    fn k(&mut self) -> Value {
        self.params.expect("set at the function's entry").1
    }

    /// A standalone function (called where inlining is not possible: recursion).
    fn function(&mut self, i: usize, f: &Func) {
        let entry = self.b.create_block();
        self.b.append_block_params_for_function_params(entry);
        self.b.switch_to_block(entry);
        self.params = Some((self.b.block_params(entry)[0], self.b.block_params(entry)[1]));
        self.hoist();
        let k = self.k();
        self.hoisted.as_mut().expect("hoisted").k_bytes = self.b.ins().imul_imm(k, 8);
        let args: Vec<Value> = self.b.block_params(entry)[2..].to_vec();
        let r = self.body_of(i, f, &args);
        self.b.ins().return_(&[r]);
        self.b.seal_all_blocks();
    }

    /// The body of a function the phases never reach (NET_RECEIVE, unused helpers): returns 0.
    fn stub(&mut self) {
        let entry = self.b.create_block();
        self.b.append_block_params_for_function_params(entry);
        self.b.switch_to_block(entry);
        let zero = self.b.ins().f64const(0.0);
        self.b.ins().return_(&[zero]);
        self.b.seal_all_blocks();
    }

    /// Loads env.cols, env.globals and every range slot's column here (the position must dominate every use:
    /// a function's entry, or before a loop); k·8 is set by the caller.
    fn hoist(&mut self) {
        let env = self.env();
        let cols = self.b.ins().load(self.ptr, INVARIANT, env, offset_of!(Env, cols) as i32);
        let globals = self.b.ins().load(self.ptr, INVARIANT, env, offset_of!(Env, globals) as i32);
        let slots = 0..self.program.range.len() as u32;
        let columns = slots.map(|j| (j, self.b.ins().load(self.ptr, INVARIANT, cols, (j * 8) as i32))).collect();
        let k_bytes = self.b.ins().iconst(types::I64, 0);
        self.hoisted = Some(Hoisted { cols, globals, k_bytes, columns });
    }

    /// Emits function `i`'s work here for `args` (its TABLE lookup when usetable is on) and returns its value
    /// (0 for a PROCEDURE). NMODL bodies have no early return, so a body is straight-line code in a frame of
    /// its own.
    fn body_of(&mut self, i: usize, f: &Func, args: &[Value]) -> Value {
        self.push_frame(i, f, args);
        let result = match &f.table {
            Some(t) => {
                let (use_block, exact_block, join) =
                    (self.b.create_block(), self.b.create_block(), self.b.create_block());
                let ty = self.fty();
                self.b.append_block_param(join, ty);
                // usetable is one value for all instances: a plain branch.
                let base = self.hoisted().globals;
                let on = self.b.ins().load(types::F64, FLAGS, base, (t.usetable * 8) as i32);
                let off = self.b.ins().f64const(0.0);
                let c = self.b.ins().fcmp(FloatCC::NotEqual, on, off);
                self.b.ins().brif(c, use_block, &[], exact_block, &[]);
                self.b.switch_to_block(use_block);
                let r = self.table_lookup(i, t);
                self.b.ins().jump(join, &[r.into()]);
                self.b.switch_to_block(exact_block);
                self.stmts(&f.body);
                let r = self.result(f);
                self.b.ins().jump(join, &[r.into()]);
                self.b.switch_to_block(join);
                self.b.block_params(join)[0]
            }
            None => {
                self.stmts(&f.body);
                self.result(f)
            }
        };
        self.frames.pop();
        result
    }

    /// A zeroed frame for function `i` with its arguments.
    fn push_frame(&mut self, i: usize, f: &Func, args: &[Value]) {
        let mut in_memory = vec![false; f.frame as usize];
        mark_arrays(&f.body, &mut in_memory);
        let mem_slots = in_memory.iter().filter(|m| **m).count() as u32;
        let stack = (mem_slots > 0)
            .then(|| self.b.create_sized_stack_slot(StackSlotData::new(StackSlotKind::ExplicitSlot, mem_slots * 8, 3)));
        let mut next_mem = 0;
        let vars = in_memory
            .iter()
            .map(|&m| {
                if m {
                    next_mem += 1;
                    Slot::Mem(next_mem - 1)
                } else {
                    Slot::Var(self.b.declare_var(self.fty()))
                }
            })
            .collect();
        self.frames.push(Frame { func: i, vars, stack });
        let zero = self.fconst(0.0);
        for s in 0..f.frame {
            self.set_slot(s, zero);
        }
        for (s, &v) in args.iter().enumerate() {
            self.set_local(s as u32, v);
        }
    }

    fn result(&mut self, f: &Func) -> Value {
        match f.result {
            Some(slot) => self.get_local(slot),
            None => self.fconst(0.0),
        }
    }

    /// Zero-initialises a frame slot (all elements of an array slot share the memory zeroed here).
    fn set_slot(&mut self, s: u32, v: Value) {
        let frame = self.frames.last().expect("a frame");
        match frame.vars[s as usize] {
            Slot::Var(var) => self.b.def_var(var, v),
            Slot::Mem(o) => {
                let ss = frame.stack.expect("a stack slot for memory slots");
                self.b.ins().stack_store(v, ss, (o * 8) as i32);
            }
        }
    }

    /// for k in 0..n: the phase's work for instance k (see [`Phase`]); two instances at a time in f64x2 where the
    /// phase's code allows it ([`vectorizable`]), the last one (n odd) by the scalar loop.
    fn phase_loop(&mut self, phase: Phase, program: &Program) {
        let entry = self.b.create_block();
        self.b.append_block_params_for_function_params(entry);
        self.b.switch_to_block(entry);
        let (env, n) = (self.b.block_params(entry)[0], self.b.block_params(entry)[1]);
        let field = |g: &mut Self, off: usize| g.b.ins().load(g.ptr, INVARIANT, env, off as i32);
        self.params = Some((env, n));
        self.hoist();
        // Written ion currents: (the mechanism's copy, [ion instance index, ion i, ion di/dv]).
        let (ion_index, ion_current, ion_didv) = (
            field(self, offset_of!(Env, ion_index)),
            field(self, offset_of!(Env, ion_current)),
            field(self, offset_of!(Env, ion_didv)),
        );
        let mut written = Vec::new();
        for (i, ion) in program.ions.iter().enumerate() {
            for iv in ion.vars.iter().filter(|iv| iv.field == IonField::Current && iv.write) {
                let at = (i * 8) as i32;
                let index = self.b.ins().load(self.ptr, INVARIANT, ion_index, at);
                let cur = self.b.ins().load(self.ptr, INVARIANT, ion_current, at);
                let didv = self.b.ins().load(self.ptr, INVARIANT, ion_didv, at);
                written.push((iv.slot, [index, cur, didv]));
            }
        }
        let mut ctx = LoopCtx {
            env,
            node: field(self, offset_of!(Env, node)),
            node_v: field(self, offset_of!(Env, node_v)),
            node_area: field(self, offset_of!(Env, node_area)),
            node_diam: field(self, offset_of!(Env, node_diam)),
            node_rhs: field(self, offset_of!(Env, node_rhs)),
            node_d: field(self, offset_of!(Env, node_d)),
            node_first8: None,
            currents: program.currents.clone(),
            written,
            part: None,
        };
        let entry_fn = match phase {
            Phase::Init => program.initial,
            Phase::Current => program.conductance.as_ref().map_or(program.current, |c| c.func),
            Phase::State => program.state,
        };
        let private = vectorizable(program, entry_fn).filter(|_| phase != Phase::Init);
        // Density mechanisms usually cover consecutive nodes in order: a second copy of the loops for that case
        // reads and writes node and ion values as whole vectors.
        if private.is_some() && program.kind == Kind::Density {
            let (contiguous, general) = (self.b.create_block(), self.b.create_block());
            let flag = field(self, offset_of!(Env, contiguous));
            self.b.ins().brif(flag, contiguous, &[], general, &[]);
            self.b.switch_to_block(contiguous);
            let first = field(self, offset_of!(Env, node_first));
            ctx.node_first8 = Some(self.b.ins().imul_imm(first, 8));
            self.loops(phase, program, &mut ctx, n, private.clone());
            ctx.node_first8 = None;
            self.b.switch_to_block(general);
        }
        self.loops(phase, program, &mut ctx, n, private);
        self.b.seal_all_blocks();
    }

    /// The two-instance loop (when `private` says the code allows it: the globals it keeps per lane), the scalar
    /// loop for the rest, and the return.
    fn loops(&mut self, phase: Phase, program: &Program, ctx: &mut LoopCtx, n: Value, private: Option<Vec<u32>>) {
        let split = private.as_ref().filter(|_| phase == Phase::State).and_then(|_| fission(program, program.state));
        match (private, split) {
            (Some(private), Some(split)) => {
                // The per-instance globals in scratch columns: global j's at scratch + j·n·8.
                let scratch = self.b.ins().load(self.ptr, INVARIANT, ctx.env, offset_of!(Env, scratch) as i32);
                let column = self.b.ins().imul_imm(n, 8);
                self.scratch_globals = private
                    .iter()
                    .enumerate()
                    .map(|(j, &g)| {
                        let off = self.b.ins().imul_imm(column, j as i64);
                        (g, self.b.ins().iadd(scratch, off))
                    })
                    .collect();
                for part in split.groups {
                    ctx.part = Some((split.func, part));
                    let k = self.b.ins().iconst(types::I64, 0);
                    let k = self.instance_loop(phase, program, ctx, n, k, 2);
                    self.instance_loop(phase, program, ctx, n, k, 1);
                }
                ctx.part = None;
                // Each global keeps the last instance's value, as in sequential order.
                let (store, done) = (self.b.create_block(), self.b.create_block());
                self.b.ins().brif(n, store, &[], done, &[]);
                self.b.switch_to_block(store);
                let last = self.b.ins().iadd_imm(column, -8);
                let globals = self.hoisted().globals;
                for &(g, col) in &self.scratch_globals.clone() {
                    let at = self.b.ins().iadd(col, last);
                    let x = self.b.ins().load(types::F64, FLAGS, at, 0);
                    self.b.ins().store(FLAGS, x, globals, (g * 8) as i32);
                }
                self.b.ins().jump(done, &[]);
                self.b.switch_to_block(done);
            }
            (private, _) => {
                let mut k = self.b.ins().iconst(types::I64, 0);
                if let Some(private) = private {
                    self.private_globals = private;
                    k = self.instance_loop(phase, program, ctx, n, k, 2);
                    self.private_globals = Vec::new();
                }
                self.instance_loop(phase, program, ctx, n, k, 1);
            }
        }
        let r = self.b.ins().f64const(0.0);
        self.b.ins().return_(&[r]);
    }

    /// `while k + lanes <= n { the work of instances k..k+lanes; k += lanes }`; returns k after the loop.
    fn instance_loop(
        &mut self,
        phase: Phase,
        program: &Program,
        ctx: &LoopCtx,
        n: Value,
        k0: Value,
        lanes: u32,
    ) -> Value {
        let (head, body, exit) = (self.b.create_block(), self.b.create_block(), self.b.create_block());
        self.b.append_block_param(head, types::I64);
        self.b.append_block_param(exit, types::I64);
        self.b.ins().jump(head, &[k0.into()]);
        self.b.switch_to_block(head);
        let k = self.b.block_params(head)[0];
        let next = self.b.ins().iadd_imm(k, lanes as i64);
        let more = self.b.ins().icmp(IntCC::SignedLessThanOrEqual, next, n);
        self.b.ins().brif(more, body, &[], exit, &[k.into()]);
        self.b.switch_to_block(body);
        self.lanes = lanes;
        // Globals written per instance live per lane for the iteration; the last instance's value is stored.
        let globals = self.hoisted().globals;
        let private: Vec<(u32, Variable)> = std::mem::take(&mut self.private_globals)
            .into_iter()
            .map(|g| {
                let x = self.b.ins().load(types::F64, FLAGS, globals, (g * 8) as i32);
                let x = self.widen(x);
                let var = self.b.declare_var(types::F64X2);
                self.b.def_var(var, x);
                (g, var)
            })
            .collect();
        self.private = private.clone();
        self.iteration(phase, program, ctx, k);
        for &(g, var) in &private {
            let x = self.b.use_var(var);
            let last = self.b.ins().extractlane(x, 1);
            self.b.ins().store(FLAGS, last, globals, (g * 8) as i32);
        }
        self.private_globals = private.iter().map(|&(g, _)| g).collect();
        self.private.clear();
        self.lanes = 1;
        self.node_vals = None;
        self.b.ins().jump(head, &[next.into()]);
        self.b.switch_to_block(exit);
        self.b.block_params(exit)[0]
    }

    /// Per lane l, the byte offsets k·8 + 8l of the instance and node·8 of its node.
    fn lane_offsets(&mut self, ctx: &LoopCtx, k8: Value) -> Vec<(Value, Value)> {
        (0..self.lanes as i64)
            .map(|l| {
                let kl8 = self.b.ins().iadd_imm(k8, 8 * l);
                let nd8 = match ctx.node_first8 {
                    Some(first8) => self.b.ins().iadd(first8, kl8),
                    None => {
                        let at = self.b.ins().iadd(ctx.node, kl8);
                        let nd = self.b.ins().load(types::I64, FLAGS, at, 0);
                        self.b.ins().imul_imm(nd, 8)
                    }
                };
                (kl8, nd8)
            })
            .collect()
    }

    /// A node value of every lane's instance, as one value of the value type.
    fn gather(&mut self, base: Value, lanes: &[(Value, Value)], contiguous: bool) -> Value {
        if contiguous && self.lanes > 1 {
            let at = self.b.ins().iadd(base, lanes[0].1);
            let ty = self.fty();
            return self.b.ins().load(ty, UNALIGNED, at, 0);
        }
        let mut out = None;
        for (l, &(_, nd8)) in lanes.iter().enumerate() {
            let at = self.b.ins().iadd(base, nd8);
            let x = self.b.ins().load(types::F64, FLAGS, at, 0);
            out = Some(match out {
                None => self.widen(x),
                Some(v) => self.b.ins().insertlane(v, x, l as u8),
            });
        }
        out.expect("a lane")
    }

    /// Lane l of a value (the value itself when scalar).
    fn lane(&mut self, x: Value, l: usize) -> Value {
        if self.lanes == 1 {
            x
        } else {
            self.b.ins().extractlane(x, l as u8)
        }
    }

    /// `*(base + off) += x` for a scalar.
    fn add_to(&mut self, base: Value, off: Value, x: Value) {
        let at = self.b.ins().iadd(base, off);
        let old = self.b.ins().load(types::F64, FLAGS, at, 0);
        let new = self.b.ins().fadd(old, x);
        self.b.ins().store(FLAGS, new, at, 0);
    }

    /// `*(base + offsets[l]) += lane l of x` for every lane: one vector update when the lanes' places are
    /// consecutive, else lane by lane in instance order (two point processes may share a node).
    fn add_lanes(&mut self, base: Value, offsets: &[Value], x: Value, consecutive: bool) {
        if consecutive && self.lanes > 1 {
            let at = self.b.ins().iadd(base, offsets[0]);
            let ty = self.fty();
            let old = self.b.ins().load(ty, UNALIGNED, at, 0);
            let new = self.b.ins().fadd(old, x);
            self.b.ins().store(UNALIGNED, new, at, 0);
            return;
        }
        for (l, &off) in offsets.iter().enumerate() {
            let x = self.lane(x, l);
            self.add_to(base, off, x);
        }
    }

    /// The phase's work for instance k (and k + 1 in a two-instance body).
    fn iteration(&mut self, phase: Phase, program: &Program, ctx: &LoopCtx, k: Value) {
        let env = ctx.env;
        let k8 = self.b.ins().imul_imm(k, 8);
        self.params = Some((env, k));
        self.hoisted.as_mut().expect("hoisted").k_bytes = k8;
        let lanes = self.lane_offsets(ctx, k8);
        let contiguous = ctx.node_first8.is_some();
        // Only the node values the code reads (a point process's current is scaled by its area).
        let needed = node_values_read(program, phase, &ctx.part);
        let [v, area, diam] = [ctx.node_v, ctx.node_area, ctx.node_diam]
            .into_iter()
            .zip(needed)
            .map(|(base, read)| if read { self.gather(base, &lanes, contiguous) } else { self.fconst(0.0) })
            .collect::<Vec<_>>()[..]
        else {
            unreachable!()
        };
        if self.lanes == 1 {
            if needed[1] {
                self.b.ins().store(FLAGS, area, env, offset_of!(Env, area) as i32);
            }
            if needed[2] {
                self.b.ins().store(FLAGS, diam, env, offset_of!(Env, diam) as i32);
            }
        } else {
            let ty = self.fty();
            let vars = [v, area, diam].map(|x| {
                let var = self.b.declare_var(ty);
                self.b.def_var(var, x);
                var
            });
            self.node_vals = Some(vars);
        }
        let call = |g: &mut Self, f: usize, v: Value| {
            match g.node_vals {
                Some([var, ..]) => g.b.def_var(var, v),
                None => {
                    g.b.ins().store(FLAGS, v, env, offset_of!(Env, v) as i32);
                }
            }
            g.body_of(f, &program.funcs[f], &[]);
        };
        let column = |g: &mut Self, slot: u32| g.load(&Place::scalar(Var::Range(slot)));
        match phase {
            Phase::Init => {
                call(self, program.start, v);
                call(self, program.initial, v);
            }
            Phase::State => match &ctx.part {
                Some((f, part)) => {
                    if let Some([var, ..]) = self.node_vals {
                        self.b.def_var(var, v);
                    } else {
                        self.b.ins().store(FLAGS, v, env, offset_of!(Env, v) as i32);
                    }
                    let func = &program.funcs[*f];
                    self.push_frame(*f, func, &[]);
                    self.stmts(&func.body[part.clone()]);
                    self.frames.pop();
                }
                None => call(self, program.state, v),
            },
            Phase::Current => {
                let sum = |g: &mut Self| {
                    let mut total = None;
                    for &c in &ctx.currents {
                        let x = column(g, c);
                        total = Some(match total {
                            Some(t) => g.b.ins().fadd(t, x),
                            None => x,
                        });
                    }
                    total.unwrap_or_else(|| g.fconst(0.0))
                };
                // Conductances: exact (one evaluation) or NEURON's finite difference (two).
                let (rhs, g, ion_g) = match &program.conductance {
                    Some(c) => {
                        let zero = self.fconst(0.0);
                        self.in_registers = std::iter::once(c.total)
                            .chain(c.ions.iter().copied())
                            .map(|slot| {
                                let ty = self.fty();
                                let var = self.b.declare_var(ty);
                                self.b.def_var(var, zero);
                                (slot, var)
                            })
                            .collect();
                        call(self, c.func, v);
                        let rhs = sum(self);
                        let g = column(self, c.total);
                        let ion_g: Vec<Value> = c.ions.iter().map(|&slot| column(self, slot)).collect();
                        self.in_registers.clear();
                        (rhs, g, ion_g)
                    }
                    None => {
                        let dv = self.fconst(0.001);
                        let v_dv = self.b.ins().fadd(v, dv);
                        call(self, program.current, v_dv);
                        let g_sum = sum(self);
                        let saved: Vec<Value> = ctx.written.iter().map(|&(c, _)| column(self, c)).collect();
                        call(self, program.current, v);
                        let rhs = sum(self);
                        let mut ion_g = Vec::new();
                        for (&(c, _), &at_dv) in ctx.written.iter().zip(&saved) {
                            let now = column(self, c);
                            let diff = self.b.ins().fsub(at_dv, now);
                            ion_g.push(self.b.ins().fdiv(diff, dv));
                        }
                        let diff = self.b.ins().fsub(g_sum, rhs);
                        (rhs, self.b.ins().fdiv(diff, dv), ion_g)
                    }
                };
                // A point process's current (nA) into the node's density (mA/cm²): × 100/area.
                let scale = match program.kind {
                    Kind::Point => {
                        let hundred = self.fconst(1e2);
                        Some(self.b.ins().fdiv(hundred, area))
                    }
                    _ => None,
                };
                let scaled = |g: &mut Self, x: Value| match scale {
                    Some(s) => g.b.ins().fmul(x, s),
                    None => x,
                };
                for (&(c, [index, cur, didv]), &di) in ctx.written.iter().zip(&ion_g) {
                    let now = column(self, c);
                    let (didv_add, now) = (scaled(self, di), scaled(self, now));
                    // The ion instance of each lane's instance (k itself when contiguous).
                    let ion_at: Vec<Value> = lanes
                        .iter()
                        .map(|&(kl8, _)| {
                            if contiguous {
                                return kl8;
                            }
                            let at = self.b.ins().iadd(index, kl8);
                            let ii = self.b.ins().load(types::I64, FLAGS, at, 0);
                            self.b.ins().imul_imm(ii, 8)
                        })
                        .collect();
                    self.add_lanes(didv, &ion_at, didv_add, contiguous);
                    self.add_lanes(cur, &ion_at, now, contiguous);
                }
                let (rhs, cond) = (scaled(self, rhs), scaled(self, g));
                // ELECTRODE_CURRENT: positive inward, so the signs flip (for the whole mechanism, as nocmodl).
                let (rhs, cond) =
                    if program.electrode { (rhs, self.b.ins().fneg(cond)) } else { (self.b.ins().fneg(rhs), cond) };
                let nodes: Vec<Value> = lanes.iter().map(|&(_, nd8)| nd8).collect();
                self.add_lanes(ctx.node_rhs, &nodes, rhs, contiguous);
                self.add_lanes(ctx.node_d, &nodes, cond, contiguous);
            }
        }
    }

    fn stmts(&mut self, stmts: &[Stmt]) {
        for s in stmts {
            self.stmt(s);
        }
    }

    fn stmt(&mut self, s: &Stmt) {
        match s {
            Stmt::Set(p, e) => {
                let v = self.expr(e);
                self.store(p, v);
            }
            Stmt::If(c, a, b) if self.lanes > 1 => {
                // Both branches, each for the lanes whose condition selects it.
                let cond = self.truth(c);
                let outer = self.mask;
                let then_mask = match outer {
                    Some(m) => self.b.ins().band(m, cond),
                    None => cond,
                };
                let not = self.b.ins().bnot(cond);
                let else_mask = match outer {
                    Some(m) => self.b.ins().band(m, not),
                    None => not,
                };
                self.mask = Some(then_mask);
                self.stmts(a);
                self.mask = Some(else_mask);
                self.stmts(b);
                self.mask = outer;
            }
            Stmt::If(c, a, b) => {
                let cond = self.truth(c);
                let (then_b, else_b, join) = (self.b.create_block(), self.b.create_block(), self.b.create_block());
                self.b.ins().brif(cond, then_b, &[], else_b, &[]);
                self.b.switch_to_block(then_b);
                self.stmts(a);
                self.b.ins().jump(join, &[]);
                self.b.switch_to_block(else_b);
                self.stmts(b);
                self.b.ins().jump(join, &[]);
                self.b.switch_to_block(join);
            }
            Stmt::While(c, body) => {
                let (head, body_b, exit) = (self.b.create_block(), self.b.create_block(), self.b.create_block());
                self.b.ins().jump(head, &[]);
                self.b.switch_to_block(head);
                let cond = self.truth(c);
                self.b.ins().brif(cond, body_b, &[], exit, &[]);
                self.b.switch_to_block(body_b);
                self.stmts(body);
                self.b.ins().jump(head, &[]);
                self.b.switch_to_block(exit);
            }
            Stmt::For { var, from, to: to_expr, by, body } => {
                // C's int loop: from and by truncated once, the bound truncated and tested before every iteration.
                let from = self.expr(from);
                let from = self.b.ins().trunc(from);
                let by = self.expr(by);
                let by = self.b.ins().trunc(by);
                self.set_local(*var, from);
                let (head, body_b, exit) = (self.b.create_block(), self.b.create_block(), self.b.create_block());
                self.b.ins().jump(head, &[]);
                self.b.switch_to_block(head);
                let to = self.expr(to_expr);
                let to = self.b.ins().trunc(to);
                let i = self.get_local(*var);
                let zero = self.b.ins().f64const(0.0);
                let up = self.b.ins().fcmp(FloatCC::GreaterThan, by, zero);
                let down = self.b.ins().fcmp(FloatCC::LessThan, by, zero);
                let le = self.b.ins().fcmp(FloatCC::LessThanOrEqual, i, to);
                let ge = self.b.ins().fcmp(FloatCC::GreaterThanOrEqual, i, to);
                let a = self.b.ins().band(up, le);
                let d = self.b.ins().band(down, ge);
                let go = self.b.ins().bor(a, d);
                self.b.ins().brif(go, body_b, &[], exit, &[]);
                self.b.switch_to_block(body_b);
                self.stmts(body);
                let i = self.get_local(*var);
                let next = self.b.ins().fadd(i, by);
                self.set_local(*var, next);
                self.b.ins().jump(head, &[]);
                self.b.switch_to_block(exit);
            }
            Stmt::Call(f, args) => {
                self.call(*f, args);
            }
            other => {
                debug_assert!(other.interpreter_only());
                unreachable!("functions that need the interpreter are not compiled (native_functions)")
            }
        }
    }

    /// An expression as a branch condition (non-zero).
    fn truth(&mut self, e: &Expr) -> Value {
        let v = self.expr(e);
        let zero = self.fconst(0.0);
        self.b.ins().fcmp(FloatCC::NotEqual, v, zero)
    }

    fn bool_value(&mut self, c: Value) -> Value {
        let (one, zero) = (self.fconst(1.0), self.fconst(0.0));
        self.select(c, one, zero)
    }

    /// The value type: f64, or f64x2 in a two-instance body.
    fn fty(&self) -> types::Type {
        if self.lanes == 2 {
            types::F64X2
        } else {
            types::F64
        }
    }

    /// A constant of the value type.
    fn fconst(&mut self, x: f64) -> Value {
        let c = self.b.ins().f64const(x);
        self.widen(c)
    }

    /// A scalar as a value of the value type (the same in every lane).
    fn widen(&mut self, x: Value) -> Value {
        if self.lanes == 2 {
            self.b.ins().splat(types::F64X2, x)
        } else {
            x
        }
    }

    /// `c ? a : b` for a comparison result (a lane mask in a two-instance body).
    fn select(&mut self, c: Value, a: Value, b: Value) -> Value {
        if self.lanes == 2 {
            let m = self.b.ins().bitcast(types::F64X2, MemFlags::new().with_endianness(Endianness::Little), c);
            self.b.ins().bitselect(m, a, b)
        } else {
            self.b.ins().select(c, a, b)
        }
    }

    /// A scalar function applied to each lane.
    fn per_lane(&mut self, args: &[Value], f: &mut dyn FnMut(&mut Self, &[Value]) -> Value) -> Value {
        if self.lanes == 1 {
            return f(self, args);
        }
        let mut out = None;
        for lane in 0..2u8 {
            let scalars: Vec<Value> = args.iter().map(|&a| self.b.ins().extractlane(a, lane)).collect();
            let y = f(self, &scalars);
            out = Some(match out {
                None => self.b.ins().splat(types::F64X2, y),
                Some(v) => self.b.ins().insertlane(v, y, lane),
            });
        }
        out.expect("two lanes")
    }

    /// A FUNCTION or PROCEDURE call: inlined, unless it is recursive or nested too deep.
    fn call(&mut self, f: usize, args: &[Expr]) -> Value {
        let vals: Vec<Value> = args.iter().map(|a| self.expr(a)).collect();
        let recursive = self.frames.iter().any(|fr| fr.func == f);
        if !recursive && self.frames.len() < MAX_INLINE_DEPTH {
            let program = self.program;
            return self.body_of(f, &program.funcs[f], &vals);
        }
        let env = self.env();
        let k = self.k();
        let vals: Vec<Value> = [env, k].into_iter().chain(vals).collect();
        let fref = self.module.declare_func_in_func(self.ids[f], self.b.func);
        let call = self.b.ins().call(fref, &vals);
        self.known.clear(); // the callee may write any column
        self.b.inst_results(call)[0]
    }

    fn expr(&mut self, e: &Expr) -> Value {
        match e {
            Expr::Num(v) => self.fconst(*v),
            Expr::Get(p) => self.load(p),
            Expr::Unary(UnOp::Neg, a) => {
                let a = self.expr(a);
                self.b.ins().fneg(a)
            }
            Expr::Unary(UnOp::Not, a) => {
                let a = self.expr(a);
                let zero = self.fconst(0.0);
                let c = self.b.ins().fcmp(FloatCC::Equal, a, zero);
                self.bool_value(c)
            }
            Expr::Binary(op @ (BinOp::And | BinOp::Or), a, b) if self.lanes > 1 => {
                // Both sides (vectorizable() keeps calls out of them), combined lane by lane.
                let (x, y) = (self.truth(a), self.truth(b));
                let c = if *op == BinOp::And { self.b.ins().band(x, y) } else { self.b.ins().bor(x, y) };
                self.bool_value(c)
            }
            Expr::Binary(op @ (BinOp::And | BinOp::Or), a, b) => {
                // C's short circuit: b is evaluated only when a does not decide.
                let x = self.truth(a);
                let (rhs, join) = (self.b.create_block(), self.b.create_block());
                self.b.append_block_param(join, types::F64);
                let decided = self.bool_value(x);
                if *op == BinOp::And {
                    self.b.ins().brif(x, rhs, &[], join, &[decided.into()]);
                } else {
                    self.b.ins().brif(x, join, &[decided.into()], rhs, &[]);
                }
                self.b.switch_to_block(rhs);
                let y = self.truth(b);
                let y = self.bool_value(y);
                self.b.ins().jump(join, &[y.into()]);
                self.b.switch_to_block(join);
                self.b.block_params(join)[0]
            }
            Expr::Binary(op, a, b) => {
                let (x, y) = (self.expr(a), self.expr(b));
                let cc = match op {
                    BinOp::Lt => Some(FloatCC::LessThan),
                    BinOp::Le => Some(FloatCC::LessThanOrEqual),
                    BinOp::Gt => Some(FloatCC::GreaterThan),
                    BinOp::Ge => Some(FloatCC::GreaterThanOrEqual),
                    BinOp::Eq => Some(FloatCC::Equal),
                    BinOp::Ne => Some(FloatCC::NotEqual),
                    _ => None,
                };
                if let Some(cc) = cc {
                    let c = self.b.ins().fcmp(cc, x, y);
                    return self.bool_value(c);
                }
                match op {
                    BinOp::Add => self.b.ins().fadd(x, y),
                    BinOp::Sub => self.b.ins().fsub(x, y),
                    BinOp::Mul => self.b.ins().fmul(x, y),
                    BinOp::Div => self.b.ins().fdiv(x, y),
                    BinOp::Pow => self.math("rb_pow2", &[x, y]),
                    _ => unreachable!("comparisons and logic handled above"),
                }
            }
            Expr::Builtin(f, args) => {
                let vals: Vec<Value> = args.iter().map(|a| self.expr(a)).collect();
                match (f, math_name(*f)) {
                    (_, Some(name)) => self.math(name, &vals),
                    (Builtin::Exp, _) => self.exp(vals[0]),
                    (Builtin::Sqrt, _) => self.b.ins().sqrt(vals[0]),
                    (Builtin::Fabs, _) => self.b.ins().fabs(vals[0]),
                    (Builtin::Floor, _) => self.b.ins().floor(vals[0]),
                    (Builtin::Ceil, _) => self.b.ins().ceil(vals[0]),
                    (Builtin::Trunc, _) => self.b.ins().trunc(vals[0]),
                    _ => unreachable!("every builtin is inline or a library call"),
                }
            }
            Expr::Call(f, args) => self.call(*f, args),
            Expr::Random(..) => unreachable!("functions that need the interpreter are not compiled (native_functions)"),
        }
    }

    fn math(&mut self, name: &str, args: &[Value]) -> Value {
        let id = self.math[name];
        self.per_lane(args, &mut |g, a| {
            let fref = g.module.declare_func_in_func(id, g.b.func);
            let call = g.b.ins().call(fref, a);
            g.b.inst_results(call)[0]
        })
    }

    /// e^x as `rheobase_core::fastmath::exp` computes it (clamped like hoc_Exp), inline.
    fn exp(&mut self, x: Value) -> Value {
        const LOG2E: f64 = std::f64::consts::LOG2_E;
        const LN2_HI: f64 = 6.931_471_803_691_238e-1;
        const LN2_LO: f64 = 1.908_214_929_270_587_7e-10;
        const ROUND_SHIFT: f64 = 6_755_399_441_055_744.0;
        let wide = if self.lanes == 2 { types::I64X2 } else { types::I64 };
        let little = MemFlags::new().with_endianness(Endianness::Little);
        let lo = self.fconst(-700.0);
        let hi = self.fconst(700.0);
        // Clamped with compares and selects (NaN stays NaN): Cranelift's fmin/fmax are long NaN-exact sequences.
        let below = self.b.ins().fcmp(FloatCC::LessThan, x, lo);
        let xc = self.select(below, lo, x);
        let above = self.b.ins().fcmp(FloatCC::GreaterThan, x, hi);
        let xc = self.select(above, hi, xc);
        let log2e = self.fconst(LOG2E);
        let shift = self.fconst(ROUND_SHIFT);
        let scaled = self.b.ins().fmul(xc, log2e);
        let shifted = self.b.ins().fadd(scaled, shift);
        let kf = self.b.ins().fsub(shifted, shift);
        let bits = self.b.ins().bitcast(wide, little, shifted);
        let bias = self.iconst_wide(wide, 1023 - ROUND_SHIFT.to_bits() as i64);
        let hi_c = self.fconst(LN2_HI);
        let lo_c = self.fconst(LN2_LO);
        let a = self.b.ins().fmul(kf, hi_c);
        let r = self.b.ins().fsub(xc, a);
        let b = self.b.ins().fmul(kf, lo_c);
        let r = self.b.ins().fsub(r, b);
        // The Taylor polynomial by Estrin's scheme, as fastmath's taylor12.
        let c = |g: &mut Self, i: usize| g.fconst(rheobase_core::fastmath::TAYLOR[i]);
        let r2 = self.b.ins().fmul(r, r);
        let r4 = self.b.ins().fmul(r2, r2);
        let r8 = self.b.ins().fmul(r4, r4);
        let pair = |g: &mut Self, i: usize| {
            let (lo, hi) = (c(g, i), c(g, i + 1));
            g.b.ins().fma(hi, r, lo)
        };
        let mut b = Vec::new();
        for i in [0, 4, 8] {
            let (lo, hi) = (pair(self, i), pair(self, i + 2));
            b.push(self.b.ins().fma(hi, r2, lo));
        }
        let low = self.b.ins().fma(b[1], r4, b[0]);
        let c12 = c(self, 12);
        let high = self.b.ins().fma(c12, r4, b[2]);
        let p = self.b.ins().fma(high, r8, low);
        let e = self.b.ins().iadd(bits, bias);
        let fifty_two = self.b.ins().iconst(types::I64, 52);
        let e = self.b.ins().ishl(e, fifty_two);
        let fty = self.fty();
        let scale = self.b.ins().bitcast(fty, little, e);
        let y = self.b.ins().fmul(p, scale);
        let zero = self.fconst(0.0);
        let under = self.b.ins().fcmp(FloatCC::LessThan, x, lo);
        self.select(under, zero, y)
    }

    fn iconst_wide(&mut self, ty: types::Type, x: i64) -> Value {
        let c = self.b.ins().iconst(types::I64, x);
        if ty == types::I64X2 {
            self.b.ins().splat(ty, c)
        } else {
            c
        }
    }

    fn hoisted(&self) -> &Hoisted {
        self.hoisted.as_ref().expect("set in the entry block")
    }

    fn env_field(&self, v: Var) -> i32 {
        (match v {
            Var::V => offset_of!(Env, v),
            Var::T => offset_of!(Env, t),
            Var::Dt => offset_of!(Env, dt),
            Var::Celsius => offset_of!(Env, celsius),
            Var::Area => offset_of!(Env, area),
            Var::Diam => offset_of!(Env, diam),
            Var::SecondOrder => offset_of!(Env, secondorder),
            _ => unreachable!("not an Env scalar"),
        }) as i32
    }

    /// The element index of a place (0 for scalars), checked: out of bounds gives index 0 and a flag.
    fn index(&mut self, p: &Place) -> (Value, Option<Value>) {
        let Some(i) = &p.index else {
            return (self.b.ins().iconst(types::I64, 0), None);
        };
        let x = self.expr(i);
        let x = self.b.ins().trunc(x);
        let i = self.b.ins().fcvt_to_sint_sat(types::I64, x);
        let ok = self.b.ins().icmp_imm(IntCC::UnsignedLessThan, i, p.len as i64);
        let zero = self.b.ins().iconst(types::I64, 0);
        let i = self.b.ins().select(ok, i, zero);
        // A fault is recorded now; reads then give NaN and writes are dropped.
        let bad = self.b.ins().icmp_imm(IntCC::Equal, ok, 0);
        let flag = self.b.ins().uextend(types::I64, bad);
        let env = self.env();
        let old = self.b.ins().load(types::I64, FLAGS, env, offset_of!(Env, fault) as i32);
        let new = self.b.ins().bor(old, flag);
        self.b.ins().store(FLAGS, new, env, offset_of!(Env, fault) as i32);
        (i, Some(ok))
    }

    fn addr(&mut self, p: &Place) -> (Addr, Option<Value>) {
        let (i, ok) = self.index(p);
        let addr = match p.var {
            Var::Range(s) if p.index.is_none() && self.in_registers.iter().any(|&(r, _)| r == s) => {
                Addr::Var(self.in_registers.iter().find(|&&(r, _)| r == s).expect("checked").1)
            }
            Var::Range(s) => {
                let h = self.hoisted().clone();
                let col = match (h.columns.get(&s), ok) {
                    (Some(&col), None) => col,
                    _ => {
                        let at = self.b.ins().iadd_imm(i, s as i64);
                        let at = self.b.ins().imul_imm(at, 8);
                        let at = self.b.ins().iadd(h.cols, at);
                        self.b.ins().load(self.ptr, FLAGS, at, 0)
                    }
                };
                Addr::Mem(self.b.ins().iadd(col, h.k_bytes), 0)
            }
            Var::Global(g) if self.scratch_column(g).is_some() => {
                let col = self.scratch_column(g).expect("checked");
                let k8 = self.hoisted().k_bytes;
                Addr::Mem(self.b.ins().iadd(col, k8), 0)
            }
            Var::Global(g) if self.private.iter().any(|&(pg, _)| pg == g) => {
                Addr::Var(self.private.iter().find(|&&(pg, _)| pg == g).expect("checked").1)
            }
            Var::Global(g) => {
                let base = self.hoisted().globals;
                let off = self.b.ins().imul_imm(i, 8);
                let at = self.b.ins().iadd(base, off);
                Addr::Mem(at, (g * 8) as i32)
            }
            Var::Local(s) => match (self.frames.last().expect("a frame").vars[s as usize], p.index.is_some()) {
                (Slot::Var(v), false) => Addr::Var(v),
                (Slot::Mem(o), _) => {
                    let stack = self.frames.last().expect("a frame").stack.expect("stack slot");
                    let base = self.b.ins().stack_addr(self.ptr, stack, (o * 8) as i32);
                    let off = self.b.ins().imul_imm(i, 8);
                    Addr::Mem(self.b.ins().iadd(base, off), 0)
                }
                (Slot::Var(_), true) => unreachable!("indexed locals are in memory"),
            },
            Var::V | Var::Area | Var::Diam if self.node_vals.is_some() => {
                let [v, area, diam] = self.node_vals.expect("checked");
                Addr::Var(match p.var {
                    Var::V => v,
                    Var::Area => area,
                    _ => diam,
                })
            }
            other => {
                let env = self.env();
                let off = self.env_field(other);
                Addr::Mem(env, off)
            }
        };
        (addr, ok)
    }

    /// The scratch column of a global kept per instance in a split state loop.
    fn scratch_column(&self, g: u32) -> Option<Value> {
        self.scratch_globals.iter().find(|&&(sg, _)| sg == g).map(|&(_, col)| col)
    }

    /// The slot of a place `known` may hold: a range variable without an index.
    fn cacheable(p: &Place) -> Option<u32> {
        match p.var {
            Var::Range(s) if p.index.is_none() => Some(s),
            _ => None,
        }
    }

    fn load(&mut self, p: &Place) -> Value {
        let block = self.b.current_block();
        if let Some(&(b, v)) = Self::cacheable(p).and_then(|s| self.known.get(&s)) {
            if Some(b) == block {
                return v;
            }
        }
        let v = self.load_memory(p);
        if let (Some(s), Some(block)) = (Self::cacheable(p), block) {
            self.known.insert(s, (block, v));
        }
        v
    }

    fn load_memory(&mut self, p: &Place) -> Value {
        let per_instance = match p.var {
            Var::Range(_) => true,
            Var::Global(g) => self.scratch_column(g).is_some(),
            _ => false,
        };
        let (addr, ok) = self.addr(p);
        let v = match addr {
            Addr::Var(v) => self.b.use_var(v),
            // A column holds consecutive instances: a vector load in a two-instance body.
            Addr::Mem(a, off) if per_instance => {
                let fty = self.fty();
                self.b.ins().load(fty, FLAGS, a, off)
            }
            Addr::Mem(a, off) => {
                let x = self.b.ins().load(types::F64, FLAGS, a, off);
                self.widen(x)
            }
        };
        match ok {
            Some(ok) => {
                let nan = self.b.ins().f64const(f64::NAN);
                self.b.ins().select(ok, v, nan)
            }
            None => v,
        }
    }

    fn store(&mut self, p: &Place, value: Value) {
        // Inside an IF of a two-instance body only the selected lanes change.
        let value = match self.mask {
            Some(m) => {
                let old = self.load(p);
                self.select(m, value, old)
            }
            None => value,
        };
        let (addr, ok) = self.addr(p);
        match (Self::cacheable(p), p.var, self.b.current_block()) {
            (Some(s), _, Some(block)) => {
                self.known.insert(s, (block, value));
            }
            // An element of a range array: forget what is known of the array.
            (None, Var::Range(first), _) => (first..first + p.len).for_each(|s| {
                self.known.remove(&s);
            }),
            _ => {}
        }
        let write = |g: &mut Self| match addr {
            Addr::Var(v) => g.b.def_var(v, value),
            Addr::Mem(a, off) => {
                g.b.ins().store(FLAGS, value, a, off);
            }
        };
        match ok {
            None => write(self),
            Some(ok) => {
                let (yes, join) = (self.b.create_block(), self.b.create_block());
                self.b.ins().brif(ok, yes, &[], join, &[]);
                self.b.switch_to_block(yes);
                write(self);
                self.b.ins().jump(join, &[]);
                self.b.switch_to_block(join);
            }
        }
    }

    fn get_local(&mut self, s: u32) -> Value {
        self.load(&Place::scalar(Var::Local(s)))
    }

    fn set_local(&mut self, s: u32, v: Value) {
        self.store(&Place::scalar(Var::Local(s)), v)
    }

    /// [a0, b0] (or [a1, b1] with `high`) of two f64x2 values.
    fn interleave(&mut self, a: Value, b: Value, high: bool) -> Value {
        let little = MemFlags::new().with_endianness(Endianness::Little);
        let (a8, b8) = (self.b.ins().bitcast(types::I8X16, little, a), self.b.ins().bitcast(types::I8X16, little, b));
        // Byte indices: 0..16 select from a, 16..32 from b.
        let first: u8 = if high { 8 } else { 0 };
        let mask: Vec<u8> = (0..8).map(|i| first + i).chain((0..8).map(|i| 16 + first + i)).collect();
        let mask = self.b.func.dfg.immediates.push(mask.as_slice().into());
        let x = self.b.ins().shuffle(a8, b8, mask);
        self.b.ins().bitcast(types::F64X2, little, x)
    }

    /// NEURON's table lookup for a call of `f` with its first argument, results to the table's outputs; the
    /// value of a FUNCTION table is returned.
    fn table_lookup(&mut self, fi: usize, t: &Table) -> Value {
        let env = self.env();
        let tables = self.b.ins().load(self.ptr, INVARIANT, env, offset_of!(Env, tables) as i32);
        let base = std::mem::size_of::<TableView>() as i32 * fi as i32;
        let tmin = self.b.ins().load(types::F64, INVARIANT, tables, base + offset_of!(TableView, tmin) as i32);
        let mfac = self.b.ins().load(types::F64, INVARIANT, tables, base + offset_of!(TableView, mfac) as i32);
        let n = self.b.ins().load(types::F64, INVARIANT, tables, base + offset_of!(TableView, n) as i32);
        let rows = self.b.ins().load(self.ptr, INVARIANT, tables, base + offset_of!(TableView, rows) as i32);
        let x = self.get_local(0);
        let (tmin, mfac, n) = (self.widen(tmin), self.widen(mfac), self.widen(n));
        let d = self.b.ins().fsub(x, tmin);
        let xi = self.b.ins().fmul(mfac, d);
        // NEURON's cases without branches: xi ≤ 0 gives the first value (i = 0, θ = 0); xi ≥ n the last
        // (i = n − 1, θ = 1: the same value to rounding, as the built-in hh's table); NaN propagates through θ.
        let zero = self.fconst(0.0);
        let one = self.fconst(1.0);
        let low = self.b.ins().fcmp(FloatCC::LessThanOrEqual, xi, zero);
        let x0 = self.select(low, zero, xi);
        let high = self.b.ins().fcmp(FloatCC::GreaterThanOrEqual, x0, n);
        let n_1 = self.b.ins().fsub(n, one);
        let floor = self.b.ins().floor(x0);
        let i_f = self.select(high, n_1, floor);
        let theta = self.b.ins().fsub(x0, i_f);
        let theta = self.select(high, one, theta);
        let is_nan = self.b.ins().fcmp(FloatCC::Unordered, i_f, i_f);
        let i_f = self.select(is_nan, zero, i_f);
        // Per instance: 0 ≤ i_f ≤ n − 1, an integer below 2^52, sits in the low bits of i_f + 2^52; its row starts
        // at rows + i·2m·8 bytes.
        let m = t.outputs.len();
        let magic = self.b.ins().f64const(4_503_599_627_370_496.0);
        let row_at: Vec<Value> = (0..self.lanes as u8)
            .map(|lane| {
                let i_l = if self.lanes == 1 { i_f } else { self.b.ins().extractlane(i_f, lane) };
                let shifted = self.b.ins().fadd(i_l, magic);
                let bits = self.b.ins().bitcast(types::I64, MemFlags::new(), shifted);
                let i = self.b.ins().iadd_imm(bits, -(4_503_599_627_370_496f64.to_bits() as i64));
                let off = self.b.ins().imul_imm(i, (2 * m * 8) as i64);
                self.b.ins().iadd(rows, off)
            })
            .collect();
        // Value and increment of output j in every lane: in two lanes, outputs j and j + 1 come with two vector
        // loads (one per lane's row) and two interleaving shuffles.
        let mut at_start = Vec::with_capacity(m);
        let mut increment = Vec::with_capacity(m);
        for (out, col) in [(&mut at_start, 0), (&mut increment, m)] {
            let mut j = 0;
            while j < m {
                let off = ((col + j) * 8) as i32;
                if self.lanes == 2 && j + 1 < m {
                    let a = self.b.ins().load(types::F64X2, INVARIANT, row_at[0], off);
                    let b = self.b.ins().load(types::F64X2, INVARIANT, row_at[1], off);
                    out.push(self.interleave(a, b, false));
                    out.push(self.interleave(a, b, true));
                    j += 2;
                } else {
                    let lanes: Vec<Value> =
                        row_at.iter().map(|&r| self.b.ins().load(types::F64, INVARIANT, r, off)).collect();
                    let mut x = self.widen(lanes[0]);
                    for (l, &y) in lanes.iter().enumerate().skip(1) {
                        x = self.b.ins().insertlane(x, y, l as u8);
                    }
                    out.push(x);
                    j += 1;
                }
            }
        }
        let mut result = zero;
        for (j, out) in t.outputs.iter().enumerate() {
            // NEURON's y0 + θ·(y1 − y0), not fused (the increment is y1 − y0 as NEURON computes it).
            let prod = self.b.ins().fmul(theta, increment[j]);
            let y = self.b.ins().fadd(at_start[j], prod);
            if let Var::Local(_) = out.var {
                result = y;
            } else {
                self.store(out, y);
            }
        }
        result
    }
}

/// Whether the code a loop runs for `phase` (just statements `part` of a function, in a split loop) reads the
/// instance's v, area and diam; a point process's current also needs the area for its scaling.
fn node_values_read(program: &Program, phase: Phase, part: &Option<(usize, std::ops::Range<usize>)>) -> [bool; 3] {
    struct Reads([bool; 3]);
    impl Visitor for Reads {
        fn place(&mut self, p: &Place) {
            match p.var {
                Var::V => self.0[0] = true,
                Var::Area => self.0[1] = true,
                Var::Diam => self.0[2] = true,
                _ => {}
            }
        }
    }
    let call = |f: usize| vec![Stmt::Call(f, Vec::new())];
    let body = match (phase, part) {
        (Phase::State, Some((f, range))) => program.funcs[*f].body[range.clone()].to_vec(),
        (Phase::State, None) => call(program.state),
        (Phase::Init, _) => [call(program.start), call(program.initial)].concat(),
        (Phase::Current, _) => call(program.conductance.as_ref().map_or(program.current, |c| c.func)),
    };
    let mut reads = Reads([false; 3]);
    program.walk(&body, &mut reads);
    if phase == Phase::Current {
        // The conductance by finite difference evaluates at v + 0.001; the point scaling needs the area.
        reads.0[0] |= program.conductance.is_none();
        reads.0[1] |= program.kind == Kind::Point;
    }
    reads.0
}

/// A state loop split in several ([`Gen::loops`]): statements `groups` of function `func`'s body, each group run
/// over all instances before the next.
struct Fission {
    func: usize,
    groups: Vec<std::ops::Range<usize>>,
}

/// Splits the phase whose entry is `entry` (followed through calls without arguments to a body of statements) at
/// every statement boundary no LOCAL lives across. The statements then pass values to each other only through range
/// slots and the globals the two-instance loop keeps per instance (which move to scratch columns), so running each
/// group over every instance before the next computes what instance-by-instance order does. Several short loops
/// need fewer registers than one long body, which Cranelift would spill; the built-ins loop this way too (the rate
/// table, then one loop per gate). None when there is nothing to split.
fn fission(program: &Program, entry: usize) -> Option<Fission> {
    let mut f = entry;
    while let [Stmt::Call(g, args)] = program.funcs[f].body.as_slice() {
        if !args.is_empty() || program.funcs[f].table.is_some() {
            return None;
        }
        f = *g;
    }
    let func = &program.funcs[f];
    if func.table.is_some() || func.params > 0 {
        return None;
    }
    struct Locals(Vec<u32>);
    impl Visitor for Locals {
        fn place(&mut self, p: &Place) {
            if let Var::Local(s) = p.var {
                self.0.push(s);
            }
        }
    }
    // Per local: the first and last statement that uses it.
    let mut span: HashMap<u32, (usize, usize)> = HashMap::new();
    for (i, stmt) in func.body.iter().enumerate() {
        let mut locals = Locals(Vec::new());
        visit_stmts(std::slice::from_ref(stmt), &mut locals);
        for s in locals.0 {
            span.entry(s).and_modify(|e| e.1 = i).or_insert((i, i));
        }
    }
    let mut groups = Vec::new();
    let mut start = 0;
    for i in 1..func.body.len() {
        if !span.values().any(|&(first, last)| first < i && i <= last) {
            groups.push(start..i);
            start = i;
        }
    }
    groups.push(start..func.body.len());
    (groups.len() > 1).then_some(Fission { func: f, groups })
}

/// Whether function `f` (with what it calls) can run two instances at once in f64x2, and the globals it writes,
/// which then live per lane ([`Gen::private`]). Allowed: straight-line code and IFs over scalar places, with no
/// loops, array indices or recursion, no calls inside `&&`/`||` (both sides are evaluated for all lanes), and
/// globals written unconditionally before any read (so an instance never sees the previous one's value, and
/// the last instance's is the one left behind, as in sequential order).
fn vectorizable(program: &Program, f: usize) -> Option<Vec<u32>> {
    struct Walk<'p> {
        program: &'p Program,
        stack: Vec<usize>,
        /// Globals written so far on every path; inside IFs, writes of globals are refused.
        written: Vec<u32>,
        under_if: usize,
    }
    impl Walk<'_> {
        fn expr(&mut self, e: &Expr) -> bool {
            match e {
                Expr::Num(_) => true,
                Expr::Get(p) => p.index.is_none() && self.readable(p),
                Expr::Unary(_, a) => self.expr(a),
                Expr::Binary(op, a, b) => {
                    let calls_free = !matches!(op, BinOp::And | BinOp::Or) || !has_call(b);
                    calls_free && self.expr(a) && self.expr(b)
                }
                Expr::Builtin(_, args) => args.iter().all(|a| self.expr(a)),
                Expr::Call(g, args) => args.iter().all(|a| self.expr(a)) && self.func(*g),
                Expr::Random(..) => false,
            }
        }
        /// A global the code writes somewhere must have been written before it is read.
        fn readable(&self, p: &Place) -> bool {
            match p.var {
                Var::Global(g) => !writes_global(self.program, g) || self.written.contains(&g),
                _ => true,
            }
        }
        fn write(&mut self, p: &Place) -> bool {
            // Env's scalars (t, dt …) are one value for both lanes.
            if p.index.is_some() || matches!(p.var, Var::T | Var::Dt | Var::Celsius | Var::SecondOrder) {
                return false;
            }
            if let Var::Global(g) = p.var {
                if self.under_if > 0 {
                    return false;
                }
                if !self.written.contains(&g) {
                    self.written.push(g);
                }
            }
            true
        }
        fn stmts(&mut self, body: &[Stmt]) -> bool {
            body.iter().all(|s| match s {
                Stmt::Set(p, e) => self.expr(e) && self.write(p),
                Stmt::If(c, a, b) => {
                    self.under_if += 1;
                    let ok = self.expr(c) && self.stmts(a) && self.stmts(b);
                    self.under_if -= 1;
                    ok
                }
                Stmt::Call(g, args) => args.iter().all(|a| self.expr(a)) && self.func(*g),
                _ => false,
            })
        }
        fn func(&mut self, f: usize) -> bool {
            if self.stack.contains(&f) || self.stack.len() >= MAX_INLINE_DEPTH {
                return false;
            }
            let func = &self.program.funcs[f];
            self.stack.push(f);
            // A TABLE writes its outputs (lookup) or runs the body (exact): the body's writes decide.
            let ok = func.table.as_ref().is_none_or(|t| t.outputs.iter().all(|p| p.index.is_none()))
                && self.stmts(&func.body);
            self.stack.pop();
            ok
        }
    }
    fn has_call(e: &Expr) -> bool {
        match e {
            Expr::Call(..) | Expr::Random(..) => true,
            Expr::Num(_) | Expr::Get(_) => false,
            Expr::Unary(_, a) => has_call(a),
            Expr::Binary(_, a, b) => has_call(a) || has_call(b),
            Expr::Builtin(_, args) => args.iter().any(has_call),
        }
    }
    /// Whether any function assigns global g (or has it as a TABLE output).
    fn writes_global(program: &Program, g: u32) -> bool {
        fn stmts(body: &[Stmt], g: u32) -> bool {
            body.iter().any(|s| match s {
                Stmt::Set(p, _) => p.var == Var::Global(g),
                Stmt::If(_, a, b) => stmts(a, g) || stmts(b, g),
                Stmt::While(_, b) | Stmt::For { body: b, .. } => stmts(b, g),
                _ => false,
            })
        }
        program.funcs.iter().any(|f| {
            stmts(&f.body, g) || f.table.as_ref().is_some_and(|t| t.outputs.iter().any(|p| p.var == Var::Global(g)))
        })
    }
    let mut walk = Walk { program, stack: Vec::new(), written: Vec::new(), under_if: 0 };
    walk.func(f).then_some(walk.written)
}
