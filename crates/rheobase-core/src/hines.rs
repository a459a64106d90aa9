//! The Hines solve of a tree-structured linear system.
//!
//! Nodes are ordered parent before child. Row i reads d[i]·x[i] + b[i]·x[parent[i]] = rhs[i];
//! the parent's row holds a[i]·x[i] for each child i. Elimination walks children to parents,
//! back substitution parents to children. Roots have parent `NO_PARENT`.

pub const NO_PARENT: usize = usize::MAX;

/// Splits nodes 0..n into consecutive runs in which no node's parent lies inside the run. With
/// nodes ordered level by level a run is a whole level, and the nodes of a run can be eliminated
/// (and back-substituted) independently of each other.
pub fn independent_runs(parent: &[usize]) -> Vec<(usize, usize)> {
    let mut runs = Vec::new();
    let mut start = 0;
    for (i, &p) in parent.iter().enumerate() {
        if p != NO_PARENT && p >= start {
            runs.push((start, i));
            start = i;
        }
    }
    if start < parent.len() {
        runs.push((start, parent.len()));
    }
    runs
}

/// Solves in place: on return `rhs` holds x. `runs` are [`independent_runs`] of `parent`; `d`
/// is overwritten; `inv_d` is scratch of the same length. With `axial_v` (membrane potentials,
/// mV) the axial currents are added to `rhs` on the way: −b·(v_parent − v) to a node and
/// a·(v_parent − v) to its parent, in the pass that visits the parents anyway.
///
/// Elimination goes run by run from the last: first a pass over the run's contiguous arrays
/// (the divisions, vectorised), then the contributions to the parents in reverse node order;
/// back substitution goes run by run from the first. Every node is eliminated with the same
/// operations whatever else shares the arrays, so a cell gives the same numbers in any cell
/// group. This reorders NEURON's arithmetic; results agree with its triang/bksub to rounding.
#[allow(clippy::too_many_arguments)]
pub fn solve(
    parent: &[usize],
    runs: &[(usize, usize)],
    a: &[f64],
    b: &[f64],
    axial_v: Option<&[f64]>,
    d: &mut [f64],
    rhs: &mut [f64],
    inv_d: &mut [f64],
) {
    for &(start, end) in runs.iter().rev() {
        eliminate_run(&a[start..end], &b[start..end], &mut d[start..end], &mut inv_d[start..end]);
        // Every parent of the run lies before it: split the arrays there, so that the run's own
        // entries are plain slices and only the parents are indexed.
        let (d_lo, d_run) = d.split_at_mut(start);
        let (rhs_lo, rhs_run) = rhs.split_at_mut(start);
        let n = end - start;
        let (d_run, rhs_run) = (&d_run[..n], &mut rhs_run[..n]);
        let (p_run, a_run, b_run, inv_run) = (&parent[start..end], &a[start..end], &b[start..end], &inv_d[start..end]);
        match axial_v {
            Some(v) => {
                let v_run = &v[start..end];
                for k in (0..n).rev() {
                    let p = p_run[k];
                    if p == NO_PARENT {
                        continue;
                    }
                    // The node's row is complete once its own axial current is in.
                    let dv = v[p] - v_run[k];
                    rhs_run[k] -= b_run[k] * dv;
                    // d_run[k] now holds the node's contribution to its parent's diagonal.
                    d_lo[p] -= d_run[k];
                    rhs_lo[p] += a_run[k] * dv - (a_run[k] * inv_run[k]) * rhs_run[k];
                }
            }
            None => {
                for k in (0..n).rev() {
                    let p = p_run[k];
                    if p != NO_PARENT {
                        d_lo[p] -= d_run[k];
                        rhs_lo[p] += 0.0 - (a_run[k] * inv_run[k]) * rhs_run[k];
                    }
                }
            }
        }
    }
    for &(start, end) in runs {
        let (rhs_lo, rhs_run) = rhs.split_at_mut(start);
        let n = end - start;
        let rhs_run = &mut rhs_run[..n];
        let (p_run, b_run, inv_run) = (&parent[start..end], &b[start..end], &inv_d[start..end]);
        for k in 0..n {
            let p = p_run[k];
            let x_p = if p != NO_PARENT { rhs_lo[p] } else { 0.0 };
            rhs_run[k] = rhs_run[k] * inv_run[k] - (b_run[k] * inv_run[k]) * x_p;
        }
    }
}

/// 1/d of each node of a run, and (in d) its contribution a·b/d to its parent's diagonal.
#[inline(always)]
fn reciprocals(a: &[f64], b: &[f64], d: &mut [f64], inv_d: &mut [f64]) {
    let n = d.len();
    let (a, b, inv_d) = (&a[..n], &b[..n], &mut inv_d[..n]);
    for k in 0..n {
        let inv = 1.0 / d[k];
        inv_d[k] = inv;
        d[k] = (a[k] * b[k]) * inv;
    }
}

