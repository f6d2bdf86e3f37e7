//! RFC 9162 Merkle tree over the entry hashes: roots, inclusion and consistency proofs.
//!
//! Leaf hash `SHA-256(0x00 ‖ data)`, node hash `SHA-256(0x01 ‖ left ‖ right)`, the
//! empty tree's root `SHA-256("")` (RFC 9162 §2.1.1). Proof generation follows the
//! PATH and SUBPROOF definitions of §2.1.3.1 and §2.1.4.1; verification follows the
//! algorithms of §2.1.3.2 and §2.1.4.2 step by step.

use sha2::{Digest as _, Sha256};

use crate::{Error, Hash, Result};

/// The largest tree the proofs accept (2^48 leaves); bounds every loop.
pub const MAX_TREE_SIZE: u64 = 1 << 48;

/// RFC 9162 leaf hash of `data`.
#[must_use]
pub fn leaf_hash(data: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0x00]);
    h.update(data);
    h.finalize().into()
}

/// RFC 9162 interior node hash.
#[must_use]
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut buf = [0u8; 65];
    buf[0] = 0x01;
    buf[1..33].copy_from_slice(left);
    buf[33..].copy_from_slice(right);
    Sha256::digest(buf).into()
}

/// The root of the empty tree, `SHA-256("")`.
#[must_use]
pub fn empty_root() -> Hash {
    Sha256::digest([]).into()
}

/// Builds a tree leaf by leaf and reports its root at any size, in O(log n) memory.
///
/// Holds the roots of the perfect subtrees that make up the current size (a
/// "compact range"), so streaming verification never keeps the whole log in memory.
#[derive(Debug, Clone, Default)]
pub struct TreeBuilder {
    size: u64,
    stack: Vec<Hash>,
}

impl TreeBuilder {
    /// An empty tree.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of leaves pushed so far.
    #[must_use]
    pub const fn size(&self) -> u64 {
        self.size
    }

    /// Appends a leaf given by its leaf hash.
    pub fn push_leaf_hash(&mut self, leaf: Hash) {
        let mut h = leaf;
        let mut idx = self.size;
        while idx & 1 == 1 {
            match self.stack.pop() {
                Some(left) => h = node_hash(&left, &h),
                None => break, // INVARIANT: unreachable, the stack holds one hash per set bit.
            }
            idx >>= 1;
        }
        self.stack.push(h);
        self.size += 1;
    }

    /// The root at the current size.
    #[must_use]
    pub fn root(&self) -> Hash {
        let mut iter = self.stack.iter().rev();
        let Some(last) = iter.next() else {
            return empty_root();
        };
        iter.fold(*last, |acc, left| node_hash(left, &acc))
    }
}

/// The root of the tree whose leaf hashes are `leaves`.
#[must_use]
pub fn root(leaves: &[Hash]) -> Hash {
    let mut b = TreeBuilder::new();
    for leaf in leaves {
        b.push_leaf_hash(*leaf);
    }
    b.root()
}

/// The inclusion proof (audit path) of leaf `index` in the tree of `leaves` (§2.1.3.1).
///
/// # Errors
/// [`Error::ProofRange`] when `index` is not below the tree size.
pub fn inclusion_proof(leaves: &[Hash], index: u64) -> Result<Vec<Hash>> {
    let n = leaves.len() as u64;
    if index >= n {
        return Err(Error::ProofRange(format!(
            "leaf index {index} is not below the tree size {n}"
        )));
    }
    let mut proof = Vec::new();
    path(to_usize(index)?, leaves, &mut proof);
    Ok(proof)
}

/// The consistency proof from the tree's first `size1` leaves to all of `leaves` (§2.1.4.1).
///
/// # Errors
/// [`Error::ProofRange`] unless `0 < size1 <= leaves.len()`.
pub fn consistency_proof(leaves: &[Hash], size1: u64) -> Result<Vec<Hash>> {
    let n = leaves.len() as u64;
    if size1 == 0 || size1 > n {
        return Err(Error::ProofRange(format!(
            "consistency needs 0 < size1 <= size2, got size1 {size1} and size2 {n}"
        )));
    }
    let mut proof = Vec::new();
    if size1 < n {
        subproof(to_usize(size1)?, leaves, true, &mut proof);
    }
    Ok(proof)
}

