//! Python bindings of the rheobase engine: thin. Each method converts arguments, calls the
//! engine, and turns engine errors into Python exceptions; runs release the GIL.

mod neun;
mod nmodl;

use numpy::{IntoPyArray, PyArray1};
use pyo3::exceptions::{PyAttributeError, PyKeyboardInterrupt, PyReferenceError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyTuple;
use rheobase_core::mechanisms::{self, MechKind, VarKind};
use rheobase_core::model::network::{SourceSpec, SpikeSource};
use rheobase_core::play::PlayTimes;
use rheobase_core::recording::{Schedule, Target};
use rheobase_core::simulation::InitPart;
use rheobase_core::{Error, Model};

/// Engine error → Python exception carrying the engine's message.
fn py_err(e: Error) -> PyErr {
    match e {
        Error::Value(_) | Error::UnknownName { .. } => PyValueError::new_err(e.to_string()),
        Error::NotInserted(_) => PyAttributeError::new_err(e.to_string()),
        Error::Deleted(_) => PyReferenceError::new_err(e.to_string()),
        Error::Interrupted => PyKeyboardInterrupt::new_err(e.to_string()),
    }
}

pub(crate) trait IntoPy<T> {
    fn py(self) -> PyResult<T>;
}

impl<T> IntoPy<T> for rheobase_core::Result<T> {
    fn py(self) -> PyResult<T> {
        self.map_err(py_err)
    }
}

/// Steps run between two checks for Ctrl-C and progress reports.
const STEPS_PER_CHECK: u64 = 2000;

/// One independent simulation: its description and, once lowered, its state.
#[pyclass(module = "rheobase._core")]
struct Engine {
    model: Model,
}

#[pymethods]
impl Engine {
    #[new]
    fn new() -> Self {
        Engine { model: Model::new() }
    }

    // --- sections
    fn section_new(&mut self, name: &str) -> usize {
        self.model.add_section(name)
    }
    fn section_delete(&mut self, id: usize) -> PyResult<()> {
        self.model.delete_section(id).py()
    }
    fn section_exists(&self, id: usize) -> bool {
        self.model.section(id).is_ok()
    }
    fn section_ids(&self) -> Vec<usize> {
        self.model.section_ids()
    }
    fn section_name(&self, id: usize) -> PyResult<String> {
        Ok(self.model.section(id).py()?.name.clone())
    }
    /// (L µm, Ra Ω·cm, nseg, rallbranch, parent (id, x) or None, connecting end)
    #[allow(clippy::type_complexity)]
    fn section_props(&self, id: usize) -> PyResult<(f64, f64, usize, f64, Option<(usize, f64)>, f64)> {
        let s = self.model.section(id).py()?;
        Ok((s.length_um, s.ra_ohm_cm, s.nseg(), s.rallbranch, s.parent, s.child_end))
    }
    fn set_length(&mut self, id: usize, value: f64) -> PyResult<()> {
        self.model.set_length(id, value).py()
    }
    fn set_ra(&mut self, id: usize, value: f64) -> PyResult<()> {
        self.model.set_ra(id, value).py()
    }
    /// Sets nseg; returns the new density-mechanism instances, (segment, mechanism name), in allocation order.
    fn set_nseg(&mut self, id: usize, value: i64) -> PyResult<Vec<(usize, &'static str)>> {
        let new = self.model.set_nseg(id, value).py()?;
        Ok(new.into_iter().map(|(i, m)| (i, mechanisms::info(m).name)).collect())
    }
    fn set_rallbranch(&mut self, id: usize, value: f64) -> PyResult<()> {
        self.model.set_rallbranch(id, value).py()
    }
    #[pyo3(signature = (id, x, value))]
    fn set_diam(&mut self, id: usize, x: Option<f64>, value: f64) -> PyResult<()> {
        self.model.set_diam(id, x, value).py()
    }
    fn diam(&self, id: usize, x: f64) -> PyResult<f64> {
        self.model.diam(id, x).py()
    }
    #[pyo3(signature = (id, x, value))]
    fn set_cm(&mut self, id: usize, x: Option<f64>, value: f64) -> PyResult<()> {
        self.model.set_cm(id, x, value).py()
    }
    fn cm(&self, id: usize, x: f64) -> PyResult<f64> {
        self.model.cm(id, x).py()
    }
    fn connect(&mut self, child: usize, child_end: f64, parent: usize, parent_x: f64) -> PyResult<()> {
        self.model.connect(child, child_end, parent, parent_x).py()
    }
    fn disconnect(&mut self, child: usize) -> PyResult<()> {
        self.model.disconnect(child).py()
    }
    fn children(&self, id: usize) -> PyResult<Vec<usize>> {
        self.model.children(id).py()
    }

    // --- geometry and voltage
    fn area(&self, id: usize, x: f64) -> PyResult<f64> {
        self.model.area(id, x).py()
    }
    fn ri(&self, id: usize, x: f64) -> PyResult<f64> {
        self.model.ri(id, x).py()
    }
    fn volume(&self, id: usize, x: f64) -> PyResult<f64> {
        self.model.volume(id, x).py()
    }
    fn node_index(&self, id: usize, x: f64) -> PyResult<usize> {
        self.model.node_index(id, x).py()
    }
    fn v(&self, id: usize, x: f64) -> PyResult<f64> {
        self.model.v(id, x).py()
    }
    fn set_v(&mut self, id: usize, x: f64, value: f64) -> PyResult<()> {
        self.model.set_v(id, x, value).py()
    }

    // --- density mechanisms
    /// Inserts a density mechanism; returns whether it was not there yet.
    fn insert(&mut self, id: usize, name: &str) -> PyResult<bool> {
        self.model.insert(id, name).py()
    }
    fn uninsert(&mut self, id: usize, name: &str) -> PyResult<()> {
        self.model.uninsert(id, name).py()
    }
    /// Moves everything to the newest definition of reloaded mechanisms.
    fn follow_replacements(&mut self) -> bool {
        self.model.follow_replacements()
    }
    fn mechanisms_in(&self, id: usize) -> PyResult<Vec<&'static str>> {
        self.model.mechanisms_in(id).py()
    }
    fn density_get(&self, id: usize, x: f64, mech: &str, var: &str) -> PyResult<f64> {
        self.model.density_get(id, x, mech, var).py()
    }
    #[pyo3(signature = (id, x, mech, var, value))]
    fn density_set(&mut self, id: usize, x: Option<f64>, mech: &str, var: &str, value: f64) -> PyResult<()> {
        self.model.density_set(id, x, mech, var, value).py()
    }

    // --- point processes
    #[pyo3(signature = (name, sec=None, x=0.5))]
    fn point_new(&mut self, name: &str, sec: Option<usize>, x: f64) -> PyResult<usize> {
        self.model.point_new(name, sec.map(|s| (s, x))).py()
    }
    fn point_delete(&mut self, pp: usize) -> PyResult<()> {
        self.model.point_delete(pp).py()
    }
    fn point_locate(&mut self, pp: usize, sec: usize, x: f64) -> PyResult<()> {
        self.model.point_locate(pp, sec, x).py()
    }
    fn point_loc(&self, pp: usize) -> PyResult<Option<(usize, f64)>> {
        Ok(self.model.point(pp).py()?.loc)
    }
    fn point_mech(&self, pp: usize) -> PyResult<&'static str> {
        Ok(mechanisms::info(self.model.point(pp).py()?.mech).name)
    }
    fn point_get(&self, pp: usize, var: &str) -> PyResult<f64> {
        self.model.point_get(pp, var).py()
    }
    fn point_set(&mut self, pp: usize, var: &str, value: f64) -> PyResult<()> {
        self.model.point_set(pp, var, value).py()
    }
    /// `setpointer`: POINTER `var` of `owner`, ("point", pp) or ("density", sec, x, mech), reads `target`:
    /// ("v", sec, x), ("density", sec, x, mech, var) or ("point", pp, var).
    fn set_pointer(&mut self, owner: &Bound<'_, PyTuple>, var: &str, target: &Bound<'_, PyTuple>) -> PyResult<()> {
        let kind = |t: &Bound<'_, PyTuple>| -> PyResult<String> { t.get_item(0)?.extract() };
        let target = match kind(target)?.as_str() {
            "v" => Target::Voltage { sec: target.get_item(1)?.extract()?, x: target.get_item(2)?.extract()? },
            "density" => {
                let m = self.model.find_mechanism(&target.get_item(3)?.extract::<String>()?).py()?;
                let var = var_index(m, &target.get_item(4)?.extract::<String>()?)?;
                Target::Density { sec: target.get_item(1)?.extract()?, x: target.get_item(2)?.extract()?, mech: m, var }
            }
            "point" => {
                let pp: usize = target.get_item(1)?.extract()?;
                let var = var_index(self.model.point(pp).py()?.mech, &target.get_item(2)?.extract::<String>()?)?;
                Target::Point { pp, var }
            }
            other => return Err(PyValueError::new_err(format!("unknown POINTER target kind {other:?}"))),
        };
        match kind(owner)?.as_str() {
            "point" => {
                let pp: usize = owner.get_item(1)?.extract()?;
                let v = var_index(self.model.point(pp).py()?.mech, var)?;
                self.model.point_set_pointer(pp, v, target).py()
            }
            "density" => {
                let m = self.model.find_mechanism(&owner.get_item(3)?.extract::<String>()?).py()?;
                let (sec, x) = (owner.get_item(1)?.extract()?, owner.get_item(2)?.extract()?);
                self.model.density_set_pointer(sec, x, m, var_index(m, var)?, target).py()
            }
            other => Err(PyValueError::new_err(format!("unknown POINTER owner kind {other:?}"))),
        }
    }
    fn point_set_table(&mut self, pp: usize, values: Vec<f64>) -> PyResult<()> {
        self.model.point_set_table(pp, values).py()
    }
    fn point_take_table<'py>(&mut self, py: Python<'py>, pp: usize) -> PyResult<Bound<'py, PyArray1<f64>>> {
        Ok(self.model.point_take_table(pp).py()?.into_pyarray(py))
    }
    fn points_in(&self, sec: usize) -> Vec<usize> {
        self.model.points_in(sec)
    }

    // --- network
    /// A NetCon from a voltage location (sec, x), a point process, a gid, or nothing.
    #[pyo3(signature = (target, v_at=None, pp=None, gid=None))]
    fn netcon_new(
        &mut self,
        target: Option<usize>,
        v_at: Option<(usize, f64)>,
        pp: Option<usize>,
        gid: Option<i64>,
    ) -> PyResult<usize> {
        let source = match (v_at, pp, gid) {
            (Some((sec, x)), None, None) => SourceSpec::Voltage { sec, x },
            (None, Some(pp), None) => SourceSpec::Point(pp),
            (None, None, Some(gid)) => SourceSpec::Gid(gid),
            (None, None, None) => SourceSpec::None,
            _ => return Err(PyValueError::new_err("a NetCon has one source")),
        };
        self.model.netcon_new(source, target).py()
    }
    fn netcon_delete(&mut self, nc: usize) -> PyResult<()> {
        self.model.netcon_delete(nc).py()
    }
    /// (source, target pp or None, gid of the source or None); the source is ("v", sec, x),
    /// ("pp", pp, 0), ("gid", 0, 0) for a gid still without a cell, ("none", 0, 0) for a NetCon
    /// made without a source, or None once the source is deleted.
    #[allow(clippy::type_complexity)]
    fn netcon_ends(&self, nc: usize) -> PyResult<(Option<(&'static str, usize, f64)>, Option<usize>, Option<i64>)> {
        let n = self.model.netcon(nc).py()?;
        let (source, gid) = match n.presyn.map(|p| self.model.presyn(p)) {
            None => (Some(("none", 0, 0.0)), None),
            Some(p) => {
                let src = match p.source {
                    Some(SpikeSource::Voltage { sec, x }) => Some(("v", sec, x)),
                    Some(SpikeSource::Point(pp)) => Some(("pp", pp, 0.0)),
                    Some(SpikeSource::Gid) => Some(("gid", 0, 0.0)),
                    None => None,
                };
                (src, p.gid)
            }
        };
        Ok((source, n.target, gid))
    }
    fn netcon_weights(&self, nc: usize) -> PyResult<Vec<f64>> {
        self.model.netcon_weights(nc).py()
    }
    fn netcon_set_weight(&mut self, nc: usize, k: usize, w: f64) -> PyResult<()> {
        self.model.netcon_set_weight(nc, k, w).py()
    }
    fn netcon_delay(&self, nc: usize) -> PyResult<f64> {
        Ok(self.model.netcon(nc).py()?.delay)
    }
    fn netcon_set_delay(&mut self, nc: usize, delay: f64) -> PyResult<()> {
        self.model.netcon_set_delay(nc, delay).py()
    }
    fn netcon_threshold(&self, nc: usize) -> PyResult<f64> {
        self.model.netcon_threshold(nc).py()
    }
    fn netcon_set_threshold(&mut self, nc: usize, th: f64) -> PyResult<()> {
        self.model.netcon_set_threshold(nc, th).py()
    }
    fn netcon_active(&self, nc: usize) -> PyResult<bool> {
        Ok(self.model.netcon(nc).py()?.active)
    }
    fn netcon_set_active(&mut self, nc: usize, active: bool) -> PyResult<()> {
        self.model.netcon_set_active(nc, active).py()
    }
    fn netcon_record(&mut self, nc: usize, id: f64) -> PyResult<usize> {
        self.model.netcon_record(nc, id).py()
    }
    #[pyo3(signature = (nc, t, flag=None))]
    fn netcon_event(&mut self, nc: usize, t: f64, flag: Option<f64>) -> PyResult<()> {
        self.model.netcon_event(nc, t, flag).py()
    }
    /// The spikes recorded since the last call: (times ms, ids) as numpy arrays; None once the
    /// record has stopped.
    #[allow(clippy::type_complexity)]
    fn spike_record_take<'py>(
        &mut self,
        py: Python<'py>,
        rid: usize,
    ) -> Option<(Bound<'py, PyArray1<f64>>, Bound<'py, PyArray1<f64>>)> {
        let (t, ids) = self.model.spike_record_take(rid)?;
        Some((t.into_pyarray(py), ids.into_pyarray(py)))
    }
    fn spike_record_remove(&mut self, rid: usize) {
        self.model.spike_record_remove(rid)
    }
    fn gid_bind(&mut self, gid: i64, nc: usize) -> PyResult<()> {
        self.model.gid_bind(gid, nc).py()
    }
    fn gid_has_source(&self, gid: i64) -> bool {
        self.model.gid_presyn(gid).is_some()
    }
    fn gid_threshold(&self, gid: i64) -> PyResult<f64> {
        self.model.gid_threshold(gid).py()
    }
    fn gid_set_threshold(&mut self, gid: i64, th: f64) -> PyResult<()> {
        self.model.gid_set_threshold(gid, th).py()
    }
    #[pyo3(signature = (gid=None))]
    fn gid_spike_record(&mut self, gid: Option<i64>) -> PyResult<usize> {
        self.model.gid_spike_record(gid).py()
    }
    fn gid_clear(&mut self) {
        self.model.gid_clear()
    }
    fn set_threads(&mut self, n: usize) -> PyResult<()> {
        self.model.set_threads(n).py()
    }
    fn threads(&self) -> usize {
        self.model.threads()
    }
    /// Cell groups of the lowered model (one per thread unless delays between groups are short).
    fn cell_groups(&mut self) -> usize {
        self.model.groups()
    }
    fn remote_min_delay(&self) -> Option<f64> {
        self.model.remote_min_delay()
    }

    // --- globals
    fn global_get(&self, name: &str) -> PyResult<f64> {
        self.model.global(name).py()
    }
    fn global_set(&mut self, name: &str, value: f64) -> PyResult<()> {
        self.model.set_global(name, value).py()
    }
    fn global_names(&self) -> Vec<&'static str> {
        self.model.global_names()
    }

    // --- recording
    // Each record_* takes an optional sampling interval (ms) or list of sample times (ms).
    #[pyo3(signature = (interval=None, times=None))]
    fn record_time(&mut self, interval: Option<f64>, times: Option<Vec<f64>>) -> PyResult<usize> {
        self.model.record(Target::Time, schedule(interval, times)?).py()
    }
    #[pyo3(signature = (sec, x, interval=None, times=None))]
    fn record_v(&mut self, sec: usize, x: f64, interval: Option<f64>, times: Option<Vec<f64>>) -> PyResult<usize> {
        self.model.record(Target::Voltage { sec, x }, schedule(interval, times)?).py()
    }
    #[pyo3(signature = (sec, x, mech, var, interval=None, times=None))]
    #[allow(clippy::too_many_arguments)]
    fn record_density(
        &mut self,
        sec: usize,
        x: f64,
        mech: &str,
        var: &str,
        interval: Option<f64>,
        times: Option<Vec<f64>>,
    ) -> PyResult<usize> {
        let m = self.model.find_mechanism(mech).py()?;
        let v = var_index(m, var)?;
        self.model.record(Target::Density { sec, x, mech: m, var: v }, schedule(interval, times)?).py()
    }
    #[pyo3(signature = (pp, var, interval=None, times=None))]
    fn record_point(
        &mut self,
        pp: usize,
        var: &str,
        interval: Option<f64>,
        times: Option<Vec<f64>>,
    ) -> PyResult<usize> {
        let v = var_index(self.model.point(pp).py()?.mech, var)?;
        self.model.record(Target::Point { pp, var: v }, schedule(interval, times)?).py()
    }
    /// The samples taken since the last call, as a numpy array that owns them.
    fn record_take<'py>(&mut self, py: Python<'py>, id: usize) -> Bound<'py, PyArray1<f64>> {
        self.model.record_take(id).into_pyarray(py)
    }
    fn record_remove(&mut self, id: usize) {
        self.model.record_remove(id)
    }

    // --- playing: each play_* takes either element times (ms) or an interval dt (ms)
    #[pyo3(signature = (sec, x, values, times=None, dt=None, continuous=false))]
    fn play_v(
        &mut self,
        sec: usize,
        x: f64,
        values: Vec<f64>,
        times: Option<Vec<f64>>,
        dt: Option<f64>,
        continuous: bool,
    ) -> PyResult<usize> {
        self.model.play_new(Target::Voltage { sec, x }, play_times(times, dt)?, values, continuous).py()
    }
    #[pyo3(signature = (sec, x, mech, var, values, times=None, dt=None, continuous=false))]
    #[allow(clippy::too_many_arguments)]
    fn play_density(
        &mut self,
        sec: usize,
        x: f64,
        mech: &str,
        var: &str,
        values: Vec<f64>,
        times: Option<Vec<f64>>,
        dt: Option<f64>,
        continuous: bool,
    ) -> PyResult<usize> {
        let m = self.model.find_mechanism(mech).py()?;
        let target = Target::Density { sec, x, mech: m, var: var_index(m, var)? };
        self.model.play_new(target, play_times(times, dt)?, values, continuous).py()
    }
    #[pyo3(signature = (pp, var, values, times=None, dt=None, continuous=false))]
    fn play_point(
        &mut self,
        pp: usize,
        var: &str,
        values: Vec<f64>,
        times: Option<Vec<f64>>,
        dt: Option<f64>,
        continuous: bool,
    ) -> PyResult<usize> {
        let target = Target::Point { pp, var: var_index(self.model.point(pp).py()?.mech, var)? };
        self.model.play_new(target, play_times(times, dt)?, values, continuous).py()
    }
    #[pyo3(signature = (id, values, times=None, dt=None))]
    fn play_set_data(&mut self, id: usize, values: Vec<f64>, times: Option<Vec<f64>>, dt: Option<f64>) -> PyResult<()> {
        self.model.play_set_data(id, play_times(times, dt)?, values).py()
    }
    fn play_remove(&mut self, id: usize) {
        self.model.play_remove(id)
    }

    // --- running
    #[pyo3(signature = (v=None))]
    fn finitialize(&mut self, py: Python<'_>, v: Option<f64>) -> PyResult<()> {
        let model = &mut self.model;
        py.detach(|| model.finitialize(v)).py()
    }
    fn fadvance(&mut self) {
        self.model.fadvance()
    }
    /// One part of finitialize: "start" (t = 0, plays, v set), "mechanisms" (INITIAL blocks),
    /// "finish" (events due at 0, currents, the t = 0 record).
    #[pyo3(signature = (part, v=None))]
    fn finitialize_part(&mut self, py: Python<'_>, part: &str, v: Option<f64>) -> PyResult<()> {
        let part = match part {
            "start" => InitPart::Start,
            "mechanisms" => InitPart::Mechanisms,
            "finish" => InitPart::Finish,
            _ => return Err(PyValueError::new_err(format!("unknown finitialize part '{part}'"))),
        };
        let model = &mut self.model;
        py.detach(|| model.finitialize_part(part, v)).py()
    }
    /// Steps while t < t_limit (ms), at most max_steps, releasing the GIL; returns the steps
    /// taken.
    #[pyo3(signature = (t_limit, max_steps=u64::MAX))]
    fn advance_until(&mut self, py: Python<'_>, t_limit: f64, max_steps: u64) -> PyResult<u64> {
        let mut total = 0;
        while total < max_steps {
            let chunk = (max_steps - total).min(STEPS_PER_CHECK);
            let model = &mut self.model;
            let n = py.detach(|| model.advance_until(t_limit, chunk)).py()?;
            total += n;
            py.check_signals()?;
            if n < chunk {
                break;
            }
        }
        Ok(total)
    }
    /// Runs `steps` fixed steps, releasing the GIL and checking for Ctrl-C between chunks.
    fn advance(&mut self, py: Python<'_>, steps: u64) -> PyResult<()> {
        let mut left = steps;
        while left > 0 {
            let chunk = left.min(STEPS_PER_CHECK);
            let model = &mut self.model;
            py.detach(|| model.advance(chunk));
            py.check_signals()?;
            left -= chunk;
        }
        Ok(())
    }
    /// Advances while t < tstop in chunks of `steps_per_chunk` steps, releasing the GIL;
    /// checks for Ctrl-C and calls `progress(t)` every few thousand steps.
    #[pyo3(signature = (tstop, steps_per_chunk=1, progress=None))]
    fn continuerun(
        &mut self,
        py: Python<'_>,
        tstop: f64,
        steps_per_chunk: u64,
        progress: Option<Py<PyAny>>,
    ) -> PyResult<()> {
        loop {
            let model = &mut self.model;
            let done = py.detach(|| model.continuerun_part(tstop, steps_per_chunk, STEPS_PER_CHECK)).py()?;
            py.check_signals()?;
            if let Some(cb) = &progress {
                cb.call1(py, (self.model.t(),))?;
            }
            if done {
                return Ok(());
            }
        }
    }
}