crate::fastmath::avx2_dispatch!(fn eliminate_run(a: &[f64], b: &[f64], d: &mut [f64], inv_d: &mut [f64]) => reciprocals);

/// Solves an unbranched cable (parent[i] = i − 1, node 0 the root) by eliminating from both
/// ends at once toward the middle ("twisted" elimination): two independent dependency chains of
/// half the length, interleaved, with each chain's running row kept in registers. `d` ends up
/// holding reciprocals. Same solution as [`solve`] up to rounding.
pub fn solve_path(a: &[f64], b: &[f64], d: &mut [f64], rhs: &mut [f64]) {
    let n = d.len();
    let (a, b, rhs) = (&a[..n], &b[..n], &mut rhs[..n]);
    if n < 4 {
        // Too short to split: eliminate from the far end (a one-compartment cell solves this every
        // step, so no allocation).
        for i in (1..n).rev() {
            let inv = 1.0 / d[i];
            d[i - 1] -= (a[i] * b[i]) * inv;
            rhs[i - 1] -= (a[i] * inv) * rhs[i];
            d[i] = inv;
        }
        if n > 0 {
            d[0] = 1.0 / d[0];
            rhs[0] *= d[0];
        }
        for i in 1..n {
            rhs[i] = rhs[i] * d[i] - (b[i] * d[i]) * rhs[i - 1];
        }
        return;
    }
    let m = n / 2;
    // Lower half: rows n−1 … m+1 eliminated upward; upper half: rows 0 … m−1 downward. Each
    // step stores the finished row's reciprocal diagonal and right-hand side.
    let (lower, upper) = (n - 1 - m, m);
    let (mut dl, mut rl) = (d[n - 1], rhs[n - 1]);
    let (mut du, mut ru) = (d[0], rhs[0]);
    let (mut from_below, mut from_above) = ((0.0, 0.0), (0.0, 0.0));
    for k in 0..lower.max(upper) {
        if k < lower {
            let i = n - 1 - k;
            let inv = 1.0 / dl;
            (d[i], rhs[i]) = (inv, rl);
            let contribution = ((a[i] * b[i]) / dl, (a[i] * inv) * rl);
            if i - 1 > m {
                (dl, rl) = (d[i - 1] - contribution.0, rhs[i - 1] - contribution.1);
            } else {
                from_below = contribution;
            }
        }
        if k < upper {
            let j = k + 1;
            let inv = 1.0 / du;
            (d[j - 1], rhs[j - 1]) = (inv, ru);
            let contribution = ((b[j] * a[j]) / du, (b[j] * inv) * ru);
            if j < m {
                (du, ru) = (d[j] - contribution.0, rhs[j] - contribution.1);
            } else {
                from_above = contribution;
            }
        }
    }
    let x_m = (rhs[m] - from_below.1 - from_above.1) / (d[m] - from_below.0 - from_above.0);
    rhs[m] = x_m;
    // Back substitution outward from the middle, both directions interleaved.
    let (mut x_up, mut x_down) = (x_m, x_m);
    for k in 0..lower.max(upper) {
        if k < upper {
            let j = m - k; // x_{j−1} from x_j
            x_up = rhs[j - 1] * d[j - 1] - (a[j] * d[j - 1]) * x_up;
            rhs[j - 1] = x_up;
        }
        if k < lower {
            let i = m + 1 + k; // x_i from x_{i−1}
            x_down = rhs[i] * d[i] - (b[i] * d[i]) * x_down;
            rhs[i] = x_down;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Dense Gaussian elimination with partial pivoting, the reference.
    #[allow(clippy::needless_range_loop)] // row operations read clearest with indices
    fn dense_solve(mut m: Vec<Vec<f64>>, mut r: Vec<f64>) -> Vec<f64> {
        let n = r.len();
        for c in 0..n {
            let piv = (c..n).max_by(|&i, &j| m[i][c].abs().total_cmp(&m[j][c].abs())).unwrap();
            m.swap(c, piv);
            r.swap(c, piv);
            for i in c + 1..n {
                let f = m[i][c] / m[c][c];
                for j in c..n {
                    m[i][j] -= f * m[c][j];
                }
                r[i] -= f * r[c];
            }
        }
        let mut x = vec![0.0; n];
        for i in (0..n).rev() {
            let s: f64 = (i + 1..n).map(|j| m[i][j] * x[j]).sum();
            x[i] = (r[i] - s) / m[i][i];
        }
        x
    }

    proptest! {
        #[test]
        fn path_solve_matches_tree_solve(
            seeds in prop::collection::vec((0.1f64..5.0, 0.1f64..5.0, -10.0f64..10.0), 1..200),
        ) {
            let n = seeds.len();
            let parent: Vec<usize> = (0..n).map(|i| if i == 0 { NO_PARENT } else { i - 1 }).collect();
            let a: Vec<f64> = seeds.iter().map(|s| -s.0).collect();
            let b: Vec<f64> = seeds.iter().map(|s| -s.1).collect();
            let mut d = vec![1.0; n];
            for i in 1..n {
                d[i] -= b[i];
                d[i - 1] -= a[i];
            }
            let rhs: Vec<f64> = seeds.iter().map(|s| s.2).collect();
            let (mut d1, mut x1) = (d.clone(), rhs.clone());
            solve(&parent, &independent_runs(&parent), &a, &b, None, &mut d1, &mut x1, &mut vec![0.0; n]);
            let (mut d2, mut x2) = (d, rhs);
            solve_path(&a, &b, &mut d2, &mut x2);
            for (p, q) in x1.iter().zip(&x2) {
                prop_assert!((p - q).abs() <= 1e-12 * (1.0 + p.abs()), "{p} vs {q}");
            }
        }

        #[test]
        fn axial_currents_in_the_solve_equal_adding_them_first(
            seeds in prop::collection::vec((0.0f64..1.0, 0.1f64..5.0, 0.1f64..5.0, -10.0f64..10.0, -80.0f64..40.0), 2..60),
        ) {
            let n = seeds.len();
            let parent: Vec<usize> =
                (0..n).map(|i| if i == 0 { NO_PARENT } else { (seeds[i].0 * i as f64) as usize }).collect();
            let a: Vec<f64> = seeds.iter().map(|s| -s.1).collect();
            let b: Vec<f64> = seeds.iter().map(|s| -s.2).collect();
            let v: Vec<f64> = seeds.iter().map(|s| s.4).collect();
            let mut d = vec![1.0; n];
            let mut rhs: Vec<f64> = seeds.iter().map(|s| s.3).collect();
            for i in 1..n {
                d[i] -= b[i];
                d[parent[i]] -= a[i];
            }
            let runs = independent_runs(&parent);
            let (mut d1, mut x1) = (d.clone(), rhs.clone());
            solve(&parent, &runs, &a, &b, Some(&v), &mut d1, &mut x1, &mut vec![0.0; n]);
            for i in 1..n {
                let dv = v[parent[i]] - v[i];
                rhs[i] -= b[i] * dv;
                rhs[parent[i]] += a[i] * dv;
            }
            solve(&parent, &runs, &a, &b, None, &mut d, &mut rhs, &mut vec![0.0; n]);
            for (p, q) in x1.iter().zip(&rhs) {
                prop_assert!((p - q).abs() <= 1e-9 * (1.0 + q.abs()), "{p} vs {q}");
            }
        }

        #[test]
        fn runs_hold_no_parent_of_their_own_nodes(
            seeds in prop::collection::vec(0.0f64..1.0, 1..80),
        ) {
            let parent: Vec<usize> =
                seeds.iter().enumerate().map(|(i, s)| if i == 0 { NO_PARENT } else { (s * i as f64) as usize }).collect();
            let runs = independent_runs(&parent);
            prop_assert_eq!(runs.first().unwrap().0, 0);
            prop_assert_eq!(runs.last().unwrap().1, parent.len());
            for w in runs.windows(2) {
                prop_assert_eq!(w[0].1, w[1].0);
            }
            for &(start, end) in &runs {
                prop_assert!(start < end);
                prop_assert!(parent[start..end].iter().all(|&p| p == NO_PARENT || p < start));
            }
        }

        #[test]
        fn matches_dense_solve_on_random_trees(
            seeds in prop::collection::vec((0.0f64..1.0, 0.1f64..5.0, 0.1f64..5.0, -10.0f64..10.0), 1..60),
            roots in 1usize..4,
        ) {
            let n = seeds.len();
            // Random tree (forest): node i's parent is some earlier node, except the roots.
            let parent: Vec<usize> = (0..n)
                .map(|i| if i < roots.min(n) { NO_PARENT } else { (seeds[i].0 * i as f64) as usize })
                .collect();
            let a: Vec<f64> = seeds.iter().map(|s| -s.1).collect();
            let b: Vec<f64> = seeds.iter().map(|s| -s.2).collect();
            let rhs: Vec<f64> = seeds.iter().map(|s| s.3).collect();
            // Diagonally dominant diagonal, as the cable equation gives.
            let mut d: Vec<f64> = vec![1.0; n];
            for i in 0..n {
                if parent[i] != NO_PARENT {
                    d[i] += -b[i];
                    d[parent[i]] += -a[i];
                }
            }
            let mut m = vec![vec![0.0; n]; n];
            for i in 0..n {
                m[i][i] = d[i];
                if parent[i] != NO_PARENT {
                    m[i][parent[i]] = b[i];
                    m[parent[i]][i] = a[i];
                }
            }
            let want = dense_solve(m, rhs.clone());
            let mut got = rhs;
            solve(&parent, &independent_runs(&parent), &a, &b, None, &mut d, &mut got, &mut vec![0.0; n]);
            for (g, w) in got.iter().zip(&want) {
                prop_assert!((g - w).abs() <= 1e-10 * (1.0 + w.abs()), "{g} vs {w}");
            }
        }
    }
}
