//! Mechanisms: the metadata every mechanism type declares and the kernel interface the solver
//! calls. Built-ins (here) and, later, NMODL-compiled mechanisms implement the same interface,
//! so the solver never knows which is which.

pub mod active;
pub mod alphasynapse;
pub mod apcount;
pub mod exp2syn;
pub mod expsyn;
pub mod hh;
pub mod iclamp;
pub mod intfire1;
pub mod intfire2;
pub mod intfire4;
pub mod ions;
pub mod netstim;
pub mod pas;
pub mod patternstim;
pub mod seclamp;
pub mod vclamp;
pub mod vecstim;

use crate::events::Outbox;

/// Index of a mechanism type in the registry.
pub type MechId = usize;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VarKind {
    Parameter,
    Assigned,
    State,
    /// Internal state a mechanism keeps per instance that NEURON does not expose (NetStim's
    /// `on`): stored and saved like the others, hidden from Python.
    Internal,
    /// An NMODL POINTER: before the mechanism's kernel runs in a phase the engine copies in the
    /// value of the variable it points to (`Model::set_pointer`) and, when `written` (the
    /// mechanism assigns through it), copies it back after.
    Pointer {
        written: bool,
    },
}

impl VarKind {
    pub fn is_pointer(self) -> bool {
        matches!(self, VarKind::Pointer { .. })
    }
}

#[derive(Debug, Clone)]
pub struct VarInfo {
    pub name: &'static str,
    pub units: &'static str,
    pub default: f64,
    pub kind: VarKind,
}

/// A global (not per-instance) variable of a mechanism, e.g. `usetable_hh`.
#[derive(Debug, Clone)]
pub struct GlobalInfo {
    /// Full NEURON name, suffix included.
    pub name: &'static str,
    pub default: f64,
    /// NMODL's EXTERNAL: another mechanism's global of this name, which this one reads too (its value and
    /// default are the owner's; `default` here means nothing).
    pub external: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MechKind {
    /// A density mechanism (currents in mA/cm², conductances in S/cm²).
    Density,
    /// An ion (na_ion, k_ion, ca_ion): holds e, ci, co, i, di/dv per segment.
    Ion,
    /// A point process (currents in nA, conductances in µS).
    Point,
    /// An ARTIFICIAL_CELL: a point process with no location and no current, driven by events.
    Artificial,
}

pub struct MechInfo {
    pub name: &'static str,
    pub kind: MechKind,
    /// Range variables, in NEURON's psection order.
    pub vars: Vec<VarInfo>,
    /// Ions this mechanism reads or writes (names like "na").
    pub ions: Vec<&'static str>,
    pub globals: Vec<GlobalInfo>,
    /// Point processes whose current is an ELECTRODE_CURRENT (positive inward).
    pub electrode_current: bool,
    /// NET_RECEIVE's arguments (the NetCon weight vector's names); empty when the mechanism
    /// cannot receive events.
    pub weights: &'static [&'static str],
    /// For each ion in `ions`: whether the mechanism (reads, writes) its concentrations. This
    /// decides NEURON's ion style: reversal potentials follow the Nernst equation when some
    /// mechanism uses concentrations. Empty: neither, for every ion.
    pub ion_conc: Vec<(bool, bool)>,
    /// Makes the kernel of a new lowering (shared: mechanisms loaded at run time capture their program).
    pub make_kernel: std::sync::Arc<dyn Fn() -> Box<dyn Kernel> + Send + Sync>,
}

impl MechInfo {
    pub fn var_index(&self, name: &str) -> Option<usize> {
        self.vars.iter().position(|v| v.name == name)
    }

    /// Point processes and artificial cells.
    pub fn is_point(&self) -> bool {
        matches!(self.kind, MechKind::Point | MechKind::Artificial)
    }
}