fn play_times(times: Option<Vec<f64>>, dt: Option<f64>) -> PyResult<PlayTimes> {
    match (times, dt) {
        (Some(t), None) => Ok(PlayTimes::At(t)),
        (None, Some(dt)) => Ok(PlayTimes::Every(dt)),
        _ => Err(PyValueError::new_err("a play takes either element times or an interval")),
    }
}

fn schedule(interval: Option<f64>, times: Option<Vec<f64>>) -> PyResult<Schedule> {
    match (interval, times) {
        (None, None) => Ok(Schedule::EveryStep),
        (Some(iv), None) => Ok(Schedule::Interval(iv)),
        (None, Some(t)) => Ok(Schedule::Times(t)),
        (Some(_), Some(_)) => Err(PyValueError::new_err("give a sampling interval or sample times, not both")),
    }
}

fn var_index(mech: usize, var: &str) -> PyResult<usize> {
    let info = mechanisms::info(mech);
    info.var_index(var).ok_or_else(|| PyValueError::new_err(format!("{} has no variable '{var}'", info.name)))
}

fn kind_name(k: MechKind) -> &'static str {
    match k {
        MechKind::Density => "density",
        MechKind::Ion => "ion",
        MechKind::Point => "point",
        MechKind::Artificial => "artificial",
    }
}

