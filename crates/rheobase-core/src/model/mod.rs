//! The model: the description users edit, lowered on demand into a [`Simulation`].
//!
//! Structural edits (sections, nseg, geometry, insert, point processes, recordings) drop the
//! lowered simulation after copying its state back; the next step lowers again. Parameter
//! writes go to both the description and, when lowered, straight into the arrays.
//! Every method validates before it mutates, so a failed call leaves the model as it was.

mod lowering;
pub mod network;

use lowering::Lowered;
use network::{NetCon, NetworkIndex, PreSyn, SpikeRecord};

use crate::discretise::{discretise, Nodes, SectionNodes};
use crate::error::{arc_position, finite, positive, suggest, Error, Result};
use crate::mechanisms::{self, MechId, MechKind};
use crate::morphology::{place, segment_centre, segment_index, Inserted, Place, Section, SectionId};
use crate::play::{Play, PlayTimes};
use crate::recording::{Recorder, Schedule, Target};
use crate::simulation::{Clock, InitPart, Simulation};
use std::collections::HashMap;
use std::f64::consts::PI;

/// The smallest sampling interval `Vector.record(ref, Dt)` accepts, ms.
pub const MIN_RECORD_INTERVAL_MS: f64 = 1e-6;

/// A point process (IClamp, ...) and where it sits.
#[derive(Debug, Clone)]
pub struct PointProcess {
    pub mech: MechId,
    /// Section and x; x is snapped to the centre of its segment (0 and 1 stay exact).
    pub loc: Option<(SectionId, f64)>,
    pub values: Vec<f64>,
    /// See [`crate::mechanisms::BlockData::tables`].
    pub table: Vec<f64>,
    /// Its POINTER variables' targets (`setpointer`), by variable index.
    pub pointers: HashMap<usize, Target>,
}

pub struct Model {
    sections: Vec<Option<Section>>,
    points: Vec<Option<PointProcess>>,
    recorders: Vec<Option<Recorder>>,
    plays: Vec<Option<Play>>,
    clock: Clock,
    /// Mechanism globals such as usetable_hh, by full name.
    globals: HashMap<&'static str, f64>,
    sim: Option<Lowered>,
    /// Number of connect calls so far (orders children like NEURON).
    connections: u64,
    presyns: Vec<PreSyn>,
    netcons: Vec<Option<NetCon>>,
    spike_records: Vec<Option<SpikeRecord>>,
    /// gid → its PreSyn.
    gids: HashMap<i64, usize>,
    index: NetworkIndex,
    /// Events pending while the simulation is dropped for a structural edit.
    pending: crate::events::EventQueue,
    /// Random123 streams handed out so far (the k-th gets ids (1, 0, k), as in NEURON).
    random_streams: u32,
    /// POINTERs of density mechanisms: (section, segment, mechanism, variable) → its target.
    density_pointers: HashMap<(SectionId, usize, MechId, usize), Target>,
    /// Threads the cell groups run on (`pc.nthread`).
    threads: usize,
    pool: Option<std::sync::Arc<rayon::ThreadPool>>,
}

impl Default for Model {
    fn default() -> Self {
        Self::new()
    }
}

impl Model {
    pub fn new() -> Self {
        let mut globals = HashMap::new();
        for m in mechanisms::registry() {
            for g in m.globals.iter().filter(|g| !g.external) {
                globals.insert(g.name, g.default);
            }
        }
        Model {
            sections: Vec::new(),
            points: Vec::new(),
            recorders: Vec::new(),
            plays: Vec::new(),
            clock: Clock { t: 0.0, dt: 0.025, celsius: 6.3, secondorder: 0 },
            globals,
            sim: None,
            connections: 0,
            presyns: Vec::new(),
            netcons: Vec::new(),
            spike_records: Vec::new(),
            gids: HashMap::new(),
            index: NetworkIndex::default(),
            pending: Default::default(),
            random_streams: 0,
            density_pointers: HashMap::new(),
            threads: 1,
            pool: None,
        }
    }

    // ----------------------------------------------------------------------------- sections

    pub fn add_section(&mut self, name: &str) -> SectionId {
        self.invalidate();
        self.sections.push(Some(Section::new(name)));
        self.sections.len() - 1
    }

    pub fn section(&self, id: SectionId) -> Result<&Section> {
        self.sections
            .get(id)
            .and_then(|s| s.as_ref())
            .ok_or_else(|| Error::Deleted("the section has been deleted".into()))
    }

    /// Mutable access to a section's description; drops the lowered simulation first because
    /// the caller changes structure or geometry.
    fn section_mut_structural(&mut self, id: SectionId) -> Result<&mut Section> {
        self.section(id)?;
        self.invalidate();
        Ok(self.sections[id].as_mut().expect("checked above"))
    }

    /// Live sections in creation order.
    pub fn section_ids(&self) -> Vec<SectionId> {
        (0..self.sections.len()).filter(|&i| self.sections[i].is_some()).collect()
    }

    /// Deletes a section; its children become roots and its point processes lose their location.
    pub fn delete_section(&mut self, id: SectionId) -> Result<()> {
        self.section(id)?;
        self.invalidate();
        for s in self.sections.iter_mut().flatten() {
            if matches!(s.parent, Some((p, _)) if p == id) {
                s.parent = None;
            }
        }
        for p in self.points.iter_mut().flatten() {
            if matches!(p.loc, Some((s, _)) if s == id) {
                p.loc = None;
            }
        }
        self.forget_section_in_network(id);
        self.sections[id] = None;
        Ok(())
    }

