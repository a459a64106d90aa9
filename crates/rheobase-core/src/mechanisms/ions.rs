//! Ions (na_ion, k_ion, ca_ion): per segment the reversal potential, the inner and outer
//! concentrations, the total current and its derivative. The current is zeroed at the start of
//! each current evaluation; mechanisms that WRITE the ion add to it.

use super::*;

/// NEURON's physical constants (2018 CODATA, exact): Faraday (C/mol) and the gas constant (J/(K·mol)).
pub const FARADAY: f64 = 1.602176634e-19 * 6.02214076e23;
pub const GAS_CONSTANT: f64 = 1.380649e-23 * 6.02214076e23;

/// NEURON's nrn_nernst: the reversal potential (mV) of an ion of valence z at temperature celsius (°C).
pub fn nernst(ci: f64, co: f64, z: f64, celsius: f64) -> f64 {
    let ktf = 1000.0 * GAS_CONSTANT * (celsius + 273.15) / FARADAY;
    if z == 0.0 {
        0.0
    } else if ci <= 0.0 {
        1e6
    } else if co <= 0.0 {
        -1e6
    } else {
        ktf / z * (co / ci).ln()
    }
}

/// NEURON's default valence of an ion (its `USEION … VALENCE` otherwise).
pub fn valence(ion: &str) -> f64 {
    if ion == "ca" {
        2.0
    } else {
        1.0
    }
}

/// An ion block's globals: the initial concentrations (`cai0_ca_ion`, `cao0_ca_ion`, mM), then the style the
/// lowering derives from the mechanisms present (NEURON's ion_style): concentrations reset at finitialize,
/// reversal potential from the Nernst equation at finitialize, and at every step.
pub const CI0: usize = 0;
pub const CO0: usize = 1;
pub const STYLE_CINIT: usize = 2;
pub const STYLE_EINIT: usize = 3;
pub const STYLE_EADVANCE: usize = 4;
pub const STYLE_VALENCE: usize = 5;

/// Variable indices inside an ion block.
pub const E: usize = 0; // mV
pub const CI: usize = 1; // mM
pub const CO: usize = 2; // mM
pub const I: usize = 3; // mA/cm²
pub const DIDV: usize = 4; // S/cm²

/// NEURON's defaults (membdef.h): reversal potential (mV), inner and outer concentration (mM).
pub fn defaults(ion: &str) -> (f64, f64, f64) {
    match ion {
        "na" => (50.0, 10.0, 140.0),
        "k" => (-77.0, 54.4, 2.5),
        // 12.5·ln(cao/cai): NEURON's default eca at 6.3 °C rounded to this formula.
        "ca" => (12.5 * (2.0f64 / 5e-5).ln(), 5e-5, 2.0),
        _ => (0.0, 1.0, 1.0),
    }
}

pub fn info(ion: &'static str) -> MechInfo {
    let (e, ci, co) = defaults(ion);
    let leak = |s: String| -> &'static str { Box::leak(s.into_boxed_str()) };
    let p = VarKind::Parameter;
    MechInfo {
        name: leak(format!("{ion}_ion")),
        kind: MechKind::Ion,
        vars: vec![
            VarInfo { name: leak(format!("e{ion}")), units: "mV", default: e, kind: p },
            VarInfo { name: leak(format!("{ion}i")), units: "mM", default: ci, kind: p },
            VarInfo { name: leak(format!("{ion}o")), units: "mM", default: co, kind: p },
            VarInfo { name: leak(format!("i{ion}")), units: "mA/cm2", default: 0.0, kind: VarKind::Assigned },
            VarInfo { name: leak(format!("di{ion}_dv_")), units: "S/cm2", default: 0.0, kind: VarKind::Assigned },
        ],
        ions: vec![ion],
        globals: vec![
            GlobalInfo { name: leak(format!("{ion}i0_{ion}_ion")), default: ci, external: false },
            GlobalInfo { name: leak(format!("{ion}o0_{ion}_ion")), default: co, external: false },
        ],
        electrode_current: false,
        weights: &[],
        ion_conc: Vec::new(),
        make_kernel: std::sync::Arc::new(|| Box::new(Ion)),
    }
}

struct Ion;

/// The style flags of an ion block (all off when the lowering set none).
fn style(blk: &BlockData, flag: usize) -> f64 {
    blk.globals.get(flag).copied().unwrap_or(0.0)
}

/// e = nernst(ci, co) at every instance.
fn nernst_all(blk: &mut BlockData, celsius: f64) {
    let z = style(blk, STYLE_VALENCE);
    let [e, ci, co, ..] = &mut blk.vars[..] else { unreachable!("five ion variables") };
    for ((e, &ci), &co) in e.iter_mut().zip(ci.iter()).zip(co.iter()) {
        *e = nernst(ci, co, z, celsius);
    }
}

impl Kernel for Ion {
    fn initialize(&mut self, blk: &mut BlockData, _: &mut [Block], nv: &mut NodeView) {
        if style(blk, STYLE_CINIT) != 0.0 {
            let (ci0, co0) = (blk.globals[CI0], blk.globals[CO0]);
            blk.vars[CI].fill(ci0);
            blk.vars[CO].fill(co0);
        }
        if style(blk, STYLE_EINIT) != 0.0 {
            nernst_all(blk, nv.celsius);
        }
    }

    fn current(&mut self, blk: &mut BlockData, _: &mut [Block], nv: &mut NodeView) {
        blk.vars[I].fill(0.0);
        blk.vars[DIDV].fill(0.0);
        // A mechanism writes the concentrations: e follows them, from the previous step's values.
        if style(blk, STYLE_EADVANCE) != 0.0 {
            nernst_all(blk, nv.celsius);
        }
    }

    fn advance_state(&mut self, _: &mut BlockData, _: &mut [Block], _: &mut NodeView) {}
}
