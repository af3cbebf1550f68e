//! The distributions a profile describes values with; the generators draw from them
//! (`generate::amounts`).

/// A log-normal distribution around `median` with `spread` as sigma, redrawn outside
/// `[min, max]`, in the unit its key names (cents, basis points).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LogNormal {
    /// Smallest value.
    pub min: i64,
    /// Median value.
    pub median: i64,
    /// Largest value.
    pub max: i64,
    /// Sigma of the log-normal.
    pub spread: f64,
}

/// A normal distribution, redrawn outside `[min, max]`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Normal {
    /// Mean.
    pub mean: f64,
    /// Standard deviation.
    pub sd: f64,
    /// Smallest value.
    pub min: i64,
    /// Largest value.
    pub max: i64,
}
