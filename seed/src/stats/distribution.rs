//! A summary of many numbers in bounded memory, for the medians, percentiles and means of
//! the stats report: exact for small sets, a log-bucketed histogram for large ones.
//!
//! A [`Distribution`] keeps its first [`EXACT_VALUES`] values as they are, so a small dataset
//! (the tests', the fixtures', the default run's) measures exactly as the free functions
//! [`percentile`], [`median`] and a plain mean of the values would. With one value more it
//! folds them into a histogram whose buckets are consecutive ranges of magnitude, each
//! [`BUCKET_WIDTH`] wide on a log scale, one set per sign and one bucket for zero, kept
//! sparsely: only the buckets holding values, 24 bytes each, in one sorted vector. Its memory
//! grows with the range of the values (at most about `ln(largest / smallest) / BUCKET_WIDTH`
//! buckets per sign, some 70,000 for magnitudes spanning six decades; the stats of a 200,000
//! user run hold about 100,000 in all), never with how many there are.
//!
//! Error bound, once in histogram mode:
//! - the count, the minimum and the maximum stay exact, and so does the sum behind the mean
//!   (kept as non-overlapping partial sums and rounded once, when read);
//! - a value read back from its bucket is within a relative [`RELATIVE_ERROR`] (1e-4) of the
//!   value put in; the smallest and the largest are read back exactly, and so is every value
//!   of a bucket that holds one value only, however often (counts, whole days and round
//!   amounts stay exact);
//! - a percentile interpolates between the values at its two closest ranks as
//!   [`percentile`] does, so it is within `RELATIVE_ERROR * ((1 - f) |x_lo| + f |x_hi|)`
//!   of the exact one, where `x_lo` and `x_hi` are the exact values at those ranks and `f`
//!   the fraction between them: within a relative `RELATIVE_ERROR` whenever the two share a
//!   sign (the median of a mixed-sign set near zero may be off by that bound's absolute
//!   amount).
//!
//! Merging is deterministic for a given order of merges; once in histogram mode the counts,
//! range, sum and hence every figure read do not depend on that order at all.

/// How many values a distribution keeps exactly before it becomes a histogram.
pub const EXACT_VALUES: usize = 8_192;

/// The largest relative error of a value read back from a histogram's bucket.
pub const RELATIVE_ERROR: f64 = 1e-4;

/// The width of a bucket on the natural-log scale: bucket `i` of a sign holds magnitudes in
/// `(e^((i-1)w), e^(iw)]`. Its representative `e^((i-1/2)w) / cosh(w/2)` is within
/// `tanh(w/2)` of every magnitude in the bucket, relatively; `w` makes that 0.9999 of
/// [`RELATIVE_ERROR`], the rest leaving room for rounding in `ln` and `exp`.
pub const BUCKET_WIDTH: f64 = 2.0 * 0.999_9 * RELATIVE_ERROR;

/// A multiset of finite numbers summarised in bounded memory; see the module documentation
/// for what it keeps and how close what it answers is.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Distribution {
    count: u64,
    /// The smallest and the largest value, once there is one.
    range: Option<(f64, f64)>,
    sum: ExactSum,
    kept: Kept,
}

/// The values themselves, or their histogram.
#[derive(Debug, Clone, PartialEq)]
enum Kept {
    /// Every value, in the order added (merges append).
    Values(Vec<f64>),
    Histogram(Histogram),
}

impl Default for Kept {
    fn default() -> Self {
        Kept::Values(Vec::new())
    }
}

/// The non-empty buckets in the order of their values, in one vector: a few large
/// allocations rather than a node per handful of buckets. Values added are queued and folded
/// in a batch at a time, the batch a quarter of the buckets' number (or [`FOLD_AT_LEAST`]),
/// so folding costs a few bucket copies per value.
#[derive(Debug, Clone, Default)]
struct Histogram {
    /// Sorted by key, one per key.
    buckets: Vec<Bucket>,
    /// Values not yet folded into `buckets`.
    queued: Vec<f64>,
}

/// The fewest queued values folded at once.
const FOLD_AT_LEAST: usize = 1_024;

