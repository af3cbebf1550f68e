//! What a seeded database never holds, whoever produced the rows. The generator keeps these
//! rules by construction; a `--from` file is checked against them record by record, so a
//! load refuses, naming the record, what no seeded database may contain.

use crate::catalog::EMAIL_DOMAINS;
use crate::catalog::Frequency;
use crate::persona::Persona;
use crate::tables::RowBatch;

/// The directions a recurring stream may have (Plaid's).
const DIRECTIONS: [&str; 2] = ["inflow", "outflow"];

/// Fails naming the first record of `batch` that breaks a rule: an email outside the
/// reserved example domains (no real person's address), a persona that does not exist, a
/// stream's direction or frequency outside Plaid's.
pub fn check(batch: &RowBatch) -> anyhow::Result<()> {
    for user in &batch.users {
        let domain = user.email.rsplit_once('@').map(|(_, domain)| domain);
        if !domain.is_some_and(|d| EMAIL_DOMAINS.contains(&d)) {
            anyhow::bail!(
                "user {}: email {:?} is not on a reserved example domain ({}); a seeded \
                 database holds no real address",
                user.id,
                user.email,
                EMAIL_DOMAINS.join(", ")
            );
        }
    }
    for label in &batch.persona_labels {
        if Persona::from_name(&label.persona).is_none() {
            let names: Vec<&str> = Persona::ALL.iter().map(|p| p.name()).collect();
            anyhow::bail!(
                "persona label of user {}: unknown persona {:?} (expected one of {})",
                label.user_id,
                label.persona,
                names.join(", ")
            );
        }
    }
    for stream in &batch.recurring_streams {
        if !DIRECTIONS.contains(&stream.direction.as_str()) {
            anyhow::bail!(
                "recurring stream {}: unknown direction {:?} (expected inflow or outflow)",
                stream.id,
                stream.direction
            );
        }
        if Frequency::from_name(&stream.frequency).is_none() {
            let names: Vec<&str> = Frequency::ALL.iter().map(|f| f.name()).collect();
            anyhow::bail!(
                "recurring stream {}: unknown frequency {:?} (expected one of {})",
                stream.id,
                stream.frequency,
                names.join(", ")
            );
        }
    }
    Ok(())
}
