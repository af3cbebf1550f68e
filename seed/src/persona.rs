//! The personas a generated user can show, by the names stored in `persona_labels`.

/// The personas a user can be generated as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Persona {
    /// Regular payroll and moderate everything.
    Steady,
    /// A card balance at 50-100% of its limit.
    HighUtilization,
    /// Irregular income and a thin checking cushion.
    VariableIncome,
    /// Three or more recurring merchants.
    SubscriptionHeavy,
    /// A growing savings account and low card utilisation.
    SavingsBuilder,
}

impl Persona {
    /// Every persona, in the order of [`Persona::index`].
    pub const ALL: [Persona; 5] = [
        Persona::Steady,
        Persona::HighUtilization,
        Persona::VariableIncome,
        Persona::SubscriptionHeavy,
        Persona::SavingsBuilder,
    ];

    /// The stored name, as in `persona_labels.persona`.
    pub fn name(self) -> &'static str {
        match self {
            Persona::Steady => "steady",
            Persona::HighUtilization => "high_utilization",
            Persona::VariableIncome => "variable_income",
            Persona::SubscriptionHeavy => "subscription_heavy",
            Persona::SavingsBuilder => "savings_builder",
        }
    }

    /// The persona with this stored name.
    pub fn from_name(name: &str) -> Option<Persona> {
        Persona::ALL.into_iter().find(|p| p.name() == name)
    }

    /// Position in [`Persona::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }
}
