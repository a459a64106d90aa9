//! Bindings of the point neurons (rheobase-core's `point`): one neuron class and one population
//! class, parameterised at construction; python/rheobase/neun.py generates neun_py's class
//! matrix from a table on top of them.

use crate::IntoPy;
use numpy::{IntoPyArray, PyArray2, PyArrayMethods, PyReadonlyArray1, PyReadonlyArrayDyn, PyUntypedArrayMethods};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyType};
use rheobase_core::point::neuron::check_dt;
use rheobase_core::point::population::{Coupling, Input, Population};
use rheobase_core::point::real::Arith;
use rheobase_core::point::synapses::{Diffusion, Electrical};
use rheobase_core::point::{Integrator, ModelKind, Neuron, Real};

pub(crate) fn model_of(name: &str) -> PyResult<ModelKind> {
    ModelKind::from_short_name(name)
        .ok_or_else(|| PyValueError::new_err(format!("unknown model '{name}' (HH, HR, Iz)")))
}

pub(crate) fn integrator_of(name: &str) -> PyResult<Integrator> {
    Integrator::from_name(name)
        .ok_or_else(|| PyValueError::new_err(format!("unknown integrator '{name}' (Euler, RK4, RK6)")))
}

/// f32 for "float", f64 for "double".
pub(crate) fn is_double(precision: &str) -> PyResult<bool> {
    match precision.to_ascii_lowercase().as_str() {
        "double" => Ok(true),
        "float" => Ok(false),
        _ => Err(PyValueError::new_err(format!("unknown precision '{precision}' (float, double)"))),
    }
}

pub(crate) fn finite(what: &str, x: f64) -> PyResult<f64> {
    if x.is_finite() {
        Ok(x)
    } else {
        Err(PyValueError::new_err(format!("{what} must be a finite number, got {x}")))
    }
}

/// A neuron in either precision.
#[derive(Clone)]
pub(crate) enum AnyNeuron {
    F32(Neuron<f32>),
    F64(Neuron<f64>),
}

/// Runs `$body` with `$n` bound to the neuron whatever its precision.
macro_rules! with_neuron {
    ($any:expr, $n:ident => $body:expr) => {
        match $any {
            AnyNeuron::F32($n) => $body,
            AnyNeuron::F64($n) => $body,
        }
    };
}

/// Checks that an enum member belongs to the expected enum class and returns its index.
pub(crate) fn member_index(member: &Bound<'_, PyAny>, expected: &Py<PyType>, what: &str) -> PyResult<usize> {
    let py = member.py();
    if !member.get_type().is(expected.bind(py)) {
        let want = expected.bind(py).name()?;
        let got = member.get_type().name()?;
        return Err(PyTypeError::new_err(format!("{what}: expected a member of {want}, got {got}")));
    }
    member.extract::<usize>()
}

#[pyclass(module = "rheobase._core", subclass)]
pub(crate) struct NeunNeuron {
    pub(crate) inner: AnyNeuron,
    variable_enum: Py<PyType>,
    parameter_enum: Py<PyType>,
}

#[pymethods]
impl NeunNeuron {
    #[new]
    #[pyo3(signature = (model, precision, integrator, variable_enum, parameter_enum, params=None))]
    fn new(
        model: &str,
        precision: &str,
        integrator: &str,
        variable_enum: Py<PyType>,
        parameter_enum: Py<PyType>,
        params: Option<Vec<f64>>,
    ) -> PyResult<Self> {
        let (model, integrator) = (model_of(model)?, integrator_of(integrator)?);
        let mut inner = if is_double(precision)? {
            AnyNeuron::F64(Neuron::new(model, integrator))
        } else {
            AnyNeuron::F32(Neuron::new(model, integrator))
        };
        if let Some(params) = params {
            if params.len() != model.parameters().len() {
                return Err(PyValueError::new_err(format!(
                    "{} takes {} parameters, got {}",
                    model.short_name(),
                    model.parameters().len(),
                    params.len()
                )));
            }
            for (i, &p) in params.iter().enumerate() {
                finite(model.parameters()[i].name, p)?;
                with_neuron!(&mut inner, n => n.set_param(i, Arith::of(p)).py()?);
            }
            with_neuron!(&mut inner, n => n.mark_initial());
        }
        Ok(NeunNeuron { inner, variable_enum, parameter_enum })
    }

