//! The kernel IR per construct: tiny `.mod` sources compiled with [`rheobase_nmodl::compile`] and run by the
//! interpreter on one instance, checked against values computed by hand. Every run is repeated with the JIT's
//! native code on a copy of the instance, which must give the same values (to the last bits but for `exp`,
//! whose inline polynomial may differ from libm by an ulp).

use rheobase_nmodl::interp::{Instance, Interpreter};
use rheobase_nmodl::ir::{Program, SlotKind};
use rheobase_nmodl::jit::{self, Env, JitProgram, TableView};
use rheobase_nmodl::{compile, NmodlError};
use std::sync::Arc;

// ----------------------------------------------------------------------------------------------- helpers

/// One instance of a compiled mechanism with its own storage and interpreter.
struct Run {
    program: Arc<Program>,
    interp: Interpreter,
    /// None for programs the JIT leaves to the interpreter (derivimplicit).
    native: Option<JitProgram>,
    range: Vec<f64>,
    globals: Vec<f64>,
    v: f64,
    t: f64,
    dt: f64,
    celsius: f64,
    area: f64,
    diam: f64,
    warnings: Vec<NmodlError>,
}

fn render(errors: &[NmodlError]) -> String {
    errors.iter().map(|e| e.render()).collect::<Vec<_>>().join("\n")
}

impl Run {
    fn new(src: &str) -> Run {
        let compiled = match compile(src, Some("t.mod")) {
            Ok(c) => c,
            Err(e) => panic!("compile failed:\n{}", render(&e)),
        };
        let program = Arc::new(compiled.program);
        Run {
            range: program.range.iter().map(|s| s.default).collect(),
            globals: program.globals.iter().map(|g| g.default).collect(),
            interp: Interpreter::new(Arc::clone(&program)),
            native: jit::compile(&program),
            program,
            v: -65.0,
            t: 0.0,
            dt: 0.025,
            celsius: 6.3,
            area: 100.0,
            diam: 500.0,
            warnings: compiled.warnings,
        }
    }

    fn range_slot(&self, name: &str) -> Option<usize> {
        self.program.range.iter().position(|s| s.name == name)
    }
    fn global_slot(&self, name: &str) -> Option<usize> {
        self.program.globals.iter().position(|s| s.name == name)
    }

    /// A RANGE variable (or element `x[k]`), else a global.
    fn get(&self, name: &str) -> f64 {
        if let Some(k) = self.range_slot(name) {
            self.range[k]
        } else if let Some(k) = self.global_slot(name) {
            self.globals[k]
        } else {
            panic!("no variable `{name}` in {:?} / {:?}", self.program.range, self.program.globals)
        }
    }
    fn set(&mut self, name: &str, value: f64) {
        if let Some(k) = self.range_slot(name) {
            self.range[k] = value;
        } else if let Some(k) = self.global_slot(name) {
            self.globals[k] = value;
        } else {
            panic!("no variable `{name}`")
        }
    }

    /// Runs function `f`; panics on an interpreter fault.
    fn run(&mut self, f: usize, args: &[f64]) -> f64 {
        let r = self.run_faulty(f, args);
        if let Some(fault) = self.interp.take_fault() {
            panic!("interpreter fault: {fault}");
        }
        r
    }
    fn run_faulty(&mut self, f: usize, args: &[f64]) -> f64 {
        let (range0, globals0, v0) = (self.range.clone(), self.globals.clone(), self.v);
        let r = self.interpret(f, args);
        if self.native.is_some() {
            self.check_native(f, args, (range0, globals0, v0), r);
        }
        r
    }

    /// Runs `f` natively from the state before the interpreted run and compares the results.
    fn check_native(&mut self, f: usize, args: &[f64], before: (Vec<f64>, Vec<f64>, f64), expected: f64) {
        let (mut range, mut globals, v) = before;
        // Tables are built by the interpreter (as in the engine) from the state the native run starts from.
        let n = self.program.funcs.len();
        let mut views = vec![TableView::default(); n];
        let mut table_interp = Interpreter::new(Arc::clone(&self.program));
        for (g, view) in views.iter_mut().enumerate() {
            let mut scratch = range.clone();
            let mut inst = Instance {
                range: &mut scratch,
                globals: &mut globals,
                v,
                t: self.t,
                dt: self.dt,
                celsius: self.celsius,
                area: self.area,
                diam: self.diam,
                secondorder: 0.0,
                discontinuity: true,
            };
            if let Some((tmin, mfac, intervals, rows)) = table_interp.table(g, &mut inst) {
                *view = TableView { tmin, mfac, n: intervals as f64, rows: rows.as_ptr() };
            }
        }
        let cols: Vec<*mut f64> = range.iter_mut().map(|x| x as *mut f64).collect();
        let mut env = Env {
            cols: cols.as_ptr(),
            globals: globals.as_mut_ptr(),
            tables: views.as_ptr(),
            v,
            t: self.t,
            dt: self.dt,
            celsius: self.celsius,
            area: self.area,
            diam: self.diam,
            secondorder: 0.0,
            fault: 0,
            node: std::ptr::null(),
            node_v: std::ptr::null(),
            node_area: std::ptr::null(),
            node_diam: std::ptr::null(),
            node_rhs: std::ptr::null_mut(),
            node_d: std::ptr::null_mut(),
            ion_index: std::ptr::null(),
            ion_current: std::ptr::null(),
            ion_didv: std::ptr::null(),
            contiguous: 0,
            node_first: 0,
            scratch: std::ptr::null_mut(),
        };
        let native = self.native.as_ref().expect("checked by the caller");
        // SAFETY: one-element columns for every range slot, the program's globals, tables built above.
        let Some(got) = (unsafe { native.call_with(f, &mut env, 0, args) }) else { return };
        let close =
            |a: f64, b: f64| a == b || (a.is_nan() && b.is_nan()) || (a - b).abs() <= 1e-13 * a.abs().max(b.abs());
        assert!(close(got, expected), "JIT returned {got}, interpreter {expected}");
        for (k, (a, b)) in range.iter().zip(&self.range).enumerate() {
            assert!(close(*a, *b), "JIT left {} = {a}, interpreter {b}", self.program.range[k].name);
        }
        for (k, (a, b)) in globals.iter().zip(&self.globals).enumerate() {
            assert!(close(*a, *b), "JIT left global {} = {a}, interpreter {b}", self.program.globals[k].name);
        }
    }

    fn interpret(&mut self, f: usize, args: &[f64]) -> f64 {
        let mut inst = Instance {
            range: &mut self.range,
            globals: &mut self.globals,
            v: self.v,
            t: self.t,
            dt: self.dt,
            celsius: self.celsius,
            area: self.area,
            diam: self.diam,
            secondorder: 0.0,
            discontinuity: true,
        };
        let r = self.interp.call(f, args, &mut inst);
        self.v = inst.v;
        r
    }

    /// The state start values (`program.start`), then INITIAL.
    fn init(&mut self) {
        self.run(self.program.start, &[]);
        self.run(self.program.initial, &[]);
    }
    fn current(&mut self) {
        self.run(self.program.current, &[]);
    }
    fn step(&mut self) {
        self.run(self.program.state, &[]);
    }
    fn call(&mut self, name: &str, args: &[f64]) -> f64 {
        let f = self.program.func(name).unwrap_or_else(|| panic!("no function `{name}`"));
        self.run(f, args)
    }
}

/// A mechanism `t` with ASSIGNED `decls` whose INITIAL is `body`, initialised.
fn initial(decls: &str, body: &str) -> Run {
    let mut r = Run::new(&format!("NEURON {{ SUFFIX t }}\nASSIGNED {{ {decls} }}\nINITIAL {{\n{body}\n}}\n"));
    r.init();
    r
}

