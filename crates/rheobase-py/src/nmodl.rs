//! NMODL from Python: parse a source and report its mechanism or its errors.

use pyo3::prelude::*;
use rheobase_nmodl::ast::{BlockKind, NeuronStmtKind};

/// One error: (file, line, column, message, source line, rendered report).
type ErrorTuple = (Option<String>, usize, usize, String, String, String);

/// Parses NMODL source. Returns ((kind, name) of the mechanism it declares, if any, and no
/// errors) or (None, the errors); kind is "SUFFIX", "POINT_PROCESS" or "ARTIFICIAL_CELL".
#[pyfunction]
#[pyo3(signature = (source, file=None))]
pub fn nmodl_parse(
    py: Python<'_>,
    source: &str,
    file: Option<&str>,
) -> (Option<(&'static str, String)>, Vec<ErrorTuple>) {
    match py.detach(|| rheobase_nmodl::parse(source, file)) {
        Ok(program) => {
            let declared = program.blocks.iter().find_map(|b| match &b.kind {
                BlockKind::Neuron(stmts) => stmts.iter().find_map(|s| match &s.kind {
                    NeuronStmtKind::Suffix(id) => Some(("SUFFIX", id.name.clone())),
                    NeuronStmtKind::PointProcess(id) => Some(("POINT_PROCESS", id.name.clone())),
                    NeuronStmtKind::ArtificialCell(id) => Some(("ARTIFICIAL_CELL", id.name.clone())),
                    _ => None,
                }),
                _ => None,
            });
            (declared, Vec::new())
        }
        Err(errors) => (
            None,
            errors
                .into_iter()
                .map(|e| {
                    let rendered = e.render();
                    (e.file, e.line, e.column, e.message, e.source_line, rendered)
                })
                .collect(),
        ),
    }
}
