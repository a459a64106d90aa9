//! The section description: what a user edits (geometry, biophysics per segment, connection).
//!
//! A section of length L (µm) is cut into `nseg` equal segments. Per-segment quantities (diam,
//! cm, mechanism variables) are stored one value per segment, in x order (x = 0 → 1).

use crate::error::{arc_position, positive, Error, Result};
use crate::mechanisms::MechId;

pub type SectionId = usize;

/// One density mechanism inserted in a section: its variables, one array per variable, each
/// holding one value per segment.
#[derive(Debug, Clone)]
pub struct Inserted {
    pub mech: MechId,
    /// values[var][segment]
    pub values: Vec<Vec<f64>>,
}

#[derive(Debug, Clone)]
pub struct Section {
    pub name: String,
    /// Length, µm.
    pub length_um: f64,
    /// Axial resistivity, Ω·cm.
    pub ra_ohm_cm: f64,
    /// Number of identical branches this section stands for (multiplies its load on the parent).
    pub rallbranch: f64,
    /// Diameter per segment, µm.
    pub diam_um: Vec<f64>,
    /// Specific membrane capacitance per segment, µF/cm².
    pub cm_uf_cm2: Vec<f64>,
    /// Membrane potential per segment centre, mV, kept here while no simulation holds it.
    pub v_mv: Vec<f64>,
    /// Membrane potential of the x=1 end node (x=0 when the section is reversed), mV.
    pub v_end_mv: f64,
    /// Membrane potential of the root node (only used when this section is a root), mV.
    pub v_root_mv: f64,
    /// Parent section and the x on the parent this section attaches to.
    pub parent: Option<(SectionId, f64)>,
    /// Which end of this section attaches to the parent: 0 or 1 (NEURON's orientation).
    pub child_end: f64,
    /// Inserted density mechanisms (ions included), in insertion order.
    pub mechs: Vec<Inserted>,
    /// Per segment, its density mechanisms in the order of NEURON's list of the node's properties, which is the
    /// order NEURON allocates a cloned node's instances in (their RANDOM streams, their CONSTRUCTOR runs): an
    /// insert puts a mechanism first; a node cloned when nseg grows lists its source's mechanisms reversed.
    pub node_mechs: Vec<Vec<MechId>>,
    /// When this section was last connected (orders siblings as NEURON does).
    pub connected_seq: u64,
}

/// NEURON's default geometry and membrane (membdef.h).
pub const DEFAULT_L_UM: f64 = 100.0;
pub const DEFAULT_DIAM_UM: f64 = 500.0;
pub const DEFAULT_RA_OHM_CM: f64 = 35.4;
pub const DEFAULT_CM_UF_CM2: f64 = 1.0;
pub const DEFAULT_V_MV: f64 = -65.0;

impl Section {
    pub fn new(name: &str) -> Self {
        Section {
            name: name.to_string(),
            length_um: DEFAULT_L_UM,
            ra_ohm_cm: DEFAULT_RA_OHM_CM,
            rallbranch: 1.0,
            diam_um: vec![DEFAULT_DIAM_UM],
            cm_uf_cm2: vec![DEFAULT_CM_UF_CM2],
            v_mv: vec![DEFAULT_V_MV],
            v_end_mv: DEFAULT_V_MV,
            v_root_mv: DEFAULT_V_MV,
            parent: None,
            child_end: 0.0,
            mechs: Vec::new(),
            node_mechs: vec![Vec::new()],
            connected_seq: 0,
        }
    }

    pub fn nseg(&self) -> usize {
        self.diam_um.len()
    }

    /// Changes nseg by NEURON's rule: each new segment takes the values of the old segment that
    /// contains its centre. Returns the segments whose nodes are new (NEURON's node_realloc keeps the old nodes when
    /// nseg grows, old segment i at new segment ⌊nseg·(i + ½)/old⌋, and clones the others), in increasing order.
    pub fn set_nseg(&mut self, nseg: usize) -> Result<Vec<usize>> {
        if !(1..=32767).contains(&nseg) {
            return Err(Error::Value(format!("nseg must be an integer in [1, 32767], got {nseg}")));
        }
        let old = self.nseg();
        if nseg == old {
            return Ok(Vec::new());
        }
        let map: Vec<usize> = (0..nseg).map(|i| segment_index(old, (i as f64 + 0.5) / nseg as f64)).collect();
        let remap = |values: &Vec<f64>| map.iter().map(|&j| values[j]).collect::<Vec<f64>>();
        self.diam_um = remap(&self.diam_um);
        self.cm_uf_cm2 = remap(&self.cm_uf_cm2);
        self.v_mv = remap(&self.v_mv);
        for m in &mut self.mechs {
            for var in &mut m.values {
                *var = remap(var);
            }
        }
        let mut cloned = vec![nseg > old; nseg];
        if nseg > old {
            for i in 0..old {
                cloned[(nseg as f64 * ((i as f64 + 0.5) / old as f64)) as usize] = false;
            }
        }
        self.node_mechs = (0..nseg)
            .map(|i| {
                let source = self.node_mechs[map[i]].iter().copied();
                if cloned[i] {
                    source.rev().collect()
                } else {
                    source.collect()
                }
            })
            .collect();
        let clones = (0..nseg).filter(|&i| cloned[i]).collect();
        Ok(clones)
    }