/// `initial` with a UNITS block.
fn initial_with_units(units: &str, decls: &str, body: &str) -> Run {
    let mut r = Run::new(&format!(
        "NEURON {{ SUFFIX t }}\nUNITS {{\n {units}\n}}\nASSIGNED {{ {decls} }}\nINITIAL {{\n{body}\n}}\n"
    ));
    r.init();
    r
}

/// The errors of a source that must not compile.
fn errors(src: &str) -> Vec<NmodlError> {
    match compile(src, Some("t.mod")) {
        Ok(_) => panic!("compiled, but should not have:\n{src}"),
        Err(e) => e,
    }
}

/// The first error is at `line:column`, its message contains `needle`, and it has the given `unsupported` flag.
fn assert_error(src: &str, line: usize, column: usize, needle: &str, unsupported: bool) {
    let e = errors(src);
    let first = &e[0];
    assert_eq!((first.line, first.column), (line, column), "{}", render(&e));
    assert!(first.message.contains(needle), "message {:?} lacks {needle:?}", first.message);
    assert_eq!(first.unsupported, unsupported, "{}", render(&e));
}

fn assert_rel(got: f64, want: f64, rel: f64) {
    let err = (got - want).abs();
    assert!(err <= rel * want.abs(), "got {got:e}, want {want:e} (relative error {:e})", err / want.abs());
}

// ----------------------------------------------------------------------------------------------- expressions

#[test]
fn arithmetic_and_power() {
    let r = initial(
        "a b c d e f g",
        "a = 1 + 2*3 - 4/8\n b = 2^3^2\n c = -2^2\n d = (-2)^3\n e = 7/2\n f = 2^0.5\n g = 1/0",
    );
    assert_eq!(r.get("a"), 6.5);
    assert_eq!(r.get("b"), 512.0); // right associative
    assert_eq!(r.get("c"), -4.0); // ^ binds tighter than unary minus
    assert_eq!(r.get("d"), -8.0);
    assert_eq!(r.get("e"), 3.5); // no integer division
    assert_eq!(r.get("f"), 2f64.sqrt());
    assert_eq!(r.get("g"), f64::INFINITY);
    let r = initial("a b c d", "a = -(3 - 5)\n b = --2\n c = !0\n d = !2.5");
    assert_eq!((r.get("a"), r.get("b"), r.get("c"), r.get("d")), (2.0, 2.0, 1.0, 0.0));
}

#[test]
fn comparisons_and_logic_give_one_or_zero() {
    let r = initial(
        "lt le gt ge eq ne lt2 ge2",
        "lt = 1 < 2\n le = 2 <= 2\n gt = 1 > 2\n ge = 1 >= 2\n \
         eq = 0.5 == 0.5\n ne = 3 != 3\n lt2 = 2 < 1\n ge2 = 3 >= 3",
    );
    let got: Vec<f64> = ["lt", "le", "gt", "ge", "eq", "ne", "lt2", "ge2"].iter().map(|n| r.get(n)).collect();
    assert_eq!(got, [1.0, 1.0, 0.0, 0.0, 1.0, 0.0, 0.0, 1.0]);
    let r = initial("a b c d e", "a = 2 && 3\n b = 2 && 0\n c = 0 || -1\n d = 0 || 0\n e = 1 < 2 && 3 > 2 || 0");
    let got: Vec<f64> = ["a", "b", "c", "d", "e"].iter().map(|n| r.get(n)).collect();
    assert_eq!(got, [1.0, 0.0, 1.0, 0.0, 1.0]);
}

#[test]
fn logical_operators_short_circuit() {
    let mut r = Run::new(
        "NEURON { SUFFIX t RANGE n, a, b, c }\nASSIGNED { n a b c }\n\
         FUNCTION bump() { n = n + 1  bump = 1 }\n\
         INITIAL { n = 0  a = 0 && bump()  b = 1 || bump()  c = 1 && bump() }",
    );
    r.init();
    assert_eq!((r.get("a"), r.get("b"), r.get("c")), (0.0, 1.0, 1.0));
    assert_eq!(r.get("n"), 1.0, "only the last && evaluates its right side");
}

#[test]
fn exp_saturates_like_hoc_exp() {
    let r = initial("a b c d", "a = exp(800)\n b = exp(700)\n c = exp(-800)\n d = exp(1)");
    assert_eq!(r.get("a"), r.get("b"));
    assert_eq!(r.get("b"), 700f64.exp());
    assert_eq!(r.get("c"), 0.0);
    assert_eq!(r.get("d"), std::f64::consts::E);
}

#[test]
fn math_builtins() {
    let x = 0.3f64;
    let cases: &[(&str, f64)] = &[
        ("log(0.3)", x.ln()),
        ("log10(1000)", 3.0),
        ("sqrt(2)", 2f64.sqrt()),
        ("fabs(-0.3)", 0.3),
        ("pow(2, 10)", 1024.0),
        ("sin(0.3)", x.sin()),
        ("cos(0.3)", x.cos()),
        ("tan(0.3)", x.tan()),
        ("asin(0.3)", x.asin()),
        ("acos(0.3)", x.acos()),
        ("atan(0.3)", x.atan()),
        ("atan2(1, -1)", 1f64.atan2(-1.0)),
        ("sinh(0.3)", x.sinh()),
        ("cosh(0.3)", x.cosh()),
        ("tanh(0.3)", x.tanh()),
        ("floor(-1.5)", -2.0),
        ("ceil(-1.5)", -1.0),
        ("fmod(7.5, 2)", 1.5),
        ("fmin(3, -4)", -4.0),
        ("fmax(3, -4)", 3.0),
    ];
    let decls: Vec<String> = (0..cases.len()).map(|k| format!("x{k}")).collect();
    let body: Vec<String> = cases.iter().enumerate().map(|(k, (e, _))| format!("x{k} = {e}")).collect();
    let r = initial(&decls.join(" "), &body.join("\n"));
    for (k, (e, want)) in cases.iter().enumerate() {
        assert_eq!(r.get(&format!("x{k}")), *want, "{e}");
    }
}

#[test]
fn remainder_is_c_fmod() {
    let r = initial("a b c", "a = 7 % 3\n b = -7 % 3\n c = 7.5 % 2");
    assert_eq!((r.get("a"), r.get("b"), r.get("c")), (1.0, -1.0, 1.5));
}

#[test]
fn specials_are_read_from_the_node() {
    let mut r = Run::new(
        "NEURON { SUFFIX t }\nASSIGNED { a b c d e f }\n\
         INITIAL { a = v  b = t  c = dt  d = celsius  e = area  f = diam }",
    );
    r.v = -42.0;
    r.t = 3.5;
    r.init();
    let got: Vec<f64> = ["a", "b", "c", "d", "e", "f"].iter().map(|n| r.get(n)).collect();
    assert_eq!(got, [-42.0, 3.5, 0.025, 6.3, 100.0, 500.0]);
}

// ----------------------------------------------------------------------------------------------- statements

#[test]
fn if_else_if_else_and_if_alone() {
    let mut r = Run::new(
        "NEURON { SUFFIX t }\n\
         FUNCTION sgn(x) {\n\
           if (x < 0) { sgn = -1 } else if (x == 0) { sgn = 0 } else if (x < 10) { sgn = 1 } else { sgn = 2 }\n\
         }",
    );
    let got: Vec<f64> = [-3.0, 0.0, 4.0, 12.0].iter().map(|&x| r.call("sgn", &[x])).collect();
    assert_eq!(got, [-1.0, 0.0, 1.0, 2.0]);
    let mut r = Run::new("NEURON { SUFFIX t }\nFUNCTION f(x) { f = 5  if (x) { f = 7 } }");
    assert_eq!((r.call("f", &[0.0]), r.call("f", &[1.0])), (5.0, 7.0));
}

