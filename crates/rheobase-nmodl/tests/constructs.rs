//! Per-construct snippets with exact AST shape assertions.

use rheobase_nmodl::ast::*;
use rheobase_nmodl::parse;

fn prog(src: &str) -> Program {
    match parse(src, Some("t.mod")) {
        Ok(p) => p,
        Err(e) => panic!("{}", e.iter().map(|e| e.render()).collect::<Vec<_>>().join("\n")),
    }
}

fn only_block(src: &str) -> BlockKind {
    let p = prog(src);
    assert_eq!(p.blocks.len(), 1, "{:?}", p.blocks);
    p.blocks.into_iter().next().unwrap().kind
}

/// The statements of the single INITIAL/BREAKPOINT/… block in `src`.
fn body(src: &str) -> Vec<Stmt> {
    match only_block(src) {
        BlockKind::Initial(b) | BlockKind::Breakpoint(b) => b.stmts,
        BlockKind::Derivative { body, .. } | BlockKind::Kinetic { body, .. } | BlockKind::Linear { body, .. } => {
            body.stmts
        }
        BlockKind::NonLinear { body, .. } | BlockKind::NetReceive { body, .. } => body.stmts,
        BlockKind::Function(f) | BlockKind::Procedure(f) => f.body.stmts,
        other => panic!("unexpected block {other:?}"),
    }
}

/// Parse `x = <e>` in an INITIAL block and return the right side as an S-expression.
fn rhs(e: &str) -> String {
    let stmts = body(&format!("INITIAL {{ x = {e} }}"));
    match &stmts[0].kind {
        StmtKind::Assign { rhs, .. } => rhs.sexpr(),
        k => panic!("{k:?}"),
    }
}

#[test]
fn power_binds_tighter_than_unary_minus_and_is_right_associative() {
    assert_eq!(rhs("-x^2"), "(- (^ x 2))");
    assert_eq!(rhs("2^3^2"), "(^ 2 (^ 3 2))");
    assert_eq!(rhs("2^-x^2"), "(^ 2 (- (^ x 2)))");
    assert_eq!(rhs("-2*3"), "(* (- 2) 3)");
    assert_eq!(rhs("a*b^c"), "(* a (^ b c))");
    assert_eq!(rhs("(-x)^2"), "(^ (- x) 2)");
}

#[test]
fn arithmetic_relational_and_logical_precedence() {
    assert_eq!(rhs("a + b * c - d / e"), "(- (+ a (* b c)) (/ d e))");
    assert_eq!(rhs("a - b - c"), "(- (- a b) c)");
    assert_eq!(rhs("a < b + 1 && c >= d || !e == f"), "(|| (&& (< a (+ b 1)) (>= c d)) (== (! e) f))");
    assert_eq!(rhs("a != b"), "(!= a b)");
    assert_eq!(rhs("!(a <= b)"), "(! (<= a b))");
}

#[test]
fn numbers_in_all_forms() {
    assert_eq!(rhs("1e-3 + .5 + 5. + 2.5E+4 + 10"), "(+ (+ (+ (+ 1e-3 .5) 5.) 2.5E+4) 10)");
    let stmts = body("INITIAL { x = .5 }");
    let StmtKind::Assign { rhs, .. } = &stmts[0].kind else { panic!() };
    let ExprKind::Number { value, .. } = &rhs.kind else { panic!() };
    assert_eq!(value.value, 0.5);
    assert_eq!(value.span, 14..16);
}

#[test]
fn calls_arrays_builtins_and_units_on_numbers() {
    assert_eq!(rhs("exp(-v/18 (mV)) * fabs(a[i+1])"), "(* exp((/ (- v) 18(mV))) fabs(a[(+ i 1)]))");
    assert_eq!(rhs("1(um)*f()"), "(* 1(um) f())");
    assert_eq!(rhs("ghk(v, cai, cao)"), "ghk(v, cai, cao)");
}

#[test]
fn spans_cover_source_text() {
    let src = "INITIAL { x = a + b*c }";
    let stmts = body(src);
    assert_eq!(&src[stmts[0].span.clone()], "x = a + b*c");
    let StmtKind::Assign { lhs, rhs } = &stmts[0].kind else { panic!() };
    assert_eq!(&src[lhs.span.clone()], "x");
    assert_eq!(&src[rhs.span.clone()], "a + b*c");
    let p = prog(src);
    assert_eq!(p.blocks[0].span, 0..src.len());
}

