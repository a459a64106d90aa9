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
use crate::ir::{IonField, Program, SlotKind};
use rheobase_core::mechanisms::{
    self, ions, Block, BlockData, GlobalInfo, Kernel, MechId, MechInfo, MechKind, NodeView, VarInfo, VarKind,
};
use std::sync::Arc;

fn leak(s: &str) -> &'static str {
    Box::leak(s.to_string().into_boxed_str())
}

/// Registers a compiled mechanism (superseding one of the same name) and the ions it uses.
pub fn register(program: Arc<Program>) -> MechId {
    for ion in &program.ions {
        mechanisms::ensure_ion(&ion.name);
    }
    mechanisms::register(mech_info(program))
}

pub fn mech_info(program: Arc<Program>) -> MechInfo {
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
    MechInfo {
        name: leak(&program.name),
        kind: MechKind::Density,
        vars,
        ions: program.ions.iter().map(|i| leak(&i.name)).collect(),
        globals,
        electrode_current: false,
        weights: &[],
        make_kernel: Arc::new(move || Box::new(NmodlKernel::new(Arc::clone(&make)))),
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
    interp: Interpreter,
    /// One instance's range values while it runs.
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

#[derive(Clone, Copy, PartialEq, Eq)]
enum Phase {
    Init,
    Current,
    State,
}

impl NmodlKernel {
    fn new(program: Arc<Program>) -> Self {
        let globals = program.globals.iter().map(|g| g.default).collect();
        let exposed = program.globals.iter().enumerate().filter(|(_, g)| g.exposed).map(|(k, _)| k).collect();
        let row = vec![0.0; program.range.len()];
        NmodlKernel {
            interp: Interpreter::new(Arc::clone(&program)),
            program,
            row,
            globals,
            exposed,
            saved_currents: Vec::new(),
            fault_reported: false,
        }
    }

    fn run(&mut self, phase: Phase, blk: &mut BlockData, ions: &mut [Block], nv: &mut NodeView) {
        for (k, &g) in self.exposed.iter().enumerate() {
            self.globals[g] = blk.globals[k];
        }
        let program = Arc::clone(&self.program);
        for k in 0..blk.len() {
            let nd = blk.node[k];
            for (slot, col) in self.row.iter_mut().zip(&blk.vars) {
                *slot = col[k];
            }
            // Ion variables into the mechanism's copies: those it reads, and the concentrations it writes.
            for (i, ion) in program.ions.iter().enumerate() {
                let (ib, ii) = (blk.ion_block[i], blk.ion_instance[i][k]);
                for v in &ion.vars {
                    if v.read || (v.write && matches!(v.field, IonField::Inner | IonField::Outer)) {
                        self.row[v.slot as usize] = ions[ib].data.vars[ion_var(v.field)][ii];
                    }
                }
            }
            let v = nv.v[nd];
            let mut inst = Instance {
                range: &mut self.row,
                globals: &mut self.globals,
                v,
                t: nv.t,
                dt: nv.dt,
                celsius: nv.celsius,
                area: nv.area[nd],
                diam: nv.diam[nd],
                secondorder: 0.0,
            };
            match phase {
                Phase::Init => {
                    for (place, start) in &program.state_starts {
                        self.interp.assign(place, start, &mut inst);
                    }
                    self.interp.call(program.initial, &[], &mut inst);
                }
                Phase::State => {
                    self.interp.call(program.state, &[], &mut inst);
                }
                Phase::Current => {
                    let sum = |row: &[f64]| program.currents.iter().map(|&c| row[c as usize]).sum::<f64>();
                    inst.v = v + 0.001;
                    self.interp.call(program.current, &[], &mut inst);
                    let g = sum(inst.range);
                    self.saved_currents.clear();
                    for ion in &program.ions {
                        for iv in ion.vars.iter().filter(|iv| iv.field == IonField::Current && iv.write) {
                            self.saved_currents.push(inst.range[iv.slot as usize]);
                        }
                    }
                    inst.v = v;
                    self.interp.call(program.current, &[], &mut inst);
                    let rhs = sum(inst.range);
                    let mut saved = self.saved_currents.iter();
                    for (i, ion) in program.ions.iter().enumerate() {
                        let (ib, ii) = (blk.ion_block[i], blk.ion_instance[i][k]);
                        for iv in ion.vars.iter().filter(|iv| iv.field == IonField::Current && iv.write) {
                            let now = self.row[iv.slot as usize];
                            let at_dv = *saved.next().expect("one saved current per written current");
                            let vars = &mut ions[ib].data.vars;
                            vars[ions::DIDV][ii] += (at_dv - now) / 0.001;
                            vars[ions::I][ii] += now;
                        }
                    }
                    nv.rhs[nd] -= rhs;
                    nv.d[nd] += (g - rhs) / 0.001;
                }
            }
            if phase != Phase::Current {
                for (i, ion) in program.ions.iter().enumerate() {
                    let (ib, ii) = (blk.ion_block[i], blk.ion_instance[i][k]);
                    for iv in ion.vars.iter().filter(|iv| iv.write && iv.field != IonField::Current) {
                        ions[ib].data.vars[ion_var(iv.field)][ii] = self.row[iv.slot as usize];
                    }
                }
            }
            for (slot, col) in self.row.iter().zip(blk.vars.iter_mut()) {
                col[k] = *slot;
            }
        }
        for (k, &g) in self.exposed.iter().enumerate() {
            blk.globals[k] = self.globals[g];
        }
        if let Some(fault) = self.interp.take_fault() {
            if !self.fault_reported {
                self.fault_reported = true;
                eprintln!("rheobase: mechanism {}: {fault}", program.name);
            }
        }
    }
}

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
