//! Hand-written recursive-descent parser over the [`crate::lexer`] token stream.
//!
//! See the crate documentation for why this is not a chumsky parser. The parser keeps a cursor into a
//! `Vec<Token>` (comment blocks removed), so backtracking (needed once, to tell a KINETIC reaction
//! `~ 2A + B <-> C (kf, kb)` from a LINEAR equation `~ a + b = c`) is just restoring an index.
//!
//! Error recovery: on an error inside a top-level block the parser records it and skips to the next
//! top-level block keyword that starts a line, so one file can report several independent errors.
//! Nesting depth is capped so no input can overflow the stack.

use crate::ast::*;
use crate::error::NmodlError;
use crate::lexer::{lex, Tok, Token};

/// Deepest nesting (of expressions and of statement blocks) accepted before refusing the input.
const MAX_DEPTH: usize = 64;
/// Errors reported before giving up on a file.
const MAX_ERRORS: usize = 20;

const TOP_LEVEL: &[&str] = &[
    "NEURON",
    "UNITS",
    "CONSTANT",
    "DEFINE",
    "PARAMETER",
    "STATE",
    "ASSIGNED",
    "INDEPENDENT",
    "LOCAL",
    "INITIAL",
    "BREAKPOINT",
    "DERIVATIVE",
    "KINETIC",
    "LINEAR",
    "NONLINEAR",
    "FUNCTION",
    "PROCEDURE",
    "FUNCTION_TABLE",
    "NET_RECEIVE",
    "BEFORE",
    "AFTER",
    "CONSTRUCTOR",
    "DESTRUCTOR",
    "UNITSON",
    "UNITSOFF",
    "INCLUDE",
];

const NEURON_KEYWORDS: &[&str] = &[
    "SUFFIX",
    "POINT_PROCESS",
    "ARTIFICIAL_CELL",
    "USEION",
    "NONSPECIFIC_CURRENT",
    "ELECTRODE_CURRENT",
    "RANGE",
    "GLOBAL",
    "POINTER",
    "BBCOREPOINTER",
    "EXTERNAL",
    "RANDOM",
    "SECTION",
    "THREADSAFE",
];

struct PErr {
    span: Span,
    message: String,
}

type PResult<T> = Result<T, PErr>;

/// Parse NMODL source text. `file` is used only in error messages.
pub fn parse(source: &str, file: Option<&str>) -> Result<Program, Vec<NmodlError>> {
    let mut errors = Vec::new();
    let mut toks = Vec::new();
    for t in lex(source) {
        match t.tok {
            Tok::CommentBlock(true) => {}
            Tok::CommentBlock(false) => errors.push(NmodlError::new(
                source,
                file,
                t.span.start..t.span.start + "COMMENT".len(),
                "unterminated `COMMENT` block: no `ENDCOMMENT` before the end of the file",
            )),
            Tok::Verbatim(false) => {
                errors.push(NmodlError::new(
                    source,
                    file,
                    t.span.start..t.span.start + "VERBATIM".len(),
                    "unterminated `VERBATIM` block: no `ENDVERBATIM` before the end of the file",
                ));
                toks.push(t);
            }
            _ => toks.push(t),
        }
    }
    let mut p = Parser { src: source, toks, pos: 0, depth: 0 };
    let mut blocks = Vec::new();
    while p.pos < p.toks.len() && errors.len() < MAX_ERRORS {
        match p.top_block() {
            Ok(b) => blocks.push(b),
            Err(e) => {
                errors.push(NmodlError::new(source, file, e.span, e.message));
                p.recover();
            }
        }
    }
    if errors.is_empty() {
        Ok(Program { blocks, span: 0..source.len() })
    } else {
        errors.sort_by_key(|e| e.span.start);
        Err(errors)
    }
}

struct Parser<'s> {
    src: &'s str,
    toks: Vec<Token>,
    pos: usize,
    depth: usize,
}

impl<'s> Parser<'s> {
    // ----- cursor helpers -------------------------------------------------------------------------------------

    fn peek(&self) -> Option<Tok> {
        self.toks.get(self.pos).map(|t| t.tok)
    }

    fn peek_at(&self, n: usize) -> Option<Tok> {
        self.toks.get(self.pos + n).map(|t| t.tok)
    }