/// The instance data of one mechanism type in a lowered simulation: structure of arrays.
#[derive(Debug, Clone)]
pub struct BlockData {
    pub mech: MechId,
    /// Node of each instance.
    pub node: Vec<usize>,
    /// vars[var][instance]
    pub vars: Vec<Vec<f64>>,
    /// For each ion the mechanism uses: the index of that ion's block in the block list.
    pub ion_block: Vec<usize>,
    /// For each ion the mechanism uses: the instance in the ion block at the same node.
    pub ion_instance: Vec<Vec<usize>>,
    /// The mechanism's globals (same order as MechInfo::globals).
    pub globals: Vec<f64>,
    /// Instances sit on consecutive nodes starting at node[0], and instance k of every ion it
    /// uses is instance k of the ion block: kernels may then use plain slices (vectorisable).
    pub contiguous: bool,
    /// Maximal runs of instances on consecutive nodes: (first instance, first node, length).
    /// Kernels that touch no ion sweep each run with plain slices.
    pub runs: Vec<(usize, usize, usize)>,
    /// A vector of numbers per instance for point processes that hold one (VecStim's spike
    /// times, APCount's recorded crossings); empty otherwise.
    pub tables: Vec<Vec<f64>>,
}

/// The runs of consecutive nodes in a block's node list (see [`BlockData::runs`]).
pub fn node_runs(node: &[usize]) -> Vec<(usize, usize, usize)> {
    let mut runs: Vec<(usize, usize, usize)> = Vec::new();
    for (k, &nd) in node.iter().enumerate() {
        match runs.last_mut() {
            Some((k0, n0, len)) if *n0 + *len == nd && *k0 + *len == k => *len += 1,
            _ => runs.push((k, nd, 1)),
        }
    }
    runs
}

impl BlockData {
    pub fn len(&self) -> usize {
        self.node.len()
    }

    pub fn is_empty(&self) -> bool {
        self.node.is_empty()
    }
}

/// Node-level state a kernel reads and adds to.
pub struct NodeView<'a> {
    /// Membrane potential, mV.
    pub v: &'a [f64],
    /// Right-hand side of the current balance, mA/cm² (nA at zero-area nodes).
    pub rhs: &'a mut [f64],
    /// Diagonal of the tree matrix, S/cm².
    pub d: &'a mut [f64],
    /// Node area, µm² (100 at zero-area end nodes, as NEURON keeps it).
    pub area: &'a [f64],
    /// Segment diameter, µm (0 at zero-area nodes).
    pub diam: &'a [f64],
    /// Time seen by the mechanism, ms.
    pub t: f64,
    pub dt: f64,
    /// Temperature, °C.
    pub celsius: f64,
    /// The currents of finitialize (after INITIAL), not of a step: NMODL's state_discontinuity
    /// does nothing there, as in NEURON.
    pub initializing: bool,
}