    fn get(&self, var: &Bound<'_, PyAny>) -> PyResult<f64> {
        let i = member_index(var, &self.variable_enum, "get")?;
        with_neuron!(&self.inner, n => Ok(n.get(i).py()?.to_f64()))
    }

    fn set(&mut self, var: &Bound<'_, PyAny>, value: f64) -> PyResult<()> {
        let i = member_index(var, &self.variable_enum, "set")?;
        finite("value", value)?;
        with_neuron!(&mut self.inner, n => n.set(i, Arith::of(value)).py())
    }

    fn get_param(&self, param: &Bound<'_, PyAny>) -> PyResult<f64> {
        let i = member_index(param, &self.parameter_enum, "get_param")?;
        with_neuron!(&self.inner, n => Ok(n.get_param(i).py()?.to_f64()))
    }

    fn set_param(&mut self, param: &Bound<'_, PyAny>, value: f64) -> PyResult<()> {
        let i = member_index(param, &self.parameter_enum, "set_param")?;
        finite("value", value)?;
        with_neuron!(&mut self.inner, n => n.set_param(i, Arith::of(value)).py())
    }

    fn add_synaptic_input(&mut self, i: f64) -> PyResult<()> {
        finite("synaptic input", i)?;
        with_neuron!(&mut self.inner, n => n.add_input(Arith::of(i)));
        Ok(())
    }

    fn get_synaptic_input(&self) -> f64 {
        with_neuron!(&self.inner, n => n.input().to_f64())
    }

    fn step(&mut self, dt: f64) -> PyResult<()> {
        with_neuron!(&mut self.inner, n => n.step_checked(dt).py())
    }

    /// Back to the initial state and parameters (those given at construction), time 0.
    fn reset(&mut self) {
        with_neuron!(&mut self.inner, n => n.reset())
    }

    fn get_time(&self) -> f64 {
        with_neuron!(&self.inner, n => n.time().to_f64())
    }

    fn set_time(&mut self, t: f64) -> PyResult<()> {
        finite("time", t)?;
        with_neuron!(&mut self.inner, n => n.set_time(Arith::of(t)));
        Ok(())
    }
}

enum AnyPopulation {
    F32(Population<f32>),
    F64(Population<f64>),
}

macro_rules! with_population {
    ($any:expr, $p:ident => $body:expr) => {
        match $any {
            AnyPopulation::F32($p) => $body,
            AnyPopulation::F64($p) => $body,
        }
    };
}

/// Many neurons of one model stepped together (see rheobase.neun.Population).
#[pyclass(module = "rheobase._core")]
pub(crate) struct NeunPopulation {
    inner: AnyPopulation,
    model: ModelKind,
}

fn index_of(names: &[rheobase_core::point::models::Field], name: &str, what: &str) -> PyResult<usize> {
    names.iter().position(|f| f.name == name).ok_or_else(|| {
        let all: Vec<&str> = names.iter().map(|f| f.name).collect();
        PyValueError::new_err(format!("unknown {what} '{name}' (one of {})", all.join(", ")))
    })
}

#[pymethods]
impl NeunPopulation {
    #[new]
    fn new(model: &str, n: usize, precision: &str, integrator: &str) -> PyResult<Self> {
        let (model, integrator) = (model_of(model)?, integrator_of(integrator)?);
        let inner = if is_double(precision)? {
            AnyPopulation::F64(Population::new(model, integrator, n))
        } else {
            AnyPopulation::F32(Population::new(model, integrator, n))
        };
        Ok(NeunPopulation { inner, model })
    }

    fn __len__(&self) -> usize {
        with_population!(&self.inner, p => p.len())
    }

