//! Ions (na_ion, k_ion, ca_ion): per segment the reversal potential, the inner and outer
//! concentrations, the total current and its derivative. The current is zeroed at the start of
//! each current evaluation; mechanisms that WRITE the ion add to it.

use super::*;

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
        globals: vec![],
        electrode_current: false,
        weights: &[],
        make_kernel: std::sync::Arc::new(|| Box::new(Ion)),
    }
}

struct Ion;

impl Kernel for Ion {
    fn initialize(&mut self, _: &mut BlockData, _: &mut [Block], _: &mut NodeView) {}

    fn current(&mut self, blk: &mut BlockData, _: &mut [Block], _: &mut NodeView) {
        blk.vars[I].fill(0.0);
        blk.vars[DIDV].fill(0.0);
    }

    fn advance_state(&mut self, _: &mut BlockData, _: &mut [Block], _: &mut NodeView) {}
}
