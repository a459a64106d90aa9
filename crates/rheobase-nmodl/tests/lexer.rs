//! Lexer: token kinds and byte spans.

use rheobase_nmodl::lexer::{lex, Tok};

fn kinds(src: &str) -> Vec<(Tok, &str)> {
    lex(src).into_iter().map(|t| (t.tok, &src[t.span])).collect()
}

#[test]
fn numbers_names_and_primes() {
    assert_eq!(
        kinds("1e-3 .5 5. 2.5E+4 10 m' x'' a_1"),
        [
            (Tok::Number, "1e-3"),
            (Tok::Number, ".5"),
            (Tok::Number, "5."),
            (Tok::Number, "2.5E+4"),
            (Tok::Number, "10"),
            (Tok::PrimedIdent, "m'"),
            (Tok::PrimedIdent, "x''"),
            (Tok::Ident, "a_1"),
        ]
    );
}

#[test]
fn operators_longest_match() {
    let k: Vec<Tok> = kinds("<-> -> << <= >= == != && || < - > ~ ^").into_iter().map(|(t, _)| t).collect();
    use Tok::*;
    assert_eq!(k, [Reversible, Forward, Flux, Le, Ge, Eq, Ne, And, Or, Lt, Minus, Gt, Tilde, Caret]);
    // `<-1` in a range is `<` then `-`.
    assert_eq!(kinds("<-1").into_iter().map(|(t, _)| t).collect::<Vec<_>>(), [Lt, Minus, Number]);
}

#[test]
fn comment_and_verbatim_blocks_are_single_tokens() {
    let src = "a COMMENT x { y ENDCOMMENT b VERBATIM int z; ENDVERBATIM c";
    assert_eq!(
        kinds(src),
        [
            (Tok::Ident, "a"),
            (Tok::CommentBlock(true), "COMMENT x { y ENDCOMMENT"),
            (Tok::Ident, "b"),
            (Tok::Verbatim(true), "VERBATIM int z; ENDVERBATIM"),
            (Tok::Ident, "c"),
        ]
    );
    assert_eq!(kinds("COMMENT open"), [(Tok::CommentBlock(false), "COMMENT open")]);
    // Longer names that merely start with a keyword are names.
    assert_eq!(kinds("COMMENTS TITLEX"), [(Tok::Ident, "COMMENTS"), (Tok::Ident, "TITLEX")]);
}

#[test]
fn line_comments_title_and_errors() {
    assert_eq!(
        kinds("TITLE hh: squid\nx : comment\n? also\ny $"),
        [(Tok::Title, "TITLE hh: squid"), (Tok::Ident, "x"), (Tok::Ident, "y"), (Tok::Error, "$")]
    );
}