/// Every mechanism in use (built-in or loaded): (name, kind, ions used, electrode current).
#[pyfunction]
fn mechanism_list() -> Vec<(&'static str, &'static str, Vec<&'static str>, bool)> {
    mechanisms::current().iter().map(|m| (m.name, kind_name(m.kind), m.ions.clone(), m.electrode_current)).collect()
}

/// Every per-instance variable of a mechanism, hidden ones included, in storage order, with its default.
#[pyfunction]
fn mechanism_all_vars(name: &str) -> PyResult<Vec<(&'static str, f64)>> {
    let id = mechanisms::find(name).ok_or_else(|| PyValueError::new_err(format!("unknown mechanism '{name}'")))?;
    Ok(mechanisms::info(id).vars.iter().map(|v| (v.name, v.default)).collect())
}

/// Variables of a mechanism: (name, units, kind, default), in psection order.
#[pyfunction]
fn mechanism_vars(name: &str) -> PyResult<Vec<(&'static str, &'static str, &'static str, f64)>> {
    let id = mechanisms::find(name).ok_or_else(|| PyValueError::new_err(format!("unknown mechanism '{name}'")))?;
    Ok(mechanisms::info(id)
        .vars
        .iter()
        .filter(|v| v.kind != VarKind::Internal)
        .map(|v| {
            let kind = match v.kind {
                VarKind::Parameter => "parameter",
                VarKind::Assigned => "assigned",
                VarKind::State => "state",
                VarKind::Pointer { .. } => "pointer",
                VarKind::Internal => unreachable!("filtered out"),
            };
            (v.name, v.units, kind, v.default)
        })
        .collect())
}