#[test]
fn while_loop() {
    let mut r = Run::new(
        "NEURON { SUFFIX t }\n\
         FUNCTION sumto(n) { LOCAL i, s\n i = 0  s = 0\n while (i < n) { i = i + 1  s = s + i }\n sumto = s }",
    );
    assert_eq!(r.call("sumto", &[10.0]), 55.0);
    assert_eq!(r.call("sumto", &[0.0]), 0.0);
}

#[test]
fn from_loop_is_inclusive_with_by() {
    let mut r = Run::new(
        "NEURON { SUFFIX t }\n\
         FUNCTION f(a, b) { LOCAL i, s\n s = 0\n FROM i = a TO b { s = s + i }\n f = s }",
    );
    assert_eq!(r.call("f", &[1.0, 10.0]), 55.0);
    assert_eq!(r.call("f", &[3.0, 3.0]), 3.0);
    assert_eq!(r.call("f", &[5.0, 4.0]), 0.0, "no iteration when from > to");
    let mut r = Run::new(
        "NEURON { SUFFIX t }\n\
         FUNCTION up() { LOCAL i, s\n s = 0\n FROM i = 1 TO 10 BY 2 { s = s + i }\n up = s }\n\
         FUNCTION down() { LOCAL i, s\n s = 0\n FROM i = 10 TO 1 BY -3 { s = s + i }\n down = s }",
    );
    assert_eq!(r.call("up", &[]), 25.0); // 1 + 3 + 5 + 7 + 9
    assert_eq!(r.call("down", &[]), 22.0); // 10 + 7 + 4 + 1
}

#[test]
fn nested_from_loops() {
    let mut r = Run::new(
        "NEURON { SUFFIX t }\n\
         FUNCTION f() { LOCAL i, j, s\n s = 0\n FROM i = 1 TO 3 { FROM j = 1 TO i { s = s + 10*i + j } }\n f = s }",
    );
    // (11) + (21 + 22) + (31 + 32 + 33)
    assert_eq!(r.call("f", &[]), 150.0);
}

#[test]
fn locals_are_per_call_and_shadow_range_variables() {
    let mut r = Run::new(
        "NEURON { SUFFIX t RANGE a }\nASSIGNED { a }\n\
         FUNCTION f(x) { LOCAL a\n a = 2*x\n f = a + 1 }\n\
         INITIAL { a = 100 }",
    );
    r.init();
    assert_eq!(r.call("f", &[3.0]), 7.0);
    assert_eq!(r.get("a"), 100.0, "the LOCAL a is not the RANGE a");
}

#[test]
fn argument_named_v_shadows_the_membrane_potential() {
    let mut r = Run::new("NEURON { SUFFIX t }\nFUNCTION f(v) { f = 2*v }");
    r.v = -65.0;
    assert_eq!(r.call("f", &[10.0]), 20.0);
}

#[test]
fn local_arrays() {
    let mut r = Run::new(
        "NEURON { SUFFIX t }\n\
         FUNCTION f() { LOCAL a[4], i\n FROM i = 0 TO 3 { a[i] = i*i }\n f = a[0] + a[1] + a[2] + 10*a[3] }",
    );
    assert_eq!(r.call("f", &[]), 95.0); // 0 + 1 + 4 + 90
}

#[test]
fn assigned_arrays_with_index_expressions() {
    let mut r = Run::new(
        "NEURON { SUFFIX t RANGE g, s }\nASSIGNED { g[4] s }\n\
         INITIAL { LOCAL i, x\n FROM i = 0 TO 3 { g[i] = 10*i + 1 }\n x = 2.9\n s = g[1+1] + g[x] + g[3-3] }",
    );
    r.init();
    let g: Vec<f64> = (0..4).map(|k| r.get(&format!("g[{k}]"))).collect();
    assert_eq!(g, [1.0, 11.0, 21.0, 31.0]);
    assert_eq!(r.get("s"), 43.0, "an index is truncated toward zero");
}

#[test]
fn array_index_out_of_bounds_is_a_fault() {
    let mut r = Run::new("NEURON { SUFFIX t }\nASSIGNED { g[3] }\nFUNCTION f(k) { f = g[k] }");
    assert!(r.run_faulty(r.program.func("f").unwrap(), &[3.0]).is_nan());
    assert!(r.interp.take_fault().is_some_and(|f| f.contains("out of bounds")));
    assert_eq!(r.call("f", &[2.0]), 0.0);
}

#[test]
fn function_return_value_and_recursion() {
    let mut r = Run::new(
        "NEURON { SUFFIX t }\n\
         FUNCTION fact(n) { if (n <= 1) { fact = 1 } else { fact = n * fact(n - 1) } }\n\
         FUNCTION fib(n) { if (n < 2) { fib = n } else { fib = fib(n-1) + fib(n-2) } }",
    );
    assert_eq!(r.call("fact", &[5.0]), 120.0);
    assert_eq!(r.call("fact", &[10.0]), 3628800.0);
    assert_eq!(r.call("fib", &[15.0]), 610.0);
    let mut r = Run::new("NEURON { SUFFIX t }\nFUNCTION f(x) { LOCAL y\n y = x }");
    assert_eq!(r.call("f", &[3.0]), 0.0);
}

#[test]
fn functions_can_be_called_before_their_definition() {
    let mut r = Run::new(
        "NEURON { SUFFIX t }\nASSIGNED { a }\nINITIAL { a = twice(4) + 1 }\nFUNCTION twice(x) { twice = 2*x }",
    );
    r.init();
    assert_eq!(r.get("a"), 9.0);
}

#[test]
fn procedure_side_effects_on_range_and_global() {
    let mut r = Run::new(
        "NEURON { SUFFIX t RANGE r GLOBAL g }\nASSIGNED { r g }\n\
         PROCEDURE p(x) { r = r + x  g = 2*x }\n\
         INITIAL { r = 1  p(3)  p(4) }",
    );
    r.init();
    assert_eq!(r.get("r"), 8.0);
    assert!(r.range_slot("g").is_none() && r.global_slot("g").is_some());
    assert_eq!(r.get("g"), 8.0);
    let mut r = Run::new(
        "NEURON { SUFFIX t RANGE n }\nASSIGNED { n }\n\
         FUNCTION bump() { n = n + 1  bump = n }\nINITIAL { n = 0  bump()  bump() }",
    );
    r.init();
    assert_eq!(r.get("n"), 2.0);
}

// ----------------------------------------------------------------------------------------------- constants and units

#[test]
fn constant_and_define_as_value_and_array_size() {
    let mut r = Run::new(
        "NEURON { SUFFIX t }\nDEFINE N 3\nCONSTANT { c = 2.5 }\nASSIGNED { a b g[N] }\n\
         INITIAL { LOCAL i\n a = c*N\n FROM i = 0 TO N-1 { g[i] = i }\n b = g[N-1] }",
    );
    r.init();
    assert_eq!((r.get("a"), r.get("b")), (7.5, 2.0));
    assert_eq!(r.program.range.iter().filter(|s| s.name.starts_with("g[")).count(), 3);
    let mut r = Run::new(
        "NEURON { SUFFIX t }\nDEFINE N 5\n\
         FUNCTION f() { LOCAL a[N], i, s\n s = 0\n FROM i = 0 TO N-1 { a[i] = i }\n\
         FROM i = 0 TO N-1 { s = s + a[i] }\n f = s }",
    );
    assert_eq!(r.call("f", &[]), 10.0);
}

