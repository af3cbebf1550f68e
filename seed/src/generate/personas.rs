//! Dealing personas to users in blocks, so every persona appears in any short prefix.

use rand::RngExt;

use super::draws::block_draws;
use crate::persona::Persona;
use crate::profile::Common;

/// One block of persona slots, dealt anew to every block of consecutive users.
///
/// Each block of `B` consecutive users holds every persona exactly `share × B / 100` times,
/// in an order shuffled by the block's own draws. Shares alone would leave a persona out
/// of a small prefix now and then; blocks guarantee every persona with a non-zero share in
/// the first `B` users of any seed (20 for the default shares) while staying prefix-stable
/// and independent of thread count.
#[derive(Debug, Clone, PartialEq)]
pub struct PersonaDeck {
    block: Vec<Persona>,
}

impl PersonaDeck {
    /// The smallest block that holds every persona in proportion to its share.
    pub fn new(common: &Common) -> PersonaDeck {
        let shares = common.persona_shares;
        let gcd = shares.iter().fold(0, |a, &b| gcd(a, b));
        let mut block = Vec::new();
        for (persona, share) in Persona::ALL.into_iter().zip(&shares) {
            block.extend(std::iter::repeat_n(persona, (share / gcd) as usize));
        }
        PersonaDeck { block }
    }

    /// Users per block.
    pub fn block_len(&self) -> usize {
        self.block.len()
    }

    /// The persona of user `index`: a function of (seed, index) only.
    pub fn persona_of(&self, seed: u64, index: u64) -> Persona {
        let block_len = self.block.len() as u64;
        let block = index / block_len;
        let position = (index % block_len) as usize;
        let mut rng = block_draws(seed, block);
        let mut slots = [Persona::Steady; 100];
        let slots = &mut slots[..self.block.len()];
        slots.copy_from_slice(&self.block);
        for i in 0..=position {
            let j = rng.random_range(i..slots.len());
            slots.swap(i, j);
        }
        slots[position]
    }
}

fn gcd(a: u32, b: u32) -> u32 {
    if b == 0 { a } else { gcd(b, a % b) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_profile_deals_every_persona_in_twenty_users() {
        let deck = PersonaDeck::new(crate::profile::Profile::story().common());
        assert_eq!(deck.block_len(), 20);
        for seed in [0, 1, 42, 7_777] {
            let mut seen: Vec<Persona> = (0..20).map(|i| deck.persona_of(seed, i)).collect();
            seen.sort();
            seen.dedup();
            assert_eq!(seen, Persona::ALL.to_vec(), "seed {seed}");
        }
    }
}