#[test]
fn neuron_block_statements() {
    let src = "NEURON {
        SUFFIX hh
        USEION na READ ena WRITE ina
        USEION ca READ cai, cao WRITE ica VALENCE 2
        NONSPECIFIC_CURRENT il
        ELECTRODE_CURRENT i
        RANGE gnabar, gkbar
        GLOBAL minf, mtau
        POINTER p
        EXTERNAL ext
        THREADSAFE
        RANDOM rv
    }";
    let BlockKind::Neuron(stmts) = only_block(src) else { panic!() };
    let kinds: Vec<NeuronStmtKind> = stmts.into_iter().map(|s| s.kind).collect();
    let names = |v: &[Ident]| v.iter().map(|i| i.name.clone()).collect::<Vec<_>>();
    assert!(matches!(&kinds[0], NeuronStmtKind::Suffix(i) if i.name == "hh"));
    match &kinds[2] {
        NeuronStmtKind::UseIon { ion, read, write, valence, .. } => {
            assert_eq!(ion.name, "ca");
            assert_eq!(names(read), ["cai", "cao"]);
            assert_eq!(names(write), ["ica"]);
            assert_eq!(valence.as_ref().unwrap().value, 2.0);
        }
        k => panic!("{k:?}"),
    }
    assert!(matches!(&kinds[3], NeuronStmtKind::NonspecificCurrent(v) if names(v) == ["il"]));
    assert!(matches!(&kinds[4], NeuronStmtKind::ElectrodeCurrent(v) if names(v) == ["i"]));
    assert!(matches!(&kinds[5], NeuronStmtKind::Range(v) if names(v) == ["gnabar", "gkbar"]));
    assert!(matches!(&kinds[6], NeuronStmtKind::Global(v) if names(v) == ["minf", "mtau"]));
    assert!(matches!(&kinds[7], NeuronStmtKind::Pointer(_)));
    assert!(matches!(&kinds[8], NeuronStmtKind::External(_)));
    assert!(matches!(&kinds[9], NeuronStmtKind::Threadsafe(v) if v.is_empty()));
    assert!(matches!(&kinds[10], NeuronStmtKind::Random(_)));
    assert_eq!(kinds.len(), 11);
}

#[test]
fn parameter_defaults_units_and_ranges() {
    let src = "PARAMETER {
        gnabar = .12 (S/cm2) <0,1e9>
        vhalf = -40 (mV) < -100, 100 >
        celsius (degC)
        n[3] = 1
    }";
    let BlockKind::Parameter(d) = only_block(src) else { panic!() };
    assert_eq!(d.len(), 4);
    assert_eq!(d[0].name.name, "gnabar");
    assert_eq!(d[0].default.as_ref().unwrap().value, 0.12);
    assert_eq!(d[0].units.as_ref().unwrap().text, "S/cm2");
    match d[0].range.as_ref().unwrap() {
        Limits::Range { lo, hi, .. } => assert_eq!((lo.value, hi.value), (0.0, 1e9)),
        r => panic!("{r:?}"),
    }
    assert_eq!(d[1].default.as_ref().unwrap().value, -40.0);
    assert_eq!(d[1].default.as_ref().unwrap().text, "-40");
    assert!(
        matches!(d[1].range.as_ref().unwrap(), Limits::Range { lo, hi, .. } if lo.value == -100.0 && hi.value == 100.0)
    );
    assert!(d[2].default.is_none());
    assert_eq!(d[2].units.as_ref().unwrap().text, "degC");
    assert!(matches!(&d[3].dim, Some(Dim::Number(n)) if n.value == 3.0));
    assert_eq!(&src[d[0].span.clone()], "gnabar = .12 (S/cm2) <0,1e9>");
    assert_eq!(&src[d[0].units.as_ref().unwrap().span.clone()], "(S/cm2)");
}