#[test]
fn units_factors_and_pi() {
    let r = initial_with_units(
        "FARADAY = (faraday) (coulomb)\n R = (k-mole) (joule/degC)\n kF = (faraday) (kilocoulomb)",
        "a b c d",
        "a = FARADAY\n b = R\n c = kF\n d = PI",
    );
    assert_eq!(r.get("a"), 96485.33212331001);
    assert_rel(r.get("b"), 8.31446261815324, 1e-14);
    assert_rel(r.get("c"), 96.48533212331001, 1e-15);
    assert_eq!(r.get("d"), std::f64::consts::PI);
    let r = initial_with_units(
        "mv = (millivolt) (volt)\n mm = (millimolar) (mole/m3)\n F = 96485.309 (coul)",
        "a b c",
        "a = mv\n b = mm\n c = F",
    );
    assert_rel(r.get("a"), 1e-3, 1e-15);
    // millimolar in mole/m3: 1e-3 mol / 1e-3 m³
    assert_rel(r.get("b"), 1.0, 1e-15);
    assert_eq!(r.get("c"), 96485.309);
}

// ----------------------------------------------------------------------------------------------- layout

#[test]
fn unlisted_parameter_is_an_exposed_global_and_range_parameter_a_slot_with_defaults() {
    let r = Run::new("NEURON { SUFFIX t RANGE gbar }\nPARAMETER { gbar = 0.1 (S/cm2)  p = 2 }");
    let gbar = r.range_slot("gbar").expect("gbar is RANGE");
    assert_eq!(r.program.range[gbar].kind, SlotKind::Parameter);
    assert_eq!(r.program.range[gbar].default, 0.1);
    assert_eq!(r.program.range[gbar].units, "S/cm2");
    assert!(r.range_slot("p").is_none());
    let p = &r.program.globals[r.global_slot("p").expect("p is a global")];
    assert!(p.exposed);
    assert_eq!(p.default, 2.0);
    let mut r = Run::new(
        "NEURON { SUFFIX t RANGE gbar, a }\nPARAMETER { gbar = 0.25  p = -3 }\nASSIGNED { a }\n\
         INITIAL { a = gbar * p }",
    );
    r.init();
    assert_eq!(r.get("a"), -0.75);
}

#[test]
fn layout_order_parameters_assigned_states() {
    let r = Run::new(
        "NEURON { SUFFIX t RANGE a, gbar, b GLOBAL ginf }\n\
         STATE { s1 s2 }\nASSIGNED { a ginf h b }\nPARAMETER { p = 1  gbar = 2 }\n\
         BREAKPOINT { SOLVE d METHOD cnexp }\nDERIVATIVE d { s1' = -s1  s2' = -s2 }",
    );
    let layout: Vec<(&str, SlotKind)> = r.program.range.iter().map(|s| (s.name.as_str(), s.kind)).collect();
    assert_eq!(
        layout,
        [
            ("gbar", SlotKind::Parameter),
            ("a", SlotKind::Assigned),
            ("h", SlotKind::Hidden), // an unlisted ASSIGNED is per instance but not visible
            ("b", SlotKind::Assigned),
            ("s1", SlotKind::State),
            ("s2", SlotKind::State),
        ]
    );
    let ginf = &r.program.globals[r.global_slot("ginf").expect("GLOBAL assigned")];
    assert!(ginf.exposed);
    assert!(r.global_slot("p").is_some_and(|k| r.program.globals[k].exposed));
}

#[test]
fn file_scope_local_is_a_hidden_global() {
    let mut r = Run::new(
        "NEURON { SUFFIX t }\nLOCAL k\nASSIGNED { a }\nPROCEDURE setk(x) { k = x }\nINITIAL { setk(4)  a = k + 1 }",
    );
    r.init();
    let k = r.global_slot("k").expect("file-scope LOCAL is a global");
    assert!(!r.program.globals[k].exposed);
    assert_eq!((r.globals[k], r.get("a")), (4.0, 5.0));
}

// ----------------------------------------------------------------------------------------------- currents

#[test]
fn breakpoint_assigns_nonspecific_current() {
    let mut r = Run::new(
        "NEURON { SUFFIX t NONSPECIFIC_CURRENT i RANGE g, e }\nUNITS { (mA) = (milliamp) (mV) = (millivolt) }\n\
         PARAMETER { g = 0.001 (S/cm2)  e = -70 (mV) }\nASSIGNED { v (mV) i (mA/cm2) }\n\
         BREAKPOINT { i = g*(v - e) }",
    );
    let i = r.range_slot("i").expect("i is a range slot");
    assert_eq!(r.program.currents, [i as u32]);
    r.v = -50.0;
    r.current();
    assert_eq!(r.get("i"), 0.001 * 20.0);
}

#[test]
fn ion_current_is_listed_in_currents() {
    let mut r = Run::new(
        "NEURON { SUFFIX t USEION na READ ena WRITE ina RANGE g }\nPARAMETER { g = 0.5 }\nASSIGNED { v ena ina }\n\
         BREAKPOINT { ina = g*(v - ena) }",
    );
    let ina = r.range_slot("ina").expect("ina copy");
    assert_eq!(r.program.currents, [ina as u32]);
    r.set("ena", 50.0);
    r.v = -10.0;
    r.current();
    assert_eq!(r.get("ina"), -30.0);
}

#[test]
fn current_function_does_not_advance_states() {
    let mut r = Run::new(
        "NEURON { SUFFIX t NONSPECIFIC_CURRENT i }\nSTATE { x }\nASSIGNED { i }\n\
         INITIAL { x = 1 }\nBREAKPOINT { SOLVE d METHOD cnexp\n i = x }\nDERIVATIVE d { x' = -x }",
    );
    r.init();
    r.current();
    assert_eq!((r.get("x"), r.get("i")), (1.0, 1.0));
    r.step();
    assert_eq!(r.get("x"), 1.0 + (1.0 - (-0.025f64).exp()) * (0.0 - 1.0));
}

// ----------------------------------------------------------------------------------------------- SOLVE methods

const RELAX: &str = "NEURON { SUFFIX t RANGE xinf, tau }\nPARAMETER { xinf = 0.7  tau = 2 }\nSTATE { x }\n\
                     INITIAL { x = 0.2 }\nBREAKPOINT { SOLVE d METHOD cnexp }\nDERIVATIVE d { x' = (xinf - x)/tau }";

#[test]
fn cnexp_on_linear_relaxation_is_exact() {
    let mut r = Run::new(RELAX);
    assert!(r.warnings.is_empty(), "{}", render(&r.warnings));
    r.init();
    let mut x = 0.2f64;
    for _ in 0..5 {
        r.step();
        x += (1.0 - (-0.025f64 / 2.0).exp()) * (0.7 - x);
        assert_rel(r.get("x"), x, 1e-15);
    }
}

#[test]
fn cnexp_with_rates_procedure_and_v() {
    let mut r = Run::new(
        "NEURON { SUFFIX t RANGE minf, mtau }\nSTATE { m }\nASSIGNED { v minf mtau }\n\
         INITIAL { rates(v)  m = minf }\nBREAKPOINT { SOLVE d METHOD cnexp }\n\
         DERIVATIVE d { rates(v)  m' = (minf - m)/mtau }\n\
         PROCEDURE rates(v) { minf = 1/(1 + exp(-v/10))  mtau = 1 + v*v/1000 }",
    );
    r.v = -65.0;
    r.init();
    let minf = |v: f64| 1.0 / (1.0 + (-v / 10.0).exp());
    let m0 = minf(-65.0);
    assert_eq!(r.get("m"), m0);
    r.v = -20.0;
    r.step();
    let tau: f64 = 1.0 + 400.0 / 1000.0;
    let want = m0 + (1.0 - (-0.025 / tau).exp()) * (minf(-20.0) - m0);
    assert_rel(r.get("m"), want, 1e-14);
}