/// The values that fell in one bucket.
#[derive(Debug, Clone, Copy)]
struct Bucket {
    /// Orders buckets as their values: 0 for zero, else the sign times the magnitude's
    /// bucket index offset by 2^31 (so every magnitude's key is past zero's).
    key: i64,
    count: u64,
    /// The value they all share, or NaN if they differ: counts, whole days and round
    /// amounts repeat, and a bucket of one repeated value reads it back exactly.
    sole: f64,
}

impl Bucket {
    /// The bucket of `value`, holding it alone.
    fn of(value: f64) -> Bucket {
        let key = if value == 0.0 {
            0
        } else {
            let index = i64::from(bucket_of(value.abs())) + (1 << 31);
            if value < 0.0 { -index } else { index }
        };
        Bucket {
            key,
            count: 1,
            sole: value,
        }
    }

    fn merge(&mut self, other: Bucket) {
        self.count += other.count;
        if self.sole.to_bits() != other.sole.to_bits() {
            self.sole = f64::NAN;
        }
    }

    /// The value standing for every one in the bucket.
    fn value(&self) -> f64 {
        if self.key == 0 {
            0.0
        } else if !self.sole.is_nan() {
            self.sole
        } else {
            let magnitude = magnitude_of((self.key.abs() - (1 << 31)) as i32);
            magnitude.copysign(self.key as f64)
        }
    }
}

/// Buckets are equal when they hold as many values of the same key and sole value.
impl PartialEq for Bucket {
    fn eq(&self, other: &Self) -> bool {
        (self.key, self.count, self.sole.to_bits())
            == (other.key, other.count, other.sole.to_bits())
    }
}

impl Histogram {
    fn add(&mut self, value: f64) {
        self.queued.push(value);
        if self.queued.len() >= FOLD_AT_LEAST.max(self.buckets.len() / 4) {
            self.fold();
        }
    }

    /// Folds the queued values into the buckets.
    fn fold(&mut self) {
        if self.queued.is_empty() {
            return;
        }
        let mut batch: Vec<Bucket> = self.queued.drain(..).map(Bucket::of).collect();
        batch.sort_unstable_by_key(|b| b.key);
        self.buckets = merged(std::mem::take(&mut self.buckets), batch);
    }

    /// The buckets with the queued values folded in.
    fn folded(&self) -> std::borrow::Cow<'_, [Bucket]> {
        if self.queued.is_empty() {
            std::borrow::Cow::Borrowed(&self.buckets)
        } else {
            let mut folded = self.clone();
            folded.fold();
            std::borrow::Cow::Owned(folded.buckets)
        }
    }

    fn merge(&mut self, mut other: Histogram) {
        self.fold();
        other.fold();
        self.buckets = merged(std::mem::take(&mut self.buckets), other.buckets);
    }
}

/// Histograms are equal when their buckets are, queued values folded.
impl PartialEq for Histogram {
    fn eq(&self, other: &Self) -> bool {
        self.folded() == other.folded()
    }
}

/// The buckets of two runs sorted by key as one, buckets of one key merged.
fn merged(a: Vec<Bucket>, b: Vec<Bucket>) -> Vec<Bucket> {
    let mut out: Vec<Bucket> = Vec::with_capacity(a.len() + b.len());
    let (mut a, mut b) = (a.into_iter().peekable(), b.into_iter().peekable());
    loop {
        let next = match (a.peek(), b.peek()) {
            (Some(x), Some(y)) if x.key <= y.key => a.next(),
            (Some(_), Some(_)) => b.next(),
            (Some(_), None) => a.next(),
            (None, _) => b.next(),
        };
        let Some(next) = next else {
            return out;
        };
        match out.last_mut() {
            Some(last) if last.key == next.key => last.merge(next),
            _ => out.push(next),
        }
    }
}

/// The value at `rank` (0 is the smallest) of `buckets`, as its bucket reads back.
fn value_at(buckets: &[Bucket], rank: u64) -> f64 {
    let mut seen = 0;
    for bucket in buckets {
        seen += bucket.count;
        if rank < seen {
            return bucket.value();
        }
    }
    unreachable!("rank {rank} of {seen} values")
}

/// The bucket of a positive magnitude.
fn bucket_of(magnitude: f64) -> i32 {
    // Saturates for infinities; finite magnitudes need some ±3.7 million buckets at most.
    (magnitude.ln() / BUCKET_WIDTH).ceil() as i32
}

