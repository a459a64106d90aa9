//! rheobase-core: the simulation engine, with no Python in it.
//!
//! Users edit a [`model::Model`] description (sections, mechanisms, point processes, recordings).
//! `finitialize` lowers it once into a flat [`simulation::Simulation`] (nodes in parent-before-child
//! order, one instance block per mechanism type) that the fixed-step solver advances. Units follow
//! NEURON: ms, mV, µm, µF/cm², S/cm², mA/cm² for densities, nA and µS for point processes.

pub mod discretise;
pub mod error;
pub mod events;
pub mod fastmath;
pub mod group;
pub mod hines;
pub mod ldifus;
pub mod mechanisms;
pub mod model;
pub mod morphology;
pub mod network;
pub mod play;
pub mod point;
pub mod pointer;
pub mod random123;
pub mod recording;
pub mod simulation;

pub use error::{Error, Result};
pub use model::Model;