#[test]
fn cnexp_without_the_state_on_the_right_is_forward_euler() {
    let mut r = Run::new(
        "NEURON { SUFFIX t RANGE a }\nPARAMETER { a = 3 }\nSTATE { x }\nINITIAL { x = 1 }\n\
         BREAKPOINT { SOLVE d METHOD cnexp }\nDERIVATIVE d { x' = a }",
    );
    r.init();
    r.step();
    assert_eq!(r.get("x"), 1.0 + 0.025 * 3.0);
}

#[test]
fn cnexp_linear_with_two_terms() {
    // x' = -x/tau + a*(1 - x) = a - (1/tau + a)·x: x∞ = a/(1/tau + a), rate 1/tau + a
    let mut r = Run::new(
        "NEURON { SUFFIX t }\nPARAMETER { a = 0.5  tau = 4 }\nSTATE { x }\nINITIAL { x = 0.1 }\n\
         BREAKPOINT { SOLVE d METHOD cnexp }\nDERIVATIVE d { x' = -x/tau + a*(1 - x) }",
    );
    r.init();
    r.step();
    let (a, tau, x0, dt) = (0.5f64, 4.0f64, 0.1f64, 0.025f64);
    let k = 1.0 / tau + a;
    let want = x0 + (1.0 - (-dt * k).exp()) * (a / k - x0);
    assert_rel(r.get("x"), want, 1e-14);
}

#[test]
fn cnexp_nonlinear_falls_back_to_derivimplicit_with_a_warning() {
    let mut r = Run::new(
        "NEURON { SUFFIX t }\nSTATE { x }\nINITIAL { x = 2 }\nBREAKPOINT { SOLVE d METHOD cnexp }\n\
         DERIVATIVE d { x' = -x*x }",
    );
    assert!(r.warnings.iter().any(|w| w.message.contains("derivimplicit")), "{}", render(&r.warnings));
    r.init();
    r.step();
    // backward Euler: x = x0 - dt x²  ⇒  dt x² + x - x0 = 0
    let (dt, x0) = (0.025f64, 2.0f64);
    let want = (-1.0 + (1.0 + 4.0 * dt * x0).sqrt()) / (2.0 * dt);
    assert_rel(r.get("x"), want, 1e-12);
    assert_rel(r.get("x"), x0 - dt * r.get("x") * r.get("x"), 1e-12);
}

#[test]
fn derivimplicit_linear_two_states_is_backward_euler() {
    let mut r = Run::new(
        "NEURON { SUFFIX t }\nPARAMETER { a = 2  b = 0.5  c = 1  d = 3 }\nSTATE { x y }\n\
         INITIAL { x = 1  y = -0.5 }\nBREAKPOINT { SOLVE ds METHOD derivimplicit }\n\
         DERIVATIVE ds { x' = -a*x + b*y  y' = c*x - d*y }",
    );
    r.dt = 0.1;
    r.init();
    r.step();
    // (I - dt A) [x y]ᵀ = [x0 y0]ᵀ with A = [[-a, b], [c, -d]]
    let (a, b, c, d, dt) = (2.0f64, 0.5f64, 1.0f64, 3.0f64, 0.1f64);
    let (m11, m12, m21, m22) = (1.0 + dt * a, -dt * b, -dt * c, 1.0 + dt * d);
    let det = m11 * m22 - m12 * m21;
    let (x0, y0) = (1.0, -0.5);
    let x = (m22 * x0 - m12 * y0) / det;
    let y = (m11 * y0 - m21 * x0) / det;
    assert_rel(r.get("x"), x, 1e-12);
    assert_rel(r.get("y"), y, 1e-12);
}

#[test]
fn derivimplicit_on_array_states() {
    let mut r = Run::new(
        "NEURON { SUFFIX t }\nSTATE { s[2] }\nINITIAL { s[0] = 1  s[1] = 0 }\n\
         BREAKPOINT { SOLVE ds METHOD derivimplicit }\nDERIVATIVE ds { s'[0] = -s[0]  s'[1] = s[0] - 2*s[1] }",
    );
    r.init();
    r.step();
    let dt = 0.025f64;
    let s0 = 1.0 / (1.0 + dt);
    let s1 = dt * s0 / (1.0 + 2.0 * dt);
    assert_rel(r.get("s[0]"), s0, 1e-12);
    assert_rel(r.get("s[1]"), s1, 1e-12);
}

#[test]
fn solve_without_method_is_derivimplicit() {
    let mut r = Run::new(
        "NEURON { SUFFIX t }\nSTATE { x }\nINITIAL { x = 1 }\nBREAKPOINT { SOLVE d }\nDERIVATIVE d { x' = -4*x }",
    );
    r.init();
    r.step();
    assert_rel(r.get("x"), 1.0 / (1.0 + 4.0 * 0.025), 1e-12);
}

#[test]
fn steadystate_derivimplicit_is_neurons_step_of_1e_9_ms() {
    // NEURON 9.0.2 gives x = 0.10000000012 here (checked with nrnivmodl): one backward-Euler step of 1e-9 ms,
    // during which the block sees dt = 1e-9 too; the step's dt is back afterwards.
    let mut r = Run::new(
        "NEURON { SUFFIX t RANGE seen }\nPARAMETER { tau = 5  xinf = 0.7 }\nASSIGNED { seen }\nSTATE { x }\n\
         INITIAL { x = 0.1  SOLVE d STEADYSTATE derivimplicit }\nBREAKPOINT { SOLVE d METHOD derivimplicit }\n\
         DERIVATIVE d { seen = dt  x' = (xinf - x)/tau }",
    );
    r.init();
    assert_rel(r.get("x"), 0.1 + 1e-9 * 0.6 / (5.0 + 1e-9), 1e-15);
    assert_eq!(r.get("seen"), 1e-9);
    r.step();
    assert_eq!(r.get("seen"), 0.025);
}

#[test]
fn steadystate_of_a_derivative_block_follows_nocmodls_rules() {
    let head = "NEURON { SUFFIX t }\nSTATE { x }\nDERIVATIVE d { x' = -x }\n";
    assert_error(
        &format!("{head}INITIAL {{ SOLVE d STEADYSTATE sparse }}\nBREAKPOINT {{ SOLVE d METHOD derivimplicit }}"),
        4,
        31,
        "takes derivimplicit, not sparse",
        false,
    );
    assert_error(
        &format!("{head}INITIAL {{ SOLVE d STEADYSTATE derivimplicit }}\nBREAKPOINT {{ SOLVE d METHOD cnexp }}"),
        4,
        31,
        "every SOLVE of `d` to use METHOD derivimplicit (another uses cnexp)",
        false,
    );
}

#[test]
fn euler_uses_old_values_of_every_state() {
    let mut r = Run::new(
        "NEURON { SUFFIX t }\nSTATE { x y }\nINITIAL { x = 1  y = 2 }\nBREAKPOINT { SOLVE d METHOD euler }\n\
         DERIVATIVE d { x' = y  y' = -x*x }",
    );
    r.dt = 0.1;
    r.init();
    r.step();
    assert_eq!(r.get("x"), 1.0 + 0.1 * 2.0);
    assert_eq!(r.get("y"), 2.0 - 0.1 * 1.0); // y - dt·x_old²
}