    /// A variable (is_param false) or parameter of every neuron, as a new array.
    fn values<'py>(&self, py: Python<'py>, name: &str, is_param: bool) -> PyResult<Bound<'py, numpy::PyArray1<f64>>> {
        let fields = if is_param { self.model.parameters() } else { self.model.variables() };
        let i = index_of(fields, name, if is_param { "parameter" } else { "variable" })?;
        let out: Vec<f64> = with_population!(&self.inner, p => (0..p.len())
            .map(|k| if is_param { p.param(i, k) } else { p.var(i, k) }.to_f64()).collect());
        Ok(out.into_pyarray(py))
    }

    /// Sets a variable or parameter of every neuron from an array with one value per neuron.
    fn set_values(&mut self, name: &str, is_param: bool, values: PyReadonlyArray1<'_, f64>) -> PyResult<()> {
        let fields = if is_param { self.model.parameters() } else { self.model.variables() };
        let i = index_of(fields, name, if is_param { "parameter" } else { "variable" })?;
        let values = values.as_slice()?;
        let n = self.__len__();
        if values.len() != n {
            return Err(PyValueError::new_err(format!("{name}: {} values for {n} neurons", values.len())));
        }
        if let Some(bad) = values.iter().find(|v| !v.is_finite()) {
            return Err(PyValueError::new_err(format!("{name}: values must be finite, got {bad}")));
        }
        with_population!(&mut self.inner, p => for (k, &v) in values.iter().enumerate() {
            if is_param { p.set_param(i, k, Arith::of(v)) } else { p.set_var(i, k, Arith::of(v)) }
        });
        Ok(())
    }

    /// The electrical coupling as CSR arrays (row k: I_k += g·(V_j − V_k)), or None to remove it.
    #[pyo3(signature = (row_start=None, column=None, conductance=None, var="v"))]
    fn set_coupling(
        &mut self,
        row_start: Option<Vec<usize>>,
        column: Option<Vec<usize>>,
        conductance: Option<Vec<f64>>,
        var: &str,
    ) -> PyResult<()> {
        let var = index_of(self.model.variables(), var, "variable")?;
        let c = match (row_start, column, conductance) {
            (Some(row_start), Some(column), Some(conductance)) => {
                Some(Coupling { row_start, column, conductance, var })
            }
            (None, None, None) => None,
            _ => return Err(PyValueError::new_err("give row_start, column and conductance together")),
        };
        with_population!(&mut self.inner, p => p.set_coupling(c).py())
    }

    fn time(&self) -> f64 {
        with_population!(&self.inner, p => p.time().to_f64())
    }

    /// Runs `steps` steps of dt with the GIL released; returns {variable: [samples × neurons]}
    /// sampled every `every` steps (after the step) for the listed neurons.
    #[pyo3(signature = (steps, dt, input=None, record=Vec::new(), neurons=None, every=1))]
    #[allow(clippy::too_many_arguments)]
    fn run<'py>(
        &mut self,
        py: Python<'py>,
        steps: usize,
        dt: f64,
        input: Option<PyReadonlyArrayDyn<'py, f64>>,
        record: Vec<String>,
        neurons: Option<Vec<usize>>,
        every: usize,
    ) -> PyResult<Bound<'py, PyDict>> {
        let n = self.__len__();
        let every = every.max(1);
        let vars: Vec<usize> =
            record.iter().map(|r| index_of(self.model.variables(), r, "variable")).collect::<PyResult<_>>()?;
        let neurons: Vec<usize> = neurons.unwrap_or_else(|| (0..n).collect());
        if let Some(&bad) = neurons.iter().find(|&&k| k >= n) {
            return Err(PyValueError::new_err(format!("neuron index {bad} out of range for {n} neurons")));
        }
        let input_array = input.as_ref().map(|a| a.as_slice()).transpose()?;
        let input = match (&input, input_array) {
            (None, _) => Input::None,
            (Some(a), Some(x)) if a.ndim() == 1 => Input::Constant(x),
            (Some(a), Some(x)) if a.ndim() == 2 => Input::PerStep(x),
            _ => return Err(PyValueError::new_err("input must be a contiguous array of shape [n] or [steps, n]")),
        };
        if let Some(bad) = input_array.and_then(|x| x.iter().find(|v| !v.is_finite())) {
            return Err(PyValueError::new_err(format!("input values must be finite, got {bad}")));
        }
        let samples = steps / every;
        let mut traces: Vec<Vec<f64>> = vec![Vec::with_capacity(samples * neurons.len()); vars.len()];
        let inner = &mut self.inner;
        py.detach(|| {
            with_population!(inner, p => p.run(steps, dt, &input, |step, all| {
                if (step + 1) % every == 0 {
                    for (trace, &var) in traces.iter_mut().zip(&vars) {
                        trace.extend(neurons.iter().map(|&k| all.var(var, k).to_f64()));
                    }
                }
            }))
        })
        .py()?;
        let out = PyDict::new(py);
        for (name, trace) in record.iter().zip(traces) {
            let array = trace.into_pyarray(py).reshape([samples, neurons.len()])?;
            let array: Bound<'py, PyArray2<f64>> = array;
            out.set_item(name, array)?;
        }
        Ok(out)
    }
}