#[test]
fn state_assigned_with_arrays_tolerance_and_define() {
    let p = prog("DEFINE NANN 10\nSTATE { ca[NANN] (mM) <1e-6> pump (mol/cm2) }\nASSIGNED { v (mV) c1 (1+8 um5/ms) }");
    assert!(
        matches!(&p.blocks[0].kind, BlockKind::Define { name, value } if name.name == "NANN" && value.value == 10.0)
    );
    let BlockKind::State(s) = &p.blocks[1].kind else { panic!() };
    assert!(matches!(&s[0].dim, Some(Dim::Name(n)) if n.name == "NANN"));
    assert!(matches!(&s[0].range, Some(Limits::Tolerance { value, .. }) if value.value == 1e-6));
    assert_eq!(s[1].units.as_ref().unwrap().text, "mol/cm2");
    let BlockKind::Assigned(a) = &p.blocks[2].kind else { panic!() };
    assert_eq!(a[1].units.as_ref().unwrap().text, "1+8 um5/ms");
}

#[test]
fn units_constant_independent_blocks() {
    let p = prog(
        "UNITS { (mV) = (millivolt) FARADAY = (faraday) (coulomb) R = 8.314 (joule/degC) }
         CONSTANT { volo = 1 (liter) e0 = -1.5 }
         INDEPENDENT { t FROM 0 TO 1 WITH 1 (ms) }",
    );
    let BlockKind::Units(u) = &p.blocks[0].kind else { panic!() };
    assert!(
        matches!(&u[0].kind, UnitsEntryKind::Alias { name, definition } if name.text == "mV" && definition.text == "millivolt")
    );
    assert!(matches!(&u[1].kind, UnitsEntryKind::Factor { name, factor, units: Some(un) }
        if name.name == "FARADAY" && factor.text == "faraday" && un.text == "coulomb"));
    assert!(matches!(&u[2].kind, UnitsEntryKind::Value { value, .. } if value.value == 8.314));
    let BlockKind::Constant(c) = &p.blocks[1].kind else { panic!() };
    assert_eq!(c[1].value.value, -1.5);
    let BlockKind::Independent(i) = &p.blocks[2].kind else { panic!() };
    assert_eq!(i[0].name.name, "t");
    assert_eq!(i[0].with.as_ref().unwrap().value, 1.0);
    assert_eq!(i[0].units.as_ref().unwrap().text, "ms");
}

#[test]
fn table_clause() {
    let stmts = body("PROCEDURE rates(v(mV)) { TABLE minf, mtau DEPEND celsius FROM -100 TO 100 WITH 200 }");
    match &stmts[0].kind {
        StmtKind::Table { names, depend, from, to, with } => {
            assert_eq!(names.iter().map(|n| n.name.as_str()).collect::<Vec<_>>(), ["minf", "mtau"]);
            assert_eq!(depend[0].name, "celsius");
            assert_eq!((from.sexpr(), to.sexpr(), with.sexpr()), ("(- 100)".into(), "100".into(), "200".into()));
        }
        k => panic!("{k:?}"),
    }
    let stmts = body("FUNCTION f(v) { TABLE FROM -150 TO 150 WITH 200 f = v }");
    assert!(matches!(&stmts[0].kind, StmtKind::Table { names, depend, .. } if names.is_empty() && depend.is_empty()));
    assert_eq!(stmts.len(), 2);
}

#[test]
fn function_and_procedure_signatures() {
    let BlockKind::Function(f) = only_block("FUNCTION ghk(v(mV), ci(mM)) (.001 coul/cm3) { ghk = 1 }") else {
        panic!()
    };
    assert_eq!(f.name.name, "ghk");
    assert_eq!(f.args.len(), 2);
    assert_eq!(f.args[0].units.as_ref().unwrap().text, "mV");
    assert_eq!(f.units.as_ref().unwrap().text, ".001 coul/cm3");
    let BlockKind::Procedure(p) = only_block("PROCEDURE noargs() { }") else { panic!() };
    assert!(p.args.is_empty() && p.body.stmts.is_empty());
    let BlockKind::FunctionTable { name, args, units } = only_block("FUNCTION_TABLE tau1(v(mV)) (ms)") else {
        panic!()
    };
    assert_eq!((name.name.as_str(), args.len(), units.unwrap().text.as_str()), ("tau1", 1, "ms"));
}

