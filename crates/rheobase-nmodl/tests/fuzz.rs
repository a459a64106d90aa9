//! Property tests: `parse` returns `Ok` or `Err` (never panics) on random strings and on random mutations of hh.mod,
//! and every reported position is inside the source.

use proptest::prelude::*;
use rheobase_nmodl::parse;

const HH: &str = include_str!("data/hh.mod");

/// Fragments that steer random input towards NMODL-shaped text.
const PIECES: &[&str] = &[
    "NEURON",
    "{",
    "}",
    "(",
    ")",
    "[",
    "]",
    "=",
    "~",
    "<->",
    "->",
    "<<",
    "'",
    ",",
    "<",
    ">",
    "^",
    "-",
    "+",
    "*",
    "/",
    "if",
    "else",
    "while",
    "FROM",
    "TO",
    "WITH",
    "BY",
    "DEPEND",
    "TABLE",
    "SOLVE",
    "METHOD",
    "STEADYSTATE",
    "KINETIC",
    "DERIVATIVE",
    "PARAMETER",
    "STATE",
    "ASSIGNED",
    "UNITS",
    "INITIAL",
    "BREAKPOINT",
    "NET_RECEIVE",
    "FUNCTION",
    "PROCEDURE",
    "LOCAL",
    "COMMENT",
    "ENDCOMMENT",
    "VERBATIM",
    "ENDVERBATIM",
    "TITLE",
    ":",
    "?",
    "\n",
    " ",
    "\t",
    "x",
    "m'",
    "1e-3",
    ".5",
    "5.",
    "(mV)",
    "\"s\"",
    "CONSERVE",
    "COMPARTMENT",
    "WATCH",
    "UNITSOFF",
    "µ",
    "é",
    "\r\n",
    "INDEPENDENT",
    "DEFINE",
    "USEION",
    "READ",
    "WRITE",
    "VALENCE",
    "&&",
    "||",
    "!",
];

fn check(src: &str) {
    match parse(src, Some("fuzz.mod")) {
        Ok(_) => {}
        Err(errs) => {
            assert!(!errs.is_empty());
            for e in errs {
                assert!(e.line >= 1 && e.column >= 1);
                assert!(e.span.start <= src.len() && e.span.end <= src.len());
                assert!(!e.render().is_empty());
            }
        }
    }
}

#[derive(Debug, Clone)]
enum Mutation {
    Delete { at: usize, len: usize },
    Insert { at: usize, piece: usize },
    Duplicate { at: usize, len: usize },
    Swap { a: usize, b: usize },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 1usize..40).prop_map(|(at, len)| Mutation::Delete { at, len }),
        (any::<usize>(), 0..PIECES.len()).prop_map(|(at, piece)| Mutation::Insert { at, piece }),
        (any::<usize>(), 1usize..80).prop_map(|(at, len)| Mutation::Duplicate { at, len }),
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Mutation::Swap { a, b }),
    ]
}

/// Apply mutations on char boundaries.
fn apply(src: &str, muts: &[Mutation]) -> String {
    let mut chars: Vec<char> = src.chars().collect();
    for m in muts {
        let n = chars.len().max(1);
        match *m {
            Mutation::Delete { at, len } => {
                let at = at % n;
                let end = (at + len).min(chars.len());
                if at < end {
                    chars.drain(at..end);
                }
            }
            Mutation::Insert { at, piece } => {
                let at = at % (chars.len() + 1);
                for (k, c) in PIECES[piece].chars().enumerate() {
                    chars.insert(at + k, c);
                }
            }
            Mutation::Duplicate { at, len } => {
                let at = at % n;
                let end = (at + len).min(chars.len());
                if at < end {
                    let copy: Vec<char> = chars[at..end].to_vec();
                    chars.splice(at..at, copy);
                }
            }
            Mutation::Swap { a, b } => {
                if !chars.is_empty() {
                    let (a, b) = (a % chars.len(), b % chars.len());
                    chars.swap(a, b);
                }
            }
        }
    }
    chars.into_iter().collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn random_strings_never_panic(s in "\\PC{0,200}") {
        check(&s);
    }

    #[test]
    fn random_token_soup_never_panics(idx in proptest::collection::vec(0..PIECES.len(), 0..120)) {
        let s: String = idx.iter().map(|&i| PIECES[i]).collect::<Vec<_>>().join(" ");
        check(&s);
    }

    #[test]
    fn mutated_hh_never_panics(muts in proptest::collection::vec(mutation(), 1..8)) {
        check(&apply(HH, &muts));
    }

    #[test]
    fn truncated_hh_never_panics(cut in 0usize..5000) {
        let cut = cut % (HH.len() + 1);
        let mut end = cut;
        while !HH.is_char_boundary(end) {
            end -= 1;
        }
        check(&HH[..end]);
    }
}
