//! The semantic pass: mechanism descriptions of the bundled and shipped files, and error positions.

use rheobase_nmodl::sema::*;
use rheobase_nmodl::{analyse, parse, NmodlError};
mod common;

use std::path::Path;

fn analyse_src(src: &str) -> Result<Mechanism, Vec<NmodlError>> {
    let program = parse(src, Some("t.mod")).unwrap_or_else(|e| panic!("{}", e[0].render()));
    analyse(&program, src, Some("t.mod"))
}

fn ok(src: &str) -> Mechanism {
    analyse_src(src).unwrap_or_else(|e| panic!("{}", e.iter().map(|e| e.render()).collect::<Vec<_>>().join("\n")))
}

/// The single error of `src`, as (line, column, message).
fn err(src: &str) -> (usize, usize, String) {
    let errs = analyse_src(src).expect_err("expected an error");
    assert_eq!(errs.len(), 1, "{errs:?}");
    (errs[0].line, errs[0].column, errs[0].message.clone())
}

fn data_file(name: &str) -> Mechanism {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(name);
    analyse_path(&path)
}

fn analyse_path(path: &Path) -> Mechanism {
    let src = std::fs::read_to_string(path).unwrap();
    let name = path.display().to_string();
    let program = parse(&src, Some(&name)).unwrap_or_else(|e| panic!("{}", e[0].render()));
    analyse(&program, &src, Some(&name))
        .unwrap_or_else(|e| panic!("{name}:\n{}", e.iter().map(|e| e.render()).collect::<Vec<_>>().join("\n")))
}

fn names(m: &Mechanism, kind: VarKind) -> Vec<&str> {
    m.variables.iter().filter(|v| v.kind == kind).map(|v| v.name.as_str()).collect()
}

#[test]
fn hh() {
    let m = data_file("hh.mod");
    assert_eq!(m.name, "hh");
    assert_eq!(m.kind, MechanismKind::Density);
    assert!(m.threadsafe);
    let na = m.ion("na").unwrap();
    assert_eq!((na.read.clone(), na.write.clone(), na.valence), (vec!["ena".into()], vec!["ina".into()], None));
    let k = m.ion("k").unwrap();
    assert_eq!((k.read.clone(), k.write.clone()), (vec!["ek".to_string()], vec!["ik".to_string()]));
    assert_eq!(m.nonspecific_currents, ["il"]);
    assert_eq!(names(&m, VarKind::Parameter), ["gnabar", "gkbar", "gl", "el"]);
    assert_eq!(names(&m, VarKind::State), ["m", "h", "n"]);
    assert_eq!(names(&m, VarKind::Assigned), ["gna", "gk", "il", "minf", "hinf", "ninf", "mtau", "htau", "ntau"]);
    for n in ["gnabar", "gkbar", "gl", "el", "gna", "gk", "m", "h", "n"] {
        assert_eq!(m.variable(n).unwrap().visibility, Visibility::Range, "{n}");
    }
    // The wheel's hh.mod comments out `GLOBAL minf …` and declares them RANGE.
    for n in ["minf", "hinf", "ninf", "mtau", "htau", "ntau"] {
        let v = m.variable(n).unwrap();
        assert_eq!((v.visibility, v.listed), (Visibility::Range, true), "{n}");
    }
    let gnabar = m.variable("gnabar").unwrap();
    assert_eq!(gnabar.units.as_deref(), Some("S/cm2"));
    assert_eq!(gnabar.default.as_ref().unwrap().value, Some(0.12));
    assert_eq!(gnabar.range, Some((0.0, 1e9)));
    let el = m.variable("el").unwrap();
    assert_eq!(
        (el.default.as_ref().unwrap().value, el.default.as_ref().unwrap().text.as_str()),
        (Some(-54.3), "-54.3")
    );
    assert_eq!(m.variable("mtau").unwrap().units.as_deref(), Some("ms"));
    // v, celsius and ion variables are not the mechanism's own.
    assert!(m.variable("v").is_none() && m.variable("ena").is_none() && m.variable("ina").is_none());
    let foreign: Vec<&str> = m.foreign.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(foreign, ["v", "celsius", "ena", "ek", "ina", "ik"]);
    assert_eq!(m.foreign[0].special, Some(Special::V));
    assert_eq!(m.foreign[2].ion.as_deref(), Some("na"));
    // Blocks.
    let solves: Vec<_> = m.breakpoint_solves().map(|s| (s.block.as_str(), s.method.as_deref(), s.target)).collect();
    assert_eq!(solves, [("states", Some("cnexp"), SolvableKind::Derivative)]);
    assert_eq!(m.solvables.len(), 1);
    assert!(m.has_initial && m.has_breakpoint && m.net_receive.is_none());
    let fnames: Vec<_> = m.functions.iter().map(|f| (f.name.as_str(), f.params.clone())).collect();
    assert_eq!(fnames, [("vtrap", vec!["x".to_string(), "y".to_string()])]);
    assert_eq!(m.procedures[0].name, "rates");
    assert_eq!(m.procedures[0].params, ["v"]);
    let t = &m.tables[0];
    assert_eq!(t.owner, "rates");
    assert_eq!(t.names, ["minf", "mtau", "hinf", "htau", "ninf", "ntau"]);
    assert_eq!(t.depend, ["celsius"]);
    assert_eq!((t.from_value, t.to_value, t.with_value), (Some(-100.0), Some(100.0), Some(200.0)));
    assert_eq!(t.from, "-100");
    assert!(m.verbatim.is_empty());
    assert!(m.warnings.is_empty(), "{:?}", m.warnings);
}