fn to_usize(v: u64) -> Result<usize> {
    usize::try_from(v).map_err(|_| Error::ProofRange(format!("{v} does not fit this machine")))
}

/// Largest power of two strictly below `n` (n >= 2).
fn split(n: usize) -> usize {
    let mut k = 1;
    while k << 1 < n {
        k <<= 1;
    }
    k
}

fn path(m: usize, d: &[Hash], out: &mut Vec<Hash>) {
    let n = d.len();
    if n <= 1 {
        return;
    }
    let k = split(n);
    let (left, right) = d.split_at(k);
    if m < k {
        path(m, left, out);
        out.push(root(right));
    } else {
        path(m - k, right, out);
        out.push(root(left));
    }
}

fn subproof(m: usize, d: &[Hash], b: bool, out: &mut Vec<Hash>) {
    let n = d.len();
    if m == n {
        if !b {
            out.push(root(d));
        }
        return;
    }
    let k = split(n);
    let (left, right) = d.split_at(k);
    if m <= k {
        subproof(m, left, b, out);
        out.push(root(right));
    } else {
        subproof(m - k, right, false, out);
        out.push(root(left));
    }
}

/// Verifies that `leaf` (a leaf hash) is leaf `index` of the tree of `size` with `root` (§2.1.3.2).
///
/// # Errors
/// [`Error::ProofInvalid`] saying which check failed.
pub fn verify_inclusion(
    index: u64,
    size: u64,
    leaf: &Hash,
    proof: &[Hash],
    root: &Hash,
) -> Result<()> {
    if index >= size {
        return Err(Error::ProofInvalid(format!(
            "leaf index {index} is not below the tree size {size}"
        )));
    }
    if size > MAX_TREE_SIZE || proof.len() > 64 {
        return Err(Error::ProofInvalid(
            "tree size or proof length out of bounds".into(),
        ));
    }
    let mut f_n = index;
    let mut s_n = size - 1;
    let mut r = *leaf;
    for p in proof {
        if s_n == 0 {
            return Err(Error::ProofInvalid(
                "proof has more elements than the path".into(),
            ));
        }
        if f_n & 1 == 1 || f_n == s_n {
            r = node_hash(p, &r);
            while f_n & 1 == 0 && f_n != 0 {
                f_n >>= 1;
                s_n >>= 1;
            }
        } else {
            r = node_hash(&r, p);
        }
        f_n >>= 1;
        s_n >>= 1;
    }
    if s_n != 0 {
        return Err(Error::ProofInvalid(
            "proof has fewer elements than the path".into(),
        ));
    }
    if &r != root {
        return Err(Error::ProofInvalid(
            "computed root differs from the given root".into(),
        ));
    }
    Ok(())
}