#[test]
fn derivative_and_solve() {
    let p = prog("BREAKPOINT { SOLVE states METHOD cnexp }\nDERIVATIVE states { m' = (minf-m)/mtau  h' = 0 }");
    let BlockKind::Breakpoint(b) = &p.blocks[0].kind else { panic!() };
    assert!(matches!(&b.stmts[0].kind, StmtKind::Solve { block, method: Some(m), steadystate: None, .. }
        if block.name == "states" && m.name == "cnexp"));
    let BlockKind::Derivative { name, body: deriv } = &p.blocks[1].kind else { panic!() };
    assert_eq!(name.name, "states");
    assert_eq!(deriv.stmts.len(), 2);
    match &deriv.stmts[0].kind {
        StmtKind::Derivative { name, order, index, rhs } => {
            assert_eq!((name.name.as_str(), *order, index.is_none()), ("m", 1, true));
            assert_eq!(rhs.sexpr(), "(/ (- minf m) mtau)");
        }
        k => panic!("{k:?}"),
    }
    let stmts = body("FUNCTION ss() { SOLVE state STEADYSTATE sparse }");
    assert!(matches!(&stmts[0].kind, StmtKind::Solve { method: None, steadystate: Some(s), .. } if s.name == "sparse"));
    let stmts = body("INITIAL { SOLVE rates }");
    assert!(matches!(&stmts[0].kind, StmtKind::Solve { method: None, steadystate: None, .. }));
}

#[test]
fn kinetic_reactions_conserve_compartment_flux() {
    let src = "KINETIC kin {
        COMPARTMENT i, vol[i] {ca}
        COMPARTMENT (1e10)*area {pump pumpca}
        ~ ca[0] + pump <-> pumpca (c1, c2)
        ~ 2A + B <-> C (kf, kb)
        ~ A -> B (k)
        ~ ca[0] << (-ica*PI)
        CONSERVE pump + pumpca = total
    }";
    let stmts = body(src);
    match &stmts[0].kind {
        StmtKind::Compartment { index, volume, states } => {
            assert_eq!(index.as_ref().unwrap().name, "i");
            assert_eq!(volume.sexpr(), "vol[i]");
            assert_eq!(states.iter().map(Expr::sexpr).collect::<Vec<_>>(), ["ca"]);
        }
        k => panic!("{k:?}"),
    }
    match &stmts[1].kind {
        StmtKind::Compartment { index: None, volume, states } => {
            assert_eq!(volume.sexpr(), "(* 1e10 area)");
            assert_eq!(states.len(), 2);
        }
        k => panic!("{k:?}"),
    }
    match &stmts[2].kind {
        StmtKind::Reaction { lhs, rhs, arrow, rates } => {
            assert_eq!(lhs.iter().map(|r| r.species.sexpr()).collect::<Vec<_>>(), ["ca[0]", "pump"]);
            assert_eq!(rhs.iter().map(|r| r.species.sexpr()).collect::<Vec<_>>(), ["pumpca"]);
            assert_eq!(*arrow, Arrow::Reversible);
            assert_eq!(rates.iter().map(Expr::sexpr).collect::<Vec<_>>(), ["c1", "c2"]);
        }
        k => panic!("{k:?}"),
    }
    match &stmts[3].kind {
        StmtKind::Reaction { lhs, .. } => {
            assert_eq!(
                lhs.iter().map(|r| (r.coefficient, r.species.sexpr())).collect::<Vec<_>>(),
                [(2, "A".to_string()), (1, "B".to_string())]
            );
        }
        k => panic!("{k:?}"),
    }
    assert!(matches!(&stmts[4].kind, StmtKind::Reaction { arrow: Arrow::Forward, rates, .. } if rates.len() == 1));
    match &stmts[5].kind {
        StmtKind::Flux { state, flux } => {
            assert_eq!(state.sexpr(), "ca[0]");
            assert_eq!(flux.sexpr(), "(* (- ica) PI)");
        }
        k => panic!("{k:?}"),
    }
    match &stmts[6].kind {
        StmtKind::Conserve { lhs, rhs } => {
            let terms: Vec<_> = lhs.iter().map(|r| (r.coefficient, r.species.sexpr())).collect();
            assert_eq!(terms, [(1, "pump".to_string()), (1, "pumpca".to_string())]);
            assert_eq!(rhs.sexpr(), "total");
        }
        k => panic!("{k:?}"),
    }
}