/// The magnitude standing for every one in `bucket`: the one closest, relatively, to both
/// of its bounds.
fn magnitude_of(bucket: i32) -> f64 {
    ((f64::from(bucket) - 0.5) * BUCKET_WIDTH).exp() / (BUCKET_WIDTH / 2.0).cosh()
}

impl Distribution {
    /// An empty distribution.
    pub fn new() -> Self {
        Distribution::default()
    }

    /// Adds a value; it is expected to be finite.
    pub fn add(&mut self, value: f64) {
        debug_assert!(!value.is_nan(), "a NaN in a distribution");
        self.count += 1;
        self.range = Some(match self.range {
            Some((lo, hi)) => (lo.min(value), hi.max(value)),
            None => (value, value),
        });
        self.sum.add(value);
        match &mut self.kept {
            Kept::Values(values) if values.len() < EXACT_VALUES => values.push(value),
            Kept::Values(_) => {
                self.spill();
                self.add_to_histogram(value);
            }
            Kept::Histogram(histogram) => histogram.add(value),
        }
    }

    /// Adds the values of `other`, after this one's.
    pub fn merge(&mut self, other: Distribution) {
        if other.count == 0 {
            return;
        }
        self.count += other.count;
        self.range = match (self.range, other.range) {
            (Some((lo, hi)), Some((other_lo, other_hi))) => {
                Some((lo.min(other_lo), hi.max(other_hi)))
            }
            (mine, theirs) => mine.or(theirs),
        };
        self.sum.merge(&other.sum);
        match other.kept {
            Kept::Values(theirs) => match &mut self.kept {
                Kept::Values(mine) if mine.len() + theirs.len() <= EXACT_VALUES => {
                    mine.extend(theirs);
                }
                _ => {
                    self.spill();
                    for value in theirs {
                        self.add_to_histogram(value);
                    }
                }
            },
            Kept::Histogram(theirs) => {
                self.spill();
                let Kept::Histogram(mine) = &mut self.kept else {
                    unreachable!("just spilled")
                };
                mine.merge(theirs);
            }
        }
    }

    /// Folds the kept values into a histogram, if not yet.
    fn spill(&mut self) {
        if let Kept::Values(values) = &mut self.kept {
            let mut histogram = Histogram {
                buckets: Vec::new(),
                queued: std::mem::take(values),
            };
            histogram.fold();
            self.kept = Kept::Histogram(histogram);
        }
    }

    fn add_to_histogram(&mut self, value: f64) {
        match &mut self.kept {
            Kept::Histogram(histogram) => histogram.add(value),
            Kept::Values(_) => unreachable!("spilled before"),
        }
    }

    /// How many values were added.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Whether no value was added.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Whether every value is still kept as it is (so every figure is exact).
    pub fn is_exact(&self) -> bool {
        matches!(self.kept, Kept::Values(_))
    }

    /// The smallest value, or `None` if empty.
    pub fn min(&self) -> Option<f64> {
        self.range.map(|(lo, _)| lo)
    }

    /// The largest value, or `None` if empty.
    pub fn max(&self) -> Option<f64> {
        self.range.map(|(_, hi)| hi)
    }

    /// The mean, or `None` if empty. While exact it sums the values in the order added, as a
    /// plain mean of them does; after, it is the exact sum, rounded once, over the count.
    pub fn mean(&self) -> Option<f64> {
        match &self.kept {
            Kept::Values(values) => mean(values),
            Kept::Histogram(_) => (self.count > 0).then(|| self.sum.value() / self.count as f64),
        }
    }

    /// The `p` quantile (0 to 1), interpolated as [`percentile`] does, or `None` if empty.
    pub fn percentile(&self, p: f64) -> Option<f64> {
        match &self.kept {
            Kept::Values(values) => percentile(values, p),
            Kept::Histogram(histogram) => {
                let n = self.count.checked_sub(1)?;
                let rank = p.clamp(0.0, 1.0) * n as f64;
                let (lo, hi) = (rank.floor() as u64, rank.ceil() as u64);
                let buckets = histogram.folded();
                let (x_lo, x_hi) = (self.at(&buckets, lo), self.at(&buckets, hi));
                Some(x_lo + (x_hi - x_lo) * (rank - lo as f64))
            }
        }
    }

