//! NMODL lexer, built on [`logos`].
//!
//! # Keywords are identifiers
//!
//! NMODL keywords (`NEURON`, `PARAMETER`, `SUFFIX`, `READ`, `FROM`, `METHOD`, `if`, …) are lexed as plain
//! [`Tok::Ident`] tokens and recognised by the parser where they are meaningful. Reasons:
//!
//! * most NMODL keywords are only keywords in one context (`READ`/`WRITE` only after `USEION`, `DEPEND`/`WITH`
//!   only in `TABLE`, `METHOD`/`STEADYSTATE` only in `SOLVE`), and unit text such as `(coulomb)` or
//!   `(degC)` must lex as ordinary words wherever it appears;
//! * the parser can then say "expected `METHOD` or `STEADYSTATE`, found `x`" with the offending word, and a
//!   misspelt block name produces an error naming the block keywords instead of an opaque token mismatch;
//! * NMODL is case-sensitive, so comparing the identifier text exactly (`"if"` but not `"IF"`) is all a
//!   keyword check needs.
//!
//! Only the constructs that change *how text is lexed* are dedicated tokens: `COMMENT … ENDCOMMENT` and
//! `VERBATIM … ENDVERBATIM` (captured whole, one token each), `TITLE` (takes the rest of its line), and the
//! `:` / `?` line comments (skipped).
//!
//! The lexer never fails: a character that starts no token becomes [`Tok::Error`], which the parser
//! reports (or tolerates inside unit text, where NMODL allows nearly anything).

use logos::{Lexer, Logos};
use std::ops::Range;

/// Byte range into the source text.
pub type Span = Range<usize>;

fn block_until(lex: &mut Lexer<'_, Tok>, end: &str) -> bool {
    match lex.remainder().find(end) {
        Some(pos) => {
            lex.bump(pos + end.len());
            true
        }
        None => {
            let n = lex.remainder().len();
            lex.bump(n);
            false
        }
    }
}

fn comment_block(lex: &mut Lexer<'_, Tok>) -> bool {
    block_until(lex, "ENDCOMMENT")
}

fn verbatim_block(lex: &mut Lexer<'_, Tok>) -> bool {
    block_until(lex, "ENDVERBATIM")
}

fn rest_of_line(lex: &mut Lexer<'_, Tok>) {
    let n = lex.remainder().find('\n').unwrap_or(lex.remainder().len());
    lex.bump(n);
}

/// One NMODL token. The text of a token is `&source[span]`.
#[derive(Logos, Debug, Clone, Copy, PartialEq, Eq)]
#[logos(skip r"[ \t\r\n\x0C]+")]
// `:` and `?` start comments that run to the end of the line.
#[logos(skip(r"[:?][^\n]*", allow_greedy = true))]
pub enum Tok {
    /// `COMMENT … ENDCOMMENT`; the payload says whether `ENDCOMMENT` was found.
    #[token("COMMENT", comment_block)]
    CommentBlock(bool),
    /// `VERBATIM … ENDVERBATIM`; the payload says whether `ENDVERBATIM` was found.
    #[token("VERBATIM", verbatim_block)]
    Verbatim(bool),
    /// `TITLE` and the rest of its line.
    #[token("TITLE", rest_of_line)]
    Title,
    /// A name (keywords included, see the module docs).
    #[regex(r"[A-Za-z_][A-Za-z0-9_]*")]
    Ident,
    /// A name followed by one or more primes: `m'`, `x''`.
    #[regex(r"[A-Za-z_][A-Za-z0-9_]*'+")]
    PrimedIdent,
    /// A number: `1`, `1.5`, `.5`, `5.`, `1e-3`, `2.5E+4`. Never signed; `-` is an operator.
    #[regex(r"[0-9]+(\.[0-9]*)?([eE][+-]?[0-9]+)?")]
    #[regex(r"\.[0-9]+([eE][+-]?[0-9]+)?")]
    Number,
    /// A double-quoted string (as in `INCLUDE "file"` or `printf("…")`).
    #[regex(r#""([^"\\\n]|\\.)*""#)]
    Str,
    #[token("{")]
    LBrace,
    #[token("}")]
    RBrace,
    #[token("(")]
    LParen,
    #[token(")")]
    RParen,
    #[token("[")]
    LBracket,
    #[token("]")]
    RBracket,
    #[token(",")]
    Comma,
    #[token("=")]
    Assign,
    #[token("==")]
    Eq,
    #[token("!=")]
    Ne,
    #[token("<")]
    Lt,
    #[token("<=")]
    Le,
    #[token(">")]
    Gt,
    #[token(">=")]
    Ge,
    #[token("&&")]
    And,
    #[token("||")]
    Or,
    #[token("!")]
    Not,
    #[token("+")]
    Plus,
    #[token("-")]
    Minus,
    #[token("*")]
    Star,
    #[token("/")]
    Slash,
    #[token("%")]
    Percent,
    #[token("^")]
    Caret,
    #[token("~")]
    Tilde,
    /// `<->` (reversible reaction)
    #[token("<->")]
    Reversible,
    /// `->` (forward-only reaction)
    #[token("->")]
    Forward,
    /// `<<` (flux into a state in a KINETIC block)
    #[token("<<")]
    Flux,
    /// `'` on its own (a prime not attached to a name)
    #[token("'")]
    Prime,
    /// `;` (tolerated as an empty statement)
    #[token(";")]
    Semicolon,
    /// Any character that starts no token.
    Error,
}

impl Tok {
    /// How the token is named in error messages.
    pub fn describe(self) -> &'static str {
        match self {
            Tok::CommentBlock(_) => "`COMMENT` block",
            Tok::Verbatim(_) => "`VERBATIM` block",
            Tok::Title => "`TITLE`",
            Tok::Ident => "a name",
            Tok::PrimedIdent => "a primed name",
            Tok::Number => "a number",
            Tok::Str => "a string",
            Tok::LBrace => "`{`",
            Tok::RBrace => "`}`",
            Tok::LParen => "`(`",
            Tok::RParen => "`)`",
            Tok::LBracket => "`[`",
            Tok::RBracket => "`]`",
            Tok::Comma => "`,`",
            Tok::Assign => "`=`",
            Tok::Eq => "`==`",
            Tok::Ne => "`!=`",
            Tok::Lt => "`<`",
            Tok::Le => "`<=`",
            Tok::Gt => "`>`",
            Tok::Ge => "`>=`",
            Tok::And => "`&&`",
            Tok::Or => "`||`",
            Tok::Not => "`!`",
            Tok::Plus => "`+`",
            Tok::Minus => "`-`",
            Tok::Star => "`*`",
            Tok::Slash => "`/`",
            Tok::Percent => "`%`",
            Tok::Caret => "`^`",
            Tok::Tilde => "`~`",
            Tok::Reversible => "`<->`",
            Tok::Forward => "`->`",
            Tok::Flux => "`<<`",
            Tok::Prime => "`'`",
            Tok::Semicolon => "`;`",
            Tok::Error => "an unexpected character",
        }
    }
}

/// A token with its byte span.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    pub tok: Tok,
    pub span: Span,
}

/// Lex the whole source. Never fails: unknown characters become [`Tok::Error`] tokens.
pub fn lex(source: &str) -> Vec<Token> {
    Tok::lexer(source).spanned().map(|(res, span)| Token { tok: res.unwrap_or(Tok::Error), span }).collect()
}