#[test]
fn linear_and_nonlinear_equations() {
    let stmts = body("LINEAR lin { ~ a + b = c*2 }");
    assert!(
        matches!(&stmts[0].kind, StmtKind::Equation { lhs, rhs } if lhs.sexpr() == "(+ a b)" && rhs.sexpr() == "(* c 2)")
    );
    let BlockKind::NonLinear { name, solvefor, body } = only_block("NONLINEAR nl SOLVEFOR x, y { ~ x*x = 2 }") else {
        panic!()
    };
    assert_eq!(name.name, "nl");
    assert_eq!(solvefor.len(), 2);
    assert!(matches!(&body.stmts[0].kind, StmtKind::Equation { .. }));
}

#[test]
fn net_receive_with_initial_inside_and_event_calls() {
    let src = "NET_RECEIVE (w (uS), tlast (ms)) {
        INITIAL { tlast = t }
        if (flag == 0) {
            net_send(1, 2)
        } else if (flag == 2) {
            net_event(t)
        } else {
            net_move(t + 1)
        }
        WATCH (v > -20) 2
    }";
    let BlockKind::NetReceive { args, body } = only_block(src) else { panic!() };
    assert_eq!(args.iter().map(|a| a.name.name.as_str()).collect::<Vec<_>>(), ["w", "tlast"]);
    assert_eq!(args[0].units.as_ref().unwrap().text, "uS");
    match &body.stmts[0].kind {
        StmtKind::Initial(b) => assert!(matches!(&b.stmts[0].kind, StmtKind::Assign { .. })),
        k => panic!("{k:?}"),
    }
    match &body.stmts[1].kind {
        StmtKind::If { cond, then, else_ifs, else_ } => {
            assert_eq!(cond.sexpr(), "(== flag 0)");
            assert!(matches!(&then.stmts[0].kind, StmtKind::Expr(e) if e.sexpr() == "net_send(1, 2)"));
            assert_eq!(else_ifs.len(), 1);
            assert!(matches!(&else_ifs[0].1.stmts[0].kind, StmtKind::Expr(e) if e.sexpr() == "net_event(t)"));
            assert!(
                matches!(&else_.as_ref().unwrap().stmts[0].kind, StmtKind::Expr(e) if e.sexpr() == "net_move((+ t 1))")
            );
        }
        k => panic!("{k:?}"),
    }
    match &body.stmts[2].kind {
        StmtKind::Watch(w) => assert_eq!((w[0].0.sexpr(), w[0].1.sexpr()), ("(> v (- 20))".into(), "2".into())),
        k => panic!("{k:?}"),
    }
}

#[test]
fn from_loops_while_local_and_arrays() {
    let stmts = body(
        "INITIAL { LOCAL i, tmp[4]
            FROM i = 0 TO N-1 BY 1 { ca[i] = cai }
            while (x < 10) { x = x + 1 }
            at_time(t0)
        }",
    );
    match &stmts[0].kind {
        StmtKind::Local(v) => {
            assert_eq!(v.len(), 2);
            assert!(matches!(&v[1].dim, Some(Dim::Number(n)) if n.value == 4.0));
        }
        k => panic!("{k:?}"),
    }
    match &stmts[1].kind {
        StmtKind::From { var, from, to, by, body } => {
            assert_eq!(var.name, "i");
            assert_eq!((from.sexpr(), to.sexpr()), ("0".into(), "(- N 1)".into()));
            assert_eq!(by.as_ref().unwrap().sexpr(), "1");
            assert!(matches!(&body.stmts[0].kind, StmtKind::Assign { lhs, .. } if lhs.sexpr() == "ca[i]"));
        }
        k => panic!("{k:?}"),
    }
    assert!(
        matches!(&stmts[2].kind, StmtKind::While { cond, body } if cond.sexpr() == "(< x 10)" && body.stmts.len() == 1)
    );
    assert!(matches!(&stmts[3].kind, StmtKind::Expr(e) if e.sexpr() == "at_time(t0)"));
}