/// Verifies that the tree of `size2` with `root2` extends the tree of `size1` with `root1` (§2.1.4.2).
///
/// # Errors
/// [`Error::ProofInvalid`] saying which check failed.
pub fn verify_consistency(
    size1: u64,
    size2: u64,
    root1: &Hash,
    root2: &Hash,
    proof: &[Hash],
) -> Result<()> {
    if size1 > size2 {
        return Err(Error::ProofInvalid(format!(
            "size1 {size1} is larger than size2 {size2}: a log never shrinks"
        )));
    }
    if size2 > MAX_TREE_SIZE || proof.len() > 128 {
        return Err(Error::ProofInvalid(
            "tree size or proof length out of bounds".into(),
        ));
    }
    if size1 == size2 {
        if !proof.is_empty() {
            return Err(Error::ProofInvalid(
                "equal sizes need an empty proof".into(),
            ));
        }
        if root1 != root2 {
            return Err(Error::ProofInvalid(
                "equal sizes but different roots".into(),
            ));
        }
        return Ok(());
    }
    if size1 == 0 {
        return Err(Error::ProofInvalid(
            "consistency with the empty tree proves nothing; size1 must be at least 1".into(),
        ));
    }
    let (first, rest): (Hash, &[Hash]) = if size1.is_power_of_two() {
        (*root1, proof)
    } else {
        match proof.split_first() {
            Some((first, rest)) => (*first, rest),
            None => return Err(Error::ProofInvalid("proof is empty".into())),
        }
    };
    let mut f_n = size1 - 1;
    let mut s_n = size2 - 1;
    while f_n & 1 == 1 {
        f_n >>= 1;
        s_n >>= 1;
    }
    let mut fr = first;
    let mut sr = first;
    for c in rest {
        if s_n == 0 {
            return Err(Error::ProofInvalid(
                "proof has more elements than needed".into(),
            ));
        }
        if f_n & 1 == 1 || f_n == s_n {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            while f_n & 1 == 0 && f_n != 0 {
                f_n >>= 1;
                s_n >>= 1;
            }
        } else {
            sr = node_hash(&sr, c);
        }
        f_n >>= 1;
        s_n >>= 1;
    }
    if s_n != 0 {
        return Err(Error::ProofInvalid(
            "proof has fewer elements than needed".into(),
        ));
    }
    if &fr != root1 {
        return Err(Error::ProofInvalid(
            "proof does not reproduce the first root".into(),
        ));
    }
    if &sr != root2 {
        return Err(Error::ProofInvalid(
            "proof does not reproduce the second root".into(),
        ));
    }
    Ok(())
}

/// [`verify_inclusion`] over untrusted wire bytes: every hash must be 32 bytes.
///
/// # Errors
/// [`Error::ProofInvalid`] for a wrong length or a failing proof.
pub fn verify_inclusion_bytes(
    index: u64,
    size: u64,
    leaf: &[u8],
    proof: &[Vec<u8>],
    root: &[u8],
) -> Result<()> {
    let leaf = to_hash(leaf, "leaf hash")?;
    let root = to_hash(root, "root")?;
    let proof = proof
        .iter()
        .map(|p| to_hash(p, "proof element"))
        .collect::<Result<Vec<_>>>()?;
    verify_inclusion(index, size, &leaf, &proof, &root)
}

/// [`verify_consistency`] over untrusted wire bytes.
///
/// For equal sizes the roots are compared as bytes, whatever their length (as
/// transparency-dev/merkle does); otherwise every hash must be 32 bytes.
///
/// # Errors
/// [`Error::ProofInvalid`] for a wrong length or a failing proof.
pub fn verify_consistency_bytes(
    size1: u64,
    size2: u64,
    root1: &[u8],
    root2: &[u8],
    proof: &[Vec<u8>],
) -> Result<()> {
    if size1 == size2 && size1 > 0 {
        if !proof.is_empty() {
            return Err(Error::ProofInvalid(
                "equal sizes need an empty proof".into(),
            ));
        }
        if root1 != root2 {
            return Err(Error::ProofInvalid(
                "equal sizes but different roots".into(),
            ));
        }
        return Ok(());
    }
    let r1 = to_hash(root1, "root1")?;
    let r2 = to_hash(root2, "root2")?;
    let proof = proof
        .iter()
        .map(|p| to_hash(p, "proof element"))
        .collect::<Result<Vec<_>>>()?;
    verify_consistency(size1, size2, &r1, &r2, &proof)
}