    /// Children in NEURON's order: ascending connection position along the parent measured from
    /// its connecting end (x, or 1 − x for a reversed parent), the most recently connected first
    /// among equal positions.
    pub fn children(&self, id: SectionId) -> Result<Vec<SectionId>> {
        let reversed = self.section(id)?.child_end == 1.0;
        let mut kids: Vec<(f64, u64, SectionId)> = self
            .sections
            .iter()
            .enumerate()
            .filter_map(|(c, s)| match s.as_ref()?.parent {
                Some((p, x)) if p == id => Some((if reversed { 1.0 - x } else { x }, s.as_ref()?.connected_seq, c)),
                _ => None,
            })
            .collect();
        kids.sort_by(|a, b| a.0.total_cmp(&b.0).then(b.1.cmp(&a.1)));
        Ok(kids.into_iter().map(|k| k.2).collect())
    }

    pub fn set_length(&mut self, id: SectionId, l_um: f64) -> Result<()> {
        positive("L", l_um)?;
        self.section_mut_structural(id)?.set_length(l_um)
    }

    pub fn set_ra(&mut self, id: SectionId, ra: f64) -> Result<()> {
        positive("Ra", ra)?;
        self.section_mut_structural(id)?.set_ra(ra)
    }

    pub fn set_rallbranch(&mut self, id: SectionId, n: f64) -> Result<()> {
        positive("rallbranch", n)?;
        self.section_mut_structural(id)?.set_rallbranch(n)
    }

    /// Sets a section's nseg. Returns the density-mechanism instances that are new, (segment, mechanism), in the
    /// order NEURON allocates them: each has new RANDOM streams, and its CONSTRUCTOR runs from Python.
    pub fn set_nseg(&mut self, id: SectionId, nseg: i64) -> Result<Vec<(usize, MechId)>> {
        if !(1..=32767).contains(&nseg) {
            return Err(Error::Value(format!("nseg must be an integer in [1, 32767], got {nseg}")));
        }
        if self.section(id)?.nseg() == nseg as usize {
            return Ok(Vec::new());
        }
        let n = nseg as usize;
        let clones = self.section_mut_structural(id)?.set_nseg(n)?;
        let mut mechs = std::mem::take(&mut self.section_mut_structural(id)?.mechs);
        let s = self.section(id)?;
        // NEURON allocates a clone's instances in its source's order, the reverse of the clone's own.
        let new: Vec<(usize, MechId)> =
            clones.iter().flat_map(|&i| s.node_mechs[i].iter().rev().map(move |&m| (i, m))).collect();
        for &(i, mech) in &new {
            let m = mechs.iter_mut().find(|m| m.mech == mech).expect("a node lists its section's mechanisms");
            self.new_streams(m, i);
        }
        self.section_mut_structural(id)?.mechs = mechs;
        // Point processes move to the centre of the segment that now holds them.
        for p in self.points.iter_mut().flatten() {
            if let Some((s, x)) = p.loc.as_mut() {
                if *s == id && *x > 0.0 && *x < 1.0 {
                    *x = segment_centre(n, segment_index(n, *x));
                }
            }
        }
        self.move_sources(id, n);
        Ok(new)
    }

    /// The segments a location addresses: one (x given) or all (x None).
    fn segments(&self, id: SectionId, x: Option<f64>, what: &str) -> Result<Vec<usize>> {
        let s = self.section(id)?;
        match x {
            None => Ok((0..s.nseg()).collect()),
            Some(x) => match place(s.nseg(), x)? {
                Place::Segment(i) => Ok(vec![i]),
                _ => Err(Error::Value(format!("{what} is not defined at the zero-area end {}({x})", s.name))),
            },
        }
    }

    pub fn set_diam(&mut self, id: SectionId, x: Option<f64>, diam_um: f64) -> Result<()> {
        positive("diam", diam_um)?;
        let segs = self.segments(id, x, "diam")?;
        let s = self.section_mut_structural(id)?;
        for i in segs {
            s.diam_um[i] = diam_um;
        }
        Ok(())
    }

    pub fn diam(&self, id: SectionId, x: f64) -> Result<f64> {
        let s = self.section(id)?;
        // NEURON reports the nearest segment's diameter at the ends.
        Ok(s.diam_um[segment_index(s.nseg(), arc_position(x)?)])
    }

    pub fn set_cm(&mut self, id: SectionId, x: Option<f64>, cm: f64) -> Result<()> {
        finite("cm", cm)?;
        if cm < 0.0 {
            return Err(Error::Value(format!("cm must be >= 0, got {cm}")));
        }
        let segs = self.segments(id, x, "cm")?;
        let nodes: Vec<usize> = match self.lowered_section(id) {
            Some(sn) => segs.iter().map(|&i| sn.segment[i]).collect(),
            None => Vec::new(),
        };
        if let Some(l) = self.sim.as_mut() {
            let g = l.group_mut(id);
            for n in nodes {
                g.nodes.cm_uf_cm2[n] = cm;
            }
        }
        let s = self.sections[id].as_mut().expect("checked");
        for i in segs {
            s.cm_uf_cm2[i] = cm;
        }
        Ok(())
    }

    pub fn cm(&self, id: SectionId, x: f64) -> Result<f64> {
        let s = self.section(id)?;
        Ok(s.cm_uf_cm2[segment_index(s.nseg(), arc_position(x)?)])
    }

