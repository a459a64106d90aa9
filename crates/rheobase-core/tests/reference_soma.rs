//! The engine without Python: NEURON's reference hh soma (L = diam = 12.6157 µm, IClamp 0.1 nA
//! at 2 ms for 0.5 ms) gives NEURON 9.0.2's numbers: v(5 ms) = 2.072422956293058 mV and the
//! first sample above 10 mV at t = 3.95 ms.

use rheobase_core::recording::{Schedule, Target};
use rheobase_core::Model;

#[test]
fn reference_hh_soma_matches_neuron() {
    let mut m = Model::new();
    let soma = m.add_section("soma");
    m.set_length(soma, 12.6157).unwrap();
    m.set_diam(soma, None, 12.6157).unwrap();
    m.insert(soma, "hh").unwrap();
    let stim = m.point_new("IClamp", Some((soma, 0.5))).unwrap();
    for (var, value) in [("del", 2.0), ("dur", 0.5), ("amp", 0.1)] {
        m.point_set(stim, var, value).unwrap();
    }
    let v = m.record(Target::Voltage { sec: soma, x: 0.5 }, Schedule::EveryStep).unwrap();
    let t = m.record(Target::Time, Schedule::EveryStep).unwrap();
    m.finitialize(Some(-65.0)).unwrap();
    while !m.continuerun_part(40.0, 1, u64::MAX).unwrap() {}
    let (v, t) = (m.record_take(v), m.record_take(t));
    assert_eq!(v.len(), 1601);
    assert!((t[1600] - 40.0).abs() < 1e-9);
    assert!((v[200] - 2.072422956293058).abs() < 1e-6, "v(5 ms) = {}", v[200]);
    let first_above = v.iter().position(|&x| x > 10.0).unwrap();
    assert!((t[first_above] - 3.95).abs() < 1e-9);
}

#[test]
fn bad_values_leave_the_model_unchanged() {
    let mut m = Model::new();
    let s = m.add_section("s");
    assert!(m.set_nseg(s, 0).is_err());
    assert!(m.set_length(s, f64::NAN).is_err());
    assert!(m.set_diam(s, Some(1.5), 3.0).is_err());
    assert!(m.insert(s, "hhh").unwrap_err().to_string().contains("did you mean 'hh'"));
    let sec = m.section(s).unwrap();
    assert_eq!((sec.nseg(), sec.length_um, sec.diam_um[0]), (1, 100.0, 500.0));
}