#[test]
fn verbatim_comments_title_and_unitsoff() {
    let src = "TITLE  my channel  \n: a comment\n? another\nCOMMENT\n anything { ( \nENDCOMMENT\nUNITSOFF\nVERBATIM\nstatic int x;\nENDVERBATIM\nPROCEDURE p() {\nVERBATIM\n return 0;\nENDVERBATIM\n UNITSON\n}\nUNITSON\n";
    let p = prog(src);
    let kinds: Vec<&BlockKind> = p.blocks.iter().map(|b| &b.kind).collect();
    assert!(matches!(kinds[0], BlockKind::Title(t) if t == "my channel"));
    assert!(matches!(kinds[1], BlockKind::UnitsSwitch(false)));
    match kinds[2] {
        BlockKind::Verbatim(v) => {
            assert_eq!(v.text, "\nstatic int x;\n");
            assert_eq!(&src[v.span.clone()], "VERBATIM\nstatic int x;\nENDVERBATIM");
        }
        k => panic!("{k:?}"),
    }
    match kinds[3] {
        BlockKind::Procedure(f) => {
            assert!(matches!(&f.body.stmts[0].kind, StmtKind::Verbatim(v) if v.text == "\n return 0;\n"));
            assert!(matches!(&f.body.stmts[1].kind, StmtKind::UnitsSwitch(true)));
        }
        k => panic!("{k:?}"),
    }
    assert!(matches!(kinds[4], BlockKind::UnitsSwitch(true)));
    assert_eq!(kinds.len(), 5);
}

#[test]
fn before_after_include_and_top_level_local() {
    let p = prog("BEFORE BREAKPOINT { x = 1 }\nAFTER SOLVE { }\nINCLUDE \"inc.inc\"\nLOCAL a, b[2]");
    assert!(
        matches!(&p.blocks[0].kind, BlockKind::Before { when, body } if when.name == "BREAKPOINT" && body.stmts.len() == 1)
    );
    assert!(matches!(&p.blocks[1].kind, BlockKind::After { when, .. } if when.name == "SOLVE"));
    assert!(matches!(&p.blocks[2].kind, BlockKind::Include(f) if f == "inc.inc"));
    assert!(matches!(&p.blocks[3].kind, BlockKind::Local(v) if v.len() == 2));
}

#[test]
fn keywords_are_case_sensitive() {
    // `neuron` is not the NEURON keyword.
    assert!(parse("neuron { SUFFIX x }", None).is_err());
    assert!(parse("NEURON { suffix x }", None).is_err());
    // `IF` is not `if`: `IF (x)` is a call, so `IF (x) y = 1` is a call statement followed by an assignment.
    let stmts = body("INITIAL { IF (x) y = 1 }");
    assert!(matches!(&stmts[0].kind, StmtKind::Expr(e) if e.sexpr() == "IF(x)"));
}

#[test]
fn bundled_hh_shape() {
    let src = include_str!("data/hh.mod");
    let p = prog(src);
    let table = p.blocks.iter().find_map(|b| match &b.kind {
        BlockKind::Procedure(f) if f.name.name == "rates" => Some(f),
        _ => None,
    });
    let rates = table.expect("hh.mod has PROCEDURE rates");
    assert!(matches!(&rates.body.stmts[1].kind, StmtKind::Table { names, .. } if names.len() == 6));
    assert!(p.blocks.iter().any(|b| matches!(&b.kind, BlockKind::Derivative { name, .. } if name.name == "states")));
}

#[test]
fn bundled_cabpump_kinetic() {
    let src = include_str!("data/cabpump.mod");
    let p = prog(src);
    let kin = p
        .blocks
        .iter()
        .find_map(|b| match &b.kind {
            BlockKind::Kinetic { name, body, .. } if name.name == "state" => Some(body),
            _ => None,
        })
        .expect("KINETIC state");
    let n_react = kin.stmts.iter().filter(|s| matches!(s.kind, StmtKind::Reaction { .. })).count();
    let n_flux = kin.stmts.iter().filter(|s| matches!(s.kind, StmtKind::Flux { .. })).count();
    let n_comp = kin.stmts.iter().filter(|s| matches!(s.kind, StmtKind::Compartment { .. })).count();
    assert_eq!((n_react, n_flux, n_comp), (2, 1, 3));
    assert!(kin.stmts.iter().any(
        |s| matches!(&s.kind, StmtKind::From { body, .. } if matches!(body.stmts[0].kind, StmtKind::Reaction { .. }))
    ));
}