#[test]
fn expsyn() {
    let m = data_file("expsyn.mod");
    assert_eq!((m.name.as_str(), m.kind), ("ExpSyn", MechanismKind::Point));
    assert_eq!(m.nonspecific_currents, ["i"]);
    assert!(m.ions.is_empty());
    assert_eq!(names(&m, VarKind::Parameter), ["tau", "e"]);
    assert_eq!(names(&m, VarKind::State), ["g"]);
    assert_eq!(names(&m, VarKind::Assigned), ["i"]);
    assert_eq!(m.variable("tau").unwrap().visibility, Visibility::Range);
    assert_eq!(m.variable("tau").unwrap().range, Some((1e-9, 1e9)));
    assert_eq!(m.net_receive.as_deref(), Some(&["weight".to_string()][..]));
    assert_eq!(m.breakpoint_solves().next().unwrap().method.as_deref(), Some("cnexp"));
}

#[test]
fn netstim() {
    let m = data_file("netstim.mod");
    assert_eq!((m.name.as_str(), m.kind), ("NetStim", MechanismKind::Artificial));
    assert_eq!(m.randoms, ["ranvar"]);
    assert_eq!(names(&m, VarKind::Parameter), ["interval", "number", "start", "noise"]);
    for n in ["interval", "number", "start", "noise"] {
        assert_eq!(m.variable(n).unwrap().visibility, Visibility::Range);
    }
    assert!(m.net_receive.is_some());
    assert!(!m.verbatim.is_empty());
    assert!(m.breakpoint_solves().next().is_none());
    assert!(m.functions.iter().any(|f| f.name == "invl"));
}

#[test]
fn cabpump() {
    let m = data_file("cabpump.mod");
    assert_eq!((m.name.as_str(), m.kind), ("cadifpmp", MechanismKind::Density));
    let ca = m.ion("ca").unwrap();
    assert!(ca.write.contains(&"ica".to_string()));
    let nann = m.constants.iter().find(|c| c.name == "NANN").unwrap();
    assert_eq!((nann.origin, nann.value), (ConstantOrigin::Define, Some(10.0)));
    let faraday = m.constants.iter().find(|c| c.name == "FARADAY").unwrap();
    assert_eq!(faraday.origin, ConstantOrigin::Units);
    let s = m.breakpoint_solves().next().unwrap();
    assert_eq!((s.target, s.method.as_deref()), (SolvableKind::Kinetic, Some("sparse")));
    // Arrays sized by a DEFINE.
    let arr = m.variables.iter().find_map(|v| v.array.clone());
    let arr = arr.or_else(|| m.foreign.iter().find_map(|f| f.array.clone())).unwrap();
    assert_eq!(arr.elements(), Some(10));
    assert!(m
        .solves
        .iter()
        .any(|s| s.steadystate.as_deref() == Some("sparse") && s.context == Context::Function("ss".into())));
}

#[test]
fn nacaex() {
    let m = data_file("nacaex.mod");
    assert_eq!(m.kind, MechanismKind::Density);
    let ions: Vec<&str> = m.ions.iter().map(|i| i.name.as_str()).collect();
    assert!(ions.contains(&"na") && ions.contains(&"ca"), "{ions:?}");
    assert!(m.has_breakpoint);
}

