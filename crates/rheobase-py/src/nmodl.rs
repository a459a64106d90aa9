//! NMODL from Python: check a source, or compile it and register its mechanism.

use pyo3::exceptions::{PyNotImplementedError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use rheobase_nmodl::interp::{Instance, Interpreter};
use rheobase_nmodl::ir::Program;
use rheobase_nmodl::sema::MechanismKind;
use rheobase_nmodl::NmodlError;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

/// The program of every mechanism loaded from NMODL, by name (the latest load), for calls from Python.
fn programs() -> &'static Mutex<HashMap<String, Arc<Program>>> {
    static P: OnceLock<Mutex<HashMap<String, Arc<Program>>>> = OnceLock::new();
    P.get_or_init(Default::default)
}

fn program(mech: &str) -> PyResult<Arc<Program>> {
    let map = programs().lock().unwrap_or_else(|e| e.into_inner());
    map.get(mech).cloned().ok_or_else(|| PyValueError::new_err(format!("{mech} was not loaded from NMODL")))
}

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
            let program = Arc::new(c.program);
            programs().lock().unwrap_or_else(|e| e.into_inner()).insert(name.clone(), Arc::clone(&program));
            py.detach(|| rheobase_nmodl::mechanism::register(program, jit));
            (Some(name), c.warnings.into_iter().map(error_tuple).collect(), Vec::new())
        }
        Err(errors) => (None, Vec::new(), errors.into_iter().map(error_tuple).collect()),
    }
}

fn error_tuple(e: NmodlError) -> ErrorTuple {
    let rendered = e.render();
    (e.file, e.line, e.column, e.message, e.source_line, rendered, e.unsupported)
}

/// Whether a mechanism loaded from NMODL has a function of this name (false for built-ins): a cheap check, made as
/// every instance is allocated, for its CONSTRUCTOR.
#[pyfunction]
pub fn nmodl_has_function(mech: &str, name: &str) -> bool {
    let map = programs().lock().unwrap_or_else(|e| e.into_inner());
    map.get(mech).is_some_and(|p| p.func(name).is_some())
}

/// The FUNCTIONs and PROCEDUREs of a mechanism loaded from NMODL: {name: number of arguments}, and the names of
/// its exposed globals (full names, `gkbar_kd`), in the order `nmodl_call` takes their values.
#[pyfunction]
pub fn nmodl_functions(mech: &str) -> PyResult<(HashMap<String, usize>, Vec<String>)> {
    let p = program(mech)?;
    let user = |f: &&rheobase_nmodl::ir::Func| callable(&f.name) && p.func(&f.name).is_some();
    let funcs = p.funcs.iter().filter(user).map(|f| (f.name.clone(), f.params as usize)).collect();
    let globals = p.globals.iter().filter(|g| g.shared()).map(|g| g.full_name(mech)).collect();
    Ok((funcs, globals))
}

/// Whether Python may call a mechanism's function of this name: FUNCTIONs and PROCEDUREs, and (for the point
/// process's creation and deletion) CONSTRUCTOR and DESTRUCTOR; not the blocks' other internal functions.
fn callable(name: &str) -> bool {
    use rheobase_nmodl::ir::{CONSTRUCTOR, DESTRUCTOR};
    !name.starts_with('<') || name == CONSTRUCTOR || name == DESTRUCTOR
}

/// The FUNCTION_TABLEs of a mechanism loaded from NMODL, with their numbers of arguments.
#[pyfunction]
pub fn nmodl_function_tables(mech: &str) -> PyResult<Vec<(String, usize)>> {
    let p = program(mech)?;
    Ok(p.function_tables.iter().map(|&f| (p.funcs[f].name.clone(), p.funcs[f].params as usize)).collect())
}

/// One argument of a FUNCTION_TABLE from Python: (number of points, the points or None, min, max).
type AxisSpec = (usize, Option<Vec<f64>>, f64, f64);

