//! Amounts in cents: log-normal around a median, redrawn when outside the range.

use rand::RngExt;
use rand_pcg::Pcg64;

use crate::profile::AmountDist;

/// An amount in cents: log-normal around the median, redrawn when outside the range (a
/// clip would pile amounts up on the bounds, and identical amounts read as recurring
/// charges). Cents are kept, so amounts are not whole dollars.
pub(super) fn draw_amount(rng: &mut Pcg64, dist: &AmountDist) -> i64 {
    let mut cents = dist.median_cents;
    for _ in 0..8 {
        // Box-Muller: one standard normal from two uniforms.
        let u1: f64 = 1.0 - rng.random::<f64>();
        let u2: f64 = rng.random::<f64>();
        // libm's portable ln, cos and exp, not the platform's: those may differ in the last
        // bit between C libraries, and the output must be byte-identical on any machine.
        let z = (-2.0 * libm::log(u1)).sqrt() * libm::cos(std::f64::consts::TAU * u2);
        cents = (dist.median_cents as f64 * libm::exp(dist.spread * z)).round() as i64;
        if (dist.min_cents..=dist.max_cents).contains(&cents) {
            return cents;
        }
    }
    cents.clamp(dist.min_cents, dist.max_cents)
}