fn to_hash(bytes: &[u8], what: &str) -> Result<Hash> {
    bytes
        .try_into()
        .map_err(|_| Error::ProofInvalid(format!("{what} is {} bytes, not 32", bytes.len())))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn leaves(n: usize) -> Vec<Hash> {
        (0..n)
            .map(|i| leaf_hash(&(i as u64).to_be_bytes()))
            .collect()
    }

    /// Straight from the RFC's recursive definition, as an independent reference.
    fn mth(d: &[Hash]) -> Hash {
        match d.len() {
            0 => empty_root(),
            1 => d[0],
            n => {
                let k = split(n);
                node_hash(&mth(&d[..k]), &mth(&d[k..]))
            }
        }
    }

    #[test]
    fn rfc_known_answers() {
        assert_eq!(
            empty_root(),
            *b"\xe3\xb0\xc4\x42\x98\xfc\x1c\x14\x9a\xfb\xf4\xc8\x99\x6f\xb9\x24\x27\xae\x41\xe4\x64\x9b\x93\x4c\xa4\x95\x99\x1b\x78\x52\xb8\x55"
        );
        // Empty leaf: 6e340b9c...
        assert_eq!(leaf_hash(b"")[..4], [0x6e, 0x34, 0x0b, 0x9c]);
    }

    proptest! {
        #[test]
        fn builder_matches_recursive_definition(n in 0usize..300) {
            let l = leaves(n);
            prop_assert_eq!(root(&l), mth(&l));
        }

        #[test]
        fn inclusion_round_trips_and_rejects_changes(n in 1usize..200, i in 0usize..200, flip in 0usize..64) {
            let l = leaves(n);
            let i = i % n;
            let r = root(&l);
            let p = inclusion_proof(&l, i as u64).unwrap();
            prop_assert!(verify_inclusion(i as u64, n as u64, &l[i], &p, &r).is_ok());
            // A different leaf, index, size or root must fail.
            let other = leaf_hash(b"other");
            prop_assert!(verify_inclusion(i as u64, n as u64, &other, &p, &r).is_err());
            if n > 1 {
                let j = (i + 1) % n;
                prop_assert!(verify_inclusion(j as u64, n as u64, &l[i], &p, &r).is_err());
            }
            // (A different tree size can share the path's shape, so it is not asserted here;
            // the vectors' size probes cover it.) An index at or past the size must fail.
            prop_assert!(verify_inclusion(n as u64, n as u64, &l[i], &p, &r).is_err());
            let mut bad_root = r;
            bad_root[flip % 32] ^= 1;
            prop_assert!(verify_inclusion(i as u64, n as u64, &l[i], &p, &bad_root).is_err());
            if !p.is_empty() {
                let mut q = p.clone();
                let k = flip % q.len();
                q[k][flip % 32] ^= 0x80;
                prop_assert!(verify_inclusion(i as u64, n as u64, &l[i], &q, &r).is_err());
                q.clone_from(&p);
                q.pop();
                prop_assert!(verify_inclusion(i as u64, n as u64, &l[i], &q, &r).is_err());
            }
            let mut q = p;
            q.push(other);
            prop_assert!(verify_inclusion(i as u64, n as u64, &l[i], &q, &r).is_err());
        }

        #[test]
        fn consistency_round_trips_and_rejects_changes(n in 1usize..200, m in 1usize..200, flip in 0usize..64) {
            let l = leaves(n);
            let m = 1 + (m - 1) % n;
            let r1 = root(&l[..m]);
            let r2 = root(&l);
            let p = consistency_proof(&l, m as u64).unwrap();
            prop_assert!(verify_consistency(m as u64, n as u64, &r1, &r2, &p).is_ok());
            let mut bad = r1;
            bad[flip % 32] ^= 1;
            prop_assert!(verify_consistency(m as u64, n as u64, &bad, &r2, &p).is_err());
            let mut bad = r2;
            bad[flip % 32] ^= 1;
            prop_assert!(verify_consistency(m as u64, n as u64, &r1, &bad, &p).is_err());
            if !p.is_empty() {
                let mut q = p.clone();
                let k = flip % q.len();
                q[k][flip % 32] ^= 0x80;
                prop_assert!(verify_consistency(m as u64, n as u64, &r1, &r2, &q).is_err());
            }
            // A tree with one leaf changed inside the first m is not consistent.
            let mut forged = l;
            forged[flip % m] = leaf_hash(b"forged");
            let fr2 = root(&forged);
            if m < n {
                prop_assert!(verify_consistency(m as u64, n as u64, &r1, &fr2, &p).is_err());
            }
        }
    }

    #[test]
    fn out_of_range_requests_are_refused() {
        let l = leaves(5);
        assert!(inclusion_proof(&l, 5).is_err());
        assert!(consistency_proof(&l, 0).is_err());
        assert!(consistency_proof(&l, 6).is_err());
        assert!(inclusion_proof(&[], 0).is_err());
    }
}