/// `table_<func>_<mech>(…)`: FUNCTION_TABLE `func`'s values, a constant (`ys` of one value, no axes), or values
/// over a grid with one axis per argument: `(n, points, min, max)` takes the ascending `points` when given, else
/// n even points from min to max. The grid's first n₁·n₂·… values of `ys` are used, in row order.
#[pyfunction]
#[pyo3(signature = (mech, func, ys, axes=None))]
pub fn nmodl_set_function_table(mech: &str, func: &str, ys: Vec<f64>, axes: Option<Vec<AxisSpec>>) -> PyResult<()> {
    use rheobase_nmodl::interp::{set_function_table, Axis, FunctionTable};
    let what = format!("table_{func}_{mech}");
    let Some(&(_, arity)) = nmodl_function_tables(mech)?.iter().find(|(f, _)| f == func) else {
        return Err(PyValueError::new_err(format!("{mech} has no FUNCTION_TABLE {func}")));
    };
    if ys.is_empty() || ys.iter().any(|y| !y.is_finite()) {
        return Err(PyValueError::new_err(format!("{what}: the values must be finite numbers, at least one")));
    }
    let Some(specs) = axes else {
        if ys.len() != 1 {
            return Err(PyValueError::new_err(format!("{what}: values need their points")));
        }
        set_function_table(mech, func, FunctionTable::Constant(ys[0]));
        return Ok(());
    };
    if specs.len() != arity {
        return Err(PyValueError::new_err(format!("{what}: {func} takes {arity} arguments, got {} axes", specs.len())));
    }
    let mut grid = Vec::with_capacity(arity);
    for (k, (n, points, min, max)) in specs.into_iter().enumerate() {
        if n == 0 {
            return Err(PyValueError::new_err(format!("{what}: size arg < 1 for argument {}", k + 1)));
        }
        let axis = match points {
            Some(xs) => {
                if xs.len() != n {
                    return Err(PyValueError::new_err(format!("{what}: Vector arguments not same size")));
                }
                if xs.iter().any(|x| !x.is_finite()) || xs.windows(2).any(|w| w[1] < w[0]) {
                    return Err(PyValueError::new_err(format!("{what}: the points must be finite and ascending")));
                }
                Axis::Points(xs)
            }
            None => {
                if !(min.is_finite() && max.is_finite() && min <= max) {
                    return Err(PyValueError::new_err(format!("{what}: min > max for argument {}", k + 1)));
                }
                Axis::Even { n, min, max }
            }
        };
        grid.push(axis);
    }
    let size: usize = grid.iter().map(Axis::points).product();
    if ys.len() < size {
        return Err(PyValueError::new_err(format!("{what}: the grid has {size} points but only {} values", ys.len())));
    }
    let ys = ys[..size].to_vec();
    set_function_table(mech, func, FunctionTable::Grid { axes: grid, ys });
    Ok(())
}

/// The RANDOM variables of a mechanism loaded from NMODL.
#[pyfunction]
pub fn nmodl_random(mech: &str) -> PyResult<Vec<String>> {
    Ok(program(mech)?.random.clone())
}

/// Calls a FUNCTION or PROCEDURE of an instance: `row` holds every per-instance value (the mechanism's variables
/// in registry order), `globals` the exposed globals. Returns (value, the row and globals after the call).
#[pyfunction]
#[allow(clippy::too_many_arguments)]
pub fn nmodl_call(
    mech: &str,
    func: &str,
    args: Vec<f64>,
    mut row: Vec<f64>,
    exposed: Vec<f64>,
    v: f64,
    t: f64,
    dt: f64,
    celsius: f64,
) -> PyResult<(f64, Vec<f64>, Vec<f64>)> {
    let p = program(mech)?;
    let f = p
        .func(func)
        .filter(|_| callable(func))
        .ok_or_else(|| PyValueError::new_err(format!("{mech} has no FUNCTION or PROCEDURE {func}")))?;
    if let Some((_, why)) = p.unavailable.iter().find(|(g, _)| *g == f) {
        return Err(PyNotImplementedError::new_err(why.clone()));
    }
    let want = p.funcs[f].params as usize;
    if args.len() != want {
        return Err(PyTypeError::new_err(format!("{func}_{mech}() takes {want} arguments, {} given", args.len())));
    }
    if row.len() != p.range.len() {
        return Err(PyValueError::new_err(format!(
            "{mech}: {} values given for {} variables",
            row.len(),
            p.range.len()
        )));
    }
    let mut globals: Vec<f64> = p.globals.iter().map(|g| g.default).collect();
    let slots: Vec<usize> = p.globals.iter().enumerate().filter(|(_, g)| g.shared()).map(|(k, _)| k).collect();
    for (&k, &x) in slots.iter().zip(&exposed) {
        globals[k] = x;
    }
    let mut interp = Interpreter::new(Arc::clone(&p));
    let mut inst = Instance {
        range: &mut row,
        globals: &mut globals,
        v,
        t,
        dt,
        celsius,
        area: 0.0,
        diam: 0.0,
        secondorder: 0.0,
        discontinuity: true,
    };
    let value = interp.call(f, &args, &mut inst);
    if let Some(fault) = interp.take_fault() {
        return Err(PyValueError::new_err(format!("{func}_{mech}: {fault}")));
    }
    let exposed = slots.iter().map(|&k| globals[k]).collect();
    Ok((value, row, exposed))
}