/// A synapse in either precision.
enum AnySynapse {
    ElectricalF32(Electrical<f32>),
    ElectricalF64(Electrical<f64>),
    DiffusionF32(Diffusion<f32>),
    DiffusionF64(Diffusion<f64>),
}

/// An electrical (ESyn) or diffusion (DSyn) synapse from neuron 1 to neuron 2.
#[pyclass(module = "rheobase._core", subclass)]
pub(crate) struct NeunSynapse {
    inner: AnySynapse,
    n1: Py<NeunNeuron>,
    var1: usize,
    n2: Py<NeunNeuron>,
    var2: usize,
    variable_enum: Py<PyType>,
    parameter_enum: Py<PyType>,
}

fn neuron_var(n: &Bound<'_, NeunNeuron>, var: usize) -> PyResult<f64> {
    with_neuron!(&n.borrow().inner, x => Ok(x.get(var).py()?.to_f64()))
}

fn add_input(n: &Bound<'_, NeunNeuron>, i: f64) {
    with_neuron!(&mut n.borrow_mut().inner, x => x.add_input(Arith::of(i)))
}

#[pymethods]
impl NeunSynapse {
    /// kind "ESyn": params [g1, g2]; kind "DSyn": the 7 diffusion parameters, plus `steps`.
    #[new]
    #[pyo3(signature = (kind, precision, integrator, n1, var1, n2, var2, params, steps, variable_enum, parameter_enum))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        kind: &str,
        precision: &str,
        integrator: &str,
        n1: Bound<'_, NeunNeuron>,
        var1: &Bound<'_, PyAny>,
        n2: Bound<'_, NeunNeuron>,
        var2: &Bound<'_, PyAny>,
        params: Vec<f64>,
        steps: usize,
        variable_enum: Py<PyType>,
        parameter_enum: Py<PyType>,
    ) -> PyResult<Self> {
        let var1 = member_index(var1, &n1.borrow().variable_enum, "neuron 1's variable")?;
        let var2 = member_index(var2, &n2.borrow().variable_enum, "neuron 2's variable")?;
        for (i, p) in params.iter().enumerate() {
            finite(&format!("parameter {i}"), *p)?;
        }
        let double = is_double(precision)?;
        let integrator = integrator_of(integrator)?;
        let inner = match (kind, params.as_slice(), double) {
            ("ESyn", &[g1, g2], false) => AnySynapse::ElectricalF32(Electrical::new(g1 as f32, g2 as f32)),
            ("ESyn", &[g1, g2], true) => AnySynapse::ElectricalF64(Electrical::new(g1, g2)),
            ("DSyn", p, false) if p.len() == 7 => {
                AnySynapse::DiffusionF32(Diffusion::new(std::array::from_fn(|i| p[i] as f32), integrator, steps))
            }
            ("DSyn", p, true) if p.len() == 7 => {
                AnySynapse::DiffusionF64(Diffusion::new(std::array::from_fn(|i| p[i]), integrator, steps))
            }
            _ => return Err(PyValueError::new_err(format!("bad synapse '{kind}' with {} parameters", params.len()))),
        };
        Ok(NeunSynapse { inner, n1: n1.unbind(), var1, n2: n2.unbind(), var2, variable_enum, parameter_enum })
    }

    /// Adds this synapse's currents to its neurons' input (call before stepping the neurons).
    fn step(&mut self, py: Python<'_>, dt: f64) -> PyResult<()> {
        check_dt(dt).py()?;
        let (n1, n2) = (self.n1.bind(py), self.n2.bind(py));
        let (v1, v2) = (neuron_var(n1, self.var1)?, neuron_var(n2, self.var2)?);
        match &mut self.inner {
            AnySynapse::ElectricalF32(s) => {
                let (i1, i2) = s.currents(v1 as f32, v2 as f32);
                add_input(n1, i1 as f64);
                add_input(n2, i2 as f64);
            }
            AnySynapse::ElectricalF64(s) => {
                let (i1, i2) = s.currents(v1, v2);
                add_input(n1, i1);
                add_input(n2, i2);
            }
            // The presynaptic neuron does not move during the synapse's sub-steps.
            AnySynapse::DiffusionF32(s) => add_input(n2, s.advance(dt, || v1 as f32, v2 as f32).py()? as f64),
            AnySynapse::DiffusionF64(s) => add_input(n2, s.advance(dt, || v1, v2).py()?),
        }
        Ok(())
    }

    fn get(&self, var: &Bound<'_, PyAny>) -> PyResult<f64> {
        let i = member_index(var, &self.variable_enum, "get")?;
        Ok(match &self.inner {
            AnySynapse::ElectricalF32(s) => [s.i1, s.i2][i] as f64,
            AnySynapse::ElectricalF64(s) => [s.i1, s.i2][i],
            AnySynapse::DiffusionF32(s) => [s.r, s.i][i] as f64,
            AnySynapse::DiffusionF64(s) => [s.r, s.i][i],
        })
    }

    fn set(&mut self, var: &Bound<'_, PyAny>, value: f64) -> PyResult<()> {
        let i = member_index(var, &self.variable_enum, "set")?;
        finite("value", value)?;
        match &mut self.inner {
            AnySynapse::ElectricalF32(s) => *[&mut s.i1, &mut s.i2][i] = value as f32,
            AnySynapse::ElectricalF64(s) => *[&mut s.i1, &mut s.i2][i] = value,
            AnySynapse::DiffusionF32(s) => *[&mut s.r, &mut s.i][i] = value as f32,
            AnySynapse::DiffusionF64(s) => *[&mut s.r, &mut s.i][i] = value,
        }
        Ok(())
    }

    fn get_param(&self, param: &Bound<'_, PyAny>) -> PyResult<f64> {
        let i = member_index(param, &self.parameter_enum, "get_param")?;
        Ok(match &self.inner {
            AnySynapse::ElectricalF32(s) => [s.g1, s.g2][i] as f64,
            AnySynapse::ElectricalF64(s) => [s.g1, s.g2][i],
            AnySynapse::DiffusionF32(s) => s.params[i] as f64,
            AnySynapse::DiffusionF64(s) => s.params[i],
        })
    }

    fn set_param(&mut self, param: &Bound<'_, PyAny>, value: f64) -> PyResult<()> {
        let i = member_index(param, &self.parameter_enum, "set_param")?;
        finite("value", value)?;
        match &mut self.inner {
            AnySynapse::ElectricalF32(s) => *[&mut s.g1, &mut s.g2][i] = value as f32,
            AnySynapse::ElectricalF64(s) => *[&mut s.g1, &mut s.g2][i] = value,
            AnySynapse::DiffusionF32(s) => s.params[i] = value as f32,
            AnySynapse::DiffusionF64(s) => s.params[i] = value,
        }
        Ok(())
    }

    /// The current this synapse last delivered to neuron 2 (i2 for ESyn, i for DSyn).
    fn get_synaptic_current(&self) -> f64 {
        match &self.inner {
            AnySynapse::ElectricalF32(s) => s.i2 as f64,
            AnySynapse::ElectricalF64(s) => s.i2,
            AnySynapse::DiffusionF32(s) => s.i as f64,
            AnySynapse::DiffusionF64(s) => s.i,
        }
    }
}

/// The point-neuron models and synapse parameters: {model: (variables, parameters)} with
/// (name, unit, description, default) entries, plus "DSyn" for the diffusion synapse.
#[pyfunction]
pub(crate) fn neun_models<'py>(py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
    type Entry = (&'static str, &'static str, &'static str, f64);
    let fields = |f: &[rheobase_core::point::models::Field]| -> Vec<Entry> {
        f.iter().map(|f| (f.name, f.unit, f.description, f.default)).collect()
    };
    let out = PyDict::new(py);
    for m in ModelKind::ALL {
        out.set_item(m.short_name(), (fields(m.variables()), fields(m.parameters())))?;
    }
    let dsyn_vars: Vec<Entry> =
        vec![("r", "1", "fraction of bound receptors", 0.0), ("i", "nA", "synaptic current", 0.0)];
    let dsyn_params: Vec<Entry> =
        rheobase_core::point::synapses::DIFFUSION_PARAMETERS.iter().map(|&(n, u, d, v)| (n, u, d, v)).collect();
    out.set_item("DSyn", (dsyn_vars, dsyn_params))?;
    Ok(out)
}