#[test]
fn solve_of_a_procedure_runs_it_once_per_step() {
    let mut r = Run::new(
        "NEURON { SUFFIX t RANGE n }\nASSIGNED { n }\nINITIAL { n = 0 }\n\
         BREAKPOINT { SOLVE p }\nPROCEDURE p() { n = n + 1 }",
    );
    r.init();
    r.step();
    r.step();
    assert_eq!(r.get("n"), 2.0);
}

#[test]
fn state_start_value() {
    let mut r = Run::new("NEURON { SUFFIX t }\nSTATE { x START 0.3  y }\nINITIAL { y = x + 1 }");
    r.init();
    assert_eq!((r.get("x"), r.get("y")), (0.3, 1.3));
    r.set("x0", 0.5); // the hidden start-value global
    r.init();
    assert_eq!(r.get("x"), 0.5);
}

#[test]
fn states_start_from_zero_before_initial() {
    let mut r =
        Run::new("NEURON { SUFFIX t RANGE seen }\nSTATE { x }\nASSIGNED { seen }\nINITIAL { seen = x + 1  x = 5 }");
    r.set("x", 42.0);
    r.init();
    assert_eq!((r.get("seen"), r.get("x")), (1.0, 5.0));
}

// ----------------------------------------------------------------------------------------------- TABLE

const TABLE_PROC: &str = "NEURON { SUFFIX t RANGE minf GLOBAL k }\nPARAMETER { k = 2 }\nASSIGNED { minf }\n\
     PROCEDURE rates(x) {\n TABLE minf DEPEND k FROM -10 TO 10 WITH 20\n minf = k*x*x\n}";

#[test]
fn table_procedure_interpolates_between_grid_points() {
    let mut r = Run::new(TABLE_PROC);
    assert_eq!(r.get("usetable"), 1.0);
    r.call("rates", &[0.5]);
    assert_eq!(r.get("minf"), 1.0); // halfway between k·0² = 0 and k·1² = 2
    r.call("rates", &[2.25]);
    assert_eq!(r.get("minf"), 8.0 + 0.25 * (18.0 - 8.0));
    r.call("rates", &[3.0]);
    assert_eq!(r.get("minf"), 18.0, "a grid point is exact");
}

#[test]
fn table_clamps_outside_its_range() {
    let mut r = Run::new(TABLE_PROC);
    r.call("rates", &[-25.0]);
    assert_eq!(r.get("minf"), 200.0);
    r.call("rates", &[11.0]);
    assert_eq!(r.get("minf"), 200.0);
}

#[test]
fn table_is_rebuilt_when_depend_changes() {
    let mut r = Run::new(TABLE_PROC);
    r.call("rates", &[0.5]);
    assert_eq!(r.get("minf"), 1.0);
    r.set("k", 3.0);
    r.call("rates", &[0.5]);
    assert_eq!(r.get("minf"), 1.5);
}

#[test]
fn usetable_zero_uses_the_exact_procedure() {
    let mut r = Run::new(TABLE_PROC);
    r.set("usetable", 0.0);
    r.call("rates", &[0.5]);
    assert_eq!(r.get("minf"), 0.5);
    r.call("rates", &[11.0]);
    assert_eq!(r.get("minf"), 242.0);
}

const TABLE_FN: &str = "NEURON { SUFFIX t GLOBAL k }\nPARAMETER { k = 1 }\n\
     FUNCTION cube(x) {\n TABLE DEPEND k FROM 0 TO 4 WITH 4\n cube = k*x*x*x\n}";

#[test]
fn table_function_interpolates_and_clamps() {
    let mut r = Run::new(TABLE_FN);
    assert_eq!(r.call("cube", &[1.5]), 0.5 * (1.0 + 8.0));
    assert_eq!(r.call("cube", &[3.75]), 27.0 + 0.75 * (64.0 - 27.0));
    assert_eq!(r.call("cube", &[-1.0]), 0.0);
    assert_eq!(r.call("cube", &[9.0]), 64.0);
    r.set("k", 2.0);
    assert_eq!(r.call("cube", &[1.5]), 9.0);
    r.set("usetable", 0.0);
    assert_eq!(r.call("cube", &[1.5]), 2.0 * 3.375);
}

#[test]
fn table_function_called_from_an_expression() {
    let mut r = Run::new(
        "NEURON { SUFFIX t RANGE a }\nASSIGNED { a }\nINITIAL { a = 1 + sq(0.5) }\n\
         FUNCTION sq(x) {\n TABLE FROM 0 TO 2 WITH 2\n sq = x*x\n}",
    );
    r.init();
    assert_eq!(r.get("a"), 1.5);
}

#[test]
fn table_with_two_outputs_depending_on_celsius() {
    let mut r = Run::new(
        "NEURON { SUFFIX t RANGE a, b }\nASSIGNED { a b }\n\
         PROCEDURE rates(x) {\n TABLE a, b DEPEND celsius FROM 0 TO 10 WITH 10\n a = celsius*x  b = -x\n}",
    );
    r.celsius = 6.0;
    r.call("rates", &[2.5]);
    assert_eq!((r.get("a"), r.get("b")), (15.0, -2.5));
    r.celsius = 10.0;
    r.call("rates", &[2.5]);
    assert_eq!(r.get("a"), 25.0, "a new celsius rebuilds the table");
}

// ----------------------------------------------------------------------------------------------- errors

#[test]
fn error_wrong_number_of_arguments_to_function_procedure_builtin() {
    let src = "NEURON { SUFFIX t }\nASSIGNED { a }\nFUNCTION f(x) { f = x }\nINITIAL {\n  a = 1 + f(1, 2)\n}\n";
    assert_error(src, 5, 11, "takes 1 arguments, 2 given", false);
    let src = "NEURON { SUFFIX t }\nPROCEDURE p(x, y) { }\nINITIAL {\n    p(1)\n}\n";
    assert_error(src, 4, 5, "takes 2 arguments, 1 given", false);
    let src = "NEURON { SUFFIX t }\nASSIGNED { a }\nINITIAL { a = exp(1, 2) }\n";
    assert_error(src, 3, 15, "`exp` takes 1 arguments", false);
}

#[test]
fn error_assigning_to_a_constant() {
    let src = "NEURON { SUFFIX t }\nCONSTANT { c = 1 }\nINITIAL {\n\tc = 2\n}\n";
    assert_error(src, 4, 2, "constant", false);
}

#[test]
fn error_column_counts_characters_not_bytes() {
    let src = "NEURON { SUFFIX t }\nCONSTANT { c = 1 }\nINITIAL { printf(\"µµ\") c = 2 }\n";
    assert_error(src, 3, 24, "constant", false);
}

#[test]
fn error_array_without_index() {
    let src = "NEURON { SUFFIX t }\nASSIGNED { g[3] a }\nINITIAL {\n  a = 2*g\n}\n";
    assert_error(src, 4, 9, "give an index", false);
    let src = "NEURON { SUFFIX t }\nASSIGNED { g[3] }\nINITIAL { g = 1 }\n";
    assert_error(src, 3, 11, "give an index", false);
}

#[test]
fn error_index_on_a_scalar() {
    let src = "NEURON { SUFFIX t }\nASSIGNED { a }\nINITIAL { a[0] = 1 }\n";
    assert_error(src, 3, 11, "not an array", false);
}

#[test]
fn error_procedure_used_as_a_value() {
    let src = "NEURON { SUFFIX t }\nASSIGNED { a }\nPROCEDURE p() { }\nINITIAL { a = p() }\n";
    assert_error(src, 4, 15, "PROCEDURE", false);
}

#[test]
fn error_unknown_unit_in_units_factor() {
    let src = "NEURON { SUFFIX t }\nUNITS {\n  X = (blorf) (coulomb)\n}\n";
    assert_error(src, 3, 7, "unknown unit `blorf`", false);
}

