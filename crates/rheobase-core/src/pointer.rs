//! NMODL POINTERs as the engine runs them: a POINTER is a copy of its target in the mechanism's own
//! storage, refreshed just before the mechanism's code runs (a phase's kernel, or NET_RECEIVE for one
//! instance) and, when the mechanism assigns through it, written back just after. NEURON's POINTERs
//! read and write through; this gives the same values at the granularity of a mechanism's call.

use crate::group::Source;
use crate::mechanisms::Block;
use crate::network::write;

/// Variable `var` of instance `instance` of block `block` points to `target` (never t: setpointer
/// refuses it); `written` when the mechanism assigns through it.
#[derive(Debug, Clone, Copy)]
pub struct PointerCopy {
    pub block: usize,
    pub var: usize,
    pub instance: usize,
    pub target: Source,
    pub written: bool,
}

/// Sorts `pointers` by block and instance, the order `of_block` and `of_instance` need.
pub fn sort(pointers: &mut [PointerCopy]) {
    pointers.sort_by_key(|p| (p.block, p.instance));
}

/// The pointers of one block, from a sorted list.
pub fn of_block(pointers: &[PointerCopy], block: usize) -> &[PointerCopy] {
    let start = pointers.partition_point(|p| p.block < block);
    let end = pointers.partition_point(|p| p.block <= block);
    &pointers[start..end]
}

/// The pointers of one instance, from a sorted list.
pub fn of_instance(pointers: &[PointerCopy], block: usize, instance: usize) -> &[PointerCopy] {
    let start = pointers.partition_point(|p| (p.block, p.instance) < (block, instance));
    let end = pointers.partition_point(|p| (p.block, p.instance) <= (block, instance));
    &pointers[start..end]
}

/// Refreshes each pointer's copy from its target.
pub fn copy_in(pointers: &[PointerCopy], blocks: &mut [Block], v: &[f64]) {
    for p in pointers {
        let value = match p.target {
            Source::Node(i) => v[i],
            Source::Var { block, var, instance } => blocks[block].data.vars[var][instance],
            Source::Time => unreachable!("setpointer refuses t"),
        };
        blocks[p.block].data.vars[p.var][p.instance] = value;
    }
}

/// Writes each assigned pointer's copy to its target.
pub fn copy_out(pointers: &[PointerCopy], blocks: &mut [Block], v: &mut [f64]) {
    for p in pointers.iter().filter(|p| p.written) {
        let value = blocks[p.block].data.vars[p.var][p.instance];
        write(p.target, value, blocks, v);
    }
}
