//! Drawing values from a profile's distributions, the same way for every generator.
//!
//! Every transcendental function is libm's portable one, not the platform's: those may differ
//! in the last bit between C libraries, and the output must be byte-identical on any machine.

use rand::RngExt;
use rand_pcg::Pcg64;

use crate::profile::{LogNormal, Normal};

/// Draws a log-normal value makes at most: the draws beyond are clamped into range.
const ATTEMPTS: usize = 8;

/// A value of `dist`: log-normal around the median, redrawn when outside the range (a clip
/// would pile values up on the bounds, and identical amounts read as recurring charges),
/// clamped after [`ATTEMPTS`] tries. Cents are kept, so amounts are not whole dollars. Each
/// attempt takes two 64-bit draws.
pub(super) fn draw_log_normal(rng: &mut Pcg64, dist: &LogNormal) -> i64 {
    let mut value = dist.median;
    for _ in 0..ATTEMPTS {
        value = (dist.median as f64 * libm::exp(dist.spread * standard_normal(rng))).round() as i64;
        if (dist.min..=dist.max).contains(&value) {
            return value;
        }
    }
    value.clamp(dist.min, dist.max)
}

/// A value of `dist`, redrawn (at most [`ATTEMPTS`] times, then clamped) outside the range.
pub(super) fn draw_normal(rng: &mut Pcg64, dist: &Normal) -> i64 {
    let mut value = dist.mean.round() as i64;
    for _ in 0..ATTEMPTS {
        value = (dist.mean + dist.sd * standard_normal(rng)).round() as i64;
        if (dist.min..=dist.max).contains(&value) {
            return value;
        }
    }
    value.clamp(dist.min, dist.max)
}

/// A standard normal: Box-Muller, one value from two uniforms.
pub(super) fn standard_normal(rng: &mut Pcg64) -> f64 {
    let u1: f64 = 1.0 - rng.random::<f64>();
    let u2: f64 = rng.random::<f64>();
    (-2.0 * libm::log(u1)).sqrt() * libm::cos(std::f64::consts::TAU * u2)
}