    /// `child.connect(parent(parent_x), child_end)`.
    pub fn connect(&mut self, child: SectionId, child_end: f64, parent: SectionId, parent_x: f64) -> Result<()> {
        self.section(child)?;
        self.section(parent)?;
        arc_position(parent_x)?;
        if child_end != 0.0 && child_end != 1.0 {
            return Err(Error::Value(format!("the connecting end must be 0 or 1, got {child_end}")));
        }
        // Refuse loops: the parent must not be in the child's subtree.
        let mut p = Some(parent);
        while let Some(s) = p {
            if s == child {
                return Err(Error::Value("connecting would create a loop in the tree".into()));
            }
            p = self.sections[s].as_ref().unwrap().parent.map(|(q, _)| q);
        }
        self.connections += 1;
        let seq = self.connections;
        let s = self.section_mut_structural(child)?;
        s.parent = Some((parent, parent_x));
        s.child_end = child_end;
        s.connected_seq = seq;
        Ok(())
    }

    pub fn disconnect(&mut self, child: SectionId) -> Result<()> {
        self.section_mut_structural(child)?.parent = None;
        Ok(())
    }

    // ----------------------------------------------------------------------------- geometry

    /// The node arrays holding a live section: its group's when lowered, else discretised afresh.
    fn nodes(&self, id: SectionId) -> std::borrow::Cow<'_, Nodes> {
        match &self.sim {
            Some(l) => std::borrow::Cow::Borrowed(&l.group(id).nodes),
            None => std::borrow::Cow::Owned(discretise(&self.sections)),
        }
    }

    fn lowered_section(&self, id: SectionId) -> Option<&SectionNodes> {
        self.sim.as_ref().and_then(|l| l.group(id).nodes.sections[id].as_ref())
    }

    /// Where x falls on a live section (validates both).
    pub(crate) fn place_in(&self, id: SectionId, x: f64) -> Result<Place> {
        place(self.section(id)?.nseg(), x)
    }

    /// The node at x in the numbering of [`Model::nodes`].
    fn node_of(&self, id: SectionId, x: f64) -> Result<(Place, usize)> {
        let s = self.section(id)?;
        let p = place(s.nseg(), x)?;
        let nodes = self.nodes(id);
        let sn = nodes.sections[id].as_ref().expect("live sections are lowered");
        Ok((p, sn.node(p)))
    }

    /// Membrane area of the segment at x, µm² (0 at the ends).
    pub fn area(&self, id: SectionId, x: f64) -> Result<f64> {
        let s = self.section(id)?;
        Ok(match place(s.nseg(), x)? {
            Place::Segment(i) => PI * s.diam_um[i] * s.length_um / s.nseg() as f64,
            _ => 0.0,
        })
    }

    /// Axial resistance between the node at x and its parent node, MΩ.
    pub fn ri(&self, id: SectionId, x: f64) -> Result<f64> {
        let (_, node) = self.node_of(id, x)?;
        Ok(self.nodes(id).ri_mohm[node])
    }

    /// Volume of the segment at x, µm³ (0 at the ends).
    pub fn volume(&self, id: SectionId, x: f64) -> Result<f64> {
        let s = self.section(id)?;
        Ok(match place(s.nseg(), x)? {
            Place::Segment(i) => PI * s.diam_um[i] * s.diam_um[i] / 4.0 * s.length_um / s.nseg() as f64,
            _ => 0.0,
        })
    }

    /// An identifier of the node at x, unique in the model (equal for locations on one node).
    pub fn node_index(&self, id: SectionId, x: f64) -> Result<usize> {
        let node = self.node_of(id, x)?.1;
        Ok(match &self.sim {
            Some(l) => l.sim.groups[..l.group_of[id]].iter().map(|g| g.v.len()).sum::<usize>() + node,
            None => node,
        })
    }

    // ----------------------------------------------------------------------------- voltage

    pub fn v(&self, id: SectionId, x: f64) -> Result<f64> {
        let p = self.place_in(id, x)?;
        if let Some(l) = &self.sim {
            return Ok(l.group(id).v[self.node_of(id, x)?.1]);
        }
        Ok(self.described_v(id, p))
    }

    fn described_v(&self, id: SectionId, p: Place) -> f64 {
        let s = self.sections[id].as_ref().unwrap();
        let at_start = matches!((p, s.child_end == 0.0), (Place::Start, true) | (Place::End, false));
        match p {
            Place::Segment(i) => s.v_mv[i],
            _ if !at_start => s.v_end_mv,
            _ => match s.parent {
                None => s.v_root_mv,
                Some((par, px)) => {
                    let ps = self.sections[par].as_ref().unwrap();
                    self.described_v(par, place(ps.nseg(), px).unwrap())
                }
            },
        }
    }

    pub fn set_v(&mut self, id: SectionId, x: f64, v: f64) -> Result<()> {
        finite("v", v)?;
        self.place_in(id, x)?;
        self.ensure_lowered();
        let (_, node) = self.node_of(id, x)?;
        self.sim.as_mut().unwrap().group_mut(id).v[node] = v;
        Ok(())
    }

    // ----------------------------------------------------------------------------- mechanisms

    pub fn find_mechanism(&self, name: &str) -> Result<MechId> {
        mechanisms::find(name).ok_or_else(|| Error::UnknownName {
            what: "mechanism".into(),
            name: name.into(),
            suggestion: suggest(name, mechanisms::registry().iter().map(|m| m.name)),
        })
    }

    /// Inserts a density mechanism in a section; returns whether it was not there yet.
    pub fn insert(&mut self, id: SectionId, name: &str) -> Result<bool> {
        let mech = self.find_mechanism(name)?;
        let info = mechanisms::info(mech);
        if info.is_point() {
            return Err(Error::Value(format!("{name} is a point process, not a density mechanism")));
        }
        if self.section(id)?.mech_index(mech).is_some() {
            return Ok(false);
        }
        let nseg = self.section(id)?.nseg();
        let fresh = |m: MechId| Inserted {
            mech: m,
            values: mechanisms::info(m).vars.iter().map(|v| vec![v.default; nseg]).collect(),
        };
        let mut inserted = fresh(mech);
        // NEURON's mech_insert1 allocates the instances from the last segment to the first.
        for i in (0..nseg).rev() {
            self.new_streams(&mut inserted, i);
        }
        let s = self.section_mut_structural(id)?;
        s.mechs.push(inserted);
        s.node_mechs.iter_mut().for_each(|node| node.insert(0, mech));
        if info.kind == MechKind::Density {
            for ion in &info.ions {
                let ion_mech = mechanisms::find(&format!("{ion}_ion")).expect("ion registered");
                if s.mech_index(ion_mech).is_none() {
                    s.mechs.push(fresh(ion_mech));
                    s.node_mechs.iter_mut().for_each(|node| node.insert(0, ion_mech));
                }
            }
        }
        Ok(true)
    }

    pub fn uninsert(&mut self, id: SectionId, name: &str) -> Result<()> {
        let mech = self.find_mechanism(name)?;
        let Some(k) = self.section(id)?.mech_index(mech) else {
            return Ok(());
        };
        let s = self.section_mut_structural(id)?;
        s.mechs.remove(k);
        s.node_mechs.iter_mut().for_each(|node| node.retain(|&m| m != mech));
        Ok(())
    }

    /// Names of the mechanisms inserted in a section, in insertion order (ions included).
    pub fn mechanisms_in(&self, id: SectionId) -> Result<Vec<&'static str>> {
        Ok(self.section(id)?.mechs.iter().map(|m| mechanisms::info(m.mech).name).collect())
    }

    fn var_of(&self, mech: MechId, var: &str) -> Result<usize> {
        let info = mechanisms::info(mech);
        info.var_index(var).ok_or_else(|| Error::UnknownName {
            what: format!("variable of {}", info.name),
            name: var.into(),
            suggestion: suggest(var, info.vars.iter().map(|v| v.name)),
        })
    }

    /// (mechanism, variable, segment) of a density variable at x, with NEURON's messages when
    /// the mechanism is absent or x is a zero-area end.
    fn density_site(&self, id: SectionId, x: f64, mech_name: &str, var: &str) -> Result<(MechId, usize, usize, usize)> {
        let mech = self.find_mechanism(mech_name)?;
        let var = self.var_of(mech, var)?;
        let s = self.section(id)?;
        let absent = || Error::NotInserted(format!("{mech_name} mechanism does not exist at {}({x})", s.name));
        let k = s.mech_index(mech).ok_or_else(absent)?;
        match place(s.nseg(), x)? {
            Place::Segment(i) => Ok((mech, var, k, i)),
            _ => Err(absent()),
        }
    }

    pub fn density_get(&self, id: SectionId, x: f64, mech: &str, var: &str) -> Result<f64> {
        let (m, v, k, i) = self.density_site(id, x, mech, var)?;
        if let Some(l) = &self.sim {
            let (b, inst) = &l.density[&(id, m)];
            return Ok(l.group(id).blocks[*b].data.vars[v][inst[i]]);
        }
        Ok(self.sections[id].as_ref().unwrap().mechs[k].values[v][i])
    }

    /// Sets a density variable at x, or in every segment when x is None.
    pub fn density_set(&mut self, id: SectionId, x: Option<f64>, mech: &str, var: &str, value: f64) -> Result<()> {
        finite(var, value)?;
        let segs: Vec<usize> = match x {
            Some(x) => vec![self.density_site(id, x, mech, var)?.3],
            None => {
                self.density_site(id, 0.5, mech, var)?;
                (0..self.section(id)?.nseg()).collect()
            }
        };
        let (m, v, k, _) = self.density_site(id, 0.5, mech, var)?;
        if let Some(l) = self.sim.as_mut() {
            let (b, inst) = l.density[&(id, m)].clone();
            let g = l.group_mut(id);
            for &i in &segs {
                g.blocks[b].data.vars[v][inst[i]] = value;
            }
        }
        let s = self.sections[id].as_mut().unwrap();
        for &i in &segs {
            s.mechs[k].values[v][i] = value;
        }
        Ok(())
    }

    // ----------------------------------------------------------------------------- point processes

    pub fn point_new(&mut self, name: &str, loc: Option<(SectionId, f64)>) -> Result<usize> {
        let mech = self.find_mechanism(name)?;
        let info = mechanisms::info(mech);
        if !info.is_point() {
            return Err(Error::Value(format!("{name} is a density mechanism, not a point process")));
        }
        let loc = match loc {
            // An artificial cell has no membrane to sit on: its location is ignored (as in NEURON).
            Some(_) if info.kind == MechKind::Artificial => None,
            Some((s, x)) => Some((s, self.snap(s, x)?)),
            None => None,
        };
        self.invalidate();
        let mut values: Vec<f64> = info.vars.iter().map(|v| v.default).collect();
        for (k, stream) in self.next_streams(mech) {
            values[k..k + crate::random123::STREAM_SLOTS].copy_from_slice(&stream);
        }
        self.points.push(Some(PointProcess { mech, loc, values, table: Vec::new(), pointers: HashMap::new() }));
        Ok(self.points.len() - 1)
    }

    /// A fresh Random123 stream for each RANDOM variable of segment `i`'s instance of `m` (in declaration order:
    /// `random123::STREAM_SLOTS` slots from "<name>:id1"), ids (1, rank 0, serial number), as NEURON's
    /// nrnran123_newstream when it allocates an instance.
    fn new_streams(&mut self, m: &mut Inserted, i: usize) {
        for (k, stream) in self.next_streams(m.mech) {
            for (values, x) in m.values[k..k + crate::random123::STREAM_SLOTS].iter_mut().zip(stream) {
                values[i] = x;
            }
        }
    }

    /// New streams for one instance of `mech`: (index of the first slot, the stream's slots) per RANDOM variable.
    fn next_streams(&mut self, mech: MechId) -> Vec<(usize, [f64; crate::random123::STREAM_SLOTS])> {
        let info = mechanisms::info(mech);
        let firsts = info.vars.iter().enumerate().filter(|(_, v)| v.name.ends_with(":id1")).map(|(k, _)| k);
        firsts
            .map(|k| {
                self.random_streams += 1;
                (k, crate::random123::new_stream([1, 0, self.random_streams]))
            })
            .collect()
    }

    /// x moved to the centre of its segment (0 and 1 stay).
    fn snap(&self, id: SectionId, x: f64) -> Result<f64> {
        let s = self.section(id)?;
        Ok(match place(s.nseg(), x)? {
            Place::Segment(i) => segment_centre(s.nseg(), i),
            _ => x,
        })
    }

    pub fn point(&self, pp: usize) -> Result<&PointProcess> {
        self.points
            .get(pp)
            .and_then(|p| p.as_ref())
            .ok_or_else(|| Error::Deleted("the point process has been deleted".into()))
    }

    pub fn point_delete(&mut self, pp: usize) -> Result<()> {
        self.point(pp)?;
        self.invalidate();
        self.points[pp] = None;
        self.forget_point_in_network(pp);
        Ok(())
    }

    /// `setpointer(target, var, pp)`: POINTER `var` of the point process reads `target` (a voltage, or a
    /// variable of a mechanism or point process) when its kernel runs (and writes it, if it assigns it).
    pub fn point_set_pointer(&mut self, pp: usize, var: usize, target: Target) -> Result<()> {
        let info = mechanisms::info(self.point(pp)?.mech);
        match info.vars.get(var) {
            Some(v) if v.kind.is_pointer() => {}
            Some(v) => return Err(Error::Value(format!("{}.{} is not a POINTER", info.name, v.name))),
            None => return Err(Error::Value(format!("{} has no variable {var}", info.name))),
        }
        if matches!(target, Target::Time) {
            return Err(Error::Value("a POINTER cannot point to t".into()));
        }
        self.check_target(&target)?;
        self.invalidate();
        self.points[pp].as_mut().expect("checked").pointers.insert(var, target);
        Ok(())
    }

    /// `setpointer(target, var, sec(x).mech)`: POINTER `var` of a density mechanism at one segment.
    pub fn density_set_pointer(
        &mut self,
        sec: SectionId,
        x: f64,
        mech: MechId,
        var: usize,
        target: Target,
    ) -> Result<()> {
        let info = mechanisms::info(mech);
        if !info.vars.get(var).is_some_and(|v| v.kind.is_pointer()) {
            return Err(Error::Value(format!("{} has no POINTER number {var}", info.name)));
        }
        let section = self.section(sec)?;
        if !section.mechs.iter().any(|m| m.mech == mech) {
            return Err(Error::Value(format!("{} is not inserted in {}", info.name, section.name)));
        }
        if matches!(target, Target::Time) {
            return Err(Error::Value("a POINTER cannot point to t".into()));
        }
        let segment = segment_index(section.nseg(), x);
        self.check_target(&target)?;
        self.invalidate();
        self.density_pointers.insert((sec, segment, mech, var), target);
        Ok(())
    }

    /// NEURON refuses to initialise while a POINTER points nowhere.
    fn check_pointers(&self) -> Result<()> {
        for (id, s) in self.sections.iter().enumerate() {
            let Some(s) = s else { continue };
            for m in &s.mechs {
                let info = mechanisms::info(m.mech);
                for (k, v) in info.vars.iter().enumerate().filter(|(_, v)| v.kind.is_pointer()) {
                    if let Some(i) = (0..s.nseg()).find(|&i| !self.density_pointers.contains_key(&(id, i, m.mech, k))) {
                        let x = segment_centre(s.nseg(), i);
                        return Err(Error::Value(format!(
                            "{}({x}).{}.{} wasn't made to point to anything (setpointer)",
                            s.name, info.name, v.name
                        )));
                    }
                }
            }
        }
        for (pp, p) in self.points.iter().enumerate() {
            let Some(p) = p else { continue };
            let info = mechanisms::info(p.mech);
            for (k, v) in info.vars.iter().enumerate() {
                if v.kind.is_pointer() && !p.pointers.contains_key(&k) {
                    return Err(Error::Value(format!(
                        "{}[{pp}].{} wasn't made to point to anything (setpointer, or pp._ref_{} = ...)",
                        info.name, v.name, v.name
                    )));
                }
            }
        }
        if let Some(e) = self.sim.as_ref().and_then(|l| l.link_errors.first()) {
            return Err(Error::Value(e.clone()));
        }
        Ok(())
    }

    pub fn point_locate(&mut self, pp: usize, id: SectionId, x: f64) -> Result<()> {
        if mechanisms::info(self.point(pp)?.mech).kind == MechKind::Artificial {
            return Err(Error::Value("an artificial cell has no location".into()));
        }
        let x = self.snap(id, x)?;
        self.invalidate();
        self.points[pp].as_mut().unwrap().loc = Some((id, x));
        Ok(())
    }

    pub fn point_get(&self, pp: usize, var: &str) -> Result<f64> {
        let p = self.point(pp)?;
        let v = self.var_of(p.mech, var)?;
        if let Some(l) = &self.sim {
            if let Some((g, b, i)) = l.point_at(pp) {
                return Ok(l.sim.groups[g].blocks[b].data.vars[v][i]);
            }
        }
        Ok(p.values[v])
    }

    pub fn point_set(&mut self, pp: usize, var: &str, value: f64) -> Result<()> {
        finite(var, value)?;
        let v = self.var_of(self.point(pp)?.mech, var)?;
        if let Some(l) = self.sim.as_mut() {
            if let Some((g, b, i)) = l.point_at(pp) {
                let blk = &mut l.sim.groups[g].blocks[b];
                blk.data.vars[v][i] = value;
                blk.kernel.state_written(&mut blk.data);
            }
        }
        self.points[pp].as_mut().unwrap().values[v] = value;
        Ok(())
    }

    /// Replaces a point process's table (`VecStim.play(tvec)`).
    pub fn point_set_table(&mut self, pp: usize, table: Vec<f64>) -> Result<()> {
        if table.iter().any(|x| !x.is_finite()) {
            return Err(Error::Value("the values must be finite numbers".into()));
        }
        self.point(pp)?;
        if let Some((g, b, i)) = self.sim.as_ref().and_then(|l| l.point_at(pp)) {
            self.sim.as_mut().unwrap().sim.groups[g].blocks[b].data.tables[i].clone_from(&table);
        }
        self.points[pp].as_mut().unwrap().table = table;
        Ok(())
    }

    /// Hands over the numbers a point process added to its table (APCount's crossings).
    pub fn point_take_table(&mut self, pp: usize) -> Result<Vec<f64>> {
        self.point(pp)?;
        if let Some((g, b, i)) = self.sim.as_ref().and_then(|l| l.point_at(pp)) {
            return Ok(std::mem::take(&mut self.sim.as_mut().unwrap().sim.groups[g].blocks[b].data.tables[i]));
        }
        Ok(std::mem::take(&mut self.points[pp].as_mut().unwrap().table))
    }

    /// Point processes located in a section, in creation order.
    pub fn points_in(&self, id: SectionId) -> Vec<usize> {
        (0..self.points.len())
            .filter(|&i| matches!(&self.points[i], Some(p) if matches!(p.loc, Some((s, _)) if s == id)))
            .collect()
    }

    // ----------------------------------------------------------------------------- globals

    /// `pc.nthread(n)`: results do not depend on it.
    pub fn set_threads(&mut self, n: usize) -> Result<()> {
        if n == 0 {
            return Err(Error::Value("the number of threads must be >= 1".into()));
        }
        if n != self.threads {
            self.invalidate();
            self.threads = n;
        }
        Ok(())
    }

    pub fn threads(&self) -> usize {
        self.threads
    }

    pub fn t(&self) -> f64 {
        self.clock.t
    }

    pub fn global(&self, name: &str) -> Result<f64> {
        Ok(match name {
            "t" => self.clock.t,
            "dt" => self.clock.dt,
            "celsius" => self.clock.celsius,
            "secondorder" => self.clock.secondorder as f64,
            // A mechanism may write its globals while it runs (NMODL's GLOBAL assigned): the simulation's copy.
            _ => match self.lowered_global(name) {
                Some(v) => v,
                None => self
                    .globals
                    .get(name)
                    .copied()
                    .or_else(|| mechanisms::global_info(name).map(|g| g.default)) // of a mechanism loaded since
                    .ok_or_else(|| self.unknown_global(name))?,
            },
        })
    }

    /// A mechanism global as the simulation holds it (the first cell group that has the mechanism).
    fn lowered_global(&self, name: &str) -> Option<f64> {
        let l = self.sim.as_ref()?;
        l.sim.groups.iter().flat_map(|g| g.blocks.iter()).find_map(|b| {
            let info = mechanisms::info(b.data.mech);
            info.globals.iter().position(|g| g.name == name).and_then(|k| b.data.globals.get(k).copied())
        })
    }

    fn unknown_global(&self, name: &str) -> Error {
        let names = ["t", "dt", "celsius", "secondorder"].into_iter().chain(self.globals.keys().copied());
        Error::UnknownName { what: "global".into(), name: name.into(), suggestion: suggest(name, names) }
    }

    pub fn global_names(&self) -> Vec<&'static str> {
        let mut names: Vec<&'static str> = vec!["t", "dt", "celsius", "secondorder"];
        let mut mech: Vec<&'static str> = self.globals.keys().copied().collect();
        mech.extend(
            mechanisms::current().iter().flat_map(|m| m.globals.iter().filter(|g| !g.external).map(|g| g.name)),
        );
        mech.sort_unstable();
        mech.dedup();
        names.extend(mech);
        names
    }

    pub fn set_global(&mut self, name: &str, value: f64) -> Result<()> {
        finite(name, value)?;
        match name {
            "t" => self.clock.t = value,
            "dt" => {
                self.clock.dt = positive("dt", value)?;
                self.invalidate_if_grouped(); // the exchange interval counts steps
            }
            "celsius" => self.clock.celsius = value,
            "secondorder" => {
                if ![0.0, 1.0, 2.0].contains(&value) {
                    return Err(Error::Value(format!("secondorder must be 0, 1 or 2, got {value}")));
                }
                self.clock.secondorder = value as i32;
            }
            _ => {
                if let Some(g) = mechanisms::global_info(name) {
                    self.globals.entry(g.name).or_insert(g.default);
                }
                let slot = self.globals.get_mut(name).ok_or_else(|| Error::UnknownName {
                    what: "global".into(),
                    name: name.into(),
                    suggestion: None,
                })?;
                *slot = value;
                if let Some(l) = self.sim.as_mut() {
                    for b in l.sim.groups.iter_mut().flat_map(|g| g.blocks.iter_mut()) {
                        let info = mechanisms::info(b.data.mech);
                        if let Some(g) = info.globals.iter().position(|g| g.name == name) {
                            b.data.globals[g] = value;
                        }
                    }
                }
            }
        }
        Ok(())
    }

    // ----------------------------------------------------------------------------- recording

    /// Checks that a target names something that exists now.
    fn check_target(&self, t: &Target) -> Result<()> {
        match *t {
            Target::Time => Ok(()),
            Target::Voltage { sec, x } => self.place_in(sec, x).map(|_| ()),
            Target::Density { sec, x, mech, var } => {
                let info = mechanisms::info(mech);
                self.density_site(sec, x, info.name, info.vars[var].name).map(|_| ())
            }
            Target::Point { pp, .. } => {
                let p = self.point(pp)?;
                if p.loc.is_none() && mechanisms::info(p.mech).kind != MechKind::Artificial {
                    return Err(Error::Value("the point process has no location".into()));
                }
                Ok(())
            }
        }
    }

    pub fn record(&mut self, target: Target, schedule: Schedule) -> Result<usize> {
        self.check_target(&target)?;
        match &schedule {
            Schedule::EveryStep => {}
            // Samples are taken at step boundaries, all those due at once: a vanishing interval
            // would ask for astronomically many per step.
            Schedule::Interval(iv) => {
                if !(iv.is_finite() && *iv >= MIN_RECORD_INTERVAL_MS) {
                    return Err(Error::Value(format!(
                        "the recording interval must be a finite number >= {MIN_RECORD_INTERVAL_MS} ms, got {iv}"
                    )));
                }
            }
            Schedule::Times(times) => {
                if times.iter().any(|t| !t.is_finite()) || times.windows(2).any(|w| w[1] < w[0]) {
                    return Err(Error::Value("the recording times must be finite and non-decreasing".into()));
                }
            }
        }
        self.invalidate();
        self.recorders.push(Some(Recorder::new(target, schedule)));
        Ok(self.recorders.len() - 1)
    }

    /// The recorder, wherever it is (in its group while the model is lowered).
    fn recorder_mut(&mut self, id: usize) -> Option<&mut Option<Recorder>> {
        if let Some(&(g, slot)) = self.sim.as_ref().and_then(|l| l.recorder.get(&id)) {
            return Some(&mut self.sim.as_mut().unwrap().sim.groups[g].recorders[slot].2);
        }
        self.recorders.get_mut(id)
    }

    pub fn record_remove(&mut self, id: usize) {
        if let Some(r) = self.recorder_mut(id) {
            *r = None;
        }
    }

    /// Hands over the samples taken since the last call.
    pub fn record_take(&mut self, id: usize) -> Vec<f64> {
        match self.recorder_mut(id).and_then(|r| r.as_mut()) {
            Some(r) => std::mem::take(&mut r.data),
            None => Vec::new(),
        }
    }

    // ----------------------------------------------------------------------------- playing

    fn check_play(&self, target: &Target, times: &PlayTimes, values: &[f64], continuous: bool) -> Result<()> {
        if *target == Target::Time {
            return Err(Error::Value("Vector.play cannot play into t".into()));
        }
        self.check_target(target)?;
        if values.iter().any(|v| !v.is_finite()) {
            return Err(Error::Value("Vector.play: the values must be finite numbers".into()));
        }
        match times {
            PlayTimes::Every(dt) => {
                positive("Vector.play interval", *dt)?;
                if continuous {
                    return Err(Error::Value(
                        "Vector.play in continuous mode needs a Vector of times, not an interval".into(),
                    ));
                }
            }
            PlayTimes::At(t) => {
                if t.iter().any(|x| !x.is_finite()) || t.windows(2).any(|w| w[1] < w[0]) {
                    return Err(Error::Value("Vector.play: the times must be finite and non-decreasing".into()));
                }
                if continuous && (t.is_empty() || values.len() < t.len()) {
                    return Err(Error::Value(format!(
                        "Vector.play in continuous mode needs a value for each of its {} times, got {}",
                        t.len(),
                        values.len()
                    )));
                }
            }
        }
        Ok(())
    }

    /// `vec.play(ref, tvec or dt[, continuous])`. Returns the play's id.
    pub fn play_new(&mut self, target: Target, times: PlayTimes, values: Vec<f64>, continuous: bool) -> Result<usize> {
        self.check_play(&target, &times, &values, continuous)?;
        self.invalidate();
        self.plays.push(Some(Play { target, times, values, continuous }));
        Ok(self.plays.len() - 1)
    }

    /// New times and values for a play (the Vectors changed); its target stays.
    pub fn play_set_data(&mut self, id: usize, times: PlayTimes, values: Vec<f64>) -> Result<()> {
        let play =
            self.plays.get(id).and_then(|p| p.as_ref()).ok_or_else(|| Error::Deleted("the play has stopped".into()))?;
        self.check_play(&play.target, &times, &values, play.continuous)?;
        let play = self.plays[id].as_mut().unwrap();
        (play.times, play.values) = (times, values);
        let play = play.clone();
        if let Some(l) = self.sim.as_mut() {
            for g in &mut l.sim.groups {
                if let Some(Some(lp)) = g.network.plays.get_mut(id) {
                    lp.play = play.clone();
                }
            }
        }
        Ok(())
    }

    /// `vec.play_remove()`.
    pub fn play_remove(&mut self, id: usize) {
        if self.plays.get(id).is_some_and(|p| p.is_some()) {
            self.invalidate();
            self.plays[id] = None;
        }
    }

    // ----------------------------------------------------------------------------- running

    /// finitialize(v): v_init None keeps the present voltages.
    pub fn finitialize(&mut self, v_init: Option<f64>) -> Result<()> {
        for part in [InitPart::Start, InitPart::Mechanisms, InitPart::Finish] {
            self.finitialize_part(part, v_init)?;
        }
        Ok(())
    }

    /// One part of finitialize (the caller runs FInitializeHandlers between them); v_init is
    /// used by the first.
    pub fn finitialize_part(&mut self, part: InitPart, v_init: Option<f64>) -> Result<()> {
        if let Some(v) = v_init {
            finite("v_init", v)?;
        }
        self.ensure_lowered();
        self.check_pointers()?;
        if part == InitPart::Start {
            for r in self.spike_records.iter_mut().flatten() {
                *r = SpikeRecord::default();
            }
        }
        let l = self.sim.as_mut().unwrap();
        l.sim.initialize(&mut self.clock, part, v_init);
        self.collect_spikes();
        Ok(())
    }

    pub fn fadvance(&mut self) {
        self.ensure_lowered();
        self.advance(1);
    }

    /// Steps while t < `t_limit` (ms; may be infinite), at most `max_steps`; returns the number
    /// of steps taken.
    pub fn advance_until(&mut self, t_limit: f64, max_steps: u64) -> Result<u64> {
        if t_limit.is_nan() {
            return Err(Error::Value("t_limit must be a number, got NaN".into()));
        }
        let mut done = 0;
        while self.clock.t < t_limit && done < max_steps {
            self.advance(1);
            done += 1;
        }
        Ok(done)
    }

    /// Runs `steps` fixed steps (the caller chunks long runs to check for interrupts).
    pub fn advance(&mut self, steps: u64) {
        self.ensure_lowered();
        let l = self.sim.as_mut().unwrap();
        l.sim.advance(&mut self.clock, steps);
        self.collect_spikes();
    }

    /// stdrun's continuerun, in pieces: while t < tstop − dt/2, advance by chunks of
    /// `steps_per_chunk` steps (stdrun's nstep_steprun), returning after about `max_steps` steps
    /// so the caller can check for Ctrl-C and report progress. True when t has reached tstop.
    pub fn continuerun_part(&mut self, tstop: f64, steps_per_chunk: u64, max_steps: u64) -> Result<bool> {
        finite("tstop", tstop)?;
        let chunk = steps_per_chunk.max(1);
        let mut done = 0;
        while self.clock.t < tstop - 0.5 * self.clock.dt {
            if done >= max_steps {
                return Ok(false);
            }
            self.advance(chunk);
            done += chunk;
        }
        Ok(true)
    }

    /// Drops a simulation split into several cell groups (their exchange interval depends on
    /// delays and dt); one group has nothing to redo.
    /// Moves sections and point processes to the newest definition of their mechanism after it was loaded again
    /// (NMODL): variables keep their values where the new definition has a variable of the same name, new ones
    /// start at their defaults. Returns whether anything moved.
    pub fn follow_replacements(&mut self) -> bool {
        let moved = |m: MechId| mechanisms::replacement(m).is_some();
        let any = self.sections.iter().flatten().any(|s| s.mechs.iter().any(|i| moved(i.mech)))
            || self.points.iter().flatten().any(|p| moved(p.mech));
        if !any {
            return false;
        }
        self.invalidate(); // the description then holds the current values
        let remap = |old: MechId, new: MechId, value_of: &dyn Fn(usize) -> Option<Vec<f64>>, n: usize| {
            let (oi, ni) = (mechanisms::info(old), mechanisms::info(new));
            ni.vars
                .iter()
                .map(|v| oi.var_index(v.name).and_then(value_of).unwrap_or_else(|| vec![v.default; n]))
                .collect::<Vec<Vec<f64>>>()
        };
        for s in self.sections.iter_mut().flatten() {
            let nseg = s.nseg();
            for ins in &mut s.mechs {
                if let Some(new) = mechanisms::replacement(ins.mech) {
                    let old_values = ins.values.clone();
                    ins.values = remap(ins.mech, new, &|k| old_values.get(k).cloned(), nseg);
                    ins.mech = new;
                }
            }
        }
        for p in self.points.iter_mut().flatten() {
            if let Some(new) = mechanisms::replacement(p.mech) {
                let old_values = p.values.clone();
                p.values =
                    remap(p.mech, new, &|k| old_values.get(k).map(|&x| vec![x]), 1).into_iter().map(|v| v[0]).collect();
                p.mech = new;
            }
        }
        true
    }

    fn invalidate_if_grouped(&mut self) {
        if self.sim.as_ref().is_some_and(|l| l.sim.groups.len() > 1) {
            self.invalidate();
        }
    }

    fn ensure_lowered(&mut self) {
        if self.sim.is_none() {
            self.lower();
        }
    }

    /// Direct access to the lowered simulation (lowering first), for tests and benchmarks.
    pub fn simulation(&mut self) -> &Simulation {
        self.ensure_lowered();
        &self.sim.as_ref().unwrap().sim
    }

    /// Number of cell groups of the lowered simulation.
    pub fn groups(&mut self) -> usize {
        self.simulation().groups.len()
    }
}
