//! Point neurons (Neun's models): Hodgkin–Huxley, Hindmarsh–Rose and Izhikevich in f32 or f64,
//! stepped by Euler, RK4 or RK6, coupled by electrical and diffusion synapses; and populations
//! that step many neurons in one call.

pub mod integrators;
pub mod models;
pub mod neuron;
pub mod population;
pub mod real;
pub mod synapses;

pub use integrators::Integrator;
pub use models::ModelKind;
pub use neuron::Neuron;
pub use real::Real;