/// hh.mod's rates(v) at a temperature, through the table or exactly:
/// (minf, hinf, ninf, mtau ms, htau ms, ntau ms).
#[pyfunction]
fn hh_rates(v: f64, celsius: f64, usetable: bool) -> (f64, f64, f64, f64, f64, f64) {
    use rheobase_core::mechanisms::hh::{exact_rates, RateTable};
    let r = if usetable { RateTable::new(celsius).lookup(v) } else { exact_rates(v, celsius) };
    (r.minf, r.hinf, r.ninf, r.mtau, r.htau, r.ntau)
}

/// The next uniform draw in (0, 1) of a Random123 stream (its `random123::STREAM_SLOTS` values), as NEURON's
/// nrnran123_dblpick, and the stream after it.
#[pyfunction]
fn random123_uniform(mut stream: [f64; rheobase_core::random123::STREAM_SLOTS]) -> (f64, Vec<f64>) {
    let x = rheobase_core::random123::next_uniform(&mut stream);
    (x, stream.to_vec())
}

#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Engine>()?;
    m.add_function(wrap_pyfunction!(random123_uniform, m)?)?;
    m.add_function(wrap_pyfunction!(mechanism_list, m)?)?;
    m.add_function(wrap_pyfunction!(mechanism_vars, m)?)?;
    m.add_function(wrap_pyfunction!(mechanism_all_vars, m)?)?;
    m.add_function(wrap_pyfunction!(hh_rates, m)?)?;
    m.add_class::<neun::NeunNeuron>()?;
    m.add_class::<neun::NeunPopulation>()?;
    m.add_class::<neun::NeunSynapse>()?;
    m.add_function(wrap_pyfunction!(neun::neun_models, m)?)?;
    m.add_function(wrap_pyfunction!(nmodl::nmodl_check, m)?)?;
    m.add_function(wrap_pyfunction!(nmodl::nmodl_load, m)?)?;
    m.add_function(wrap_pyfunction!(nmodl::nmodl_functions, m)?)?;
    m.add_function(wrap_pyfunction!(nmodl::nmodl_has_function, m)?)?;
    m.add_function(wrap_pyfunction!(nmodl::nmodl_random, m)?)?;
    m.add_function(wrap_pyfunction!(nmodl::nmodl_function_tables, m)?)?;
    m.add_function(wrap_pyfunction!(nmodl::nmodl_set_function_table, m)?)?;
    m.add_function(wrap_pyfunction!(nmodl::nmodl_call, m)?)?;
    Ok(())
}