// ---------------------------------------------------------------------------------------------- KINETIC (sparse)

#[test]
fn kinetic_linear_scheme_is_one_backward_euler_step() {
    let mut r = Run::new(
        "NEURON { SUFFIX t }\nSTATE { A B }\nINITIAL { A = 1 }\nBREAKPOINT { SOLVE kin METHOD sparse }\n\
         KINETIC kin {\n ~ A <-> B (1, 2)\n}\n",
    );
    r.init();
    r.step();
    // (I − dt·J)·x = x_old with J = [[−1, 2], [1, −2]]: det = 1 + 3dt.
    let dt = 0.025;
    assert!((r.get("A") - (1.0 + 2.0 * dt) / (1.0 + 3.0 * dt)).abs() < 1e-15);
    assert!((r.get("B") - dt / (1.0 + 3.0 * dt)).abs() < 1e-15);
}

#[test]
fn kinetic_steady_state_with_conserve_and_compartment() {
    // Steady state of A <-> B (1, 2) with A + B = 1: A = 2/3. The compartment weights A's equation, which
    // changes the transient but not the steady state or the (volume-weighted) conservation.
    let mut r = Run::new(
        "NEURON { SUFFIX t }\nSTATE { A B }\nINITIAL { A = 1  SOLVE kin STEADYSTATE sparse }\n\
         BREAKPOINT { SOLVE kin METHOD sparse }\n\
         KINETIC kin {\n COMPARTMENT 1 {A B}\n ~ A <-> B (1, 2)\n CONSERVE A + B = 1\n}\n",
    );
    r.init();
    // NEURON's steady state is a backward-Euler step of 1e9 ms: exact to about 1e-10 here.
    assert!((r.get("A") - 2.0 / 3.0).abs() < 1e-9, "A = {}", r.get("A"));
    assert!((r.get("B") - 1.0 / 3.0).abs() < 1e-9);
    r.step();
    assert!((r.get("A") + r.get("B") - 1.0).abs() < 1e-14);
}

#[test]
fn kinetic_fluxes_and_nonlinear_scheme() {
    // 2A -> B (k) is nonlinear: Newton until Σ|Δ| ≤ 1e-6, which for this step is the backward-Euler root
    // A_new = A_old − 2k·dt·A_new², to well below the tolerance; `~ A << (f)` adds f to A's equation and
    // f_flux/b_flux read the last reaction's fluxes.
    let mut r = Run::new(
        "NEURON { SUFFIX t }\nSTATE { A B }\nASSIGNED { ff bf }\nINITIAL { A = 1 }\n\
         BREAKPOINT { SOLVE kin METHOD sparse }\n\
         KINETIC kin {\n ~ 2A -> B (0.5)\n ff = f_flux  bf = b_flux\n ~ B << (0.25)\n}\n",
    );
    r.init();
    r.step();
    let dt: f64 = 0.025;
    // A: dt·A² + A − 1 = 0 (2·k = 1).
    let a = (-1.0 + (1.0 + 4.0 * dt).sqrt()) / (2.0 * dt);
    assert!((r.get("A") - a).abs() < 1e-9, "A = {} expected {a}", r.get("A"));
    // B gains half of A's loss (stoichiometry 2) plus the flux.
    assert!((r.get("B") - ((1.0 - r.get("A")) / 2.0 + 0.25 * dt)).abs() < 1e-12);
    assert!((r.get("ff") - 0.5 * r.get("A").powi(2)).abs() < 1e-12);
    assert_eq!(r.get("bf"), 0.0);
}

#[test]
fn kinetic_by_euler_steps_its_derivative_form() {
    // 2A -> B (k) with B in a compartment of volume 2: A' = −2k·A², B' = k·A²/2, one forward step; CONSERVE ignored.
    let mut r = Run::new(
        "NEURON { SUFFIX t }\nSTATE { A B }\nINITIAL { A = 1 }\nBREAKPOINT { SOLVE kin METHOD euler }\n\
         KINETIC kin {\n COMPARTMENT 2 { B }\n ~ 2A -> B (0.5)\n CONSERVE A = 5\n}\n",
    );
    r.init();
    r.step();
    assert_eq!(r.get("A"), 1.0 - 0.025);
    assert_eq!(r.get("B"), 0.025 * 0.5 / 2.0);
}

#[test]
fn kinetic_methods_nocmodl_refuses_are_errors() {
    let src =
        "NEURON { SUFFIX k }\nSTATE { a b }\nBREAKPOINT { SOLVE kin METHOD cnexp }\nKINETIC kin { ~ a <-> b (1, 2) }\n";
    assert_error(src, 3, 31, "METHOD cnexp can't be used with the KINETIC block `kin`", false);
}

#[test]
fn derivative_without_method_warns_that_neuron_leaves_it_alone() {
    let r = Run::new("NEURON { SUFFIX t }\nSTATE { x }\nBREAKPOINT { SOLVE d }\nDERIVATIVE d { x' = -x }");
    assert!(r.warnings.iter().any(|w| w.message.contains("without a METHOD")), "{}", render(&r.warnings));
}

#[test]
fn longitudinal_diffusion_lists_each_state_element_with_its_values() {
    // The engine diffuses (state, value, volume) slots after the solves; the values are the statement's and the
    // COMPARTMENT's expressions at each element.
    let mut r = Run::new(
        "NEURON { SUFFIX t }\nSTATE { c[2]  s }\nPARAMETER { D = 2 }\nBREAKPOINT { SOLVE k METHOD sparse }\n\
         KINETIC k {\n COMPARTMENT i, 10 * (i + 1) { c }\n LONGITUDINAL_DIFFUSION i, D * (i + 1) { c }\n\
         LONGITUDINAL_DIFFUSION D { s }\n ~ c[0] <-> c[1] (1, 1)\n}\n",
    );
    let d = r.program.diffusion.clone().expect("diffusion");
    assert_eq!(d.slots.len(), 3);
    r.run(d.func, &[]);
    let got: Vec<(f64, f64)> = d.slots.iter().map(|&(_, d, v)| (r.range[d as usize], r.range[v as usize])).collect();
    assert_eq!(got, [(2.0, 10.0), (4.0, 20.0), (2.0, 1.0)]);
}

#[test]
fn longitudinal_diffusion_outside_kinetic_is_an_error() {
    let src = "NEURON { SUFFIX t }\nSTATE { s }\nINITIAL {\n  LONGITUDINAL_DIFFUSION 1 { s }\n}\n";
    assert_error(src, 4, 3, "LONGITUDINAL_DIFFUSION belongs in a KINETIC block", false);
}

#[test]
fn net_receive_in_a_density_mechanism_is_an_error() {
    let src = "NEURON { SUFFIX t }\nASSIGNED { a }\nNET_RECEIVE (w) {\n a = w\n}\n";
    let e = errors(src);
    assert!(!e[0].unsupported, "{}", render(&e));
    assert_eq!((e[0].line, e[0].column), (3, 1));
    assert!(e[0].message.contains("NET_RECEIVE"));
}

#[test]
fn assigned_pointers_are_marked_for_writing_back() {
    let mut r = Run::new("NEURON { POINT_PROCESS t POINTER p, q }\nASSIGNED { p q y }\nINITIAL {\n  p = 2  y = q\n}\n");
    r.init();
    assert_eq!(r.get("p"), 2.0);
    let kind = |name: &str| r.program.range.iter().find(|s| s.name == name).unwrap().kind;
    assert_eq!(kind("p"), SlotKind::Pointer { written: true });
    assert_eq!(kind("q"), SlotKind::Pointer { written: false });
}