    /// The median, as [`median`] computes it (the mean of the two middle values of an even
    /// count), or `None` if empty.
    pub fn median(&self) -> Option<f64> {
        match &self.kept {
            Kept::Values(values) => median(&mut values.clone()),
            Kept::Histogram(histogram) => {
                let buckets = histogram.folded();
                let mid = self.count / 2;
                Some(if self.count % 2 == 1 {
                    self.at(&buckets, mid)
                } else {
                    (self.at(&buckets, mid - 1) + self.at(&buckets, mid)) / 2.0
                })
            }
        }
    }

    /// The value at `rank` of a histogram: the exact extremes at either end, a bucket's
    /// representative (held within the extremes) between.
    fn at(&self, buckets: &[Bucket], rank: u64) -> f64 {
        let (lo, hi) = self.range.expect("a histogram holds values");
        if rank == 0 {
            lo
        } else if rank + 1 >= self.count {
            hi
        } else {
            value_at(buckets, rank).clamp(lo, hi)
        }
    }
}

impl Extend<f64> for Distribution {
    fn extend<I: IntoIterator<Item = f64>>(&mut self, values: I) {
        for value in values {
            self.add(value);
        }
    }
}

impl FromIterator<f64> for Distribution {
    fn from_iter<I: IntoIterator<Item = f64>>(values: I) -> Self {
        let mut distribution = Distribution::new();
        distribution.extend(values);
        distribution
    }
}

/// An exact sum of floating-point numbers: non-overlapping partial sums whose total is the
/// true sum (Shewchuk's algorithm, as in Python's `math.fsum`); a few dozen at most.
#[derive(Debug, Clone, Default)]
struct ExactSum {
    /// Partial sums, smallest magnitude first, no two sharing a bit position.
    partials: Vec<f64>,
}

impl ExactSum {
    fn add(&mut self, mut x: f64) {
        let mut kept = 0;
        for j in 0..self.partials.len() {
            let mut y = self.partials[j];
            if x.abs() < y.abs() {
                std::mem::swap(&mut x, &mut y);
            }
            let high = x + y;
            let low = y - (high - x);
            if low != 0.0 {
                self.partials[kept] = low;
                kept += 1;
            }
            x = high;
        }
        self.partials.truncate(kept);
        self.partials.push(x);
    }

    fn merge(&mut self, other: &ExactSum) {
        for &partial in &other.partials {
            self.add(partial);
        }
    }

    /// The sum, correctly rounded.
    fn value(&self) -> f64 {
        let mut n = self.partials.len();
        if n == 0 {
            return 0.0;
        }
        n -= 1;
        let mut high = self.partials[n];
        let mut low = 0.0;
        while n > 0 {
            let x = high;
            n -= 1;
            let y = self.partials[n];
            high = x + y;
            low = y - (high - x);
            if low != 0.0 {
                break;
            }
        }
        // Halfway between two doubles, the partials below say which way to round.
        if n > 0
            && (low < 0.0 && self.partials[n - 1] < 0.0 || low > 0.0 && self.partials[n - 1] > 0.0)
        {
            let y = low * 2.0;
            let x = high + y;
            if y == x - high {
                high = x;
            }
        }
        high
    }
}

/// Two sums are equal when they round to the same value (their partials may differ).
impl PartialEq for ExactSum {
    fn eq(&self, other: &Self) -> bool {
        self.value() == other.value()
    }
}

/// The mean of `values`, summed in order, or `None` if empty.
fn mean(values: &[f64]) -> Option<f64> {
    (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
}

/// The `p` quantile (0 to 1) of `values`, interpolated linearly between the closest ranks
/// (Hyndman and Fan's type 7, the default of R and NumPy), or `None` if empty.
pub fn percentile(values: &[f64], p: f64) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let mut sorted = values.to_vec();
    sorted.sort_unstable_by(f64::total_cmp);
    let rank = p.clamp(0.0, 1.0) * (sorted.len() - 1) as f64;
    let (lo, hi) = (rank.floor() as usize, rank.ceil() as usize);
    Some(sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - lo as f64))
}

