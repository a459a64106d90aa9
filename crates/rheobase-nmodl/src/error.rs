//! NMODL diagnostics: a plain struct (so the Python layer can read the fields) with a text rendering.

use crate::lexer::Span;
use std::fmt;

/// One error in an NMODL source, located by 1-based line and column (columns count characters, not bytes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NmodlError {
    /// File name as given to [`crate::parse`], if any.
    pub file: Option<String>,
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
    pub message: String,
    /// The full text of the offending line (without its line terminator).
    pub source_line: String,
    /// Byte range in the source the error points at (empty at end of input).
    pub span: Span,
    /// The source is valid NMODL but uses something rheobase does not implement yet (Python raises
    /// NotImplementedError for it rather than a SyntaxError).
    pub unsupported: bool,
}

impl NmodlError {
    /// Build an error at `span` of `source`. Out-of-range or non-boundary offsets are clamped, never panic.
    pub fn new(source: &str, file: Option<&str>, span: Span, message: impl Into<String>) -> Self {
        let mut start = span.start.min(source.len());
        while !source.is_char_boundary(start) {
            start -= 1;
        }
        let end = span.end.clamp(start, source.len());
        let line_start = source[..start].rfind('\n').map_or(0, |p| p + 1);
        let line_end = source[start..].find('\n').map_or(source.len(), |p| start + p);
        let line = source[..start].matches('\n').count() + 1;
        let column = source[line_start..start].chars().count() + 1;
        let source_line = source[line_start..line_end].trim_end_matches('\r').to_string();
        NmodlError {
            file: file.map(str::to_string),
            line,
            column,
            message: message.into(),
            source_line,
            span: start..end,
            unsupported: false,
        }
    }

    /// An error for a construct rheobase does not implement yet (see [`NmodlError::unsupported`]).
    pub fn unsupported(source: &str, file: Option<&str>, span: Span, message: impl Into<String>) -> Self {
        NmodlError { unsupported: true, ..NmodlError::new(source, file, span, message) }
    }

    /// `file:line:col: message`, then the source line and a caret under the column.
    /// Tabs before the column are kept in the caret line so the caret lines up in a terminal.
    pub fn render(&self) -> String {
        let file = self.file.as_deref().unwrap_or("<string>");
        let pad: String = self
            .source_line
            .chars()
            .take(self.column.saturating_sub(1))
            .map(|c| if c == '\t' { '\t' } else { ' ' })
            .collect();
        format!("{file}:{}:{}: {}\n{}\n{pad}^", self.line, self.column, self.message, self.source_line)
    }
}

impl fmt::Display for NmodlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render())
    }
}

impl std::error::Error for NmodlError {}
