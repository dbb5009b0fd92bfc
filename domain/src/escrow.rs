use serde::{Deserialize, Serialize};

use crate::{DomainError, Octas};

/// The escrow of one job: what the buyer deposited and where it went.
///
/// Conservation: `deposited = released + refunded + locked`, always. `locked` is kept as its
/// own balance (as the Move module keeps a coin store), and every operation moves value
/// between the buckets, so [`EscrowLedger::is_conserved`] checks a fact, not a definition.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
pub struct EscrowLedger {
    pub deposited: Octas,
    pub released: Octas,
    pub refunded: Octas,
    pub locked: Octas,
}

impl EscrowLedger {
    pub fn deposit(&mut self, amount: Octas) -> Result<(), DomainError> {
        let deposited = self.deposited.checked_add(amount)?;
        let locked = self.locked.checked_add(amount)?;
        self.deposited = deposited;
        self.locked = locked;
        Ok(())
    }

    /// Moves `amount` from locked to released (paid to the provider).
    pub fn release(&mut self, amount: Octas) -> Result<(), DomainError> {
        let locked = self.take(amount)?;
        self.released = self.released.checked_add(amount)?;
        self.locked = locked;
        Ok(())
    }

    /// Moves everything still locked to refunded (back to the buyer); returns the refund.
    pub fn refund_rest(&mut self) -> Result<Octas, DomainError> {
        let amount = self.locked;
        self.refunded = self.refunded.checked_add(amount)?;
        self.locked = Octas::ZERO;
        Ok(amount)
    }

    fn take(&self, amount: Octas) -> Result<Octas, DomainError> {
        self.locked
            .checked_sub(amount)
            .map_err(|_| DomainError::InsufficientEscrow {
                locked: self.locked.get(),
                requested: amount.get(),
            })
    }

    /// `deposited == released + refunded + locked`, computed without overflow.
    pub fn is_conserved(&self) -> bool {
        let sum = u128::from(self.released.get())
            + u128::from(self.refunded.get())
            + u128::from(self.locked.get());
        sum == u128::from(self.deposited.get())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn release_and_refund_conserve() {
        let mut e = EscrowLedger::default();
        e.deposit(Octas(100)).expect("deposit");
        e.release(Octas(30)).expect("release");
        assert!(e.release(Octas(71)).is_err());
        assert_eq!(e.refund_rest(), Ok(Octas(70)));
        assert!(e.is_conserved());
        assert_eq!(
            (e.released, e.refunded, e.locked),
            (Octas(30), Octas(70), Octas(0))
        );
    }
}
