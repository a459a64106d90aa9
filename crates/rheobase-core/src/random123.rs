//! Philox4x32-10, the counter-based generator of Random123 (Salmon et al., SC'11) that NEURON's
//! `nrnran123` streams use. No maintained Rust crate provides it with NEURON's layout, and the
//! generator itself is a dozen lines.

const M0: u32 = 0xD251_1F53;
const M1: u32 = 0xCD9E_8D57;
const W0: u32 = 0x9E37_79B9;
const W1: u32 = 0xBB67_AE85;

#[inline]
fn mulhilo(a: u32, b: u32) -> (u32, u32) {
    let p = a as u64 * b as u64;
    ((p >> 32) as u32, p as u32)
}

/// Ten Philox rounds of counter `ctr` under `key`.
pub fn philox4x32_10(ctr: [u32; 4], key: [u32; 2]) -> [u32; 4] {
    let (mut c, mut k) = (ctr, key);
    for round in 0..10 {
        if round > 0 {
            k = [k[0].wrapping_add(W0), k[1].wrapping_add(W1)];
        }
        let (hi0, lo0) = mulhilo(M0, c[0]);
        let (hi1, lo1) = mulhilo(M1, c[2]);
        c = [hi1 ^ c[1] ^ k[0], lo1, hi0 ^ c[3] ^ k[1], lo0];
    }
    c
}

/// The `pos`-th 32-bit word of the stream (id1, id2, id3): four words per Philox block, the
/// block number in the counter's first word (NEURON's `nrnran123` layout, global index 0).
pub fn word(ids: [u32; 3], pos: u64) -> u32 {
    let block = philox4x32_10([(pos / 4) as u32, ids[2], ids[0], ids[1]], [0, 0]);
    block[(pos % 4) as usize]
}

/// A uniform draw in (0, 1) from a 32-bit word, as `nrnran123_uint2dbl`.
pub fn uniform_of(u: u32) -> f64 {
    (u as f64 + 1.0) * (1.0 / 4_294_967_297.0)
}

/// A stream as NEURON's `nrnran123_State` behaves, kept in `STREAM_SLOTS` numbers: ids (3), position (words
/// drawn), and the ids the current block of four words was computed with. NEURON computes a block when the
/// stream enters it (or on set_seq) and keeps it when set_ids changes the ids, so the rest of that block still
/// comes from the old ids.
pub const STREAM_SLOTS: usize = 7;

/// A new stream at position 0 (NEURON's nrnran123_newstream).
pub fn new_stream(ids: [u32; 3]) -> [f64; STREAM_SLOTS] {
    let [a, b, c] = ids.map(f64::from);
    [a, b, c, 0.0, a, b, c]
}

/// The next 32-bit word of the stream (nrnran123_ipick).
pub fn next_word(s: &mut [f64; STREAM_SLOTS]) -> u32 {
    let pos = s[3] as u64;
    let w = word([s[4] as u32, s[5] as u32, s[6] as u32], pos);
    s[3] = (pos + 1) as f64;
    if (pos + 1) % 4 == 0 {
        s.copy_within(0..3, 4); // the next block is computed with the ids of now
    }
    w
}

/// The stream moves to position `pos`, its block computed anew (nrnran123_setseq).
pub fn set_seq(s: &mut [f64; STREAM_SLOTS], pos: u64) {
    s[3] = pos as f64;
    s.copy_within(0..3, 4);
}

/// The next uniform draw in (0, 1) (nrnran123_dblpick).
pub fn next_uniform(s: &mut [f64; STREAM_SLOTS]) -> f64 {
    uniform_of(next_word(s))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Known-answer vectors of the Random123 distribution (kat_vectors, philox4x32 10 rounds).
    #[test]
    fn known_answers() {
        assert_eq!(philox4x32_10([0; 4], [0; 2]), [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8]);
        assert_eq!(philox4x32_10([u32::MAX; 4], [u32::MAX; 2]), [0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd]);
        assert_eq!(
            philox4x32_10([0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344], [0xa4093822, 0x299f31d0]),
            [0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1]
        );
    }
}