/// What the solver calls on each mechanism type, on whole blocks of instances.
/// `ions` holds the blocks that precede this one (ion blocks always come first).
pub trait Kernel: Send + Sync {
    /// INITIAL: set states from the current v.
    fn initialize(&mut self, blk: &mut BlockData, ions: &mut [Block], nv: &mut NodeView);
    /// BREAKPOINT currents: subtract i from rhs and add di/dv to d (the finite-difference rule).
    fn current(&mut self, blk: &mut BlockData, ions: &mut [Block], nv: &mut NodeView);
    /// Advance states over dt with the new v.
    fn advance_state(&mut self, blk: &mut BlockData, ions: &mut [Block], nv: &mut NodeView);
    /// A NetCon event with all weights 0 changes nothing (NET_RECEIVE adds the weights to
    /// states), so the solver may skip it.
    fn ignores_zero_weights(&self) -> bool {
        false
    }
    /// The user wrote instance variables directly (between steps): refresh what the kernel
    /// derives from them.
    fn state_written(&mut self, _blk: &mut BlockData) {}
    /// The events INITIAL sends (`net_send` at t = 0), after every INITIAL block has run.
    fn initial_events(&mut self, _blk: &mut BlockData, _out: &mut Outbox) {}
    /// Whether the kernel has BEFORE/AFTER blocks or WATCHes (the step skips those passes when no
    /// kernel of the group has any).
    fn has_before_after(&self) -> bool {
        false
    }
    fn has_watches(&self) -> bool {
        false
    }
    /// An NMODL BEFORE/AFTER block's work at its point of the step (`at`), for every instance.
    fn before_after(&mut self, _at: BaPoint, _blk: &mut BlockData, _ions: &mut [Block], _nv: &mut NodeView) {}
    /// At a step's start: the instances whose WATCH condition turned true since the last check, with
    /// the WATCH's flag (pushed to `fired`).
    fn check_watches(&mut self, _blk: &mut BlockData, _t: f64, _fired: &mut Vec<(usize, f64)>) {}
    /// A WATCH of instance `instance` fired: NET_RECEIVE with `flag` and no weights at time `t` (ms).
    fn watch_fired(&mut self, _blk: &mut BlockData, _instance: usize, _flag: f64, _t: f64, _out: &mut Outbox) {}
    /// Whether NET_RECEIVE needs the weights of every NetCon that targets the instance (NMODL's
    /// FOR_NETCONS): events then arrive through [`Kernel::net_receive_all`].
    fn uses_all_weights(&self) -> bool {
        false
    }
    /// NET_RECEIVE with the weight vectors of every NetCon that targets the instance (creation
    /// order; it may change them) and the index of the delivering one (None: a self-event without
    /// weights, a WATCH).
    #[allow(clippy::too_many_arguments)]
    fn net_receive_all(
        &mut self,
        _blk: &mut BlockData,
        _instance: usize,
        _all: &mut Vec<Vec<f64>>,
        _current: Option<usize>,
        _flag: f64,
        _t: f64,
        _out: &mut Outbox,
    ) {
    }
    /// NET_RECEIVE's INITIAL block for one instance at finitialize, on the weight vector of a NetCon
    /// that targets it (it may change it); false when the mechanism has none (NEURON then sets the
    /// elements after the first to 0).
    fn net_init(&mut self, _blk: &mut BlockData, _instance: usize, _weights: &mut [f64], _out: &mut Outbox) -> bool {
        false
    }
    /// NMODL's LONGITUDINAL_DIFFUSION: for each diffusing state (array element), the columns of the state, of
    /// its diffusion value (constant × cross-section, µm⁴/ms) and of its COMPARTMENT volume, in `BlockData::vars`.
    fn diffusing(&self) -> &[(usize, usize, usize)] {
        &[]
    }
    /// Fills the diffusion and volume columns of [`Kernel::diffusing`] at the current states.
    fn diffusion_terms(&mut self, _blk: &mut BlockData, _ions: &mut [Block], _nv: &mut NodeView) {}
    /// [`Kernel::net_init`] on the weights of NetCon `all[current]`, with every NetCon's weights for
    /// FOR_NETCONS (see [`Kernel::net_receive_all`]).
    fn net_init_all(
        &mut self,
        blk: &mut BlockData,
        instance: usize,
        all: &mut Vec<Vec<f64>>,
        current: usize,
        out: &mut Outbox,
    ) -> bool {
        self.net_init(blk, instance, &mut all[current], out)
    }
    /// NET_RECEIVE for one instance at time `t` (ms): `weights` is the delivering NetCon's weight
    /// vector (NET_RECEIVE may change it), `flag` 0 for NetCon events.
    fn net_receive(
        &mut self,
        _blk: &mut BlockData,
        _instance: usize,
        _weights: &mut [f64],
        _flag: f64,
        _t: f64,
        _out: &mut Outbox,
    ) {
    }
}

/// Where NEURON runs NMODL's BEFORE/AFTER blocks (the five it implements): around INITIAL at
/// finitialize, before the currents (BREAKPOINT), after the state update (SOLVE), and before
/// the step's recording (STEP, also at the end of finitialize).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BaPoint {
    BeforeInitial,
    AfterInitial,
    BeforeBreakpoint,
    AfterSolve,
    BeforeStep,
}

pub struct Block {
    pub data: BlockData,
    pub kernel: Box<dyn Kernel>,
    /// How the instances exchange a LONGITUDINAL_DIFFUSION state (None: the kernel has none).
    pub neighbours: Option<crate::ldifus::Neighbours>,
}

/// 1e2/area for each instance: nA → mA/cm² at its node (NEURON's point-process scaling). Areas
/// are fixed for the life of a lowered simulation, and a new lowering makes a new kernel.
pub fn point_scale(node: &[usize], area_um2: &[f64]) -> Vec<f64> {
    node.iter().map(|&nd| 1.0e2 / area_um2[nd]).collect()
}

