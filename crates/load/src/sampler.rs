//! Epoch order: PyTorch's `DistributedSampler`, index for index, and the
//! augmentation index of every sample.
//!
//! **Shuffle.** Epoch `e` with seed `s` permutes `0..n` as
//! `g = torch.Generator(); g.manual_seed(s + e); torch.randperm(n, generator=g)`
//! does on the CPU: MT19937 seeded by `init_genrand` with the low 32 bits
//! of `s + e` (torch's `mt19937(seed)` keeps `seed & 0xffffffff`), then,
//! for `n < 214748364` (`u32::MAX / 20`), the forward Fisher-Yates of
//! `randperm_cpu`: `perm = 0..n`, and for `i` in `0..n - 1`,
//! `z = random() % (n - i)` (one 32-bit draw), swap `perm[i]` and
//! `perm[i + z]`. From `214748364` on, torch's inside-out variant:
//! for `i` in `0..n`, `z = random64() % (i + 1)` with
//! `random64() = (first draw << 32) | second draw`, `perm[i] = perm[z]`,
//! `perm[z] = i`. Without shuffle the order is `0..n`.
//!
//! **Sharding.** With `world` replicas and `drop_last = false`, the order
//! is padded by repeating its start to `total = world * ceil(n / world)`
//! (position `k` holds `perm[k % n]`, which is what torch's repeated
//! padding gives even when padding exceeds `n`); with `drop_last = true` it
//! is cut to `total = world * floor(n / world)`. Rank `r` takes positions
//! `r, r + world, r + 2 world, ...` below `total` (torch's
//! `indices[rank:total:world]`), so ranks are disjoint (up to the padding
//! repeats), equally long, and together cover the dataset.
//!
//! **Augmentation.** The sample at global position `k` of epoch `e` (its
//! place in the padded order, before the rank split) is augmented as image
//! number [`augment_index(e, k)`](augment_index) ` = e * 2^40 + k` of the
//! pipeline run with the loader's seed: `Pipeline::rng_for` keys ChaCha8
//! by the seed and takes that number as its stream. Its parameters depend
//! on `(seed, e, k)` alone, never on threads, batch size or prefetch.
//! Positions stay below 2^40 (a trillion samples) and epochs below 2^24.

use crate::error::{Error, Result};
use rand_mt::Mt;

/// Largest dataset (samples per epoch, padding included) the augmentation
/// index can number: 2^40.
pub const MAX_POSITIONS: u64 = 1 << 40;

/// Epochs are numbered below this: 2^24.
pub const MAX_EPOCHS: u64 = 1 << 24;

/// `n` from which torch's `randperm` switches to the 64-bit inside-out shuffle.
const LARGE_RANDPERM: usize = (u32::MAX / 20) as usize;

/// torch's CPU generator: MT19937 as `at::mt19937` seeds and draws it.
///
/// ```
/// use load::sampler::TorchGenerator;
/// // The C++ standard's check of mt19937: the 10000th draw from the default seed.
/// let mut g = TorchGenerator::new(5489);
/// let draw = (0..10_000).map(|_| g.random()).last();
/// assert_eq!(draw, Some(4_123_659_995));
/// ```
#[derive(Clone)]
pub struct TorchGenerator {
    mt: Mt,
}

impl TorchGenerator {
    /// `torch.Generator().manual_seed(seed)`: only the low 32 bits count.
    pub fn new(seed: u64) -> TorchGenerator {
        TorchGenerator {
            mt: Mt::new(seed as u32),
        }
    }

    /// One 32-bit draw (`CPUGeneratorImpl::random`).
    pub fn random(&mut self) -> u32 {
        self.mt.next_u32()
    }

    /// Two draws, the first in the high half (`CPUGeneratorImpl::random64`).
    pub fn random64(&mut self) -> u64 {
        self.mt.next_u64()
    }
}

impl std::fmt::Debug for TorchGenerator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TorchGenerator")
    }
}

/// Writes `torch.randperm(n, generator=torch.Generator().manual_seed(seed))`
/// into `out` (its capacity reused).
///
/// ```
/// let mut perm = Vec::new();
/// load::sampler::randperm(10, 0, &mut perm);
/// assert_eq!(perm, [4, 1, 7, 5, 3, 9, 0, 8, 6, 2]); // torch 2.15
/// ```
pub fn randperm(n: usize, seed: u64, out: &mut Vec<usize>) {
    let mut g = TorchGenerator::new(seed);
    out.clear();
    if n < LARGE_RANDPERM {
        out.extend(0..n);
        for i in 0..n.saturating_sub(1) {
            let z = g.random() as usize % (n - i);
            out.swap(i, i + z);
        }
    } else {
        out.resize(n, 0);
        for i in 0..n {
            let z = (g.random64() % (i as u64 + 1)) as usize;
            out[i] = out[z];
            out[z] = i;
        }
    }
}