/// The median of `values` (reordered), or `None` if empty.
pub fn median(values: &mut [f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_unstable_by(f64::total_cmp);
    let mid = values.len() / 2;
    Some(if values.len() % 2 == 1 {
        values[mid]
    } else {
        (values[mid - 1] + values[mid]) / 2.0
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{RngExt, SeedableRng};
    use rand_pcg::Pcg64;

    /// Values spanning five decades of magnitude, a third of them negative and one in twenty
    /// zero, as a seeded stream.
    fn sample(seed: u64, count: usize) -> Vec<f64> {
        let mut rng = Pcg64::seed_from_u64(seed);
        (0..count)
            .map(|_| {
                if rng.random_bool(0.05) {
                    return 0.0;
                }
                let magnitude = 10f64.powf(rng.random_range(-2.0..3.0));
                if rng.random_bool(1.0 / 3.0) {
                    -magnitude
                } else {
                    magnitude
                }
            })
            .collect()
    }

    #[test]
    fn percentiles_interpolate_between_ranks() {
        let values = [4.0, 1.0, 3.0, 2.0];
        assert_eq!(percentile(&values, 0.5), Some(2.5));
        assert_eq!(percentile(&values, 0.0), Some(1.0));
        assert_eq!(percentile(&values, 1.0), Some(4.0));
        assert!((percentile(&values, 0.9).unwrap() - 3.7).abs() < 1e-12);
        assert_eq!(percentile(&[], 0.5), None);
    }

    #[test]
    fn an_empty_distribution_has_no_figures() {
        let empty = Distribution::new();
        assert!(empty.is_empty() && empty.is_exact());
        assert_eq!(empty.count(), 0);
        assert_eq!(
            (empty.percentile(0.5), empty.median(), empty.mean()),
            (None, None, None)
        );
        assert_eq!((empty.min(), empty.max()), (None, None));
    }

    /// Up to [`EXACT_VALUES`] values, every figure is the free functions' on the same values,
    /// to the bit.
    #[test]
    fn exact_mode_answers_as_the_values_do() {
        for (seed, count) in [(1, 1), (2, 2), (3, 7), (4, 1_000), (5, EXACT_VALUES)] {
            let mut values = sample(seed, count);
            let distribution: Distribution = values.iter().copied().collect();
            assert!(distribution.is_exact());
            assert_eq!(distribution.count(), count as u64);
            for step in 0..=200 {
                let p = f64::from(step) / 200.0;
                assert_eq!(
                    distribution.percentile(p).map(f64::to_bits),
                    percentile(&values, p).map(f64::to_bits),
                    "p {p} of {count}"
                );
            }
            assert_eq!(
                distribution.mean(),
                Some(values.iter().sum::<f64>() / count as f64)
            );
            assert_eq!(distribution.min(), values.iter().copied().reduce(f64::min));
            assert_eq!(distribution.max(), values.iter().copied().reduce(f64::max));
            assert_eq!(
                distribution.median().map(f64::to_bits),
                median(&mut values).map(f64::to_bits)
            );
        }
    }

    /// Past [`EXACT_VALUES`], every percentile is within the stated bound of the exact one:
    /// `RELATIVE_ERROR` times the interpolation of the magnitudes at its two ranks (a relative
    /// error wherever the two share a sign); the count, extremes and mean stay exact.
    #[test]
    fn spilled_percentiles_are_within_the_relative_error() {
        // Some 115,000 buckets for 300,000 values: most buckets hold several values.
        let values = sample(42, 300_000);
        let distribution: Distribution = values.iter().copied().collect();
        assert!(!distribution.is_exact());
        let mut approximate = 0;
        let mut sorted = values.clone();
        sorted.sort_unstable_by(f64::total_cmp);
        let n = sorted.len() - 1;
        let mut within = |estimate: f64, rank: f64| {
            let (lo, hi) = (rank.floor() as usize, rank.ceil() as usize);
            let f = rank - lo as f64;
            let exact = sorted[lo] + (sorted[hi] - sorted[lo]) * f;
            let bound = RELATIVE_ERROR * ((1.0 - f) * sorted[lo].abs() + f * sorted[hi].abs())
                + 1e-12 * (sorted[lo].abs() + sorted[hi].abs());
            assert!(
                (estimate - exact).abs() <= bound,
                "rank {rank}: {estimate} against {exact}"
            );
            approximate += usize::from(estimate != exact);
            if sorted[lo] * sorted[hi] > 0.0 {
                assert!((estimate - exact).abs() <= RELATIVE_ERROR * exact.abs() * (1.0 + 1e-9));
            }
        };
        for step in 0..=1_000 {
            let p = f64::from(step) / 1_000.0;
            within(distribution.percentile(p).expect("values"), p * n as f64);
        }
        within(distribution.median().expect("values"), 0.5 * n as f64);
        assert!(
            approximate > 500,
            "only {approximate} percentiles were read from buckets"
        );
        assert_eq!(distribution.percentile(0.0), Some(sorted[0]));
        assert_eq!(distribution.percentile(1.0), Some(sorted[n]));
        assert_eq!(distribution.count(), values.len() as u64);
        assert_eq!(distribution.min(), Some(sorted[0]));
        assert_eq!(distribution.max(), Some(sorted[n]));
        let mean = values.iter().sum::<f64>() / values.len() as f64;
        let mean_error = (distribution.mean().expect("values") - mean).abs();
        assert!(mean_error <= 1e-12 * mean.abs(), "mean off by {mean_error}");
    }

    /// Merging parts gives the distribution of all their values: exactly the same while the
    /// whole stays exact, and the same histogram, extremes and sum, whatever the order of the
    /// merges, once it is not.
    #[test]
    fn merging_parts_equals_one_distribution_of_all_values() {
        let values = sample(7, 40_000);
        let cuts = [0, 10, 3_000, 3_001, 12_000, 12_500, 31_000, 40_000];
        let parts: Vec<Distribution> = cuts
            .windows(2)
            .map(|w| values[w[0]..w[1]].iter().copied().collect())
            .collect();
        assert!(parts.iter().any(Distribution::is_exact));
        assert!(!parts.iter().all(Distribution::is_exact));
        let whole: Distribution = values.iter().copied().collect();
        let mut forward = Distribution::new();
        for part in parts.iter().cloned() {
            forward.merge(part);
        }
        assert_eq!(forward, whole);
        let mut backward = Distribution::new();
        for part in parts.iter().rev().cloned() {
            backward.merge(part);
        }
        assert_eq!(backward, whole);
        for step in 0..=100 {
            let p = f64::from(step) / 100.0;
            assert_eq!(backward.percentile(p), whole.percentile(p), "p {p}");
        }
        assert_eq!(backward.mean(), whole.mean());

        // Small parts stay exact, values in order.
        let small = &values[..EXACT_VALUES];
        let mut merged: Distribution = small[..100].iter().copied().collect();
        merged.merge(small[100..].iter().copied().collect());
        assert!(merged.is_exact());
        assert_eq!(merged, small.iter().copied().collect::<Distribution>());
    }

    /// The histogram holds a bucket per distinct magnitude, however many values share it.
    #[test]
    fn memory_grows_with_the_range_not_the_count() {
        let values: Vec<f64> = (0..200_000).map(|i| f64::from(i % 50)).collect();
        let distribution: Distribution = values.iter().copied().collect();
        let Kept::Histogram(histogram) = &distribution.kept else {
            panic!("spilled")
        };
        let buckets = histogram.folded();
        assert_eq!(buckets.len(), 50);
        assert_eq!((buckets[0].key, buckets[0].count), (0, 4_000));
        assert!(buckets.iter().all(|b| b.key >= 0 && b.count == 4_000));
        // A bucket of one repeated value reads it back exactly.
        assert_eq!(distribution.median(), Some(24.5));
        for p in [0.1, 0.25, 0.9, 0.999] {
            assert_eq!(distribution.percentile(p), percentile(&values, p), "p {p}");
        }
        assert_eq!(distribution.mean(), Some(24.5));
    }

    #[test]
    fn the_sum_is_exact_whatever_the_order() {
        let mut sum = ExactSum::default();
        for x in [1e16, 1.0, -1e16, 1e-3, 3.0] {
            sum.add(x);
        }
        assert_eq!(sum.value(), 4.001);
        let values = sample(9, 10_000);
        let mut forward = ExactSum::default();
        values.iter().for_each(|&x| forward.add(x));
        let mut backward = ExactSum::default();
        values.iter().rev().for_each(|&x| backward.add(x));
        assert_eq!(forward.value().to_bits(), backward.value().to_bits());
    }
}