#[test]
fn unsupported_nontrivial_verbatim() {
    let src = "NEURON { SUFFIX t }\nASSIGNED { a }\nINITIAL {\n  a = 1\nVERBATIM\n  printf(\"hi\");\nENDVERBATIM\n}\n";
    let e = errors(src);
    assert!(e[0].unsupported, "{}", render(&e));
    assert_eq!(e[0].line, 5, "{}", render(&e));
    assert!(e[0].message.contains("VERBATIM"));
}

#[test]
fn trivial_verbatim_is_accepted() {
    let src = "NEURON { SUFFIX t }\nVERBATIM\n#include <stdlib.h>\nENDVERBATIM\n\
               FUNCTION f(x) {\n f = 2*x\nVERBATIM\n return 0;\nENDVERBATIM\n}\n";
    let mut r = Run::new(src);
    // the C `return 0;` is ignored: the value is what the NMODL statements assign
    assert_eq!(r.call("f", &[3.0]), 6.0);
}

#[test]
fn unsupported_method_sparse_on_derivative() {
    let src = "NEURON { SUFFIX t }\nSTATE { x }\nBREAKPOINT {\n  SOLVE d METHOD sparse\n}\nDERIVATIVE d { x' = -x }\n";
    assert_error(src, 4, 18, "sparse", true);
}

#[test]
fn watch_outside_net_receive_and_on_its_arguments() {
    let src = "NEURON { POINT_PROCESS Syn }\nASSIGNED { v }\nINITIAL {\n  WATCH (v > 0) 2\n}\n";
    assert_error(src, 4, 3, "WATCH belongs in NET_RECEIVE", false);
    let src = "NEURON { POINT_PROCESS Syn }\nASSIGNED { v }\nNET_RECEIVE (w) {\n  WATCH (v > w) 2\n}\n";
    assert_error(src, 4, 10, "WATCH condition cannot read NET_RECEIVE's arguments", false);
}

#[test]
fn for_netcons_outside_net_receive() {
    let src = "NEURON { POINT_PROCESS Syn }\nINITIAL {\n  FOR_NETCONS (x) { x = 1 }\n}\n";
    assert_error(src, 3, 3, "FOR_NETCONS belongs in NET_RECEIVE", false);
}

// ----------------------------------------------------------------------------------------------- NEURON divergences

// nocmodl translates `FROM i = a TO b BY c { … }` to
// `{int _li; for (_li = (int)a; _li <= (int)b; _li += (int)c) {…}}` (parse1.ypp, `fromstmt` and `intexpr`):
// the loop variable is a C int and every name in the bounds is cast to int.
#[test]
fn from_loop_bounds_are_truncated_to_integers() {
    let mut r = Run::new(
        "NEURON { SUFFIX t }\nFUNCTION f(a, b) { LOCAL i, s\n s = 0\n FROM i = a TO b { s = s + i }\n f = s }",
    );
    assert_eq!(r.call("f", &[0.5, 2.7]), 3.0); // 0 + 1 + 2, not 0.5 + 1.5 + 2.5
}

// … and, being a C `for`, its upper bound is tested again before every iteration.
#[test]
fn from_loop_upper_bound_is_tested_every_iteration() {
    let mut r = Run::new(
        "NEURON { SUFFIX t }\n\
         FUNCTION f() { LOCAL i, s, n\n n = 3  s = 0\n FROM i = 0 TO n { s = s + 1  n = 1 }\n f = s }",
    );
    assert_eq!(r.call("f", &[]), 2.0); // i = 0, 1; then 2 <= 1 fails
}

// An index is an `intexpr` in nocmodl: each name is cast to int before the (integer) arithmetic.
#[test]
fn index_arithmetic_is_integer_arithmetic() {
    let mut r = Run::new(
        "NEURON { SUFFIX t }\nASSIGNED { g[4] }\nINITIAL { g[2] = 20  g[3] = 30 }\nFUNCTION f(k) { f = g[k*2] }",
    );
    r.init();
    assert_eq!(r.call("f", &[1.5]), 20.0); // g[(int)1.5 * 2] = g[2]
}

// nocmodl queues a SOLVE in INITIAL like one in BREAKPOINT (solve.cpp: solvequeue/solvhandler run solv_diffeq for
// any block type), so INITIAL integrates once; rheobase must either do that or refuse it as unsupported.
#[test]
fn solve_in_initial_is_run_or_refused() {
    let src =
        "NEURON { SUFFIX t }\nSTATE { x }\nINITIAL {\n  x = 1\n  SOLVE d METHOD euler\n}\nDERIVATIVE d { x' = 1 }\n";
    match compile(src, Some("t.mod")) {
        Err(e) => assert!(e[0].unsupported && e[0].line == 5, "{}", render(&e)),
        Ok(_) => {
            let mut r = Run::new(src);
            r.init();
            assert_eq!(r.get("x"), 1.0 + 0.025);
        }
    }
}

// ------------------------------------------------------------------------------------------------------ random

#[test]
fn legacy_random_functions_reproduce_neuron() {
    // NEURON 9.0.2 after set_seed(1): exprand(1), normrand(0, 1), then scop_random() (its 32-bit LCG).
    let mut r = Run::new(
        "NEURON { SUFFIX t }\nASSIGNED { a b c }\nINITIAL { set_seed(1)  a = exprand(1)  b = normrand(0, 1)  c = scop_random() }",
    );
    r.init();
    assert_eq!(r.get("a"), 0.5014501958829883);
    assert_eq!(r.get("b"), 0.11322306471060281);
    assert_eq!(r.get("c"), 0.6630631158275211);
    // poisrand(mean) after set_seed(1), as NEURON 9.0.2 compiled by nrnivmodl gives them.
    let mut r = Run::new(
        "NEURON { SUFFIX t }\nASSIGNED { a b c }\nINITIAL { set_seed(1)  a = poisrand(3)  b = poisrand(0.5)  c = poisrand(20) }",
    );
    r.init();
    assert_eq!((r.get("a"), r.get("b"), r.get("c")), (6.0, 0.0, 16.0));
}

// ------------------------------------------------------------------------------------------------ conductance

#[test]
fn linear_currents_get_their_exact_conductance_in_one_evaluation() {
    let mut r = Run::new(
        "NEURON { SUFFIX t  USEION na READ ena WRITE ina  NONSPECIFIC_CURRENT il  RANGE gna }\n\
         PARAMETER { gnabar = 0.12  gl = 0.0003  el = -54.3 }\nASSIGNED { v  ena  ina  il  gna }\n\
         BREAKPOINT { gna = gnabar * 0.5  ina = gna * (v - ena)  il = gl * (v - el)  gna = 0 }",
    );
    let c = r.program.conductance.clone().expect("linear currents");
    r.set("ena", 50.0);
    r.run(c.func, &[]);
    // gna is assigned 0 after ina: the derivative of ina was captured with gna = 0.06.
    assert!((r.get("<g>") - (0.06 + 0.0003)).abs() < 1e-15);
    assert!((r.get("<dina>") - 0.06).abs() < 1e-15);
    assert!((r.get("ina") - 0.06 * (-65.0 - 50.0)).abs() < 1e-12);
}

#[test]
fn nonlinear_or_branching_currents_keep_the_finite_difference() {
    for body in ["i = g * v * v", "i = g / v", "if (v > 0) { i = g * v } else { i = 0 }", "i = g * exp(v)"] {
        let r = Run::new(&format!(
            "NEURON {{ SUFFIX t  NONSPECIFIC_CURRENT i }}\nPARAMETER {{ g = 1 }}\nASSIGNED {{ v  i }}\nBREAKPOINT {{ {body} }}"
        ));
        assert!(r.program.conductance.is_none(), "{body}");
    }
}
