use serde::{Deserialize, Serialize};

use crate::DomainError;

/// A job's status, with the `u8` codes the Move package uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum JobStatus {
    Pending = 0,
    Running = 1,
    Completed = 2,
    Failed = 3,
    Cancelled = 4,
}

impl std::fmt::Display for JobStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for JobStatus {
    type Err = DomainError;

    /// The text of [`JobStatus::as_str`] (lower case only).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        JobStatus::ALL
            .into_iter()
            .find(|j| j.as_str() == s)
            .ok_or_else(|| DomainError::UnknownStatusName(s.to_owned()))
    }
}

/// Who asks for a status change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Actor {
    Buyer,
    Provider,
}

impl JobStatus {
    pub fn code(self) -> u8 {
        self as u8
    }

    pub fn from_code(code: u8) -> Result<Self, DomainError> {
        Ok(match code {
            0 => JobStatus::Pending,
            1 => JobStatus::Running,
            2 => JobStatus::Completed,
            3 => JobStatus::Failed,
            4 => JobStatus::Cancelled,
            other => return Err(DomainError::UnknownStatus(other)),
        })
    }

    /// Every status, in code order.
    pub const ALL: [JobStatus; 5] = [
        JobStatus::Pending,
        JobStatus::Running,
        JobStatus::Completed,
        JobStatus::Failed,
        JobStatus::Cancelled,
    ];

    /// The status as text: `pending`, `running`, `completed`, `failed`, `cancelled` (the
    /// read models' `status` column, GraphQL's lower-case form, REST, metrics labels).
    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Pending => "pending",
            JobStatus::Running => "running",
            JobStatus::Completed => "completed",
            JobStatus::Failed => "failed",
            JobStatus::Cancelled => "cancelled",
        }
    }

    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            JobStatus::Completed | JobStatus::Failed | JobStatus::Cancelled
        )
    }

    /// The rule `job_registry::update_job_status` enforces:
    /// the provider starts, completes or fails a job; the buyer cancels it before it ends;
    /// a terminal status never changes.
    pub fn transition(self, to: JobStatus, actor: Actor) -> Result<JobStatus, DomainError> {
        use JobStatus::*;
        let allowed = matches!(
            (self, to, actor),
            (Pending, Running, Actor::Provider)
                | (Pending | Running, Failed, Actor::Provider)
                | (Running, Completed, Actor::Provider)
                | (Pending | Running, Cancelled, Actor::Buyer)
        );
        if allowed {
            Ok(to)
        } else {
            Err(DomainError::IllegalTransition {
                from: self,
                to,
                actor,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_states_are_final() {
        for from in [
            JobStatus::Completed,
            JobStatus::Failed,
            JobStatus::Cancelled,
        ] {
            for code in 0..=4 {
                let to = JobStatus::from_code(code).expect("code");
                assert!(from.transition(to, Actor::Provider).is_err());
                assert!(from.transition(to, Actor::Buyer).is_err());
            }
        }
    }

    #[test]
    fn who_may_do_what() {
        assert!(JobStatus::Pending
            .transition(JobStatus::Running, Actor::Provider)
            .is_ok());
        assert!(JobStatus::Pending
            .transition(JobStatus::Running, Actor::Buyer)
            .is_err());
        assert!(JobStatus::Running
            .transition(JobStatus::Cancelled, Actor::Buyer)
            .is_ok());
        assert!(JobStatus::Running
            .transition(JobStatus::Completed, Actor::Buyer)
            .is_err());
        assert!(JobStatus::from_code(5).is_err());
    }
}
