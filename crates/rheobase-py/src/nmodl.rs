//! NMODL from Python: check a source, or compile it and register its mechanism.

use pyo3::prelude::*;
use rheobase_nmodl::sema::MechanismKind;
use rheobase_nmodl::NmodlError;
use std::sync::Arc;

/// One diagnostic: (file, line, column, message, source line, rendered report, unsupported).
type ErrorTuple = (Option<String>, usize, usize, String, String, String, bool);

/// Parses and analyses NMODL source. Returns ((kind, name) of the mechanism, no errors) or
/// (None, the errors); kind is "SUFFIX", "POINT_PROCESS" or "ARTIFICIAL_CELL".
#[pyfunction]
#[pyo3(signature = (source, file=None))]
pub fn nmodl_check(
    py: Python<'_>,
    source: &str,
    file: Option<&str>,
) -> (Option<(&'static str, String)>, Vec<ErrorTuple>) {
    let checked =
        py.detach(|| rheobase_nmodl::parse(source, file).and_then(|p| rheobase_nmodl::analyse(&p, source, file)));
    match checked {
        Ok(m) => {
            let kind = match m.kind {
                MechanismKind::Density => "SUFFIX",
                MechanismKind::Point => "POINT_PROCESS",
                MechanismKind::Artificial => "ARTIFICIAL_CELL",
            };
            (Some((kind, m.name)), Vec::new())
        }
        Err(errors) => (None, errors.into_iter().map(error_tuple).collect()),
    }
}

/// Compiles NMODL source and registers its mechanism (replacing one of the same name). Returns
/// (the mechanism's name, warnings, no errors) or (None, no warnings, the errors).
#[pyfunction]
#[pyo3(signature = (source, file=None, jit=true))]
pub fn nmodl_load(
    py: Python<'_>,
    source: &str,
    file: Option<&str>,
    jit: bool,
) -> (Option<String>, Vec<ErrorTuple>, Vec<ErrorTuple>) {
    match py.detach(|| rheobase_nmodl::compile(source, file)) {
        Ok(c) => {
            let name = c.program.name.clone();
            py.detach(|| rheobase_nmodl::mechanism::register(Arc::new(c.program), jit));
            (Some(name), c.warnings.into_iter().map(error_tuple).collect(), Vec::new())
        }
        Err(errors) => (None, Vec::new(), errors.into_iter().map(error_tuple).collect()),
    }
}

fn error_tuple(e: NmodlError) -> ErrorTuple {
    let rendered = e.render();
    (e.file, e.line, e.column, e.message, e.source_line, rendered, e.unsupported)
}