    pub fn set_length(&mut self, length_um: f64) -> Result<()> {
        self.length_um = positive("L", length_um)?;
        Ok(())
    }

    pub fn set_ra(&mut self, ra: f64) -> Result<()> {
        self.ra_ohm_cm = positive("Ra", ra)?;
        Ok(())
    }

    pub fn set_rallbranch(&mut self, n: f64) -> Result<()> {
        self.rallbranch = positive("rallbranch", n)?;
        Ok(())
    }

    pub fn mech_index(&self, mech: MechId) -> Option<usize> {
        self.mechs.iter().position(|m| m.mech == mech)
    }
}

/// Index of the segment holding x (0 ≤ x ≤ 1) among nseg, as NEURON picks it: ⌊x·nseg⌋,
/// with x = 1 falling into the last segment.
pub fn segment_index(nseg: usize, x: f64) -> usize {
    let i = (x * nseg as f64) as usize;
    i.min(nseg - 1)
}

/// Where a location along a section lands among the section's nodes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Place {
    /// x = 0 (the connecting end of a normally oriented section): the parent's node there.
    Start,
    /// A segment centre.
    Segment(usize),
    /// x = 1: the section's own end node.
    End,
}

/// Maps x to a node place: 0 and 1 are exact ends, anything else its segment.
pub fn place(nseg: usize, x: f64) -> Result<Place> {
    let x = arc_position(x)?;
    Ok(if x == 0.0 {
        Place::Start
    } else if x == 1.0 {
        Place::End
    } else {
        Place::Segment(segment_index(nseg, x))
    })
}

/// The x of a segment centre.
pub fn segment_centre(nseg: usize, i: usize) -> f64 {
    (i as f64 + 0.5) / nseg as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nseg_change_keeps_values_by_centre() {
        // NEURON: g = [1,2,3] with nseg 3 → nseg 5 gives [1,1,2,3,3]; → nseg 1 gives [2].
        let mut s = Section::new("s");
        s.set_nseg(3).unwrap();
        s.diam_um = vec![1.0, 2.0, 3.0];
        s.set_nseg(5).unwrap();
        assert_eq!(s.diam_um, vec![1.0, 1.0, 2.0, 3.0, 3.0]);
        s.set_nseg(1).unwrap();
        assert_eq!(s.diam_um, vec![2.0]);
    }

    #[test]
    fn nseg_growth_clones_nodes_as_neuron() {
        // NEURON's node_realloc: 1 → 3 keeps the node at segment 1 and clones 0 and 2 from it; a clone lists its
        // source's mechanisms reversed. 3 → 2 reuses nodes 0 and 1 (no clone).
        let mut s = Section::new("s");
        s.node_mechs = vec![vec![2, 1]];
        assert_eq!(s.set_nseg(3).unwrap(), vec![0, 2]);
        assert_eq!(s.node_mechs, vec![vec![1, 2], vec![2, 1], vec![1, 2]]);
        assert_eq!(s.set_nseg(9).unwrap(), vec![0, 2, 3, 5, 6, 8]);
        assert_eq!(s.node_mechs[0], vec![2, 1]); // a clone of a clone
        assert_eq!(s.node_mechs[4], vec![2, 1]); // the original node
        assert!(s.set_nseg(2).unwrap().is_empty());
        assert_eq!(s.node_mechs.len(), 2);
    }

    #[test]
    fn places() {
        assert_eq!(place(5, 0.0).unwrap(), Place::Start);
        assert_eq!(place(5, 1.0).unwrap(), Place::End);
        assert_eq!(place(5, 0.33).unwrap(), Place::Segment(1));
        assert_eq!(place(2, 0.5).unwrap(), Place::Segment(1));
        assert!(place(3, 1.5).is_err());
        assert!(Section::new("s").set_nseg(0).is_err());
    }
}