/// How an epoch's samples are ordered and split between replicas.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sampling {
    /// Shuffle each epoch (default on).
    pub shuffle: bool,
    /// The seed of the shuffle (torch's `seed`; default 0).
    pub seed: u64,
    /// This replica's rank, below `world` (default 0).
    pub rank: usize,
    /// Number of replicas (default 1).
    pub world: usize,
    /// Cut the order to a multiple of `world` instead of padding it.
    pub drop_last: bool,
}

impl Default for Sampling {
    fn default() -> Self {
        Sampling {
            shuffle: true,
            seed: 0,
            rank: 0,
            world: 1,
            drop_last: false,
        }
    }
}

impl Sampling {
    /// Samples each replica gets per epoch from a dataset of `n`
    /// (`DistributedSampler.num_samples`).
    pub fn per_rank(&self, n: usize) -> usize {
        let world = self.world.max(1);
        if self.drop_last {
            n / world
        } else {
            n.div_ceil(world)
        }
    }

    /// Positions in the padded (or cut) global order: `world * per_rank`.
    pub fn total(&self, n: usize) -> usize {
        self.per_rank(n) * self.world.max(1)
    }

    /// Checks rank and world, and that positions fit the augmentation index.
    pub(crate) fn check(&self, n: usize) -> Result<()> {
        if self.world == 0 || self.rank >= self.world {
            return Err(Error::Setting {
                setting: "rank/world",
                value: format!("{}/{}", self.rank, self.world),
                expected: "a world of at least 1 and a rank below it",
            });
        }
        if self.total(n) as u64 >= MAX_POSITIONS {
            return Err(Error::Setting {
                setting: "dataset size",
                value: n.to_string(),
                expected: "fewer than 2^40 samples per epoch",
            });
        }
        Ok(())
    }

    /// This rank's dataset indices for `epoch`, as torch's
    /// `list(DistributedSampler(...))` after `set_epoch(epoch)`.
    ///
    /// ```
    /// use load::sampler::Sampling;
    /// let s = Sampling { seed: 5, rank: 1, world: 3, ..Sampling::default() };
    /// assert_eq!(s.indices(11, 2), [0, 5, 10, 6]); // torch 2.15
    /// ```
    pub fn indices(&self, n: usize, epoch: u64) -> Vec<usize> {
        let mut order = EpochOrder::default();
        order.fill(n, self, epoch);
        (0..order.len()).map(|j| order.sample(j)).collect()
    }
}

/// One epoch's order for one rank, its permutation buffer reused from
/// epoch to epoch.
#[derive(Debug, Clone, Default)]
pub(crate) struct EpochOrder {
    perm: Vec<usize>,
    n: usize,
    shuffled: bool,
    rank: usize,
    world: usize,
    len: usize,
}

impl EpochOrder {
    /// Orders `n` samples for `epoch`.
    pub(crate) fn fill(&mut self, n: usize, sampling: &Sampling, epoch: u64) {
        self.n = n;
        self.shuffled = sampling.shuffle;
        if sampling.shuffle {
            randperm(n, sampling.seed.wrapping_add(epoch), &mut self.perm);
        } else {
            self.perm.clear();
        }
        self.rank = sampling.rank;
        self.world = sampling.world.max(1);
        self.len = if n == 0 { 0 } else { sampling.per_rank(n) };
    }

    /// Samples this rank takes.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Global position of this rank's `j`-th sample.
    pub(crate) fn position(&self, j: usize) -> u64 {
        (self.rank + j * self.world) as u64
    }

    /// The dataset index at global position `k` (the padding repeats the start).
    pub(crate) fn at_position(&self, k: u64) -> usize {
        let k = (k % self.n.max(1) as u64) as usize;
        if self.shuffled { self.perm[k] } else { k }
    }

    /// The dataset index of this rank's `j`-th sample.
    pub(crate) fn sample(&self, j: usize) -> usize {
        self.at_position(self.position(j))
    }

    /// Dataset size of the epoch.
    pub(crate) fn dataset_len(&self) -> usize {
        self.n
    }
}

/// The pipeline image number of global position `position` in `epoch`:
/// `epoch * 2^40 + position` (see the module documentation).
pub fn augment_index(epoch: u64, position: u64) -> u64 {
    (epoch % MAX_EPOCHS) << 40 | (position % MAX_POSITIONS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn per_rank_matches_torch() {
        let s = |world, drop_last| Sampling {
            world,
            drop_last,
            ..Sampling::default()
        };
        assert_eq!(s(3, false).per_rank(11), 4);
        assert_eq!(s(3, true).per_rank(11), 3);
        assert_eq!(s(5, false).per_rank(2), 1);
        assert_eq!(s(5, true).per_rank(2), 0);
        assert_eq!(s(4, true).per_rank(12), 3);
    }

    #[test]
    fn the_index_packs_epoch_and_position() {
        assert_eq!(augment_index(0, 7), 7);
        assert_eq!(augment_index(1, 0), 1 << 40);
        assert_eq!(augment_index(3, (1 << 40) - 1), (3 << 40) | ((1 << 40) - 1));
    }
}