    fn text_of(&self, t: &Token) -> &'s str {
        &self.src[t.span.clone()]
    }

    fn cur_text(&self) -> &'s str {
        self.toks.get(self.pos).map_or("", |t| self.text_of(t))
    }

    fn is_kw(&self, word: &str) -> bool {
        self.peek() == Some(Tok::Ident) && self.cur_text() == word
    }

    fn at(&self, tok: Tok) -> bool {
        self.peek() == Some(tok)
    }

    fn bump(&mut self) -> Token {
        let t = self.toks[self.pos].clone();
        self.pos += 1;
        t
    }

    fn eat(&mut self, tok: Tok) -> Option<Token> {
        if self.at(tok) {
            Some(self.bump())
        } else {
            None
        }
    }

    fn eat_kw(&mut self, word: &str) -> Option<Token> {
        if self.is_kw(word) {
            Some(self.bump())
        } else {
            None
        }
    }

    /// End of the previous token (for spans of finished nodes).
    fn prev_end(&self) -> usize {
        if self.pos == 0 {
            0
        } else {
            self.toks[self.pos - 1].span.end
        }
    }

    /// Span of the current token; at end of input, an empty span just after the last token.
    fn cur_span(&self) -> Span {
        match self.toks.get(self.pos) {
            Some(t) => t.span.clone(),
            None => {
                let end = self.toks.last().map_or(0, |t| t.span.end);
                end..end
            }
        }
    }

    fn found(&self) -> String {
        match self.toks.get(self.pos) {
            None => "end of file".to_string(),
            Some(t) => match t.tok {
                Tok::Ident | Tok::PrimedIdent | Tok::Number | Tok::Str => format!("`{}`", self.text_of(t)),
                Tok::Error => format!("unexpected character `{}`", self.text_of(t)),
                other => other.describe().to_string(),
            },
        }
    }

    fn err_expected<T>(&self, what: &str) -> PResult<T> {
        Err(PErr { span: self.cur_span(), message: format!("expected {what}, found {}", self.found()) })
    }

    fn expect(&mut self, tok: Tok, what: &str) -> PResult<Token> {
        match self.eat(tok) {
            Some(t) => Ok(t),
            None => self.err_expected(what),
        }
    }

    fn ident(&mut self, what: &str) -> PResult<Ident> {
        if self.at(Tok::Ident) {
            let t = self.bump();
            Ok(Ident { name: self.text_of(&t).to_string(), span: t.span })
        } else {
            self.err_expected(what)
        }
    }

    fn nested<T>(&mut self, f: impl FnOnce(&mut Self) -> PResult<T>) -> PResult<T> {
        if self.depth >= MAX_DEPTH {
            return Err(PErr {
                span: self.cur_span(),
                message: format!("nesting deeper than {MAX_DEPTH} levels is not supported"),
            });
        }
        self.depth += 1;
        let r = f(self);
        self.depth -= 1;
        r
    }

    /// Skip to the next top-level block keyword that starts a line (always advancing at least one token).
    fn recover(&mut self) {
        self.depth = 0;
        if self.pos < self.toks.len() {
            self.pos += 1;
        }
        while let Some(t) = self.toks.get(self.pos) {
            // First on its line: only whitespace (and comments, which contain a newline) since the previous token.
            let prev_end = if self.pos == 0 { 0 } else { self.toks[self.pos - 1].span.end };
            let starts_line = self.pos == 0 || self.src[prev_end..t.span.start].contains('\n');
            let top = match t.tok {
                Tok::Title => true,
                Tok::Ident => TOP_LEVEL.contains(&self.text_of(t)),
                _ => false,
            };
            if top && starts_line {
                return;
            }
            self.pos += 1;
        }
    }

    // ----- literals -------------------------------------------------------------------------------------------

    fn number_from(&self, t: &Token, negative: bool, start: usize) -> PResult<Number> {
        let text = self.text_of(t);
        let value: f64 = match text.parse() {
            Ok(v) => v,
            Err(_) => return Err(PErr { span: t.span.clone(), message: format!("invalid number `{text}`") }),
        };
        Ok(Number {
            value: if negative { -value } else { value },
            text: if negative { format!("-{text}") } else { text.to_string() },
            span: start..t.span.end,
        })
    }

    fn number(&mut self, what: &str) -> PResult<Number> {
        if self.at(Tok::Number) {
            let t = self.bump();
            self.number_from(&t, false, t.span.start)
        } else {
            self.err_expected(what)
        }
    }

    /// `[+|-] number`
    fn signed_number(&mut self, what: &str) -> PResult<Number> {
        let start = self.cur_span().start;
        let negative = if self.eat(Tok::Minus).is_some() {
            true
        } else {
            self.eat(Tok::Plus);
            false
        };
        if self.at(Tok::Number) {
            let t = self.bump();
            self.number_from(&t, negative, start)
        } else {
            self.err_expected(what)
        }
    }

    /// `( unit text )`; the text may contain nearly anything except braces.
    fn units(&mut self) -> PResult<Units> {
        let open = self.expect(Tok::LParen, "`(` starting units")?;
        let mut depth = 0usize;
        loop {
            match self.peek() {
                None | Some(Tok::LBrace) | Some(Tok::RBrace) => {
                    let (l, c) = line_col(self.src, open.span.start);
                    return self.err_expected(&format!("`)` to close the units opened at {l}:{c}"));
                }
                Some(Tok::LParen) => depth += 1,
                Some(Tok::RParen) if depth == 0 => {
                    let close = self.bump();
                    return Ok(Units {
                        text: self.src[open.span.end..close.span.start].trim().to_string(),
                        span: open.span.start..close.span.end,
                    });
                }
                Some(Tok::RParen) => depth -= 1,
                _ => {}
            }
            self.pos += 1;
        }
    }

    fn opt_units(&mut self) -> PResult<Option<Units>> {
        if self.at(Tok::LParen) {
            self.units().map(Some)
        } else {
            Ok(None)
        }
    }

    /// `name, name, …` (at least one).
    fn name_list(&mut self, what: &str) -> PResult<Vec<Ident>> {
        let mut v = vec![self.ident(what)?];
        while self.eat(Tok::Comma).is_some() {
            v.push(self.ident(what)?);
        }
        Ok(v)
    }

    fn dim(&mut self) -> PResult<Option<Dim>> {
        if self.eat(Tok::LBracket).is_none() {
            return Ok(None);
        }
        let d = if self.at(Tok::Number) {
            Dim::Number(self.number("an array size")?)
        } else if self.at(Tok::Ident) {
            Dim::Name(self.ident("an array size")?)
        } else {
            return self.err_expected("an array size (a number or a DEFINE name)");
        };
        self.expect(Tok::RBracket, "`]`")?;
        Ok(Some(d))
    }

    // ----- top level ------------------------------------------------------------------------------------------

    fn top_block(&mut self) -> PResult<Block> {
        let start = self.cur_span().start;
        let t = self.toks[self.pos].clone();
        let kind = match t.tok {
            Tok::Title => {
                self.bump();
                BlockKind::Title(self.src[t.span.start + "TITLE".len()..t.span.end].trim().to_string())
            }
            Tok::Verbatim(_) => {
                self.bump();
                BlockKind::Verbatim(self.verbatim(&t))
            }
            Tok::Ident => {
                let word = self.text_of(&t);
                if !TOP_LEVEL.contains(&word) {
                    return self.top_level_error();
                }
                self.bump();
                match word {
                    "NEURON" => BlockKind::Neuron(self.neuron_block()?),
                    "UNITS" => BlockKind::Units(self.units_block()?),
                    "CONSTANT" => BlockKind::Constant(self.constant_block()?),
                    "DEFINE" => {
                        let name = self.ident("a name after `DEFINE`")?;
                        let value = self.signed_number("a number (the DEFINE value)")?;
                        BlockKind::Define { name, value }
                    }
                    "PARAMETER" => BlockKind::Parameter(self.decl_block("PARAMETER")?),
                    "STATE" => BlockKind::State(self.decl_block("STATE")?),
                    "ASSIGNED" => BlockKind::Assigned(self.decl_block("ASSIGNED")?),
                    "INDEPENDENT" => BlockKind::Independent(self.independent_block()?),
                    "LOCAL" => BlockKind::Local(self.local_list()?),
                    "INITIAL" => BlockKind::Initial(self.stmt_block("INITIAL")?),
                    "BREAKPOINT" => BlockKind::Breakpoint(self.stmt_block("BREAKPOINT")?),
                    "CONSTRUCTOR" => BlockKind::Constructor(self.stmt_block("CONSTRUCTOR")?),
                    "DESTRUCTOR" => BlockKind::Destructor(self.stmt_block("DESTRUCTOR")?),
                    "DERIVATIVE" => {
                        let name = self.ident("a name after `DERIVATIVE`")?;
                        BlockKind::Derivative { name, body: self.stmt_block("DERIVATIVE")? }
                    }
                    "KINETIC" | "LINEAR" | "NONLINEAR" => {
                        let name = self.ident(&format!("a name after `{word}`"))?;
                        let solvefor =
                            if self.eat_kw("SOLVEFOR").is_some() { self.name_list("a name")? } else { Vec::new() };
                        let body = self.stmt_block(word)?;
                        match word {
                            "KINETIC" => BlockKind::Kinetic { name, solvefor, body },
                            "LINEAR" => BlockKind::Linear { name, solvefor, body },
                            _ => BlockKind::NonLinear { name, solvefor, body },
                        }
                    }
                    "FUNCTION" | "PROCEDURE" => {
                        let name = self.ident(&format!("a name after `{word}`"))?;
                        let args = if self.at(Tok::LParen) { self.formal_args()? } else { Vec::new() };
                        let units = self.opt_units()?;
                        let body = self.stmt_block(word)?;
                        let def = FunctionDef { name, args, units, body };
                        if word == "FUNCTION" {
                            BlockKind::Function(def)
                        } else {
                            BlockKind::Procedure(def)
                        }
                    }
                    "FUNCTION_TABLE" => {
                        let name = self.ident("a name after `FUNCTION_TABLE`")?;
                        let args = if self.at(Tok::LParen) { self.formal_args()? } else { Vec::new() };
                        let units = self.opt_units()?;
                        BlockKind::FunctionTable { name, args, units }
                    }
                    "NET_RECEIVE" => {
                        let args = if self.at(Tok::LParen) { self.formal_args()? } else { Vec::new() };
                        BlockKind::NetReceive { args, body: self.stmt_block("NET_RECEIVE")? }
                    }
                    "BEFORE" | "AFTER" => {
                        let when = if ["INITIAL", "BREAKPOINT", "SOLVE", "STEP"].contains(&self.cur_text())
                            && self.at(Tok::Ident)
                        {
                            self.ident("")?
                        } else {
                            return self
                                .err_expected(&format!("`INITIAL`, `BREAKPOINT`, `SOLVE` or `STEP` after `{word}`"));
                        };
                        let body = self.stmt_block(word)?;
                        if word == "BEFORE" {
                            BlockKind::Before { when, body }
                        } else {
                            BlockKind::After { when, body }
                        }
                    }
                    "UNITSON" => BlockKind::UnitsSwitch(true),
                    "UNITSOFF" => BlockKind::UnitsSwitch(false),
                    "INCLUDE" => {
                        let s = self.expect(Tok::Str, "a quoted file name after `INCLUDE`")?;
                        BlockKind::Include(self.src[s.span.start + 1..s.span.end - 1].to_string())
                    }
                    // TOP_LEVEL and this match list the same words; keep an error rather than a panic regardless.
                    _ => {
                        self.pos -= 1;
                        return self.top_level_error();
                    }
                }
            }
            _ => return self.top_level_error(),
        };
        Ok(Block { kind, span: start..self.prev_end() })
    }

    fn top_level_error<T>(&self) -> PResult<T> {
        self.err_expected("a top-level block (NEURON, PARAMETER, STATE, ASSIGNED, INITIAL, BREAKPOINT, DERIVATIVE, FUNCTION, PROCEDURE, …)")
    }

    fn verbatim(&self, t: &Token) -> Verbatim {
        let begin = (t.span.start + "VERBATIM".len()).min(t.span.end);
        let end = if matches!(t.tok, Tok::Verbatim(true)) { t.span.end - "ENDVERBATIM".len() } else { t.span.end };
        Verbatim { text: self.src[begin..end.max(begin)].to_string(), span: t.span.clone() }
    }

    /// `{` … `}` around a list of items parsed by `item` until `}`.
    fn braced<T>(&mut self, block: &str, mut item: impl FnMut(&mut Self) -> PResult<T>) -> PResult<(Vec<T>, Span)> {
        let open = self.expect(Tok::LBrace, &format!("`{{` after `{block}`"))?;
        let mut items = Vec::new();
        loop {
            if let Some(close) = self.eat(Tok::RBrace) {
                return Ok((items, open.span.start..close.span.end));
            }
            if self.peek().is_none() {
                return self.unclosed(block, &open);
            }
            items.push(item(self)?);
        }
    }

    fn unclosed<T>(&self, block: &str, open: &Token) -> PResult<T> {
        let (l, c) = line_col(self.src, open.span.start);
        self.err_expected(&format!("`}}` to close the `{block}` block opened at {l}:{c}"))
    }

    fn neuron_block(&mut self) -> PResult<Vec<NeuronStmt>> {
        Ok(self.braced("NEURON", Self::neuron_stmt)?.0)
    }

    fn neuron_stmt(&mut self) -> PResult<NeuronStmt> {
        let start = self.cur_span().start;
        let word = if self.at(Tok::Ident) { self.cur_text() } else { "" };
        if !NEURON_KEYWORDS.contains(&word) {
            return self.err_expected(
                "a NEURON statement (SUFFIX, POINT_PROCESS, ARTIFICIAL_CELL, USEION, NONSPECIFIC_CURRENT, \
                 ELECTRODE_CURRENT, RANGE, GLOBAL, POINTER, BBCOREPOINTER, EXTERNAL, RANDOM, THREADSAFE) or `}`",
            );
        }
        self.bump();
        let kind = match word {
            "SUFFIX" => NeuronStmtKind::Suffix(self.ident("a mechanism name after `SUFFIX`")?),
            "POINT_PROCESS" => NeuronStmtKind::PointProcess(self.ident("a name after `POINT_PROCESS`")?),
            "ARTIFICIAL_CELL" => NeuronStmtKind::ArtificialCell(self.ident("a name after `ARTIFICIAL_CELL`")?),
            "USEION" => {
                let ion = self.ident("an ion name after `USEION`")?;
                let mut read = Vec::new();
                let mut write = Vec::new();
                let mut valence = None;
                let mut represents = None;
                loop {
                    if self.eat_kw("READ").is_some() {
                        read.extend(self.name_list("a name after `READ`")?);
                    } else if self.eat_kw("WRITE").is_some() {
                        write.extend(self.name_list("a name after `WRITE`")?);
                    } else if self.eat_kw("VALENCE").is_some() {
                        valence = Some(self.signed_number("a number after `VALENCE`")?);
                    } else if self.eat_kw("REPRESENTS").is_some() {
                        represents = Some(self.ident("an ontology id after `REPRESENTS`")?);
                    } else {
                        break;
                    }
                }
                NeuronStmtKind::UseIon { ion, read, write, valence, represents }
            }
            "THREADSAFE" => {
                let list = if self.at(Tok::Ident) && !NEURON_KEYWORDS.contains(&self.cur_text()) {
                    self.name_list("a name")?
                } else {
                    Vec::new()
                };
                NeuronStmtKind::Threadsafe(list)
            }
            _ => {
                let list = self.name_list(&format!("a name after `{word}`"))?;
                match word {
                    "NONSPECIFIC_CURRENT" => NeuronStmtKind::NonspecificCurrent(list),
                    "ELECTRODE_CURRENT" => NeuronStmtKind::ElectrodeCurrent(list),
                    "RANGE" => NeuronStmtKind::Range(list),
                    "GLOBAL" => NeuronStmtKind::Global(list),
                    "POINTER" => NeuronStmtKind::Pointer(list),
                    "BBCOREPOINTER" => NeuronStmtKind::BbcorePointer(list),
                    "EXTERNAL" => NeuronStmtKind::External(list),
                    "RANDOM" => NeuronStmtKind::Random(list),
                    _ => NeuronStmtKind::Section(list),
                }
            }
        };
        Ok(NeuronStmt { kind, span: start..self.prev_end() })
    }

    fn units_block(&mut self) -> PResult<Vec<UnitsEntry>> {
        Ok(self
            .braced("UNITS", |p| {
                let start = p.cur_span().start;
                let kind = if p.at(Tok::LParen) {
                    let name = p.units()?;
                    p.expect(Tok::Assign, "`=` after the unit name")?;
                    let definition = p.units()?;
                    UnitsEntryKind::Alias { name, definition }
                } else if p.at(Tok::Ident) {
                    let name = p.ident("")?;
                    p.expect(Tok::Assign, "`=` after the constant name")?;
                    if p.at(Tok::LParen) {
                        let factor = p.units()?;
                        let units = p.opt_units()?;
                        UnitsEntryKind::Factor { name, factor, units }
                    } else {
                        let value = p.signed_number("a number or `(`")?;
                        let units = p.opt_units()?;
                        UnitsEntryKind::Value { name, value, units }
                    }
                } else {
                    return p.err_expected("a unit definition like `(mV) = (millivolt)` or `}`");
                };
                Ok(UnitsEntry { kind, span: start..p.prev_end() })
            })?
            .0)
    }

    fn constant_block(&mut self) -> PResult<Vec<ConstantDecl>> {
        Ok(self
            .braced("CONSTANT", |p| {
                let start = p.cur_span().start;
                let name = p.ident("a constant name or `}`")?;
                p.expect(Tok::Assign, "`=` after the constant name")?;
                let value = p.signed_number("a number")?;
                let units = p.opt_units()?;
                Ok(ConstantDecl { name, value, units, span: start..p.prev_end() })
            })?
            .0)
    }

    fn decl_block(&mut self, block: &str) -> PResult<Vec<VarDecl>> {
        Ok(self.braced(block, Self::var_decl)?.0)
    }

    fn var_decl(&mut self) -> PResult<VarDecl> {
        let start = self.cur_span().start;
        let name = self.ident("a variable name or `}`")?;
        let dim = self.dim()?;
        let default = if self.eat(Tok::Assign).is_some() { Some(self.signed_number("a number")?) } else { None };
        let units = self.opt_units()?;
        let mut range = None;
        let mut from_to = None;
        let mut start_value = None;
        loop {
            if let Some(lt) = self.eat(Tok::Lt) {
                let lo = self.signed_number("a number in `<…>`")?;
                if self.eat(Tok::Comma).is_some() {
                    let hi = self.signed_number("a number in `<lo, hi>`")?;
                    let gt = self.expect(Tok::Gt, "`>` closing the range")?;
                    range = Some(Limits::Range { lo, hi, span: lt.span.start..gt.span.end });
                } else {
                    let gt = self.expect(Tok::Gt, "`,` or `>`")?;
                    range = Some(Limits::Tolerance { value: lo, span: lt.span.start..gt.span.end });
                }
            } else if self.eat_kw("FROM").is_some() {
                let lo = self.signed_number("a number after `FROM`")?;
                if self.eat_kw("TO").is_none() {
                    return self.err_expected("`TO`");
                }
                let hi = self.signed_number("a number after `TO`")?;
                from_to = Some((lo, hi));
            } else if self.eat_kw("START").is_some() {
                start_value = Some(self.signed_number("a number after `START`")?);
            } else {
                break;
            }
        }
        Ok(VarDecl { name, dim, default, units, range, from_to, start: start_value, span: start..self.prev_end() })
    }

    fn independent_block(&mut self) -> PResult<Vec<IndependentDecl>> {
        Ok(self
            .braced("INDEPENDENT", |p| {
                let start = p.cur_span().start;
                let sweep = p.eat_kw("SWEEP").is_some();
                let name = p.ident("the independent variable name or `}`")?;
                let mut d = IndependentDecl {
                    name,
                    from: None,
                    to: None,
                    with: None,
                    start: None,
                    units: None,
                    sweep,
                    span: 0..0,
                };
                loop {
                    if p.eat_kw("FROM").is_some() {
                        d.from = Some(p.signed_number("a number after `FROM`")?);
                    } else if p.eat_kw("TO").is_some() {
                        d.to = Some(p.signed_number("a number after `TO`")?);
                    } else if p.eat_kw("WITH").is_some() {
                        d.with = Some(p.signed_number("a number after `WITH`")?);
                    } else if p.eat_kw("START").is_some() {
                        d.start = Some(p.signed_number("a number after `START`")?);
                    } else if p.at(Tok::LParen) {
                        d.units = Some(p.units()?);
                    } else {
                        break;
                    }
                }
                d.span = start..p.prev_end();
                Ok(d)
            })?
            .0)
    }

    fn local_list(&mut self) -> PResult<Vec<LocalVar>> {
        let mut v = Vec::new();
        loop {
            let start = self.cur_span().start;
            let name = self.ident("a name after `LOCAL`")?;
            let dim = self.dim()?;
            v.push(LocalVar { name, dim, span: start..self.prev_end() });
            if self.eat(Tok::Comma).is_none() {
                return Ok(v);
            }
        }
    }

    /// `( name [units], … )`
    fn formal_args(&mut self) -> PResult<Vec<Arg>> {
        self.expect(Tok::LParen, "`(`")?;
        let mut v = Vec::new();
        if self.eat(Tok::RParen).is_some() {
            return Ok(v);
        }
        loop {
            let start = self.cur_span().start;
            let name = self.ident("an argument name")?;
            let units = self.opt_units()?;
            v.push(Arg { name, units, span: start..self.prev_end() });
            if self.eat(Tok::Comma).is_none() {
                self.expect(Tok::RParen, "`,` or `)` in the argument list")?;
                return Ok(v);
            }
        }
    }

    // ----- statements -----------------------------------------------------------------------------------------

    fn stmt_block(&mut self, block: &str) -> PResult<StmtBlock> {
        self.nested(|p| {
            let open = p.expect(Tok::LBrace, &format!("`{{` to open the `{block}` body"))?;
            let mut stmts = Vec::new();
            loop {
                if let Some(close) = p.eat(Tok::RBrace) {
                    return Ok(StmtBlock { stmts, span: open.span.start..close.span.end });
                }
                if p.eat(Tok::Semicolon).is_some() {
                    continue;
                }
                let word = if p.at(Tok::Ident) { p.cur_text() } else { "" };
                if p.peek().is_none()
                    || (TOP_LEVEL.contains(&word) && !["INITIAL", "LOCAL", "UNITSON", "UNITSOFF"].contains(&word))
                {
                    return p.unclosed(block, &open);
                }
                stmts.push(p.stmt()?);
            }
        })
    }

    fn stmt(&mut self) -> PResult<Stmt> {
        let start = self.cur_span().start;
        let kind = self.stmt_kind()?;
        Ok(Stmt { kind, span: start..self.prev_end() })
    }

    fn stmt_kind(&mut self) -> PResult<StmtKind> {
        match self.peek() {
            Some(Tok::Verbatim(_)) => {
                let t = self.bump();
                return Ok(StmtKind::Verbatim(self.verbatim(&t)));
            }
            Some(Tok::Tilde) => {
                self.bump();
                return self.tilde();
            }
            Some(Tok::LBrace) => return Ok(StmtKind::Block(self.stmt_block("{")?)),
            Some(Tok::PrimedIdent) => return self.derivative(),
            Some(Tok::Ident) => {}
            _ => return self.err_expected("a statement or `}`"),
        }
        let word = self.cur_text();
        match word {
            "LOCAL" => {
                self.bump();
                Ok(StmtKind::Local(self.local_list()?))
            }
            "SOLVE" => {
                self.bump();
                self.solve()
            }
            "TABLE" => {
                self.bump();
                self.table()
            }
            "FROM" => {
                self.bump();
                let var = self.ident("a loop variable after `FROM`")?;
                self.expect(Tok::Assign, "`=` after the loop variable")?;
                let from = self.expr()?;
                if self.eat_kw("TO").is_none() {
                    return self.err_expected("`TO`");
                }
                let to = self.expr()?;
                let by = if self.eat_kw("BY").is_some() { Some(self.expr()?) } else { None };
                let body = self.stmt_block("FROM")?;
                Ok(StmtKind::From { var, from, to, by, body })
            }
            "while" => {
                self.bump();
                let cond = self.paren_cond("while")?;
                let body = self.stmt_block("while")?;
                Ok(StmtKind::While { cond, body })
            }
            "if" => {
                self.bump();
                self.if_stmt()
            }
            "else" => self.err_expected("a statement (`else` without a preceding `if`)"),
            "CONSERVE" => {
                self.bump();
                let lhs = self.reactants()?;
                self.expect(Tok::Assign, "`=` in `CONSERVE`")?;
                let rhs = self.expr()?;
                Ok(StmtKind::Conserve { lhs, rhs })
            }
            "COMPARTMENT" | "LONGITUDINAL_DIFFUSION" => {
                self.bump();
                let index = if self.at(Tok::Ident) && self.peek_at(1) == Some(Tok::Comma) {
                    let i = self.ident("")?;
                    self.bump();
                    Some(i)
                } else {
                    None
                };
                let e = self.expr()?;
                let open =
                    self.expect(Tok::LBrace, &format!("`{{` and the list of states after the `{word}` expression"))?;
                let mut states = Vec::new();
                loop {
                    if self.eat(Tok::RBrace).is_some() {
                        break;
                    }
                    if self.eat(Tok::Comma).is_some() {
                        continue;
                    }
                    if self.peek().is_none() {
                        return self.unclosed(word, &open);
                    }
                    states.push(self.species("a state name or `}`")?);
                }
                Ok(if word == "COMPARTMENT" {
                    StmtKind::Compartment { index, volume: e, states }
                } else {
                    StmtKind::LongitudinalDiffusion { index, rate: e, states }
                })
            }
            "WATCH" => {
                self.bump();
                let mut v = Vec::new();
                loop {
                    let cond = self.paren_cond("WATCH")?;
                    let flag = self.expr()?;
                    v.push((cond, flag));
                    if self.eat(Tok::Comma).is_none() {
                        return Ok(StmtKind::Watch(v));
                    }
                }
            }
            "INITIAL" => {
                self.bump();
                Ok(StmtKind::Initial(self.stmt_block("INITIAL")?))
            }
            "FOR_NETCONS" => {
                self.bump();
                let args = self.formal_args()?;
                let body = self.stmt_block("FOR_NETCONS")?;
                Ok(StmtKind::ForNetcons { args, body })
            }
            "UNITSON" | "UNITSOFF" => {
                self.bump();
                Ok(StmtKind::UnitsSwitch(word == "UNITSON"))
            }
            "MUTEXLOCK" | "MUTEXUNLOCK" => {
                self.bump();
                Ok(StmtKind::Mutex(word == "MUTEXLOCK"))
            }
            _ => {
                let lhs = self.expr()?;
                if self.eat(Tok::Assign).is_some() {
                    if !matches!(lhs.kind, ExprKind::Name(_) | ExprKind::Index { .. }) {
                        return Err(PErr {
                            span: lhs.span.clone(),
                            message: "the left side of `=` must be a variable or an array element".to_string(),
                        });
                    }
                    let rhs = self.expr()?;
                    Ok(StmtKind::Assign { lhs, rhs })
                } else if matches!(lhs.kind, ExprKind::Call { .. }) {
                    Ok(StmtKind::Expr(lhs))
                } else {
                    self.err_expected("`=` or a function call")
                }
            }
        }
    }

    fn derivative(&mut self) -> PResult<StmtKind> {
        let t = self.bump();
        let text = self.text_of(&t);
        let base = text.trim_end_matches('\'');
        let order = (text.len() - base.len()) as u32;
        let name = Ident { name: base.to_string(), span: t.span.start..t.span.start + base.len() };
        let index = if self.eat(Tok::LBracket).is_some() {
            let e = self.expr()?;
            self.expect(Tok::RBracket, "`]`")?;
            Some(e)
        } else {
            None
        };
        self.expect(Tok::Assign, &format!("`=` after `{text}`"))?;
        let rhs = self.expr()?;
        Ok(StmtKind::Derivative { name, order, index, rhs })
    }

    fn paren_cond(&mut self, what: &str) -> PResult<Expr> {
        self.expect(Tok::LParen, &format!("`(` after `{what}`"))?;
        let e = self.expr()?;
        self.expect(Tok::RParen, "`)` closing the condition")?;
        Ok(e)
    }

    fn if_stmt(&mut self) -> PResult<StmtKind> {
        let cond = self.paren_cond("if")?;
        let then = self.stmt_block("if")?;
        let mut else_ifs = Vec::new();
        let mut else_ = None;
        while self.eat_kw("else").is_some() {
            if self.eat_kw("if").is_some() {
                let c = self.paren_cond("if")?;
                let b = self.stmt_block("if")?;
                else_ifs.push((c, b));
            } else {
                else_ = Some(self.stmt_block("else")?);
                break;
            }
        }
        Ok(StmtKind::If { cond, then, else_ifs, else_ })
    }

    fn solve(&mut self) -> PResult<StmtKind> {
        let block = self.ident("the name of the block to solve after `SOLVE`")?;
        let mut method = None;
        let mut steadystate = None;
        let mut if_error = None;
        loop {
            if self.eat_kw("METHOD").is_some() {
                method = Some(self.ident("a method name after `METHOD` (cnexp, derivimplicit, euler, sparse, …)")?);
            } else if self.eat_kw("STEADYSTATE").is_some() {
                steadystate = Some(self.ident("a method name after `STEADYSTATE`")?);
            } else if self.eat_kw("IFERROR").is_some() {
                if_error = Some(self.stmt_block("IFERROR")?);
            } else {
                break;
            }
        }
        Ok(StmtKind::Solve { block, method, steadystate, if_error })
    }

    fn table(&mut self) -> PResult<StmtKind> {
        let mut names = Vec::new();
        if self.at(Tok::Ident) && !self.is_kw("DEPEND") && !self.is_kw("FROM") {
            names = self.name_list("a name in the TABLE list")?;
        }
        let depend =
            if self.eat_kw("DEPEND").is_some() { self.name_list("a name after `DEPEND`")? } else { Vec::new() };
        if self.eat_kw("FROM").is_none() {
            return self.err_expected(if depend.is_empty() {
                "`DEPEND` or `FROM` in TABLE"
            } else {
                "`FROM` in TABLE"
            });
        }
        let from = self.expr()?;
        if self.eat_kw("TO").is_none() {
            return self.err_expected("`TO` in TABLE");
        }
        let to = self.expr()?;
        if self.eat_kw("WITH").is_none() {
            return self.err_expected("`WITH` in TABLE");
        }
        let with = self.expr()?;
        Ok(StmtKind::Table { names, depend, from, to, with })
    }

    /// After `~`: a reaction, a flux, or an equation.
    fn tilde(&mut self) -> PResult<StmtKind> {
        let save = self.pos;
        if let Ok(lhs) = self.reactants() {
            if let Some(t) = self.peek() {
                match t {
                    Tok::Reversible | Tok::Forward => {
                        self.bump();
                        let rhs = if self.at(Tok::LParen) { Vec::new() } else { self.reactants()? };
                        self.expect(Tok::LParen, "`(` and the rate constants of the reaction")?;
                        let mut rates = vec![self.expr()?];
                        if t == Tok::Reversible {
                            self.expect(Tok::Comma, "`,` and the backward rate of a `<->` reaction")?;
                            rates.push(self.expr()?);
                        }
                        self.expect(Tok::RParen, "`)` closing the rate constants")?;
                        let arrow = if t == Tok::Reversible { Arrow::Reversible } else { Arrow::Forward };
                        return Ok(StmtKind::Reaction { lhs, rhs, arrow, rates });
                    }
                    Tok::Flux if lhs.len() == 1 && lhs[0].coefficient == 1 => {
                        self.bump();
                        let flux = self.expr()?;
                        if let Some(r) = lhs.into_iter().next() {
                            return Ok(StmtKind::Flux { state: r.species, flux });
                        }
                    }
                    _ => {}
                }
            }
        }
        self.pos = save;
        let lhs = self.expr()?;
        if !self.at(Tok::Assign) {
            return self.err_expected("`<->`, `->`, `<<` or `=` after the left side of a `~` statement");
        }
        self.bump();
        let rhs = self.expr()?;
        Ok(StmtKind::Equation { lhs, rhs })
    }

    /// `[n] name[idx] + …`
    fn reactants(&mut self) -> PResult<Vec<Reactant>> {
        let mut v = Vec::new();
        loop {
            let start = self.cur_span().start;
            let coefficient = if self.at(Tok::Number) {
                let t = self.bump();
                match self.text_of(&t).parse::<u32>() {
                    Ok(n) => n,
                    Err(_) => {
                        return Err(PErr {
                            span: t.span,
                            message: "a stoichiometric coefficient must be a whole number".to_string(),
                        })
                    }
                }
            } else {
                1
            };
            let species = self.species("a species name")?;
            v.push(Reactant { coefficient, species, span: start..self.prev_end() });
            if self.eat(Tok::Plus).is_none() {
                return Ok(v);
            }
        }
    }

    /// `name` or `name[expr]`
    fn species(&mut self, what: &str) -> PResult<Expr> {
        let name = self.ident(what)?;
        let start = name.span.start;
        if self.eat(Tok::LBracket).is_some() {
            let index = self.expr()?;
            self.expect(Tok::RBracket, "`]`")?;
            Ok(Expr { kind: ExprKind::Index { name, index: Box::new(index) }, span: start..self.prev_end() })
        } else {
            let span = name.span.clone();
            Ok(Expr { kind: ExprKind::Name(name), span })
        }
    }

    // ----- expressions ----------------------------------------------------------------------------------------

    /// An expression, with NMODL (C-like) precedence, lowest first:
    /// `||`, `&&`, relational (`< <= > >= == !=`), `+ -`, `* / %`, unary `- !`, `^` (right-associative).
    pub fn expr(&mut self) -> PResult<Expr> {
        self.nested(Self::or_expr)
    }

    fn binary_level(&mut self, next: fn(&mut Self) -> PResult<Expr>, op_of: fn(Tok) -> Option<BinOp>) -> PResult<Expr> {
        let mut lhs = next(self)?;
        while let Some(op) = self.peek().and_then(op_of) {
            self.bump();
            let rhs = next(self)?;
            let span = lhs.span.start..rhs.span.end;
            lhs = Expr { kind: ExprKind::Binary { op, lhs: Box::new(lhs), rhs: Box::new(rhs) }, span };
        }
        Ok(lhs)
    }

    fn or_expr(&mut self) -> PResult<Expr> {
        self.binary_level(Self::and_expr, |t| (t == Tok::Or).then_some(BinOp::Or))
    }

    fn and_expr(&mut self) -> PResult<Expr> {
        self.binary_level(Self::rel_expr, |t| (t == Tok::And).then_some(BinOp::And))
    }

    fn rel_expr(&mut self) -> PResult<Expr> {
        self.binary_level(Self::add_expr, |t| match t {
            Tok::Lt => Some(BinOp::Lt),
            Tok::Le => Some(BinOp::Le),
            Tok::Gt => Some(BinOp::Gt),
            Tok::Ge => Some(BinOp::Ge),
            Tok::Eq => Some(BinOp::Eq),
            Tok::Ne => Some(BinOp::Ne),
            _ => None,
        })
    }

    fn add_expr(&mut self) -> PResult<Expr> {
        self.binary_level(Self::mul_expr, |t| match t {
            Tok::Plus => Some(BinOp::Add),
            Tok::Minus => Some(BinOp::Sub),
            _ => None,
        })
    }

    fn mul_expr(&mut self) -> PResult<Expr> {
        self.binary_level(Self::unary_expr, |t| match t {
            Tok::Star => Some(BinOp::Mul),
            Tok::Slash => Some(BinOp::Div),
            Tok::Percent => Some(BinOp::Rem),
            _ => None,
        })
    }

    fn unary_expr(&mut self) -> PResult<Expr> {
        let op = match self.peek() {
            Some(Tok::Minus) => Some(UnaryOp::Neg),
            Some(Tok::Not) => Some(UnaryOp::Not),
            Some(Tok::Plus) => None,
            _ => return self.power_expr(),
        };
        let t = self.bump();
        let operand = self.nested(Self::unary_expr)?;
        match op {
            None => Ok(operand),
            Some(op) => {
                let span = t.span.start..operand.span.end;
                Ok(Expr { kind: ExprKind::Unary { op, operand: Box::new(operand) }, span })
            }
        }
    }

    fn power_expr(&mut self) -> PResult<Expr> {
        let base = self.primary()?;
        if self.eat(Tok::Caret).is_some() {
            // Right-associative, and the exponent may carry its own sign: 2^-x^2 = 2^(-(x^2)).
            let exp = self.nested(Self::unary_expr)?;
            let span = base.span.start..exp.span.end;
            return Ok(Expr {
                kind: ExprKind::Binary { op: BinOp::Pow, lhs: Box::new(base), rhs: Box::new(exp) },
                span,
            });
        }
        Ok(base)
    }

    fn primary(&mut self) -> PResult<Expr> {
        let start = self.cur_span().start;
        match self.peek() {
            Some(Tok::Number) => {
                let t = self.bump();
                let value = self.number_from(&t, false, t.span.start)?;
                let units = self.opt_units()?;
                Ok(Expr { kind: ExprKind::Number { value, units }, span: start..self.prev_end() })
            }
            Some(Tok::Ident) => {
                let name = self.ident("")?;
                if self.eat(Tok::LParen).is_some() {
                    let mut args = Vec::new();
                    if self.eat(Tok::RParen).is_none() {
                        loop {
                            args.push(self.expr()?);
                            if self.eat(Tok::Comma).is_none() {
                                self.expect(Tok::RParen, "`,` or `)` in the argument list")?;
                                break;
                            }
                        }
                    }
                    Ok(Expr { kind: ExprKind::Call { name, args }, span: start..self.prev_end() })
                } else if self.eat(Tok::LBracket).is_some() {
                    let index = self.expr()?;
                    self.expect(Tok::RBracket, "`]` closing the index")?;
                    Ok(Expr { kind: ExprKind::Index { name, index: Box::new(index) }, span: start..self.prev_end() })
                } else {
                    let span = name.span.clone();
                    Ok(Expr { kind: ExprKind::Name(name), span })
                }
            }
            Some(Tok::LParen) => {
                self.bump();
                let mut e = self.expr()?;
                self.expect(Tok::RParen, "`)`")?;
                // The parentheses belong to the expression's extent.
                e.span = start..self.prev_end();
                Ok(e)
            }
            Some(Tok::Str) => {
                let t = self.bump();
                let s = self.src[t.span.start + 1..t.span.end - 1].to_string();
                Ok(Expr { kind: ExprKind::Str(s), span: t.span })
            }
            _ => self.err_expected("an expression"),
        }
    }
}

/// 1-based (line, column in characters) of a byte offset.
fn line_col(src: &str, offset: usize) -> (usize, usize) {
    let e = NmodlError::new(src, None, offset..offset, "");
    (e.line, e.column)
}
