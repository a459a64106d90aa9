//! Error cases with the exact reported position and message.

use rheobase_nmodl::{parse, NmodlError};

fn errors(src: &str) -> Vec<NmodlError> {
    match parse(src, Some("bad.mod")) {
        Ok(p) => panic!("expected an error, parsed {p:?}"),
        Err(e) => e,
    }
}

fn first(src: &str) -> NmodlError {
    errors(src).into_iter().next().expect("at least one error")
}

#[test]
fn missing_closing_brace_before_next_block() {
    let e = first("INITIAL {\n  m = 1\nBREAKPOINT {\n  x = 2\n}\n");
    assert_eq!((e.line, e.column), (3, 1));
    assert_eq!(e.message, "expected `}` to close the `INITIAL` block opened at 1:9, found `BREAKPOINT`");
    assert_eq!(e.source_line, "BREAKPOINT {");
    assert_eq!(e.file.as_deref(), Some("bad.mod"));
}

#[test]
fn missing_closing_brace_at_end_of_file() {
    let e = first("NEURON {\n  SUFFIX x\n\n");
    assert_eq!((e.line, e.column), (2, 11));
    assert_eq!(e.message, "expected `}` to close the `NEURON` block opened at 1:8, found end of file");
}

#[test]
fn unexpected_token_in_expression() {
    let e = first("INITIAL {\n  x = * 2\n}");
    assert_eq!((e.line, e.column), (2, 7));
    assert_eq!(e.message, "expected an expression, found `*`");
    assert_eq!(e.render(), "bad.mod:2:7: expected an expression, found `*`\n  x = * 2\n      ^");
}

#[test]
fn unterminated_comment() {
    let e = first("NEURON { SUFFIX a }\n\nCOMMENT\nnever closed\n");
    assert_eq!((e.line, e.column), (3, 1));
    assert_eq!(e.message, "unterminated `COMMENT` block: no `ENDCOMMENT` before the end of the file");
}

#[test]
fn unterminated_verbatim() {
    let e = first("PROCEDURE p() {\n  VERBATIM\n return 0;\n");
    assert_eq!((e.line, e.column), (2, 3));
    assert!(e.message.starts_with("unterminated `VERBATIM` block"), "{}", e.message);
}

#[test]
fn unknown_top_level_word() {
    let e = first("NEURON { SUFFIX a }\nPARAMETERS {\n}\n");
    assert_eq!((e.line, e.column), (2, 1));
    assert!(e.message.starts_with("expected a top-level block (NEURON, PARAMETER,"), "{}", e.message);
    assert!(e.message.ends_with("found `PARAMETERS`"), "{}", e.message);
}

#[test]
fn bad_neuron_statement_names_the_alternatives() {
    let e = first("NEURON {\n\tSUFIX hh\n}");
    assert_eq!((e.line, e.column), (2, 2));
    assert!(e.message.starts_with("expected a NEURON statement (SUFFIX, POINT_PROCESS"), "{}", e.message);
    assert!(e.message.ends_with("or `}`, found `SUFIX`"), "{}", e.message);
    // The caret line keeps the tab so it lines up.
    assert!(e.render().ends_with("\n\tSUFIX hh\n\t^"), "{}", e.render());
}

#[test]
fn solve_needs_a_method_name() {
    let e = first("BREAKPOINT {\n  SOLVE states METHOD\n}");
    assert_eq!((e.line, e.column), (3, 1));
    assert_eq!(e.message, "expected a method name after `METHOD` (cnexp, derivimplicit, euler, sparse, …), found `}`");
}

#[test]
fn table_without_from() {
    let e = first("PROCEDURE r() { TABLE a DEPEND b TO 1 WITH 2 }");
    assert_eq!((e.line, e.column), (1, 34));
    assert_eq!(e.message, "expected `FROM` in TABLE, found `TO`");
}

#[test]
fn unclosed_units() {
    let e = first("PARAMETER {\n  a = 1 (mV\n}");
    assert_eq!((e.line, e.column), (3, 1));
    assert_eq!(e.message, "expected `)` to close the units opened at 2:9, found `}`");
}

#[test]
fn reaction_needs_two_rates() {
    let e = first("KINETIC k {\n  ~ A <-> B (kf)\n}");
    assert_eq!((e.line, e.column), (2, 16));
    assert_eq!(e.message, "expected `,` and the backward rate of a `<->` reaction, found `)`");
}

#[test]
fn columns_count_characters_not_bytes() {
    let e = first("INITIAL {\n\tx = \"é\" + µ\n}");
    assert_eq!((e.line, e.column), (2, 12));
    assert_eq!(e.message, "expected an expression, found unexpected character `µ`");
}

#[test]
fn assignment_to_an_expression_is_refused() {
    let e = first("INITIAL {\n  a + b = 1\n}");
    assert_eq!((e.line, e.column), (2, 3));
    assert_eq!(e.message, "the left side of `=` must be a variable or an array element");
}

#[test]
fn several_errors_are_reported_after_recovery() {
    let errs = errors("INITIAL {\n  x = = 1\n}\nBREAKPOINT {\n  y = )\n}\nDERIVATIVE d { m' = 1 }\n");
    assert_eq!(errs.len(), 2, "{errs:?}");
    assert_eq!((errs[0].line, errs[0].column), (2, 7));
    assert_eq!((errs[1].line, errs[1].column), (5, 7));
}

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    let src = format!("INITIAL {{ x = {}1 }}", "(".repeat(100_000));
    let e = first(&src);
    assert!(e.message.contains("nesting deeper than"), "{}", e.message);
    let src = format!("INITIAL {{ x = {}1 }}", "-".repeat(100_000));
    assert!(first(&src).message.contains("nesting deeper than"));
    let src = format!("INITIAL {}", "{".repeat(100_000));
    assert!(first(&src).message.contains("nesting deeper than"));
    // Mixed nesting of blocks, conditions, parentheses and exponents.
    let src = format!("INITIAL {{ {} }}", "if (-(2^-(x))) { while ((y)) { ".repeat(1000));
    assert!(first(&src).message.contains("nesting deeper than"));
    // Realistic depth is fine.
    let src = format!("INITIAL {{ x = {}1{} }}", "(".repeat(40), ")".repeat(40));
    assert!(parse(&src, None).is_ok());
}

#[test]
fn file_none_renders_as_string() {
    let e = parse("NEURON {", None).unwrap_err().remove(0);
    assert!(e.file.is_none());
    assert!(e.render().starts_with("<string>:1:9: expected `}`"), "{}", e.render());
}