#[test]
fn visibility_rules() {
    let m = ok("NEURON { SUFFIX x RANGE a GLOBAL c }
        PARAMETER { a = 1 b = 2 (mV) <0, 10> }
        ASSIGNED { c d[3] }
        STATE { s }");
    let vis = |n: &str| m.variable(n).unwrap().visibility;
    assert_eq!(vis("a"), Visibility::Range);
    assert_eq!(vis("b"), Visibility::Global);
    assert_eq!(vis("c"), Visibility::Global);
    assert_eq!(vis("d"), Visibility::Range);
    assert_eq!(vis("s"), Visibility::Range);
    assert_eq!(m.variable("d").unwrap().array, Some(ArraySize::Fixed(3)));
    assert!(!m.variable("d").unwrap().listed);
}

#[test]
fn resolution_accepts_scoped_names() {
    ok("NEURON { POINT_PROCESS p  POINTER pp }
        PARAMETER { a = 1 }  ASSIGNED { x pp }  STATE { s }
        INITIAL { LOCAL q  q = a  s = s0  FROM i = 0 TO 2 { x = i } }
        FUNCTION f(y) { f = y * PI + exp(y) }
        PROCEDURE p2() { x = f(t) + dt + celsius + area + diam + v }
        NET_RECEIVE(w) { if (flag == 1) { net_event(t) } else { net_send(w, 1) } }");
}

#[test]
fn warnings_for_undeclared_range() {
    let m = ok("NEURON { SUFFIX x RANGE nothere }");
    assert_eq!(m.warnings.len(), 1);
    assert_eq!((m.warnings[0].line, m.warnings[0].column), (1, 25));
}

#[test]
fn error_undeclared_identifier() {
    let (l, c, msg) = err("NEURON { SUFFIX x }\nASSIGNED { y }\nINITIAL {\n  y = 2 * zz\n}");
    assert_eq!((l, c), (4, 11));
    assert!(msg.contains("undeclared identifier `zz`"), "{msg}");
    let (l, c, _) = err("NEURON { SUFFIX x }\nBREAKPOINT {\n    w = 1\n}");
    assert_eq!((l, c), (3, 5));
    // A LOCAL is not visible outside its block.
    let (l, c, _) = err("NEURON { SUFFIX x }\nASSIGNED { y }\nINITIAL { { LOCAL q } y = q }");
    assert_eq!((l, c), (3, 27));
    let (l, c, msg) = err("NEURON { SUFFIX x }\nINITIAL { nope(1) }");
    assert_eq!((l, c), (2, 11));
    assert!(msg.contains("function `nope`"), "{msg}");
}

#[test]
fn error_solve_missing_block() {
    let (l, c, msg) = err("NEURON { SUFFIX x }\nBREAKPOINT {\n  SOLVE states METHOD cnexp\n}");
    assert_eq!((l, c), (3, 9));
    assert!(msg.contains("`states`"), "{msg}");
}

#[test]
fn error_derivative_of_non_state() {
    let (l, c, msg) = err("NEURON { SUFFIX x }\nASSIGNED { a }\nSTATE { s }\nDERIVATIVE d {\n  s' = -s\n  a' = 1\n}");
    assert_eq!((l, c), (6, 3));
    assert!(msg.contains("not a STATE"), "{msg}");
}

#[test]
fn error_duplicate_declaration() {
    let (l, c, msg) = err("NEURON { SUFFIX x }\nPARAMETER { g = 1 }\nASSIGNED {\n  g\n}");
    assert_eq!((l, c), (4, 3));
    assert!(msg.contains("declared twice (first declared at 2:13)"), "{msg}");
}

#[test]
fn error_no_name() {
    let (l, c, msg) = err("UNITS { (mV) = (millivolt) }\nNEURON {\n  RANGE a\n}\nPARAMETER { a }");
    assert_eq!((l, c), (2, 1));
    assert!(msg.contains("SUFFIX"), "{msg}");
    let (l, c, _) = err("PARAMETER { a }");
    assert_eq!((l, c), (1, 1));
}

#[test]
fn neuron_wheel_share_mod_files_analyse() {
    let Some(files) = common::wheel_mod_files() else { return };
    for f in &files {
        let m = analyse_path(f);
        assert!(!m.name.is_empty());
    }
    eprintln!("analysed {} .mod files from the neuron wheel", files.len());
    assert!(files.len() >= 18, "found {}", files.len());
}