/// NEURON's exp as generated mod code uses it: clamped to avoid overflow.
#[inline]
pub fn hoc_exp(x: f64) -> f64 {
    if x < -700.0 {
        0.0
    } else if x > 700.0 {
        700f64.exp()
    } else {
        x.exp()
    }
}

/// The mechanism registry: every built-in in NEURON's order (which is also the order currents are
/// added), then the mechanisms loaded at run time (NMODL), in load order. Entries live for the
/// whole process (leaked, so `info` can hand out `&'static`); loading a mechanism under a name
/// that exists appends a new entry and marks the old one superseded, so models built with the old
/// one keep a valid id until they move to the new one.
struct Registry {
    entries: Vec<&'static MechInfo>,
    /// For each entry, the entry that replaced it.
    superseded: Vec<Option<MechId>>,
}

fn registry_lock() -> &'static std::sync::RwLock<Registry> {
    use std::sync::{OnceLock, RwLock};
    static REG: OnceLock<RwLock<Registry>> = OnceLock::new();
    REG.get_or_init(|| {
        let builtins = vec![
            pas::info(),
            ions::info("na"),
            ions::info("k"),
            ions::info("ca"),
            hh::info(),
            iclamp::info(),
            alphasynapse::info(),
            expsyn::info(),
            exp2syn::info(),
            seclamp::info(),
            vclamp::info(),
            apcount::info(),
            netstim::info(),
            vecstim::info(),
            intfire1::info(),
            intfire2::info(),
            intfire4::info(),
            patternstim::info(),
        ];
        let entries: Vec<&'static MechInfo> = builtins.into_iter().map(|m| &*Box::leak(Box::new(m))).collect();
        let superseded = vec![None; entries.len()];
        RwLock::new(Registry { entries, superseded })
    })
}

fn read() -> std::sync::RwLockReadGuard<'static, Registry> {
    registry_lock().read().unwrap_or_else(|e| e.into_inner())
}

/// Every entry, indexed by MechId (superseded ones included).
pub fn registry() -> Vec<&'static MechInfo> {
    read().entries.clone()
}

/// The entries in use (not superseded), in registry order.
pub fn current() -> Vec<&'static MechInfo> {
    let r = read();
    r.entries.iter().zip(&r.superseded).filter(|(_, s)| s.is_none()).map(|(m, _)| *m).collect()
}

pub fn find(name: &str) -> Option<MechId> {
    let r = read();
    (0..r.entries.len()).rev().find(|&k| r.entries[k].name == name && r.superseded[k].is_none())
}

pub fn info(id: MechId) -> &'static MechInfo {
    read().entries[id]
}

/// The newest entry that replaced `id` (None when `id` is current).
pub fn replacement(id: MechId) -> Option<MechId> {
    let r = read();
    let mut at = r.superseded.get(id).copied().flatten()?;
    while let Some(next) = r.superseded[at] {
        at = next;
    }
    Some(at)
}

/// A global (`usetable_hh`) of a mechanism in use.
pub fn global_info(name: &str) -> Option<&'static GlobalInfo> {
    current().into_iter().flat_map(|m| &m.globals).find(|g| g.name == name && !g.external)
}

/// Adds a mechanism; one already registered under the same name is superseded by it.
pub fn register(info: MechInfo) -> MechId {
    let mut r = registry_lock().write().unwrap_or_else(|e| e.into_inner());
    let id = r.entries.len();
    if let Some(old) = (0..id).find(|&k| r.entries[k].name == info.name && r.superseded[k].is_none()) {
        r.superseded[old] = Some(id);
    }
    r.entries.push(Box::leak(Box::new(info)));
    r.superseded.push(None);
    id
}

/// The ion mechanism `{ion}_ion`, registered with NEURON's defaults for an unknown ion if it is new.
pub fn ensure_ion(ion: &str) -> MechId {
    find(&format!("{ion}_ion")).unwrap_or_else(|| register(ions::info(Box::leak(ion.to_string().into_boxed_str()))))
}
