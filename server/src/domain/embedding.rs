//! Where a message without a vector stands: the state of its embedding job and, after a
//! failed attempt, why it failed — in codes and sentences a tenant may see. The provider's own
//! error text can name hosts and configuration, so it stays in the logs and `last_error`.

/// Why an embedding attempt failed, stored as its `as_str` code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// The provider was down, timed out, rate-limited or answered malformed vectors.
    ProviderUnavailable,
    /// The provider refused the service's configuration (key, address, model, vector width).
    ProviderMisconfigured,
    /// The model refused this text.
    InputRefused,
}

impl Reason {
    pub const ALL: [Reason; 3] = [
        Self::ProviderUnavailable,
        Self::ProviderMisconfigured,
        Self::InputRefused,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::ProviderUnavailable => "provider_unavailable",
            Self::ProviderMisconfigured => "provider_misconfigured",
            Self::InputRefused => "input_refused",
        }
    }

    pub fn from_stored(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == raw)
    }

    /// The reason in a sentence, with what happens next.
    pub fn detail(self) -> &'static str {
        match self {
            Self::ProviderUnavailable => {
                "The embedding provider did not answer usably (down, too slow, rate-limiting or \
                 returning malformed vectors); the message is tried again with backoff."
            }
            Self::ProviderMisconfigured => {
                "The embedding provider refused this service's configuration (API key, address, \
                 model or vector width); an operator must correct it. The message is tried again \
                 meanwhile."
            }
            Self::InputRefused => {
                "The embedding model refused this text; it will not be tried again. Edit the \
                 message to embed its new text."
            }
        }
    }
}

/// Where a message's embedding job stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobState {
    /// Waiting for its first attempt.
    Queued,
    /// A worker holds it now.
    Embedding,
    /// An attempt failed, or its worker stopped holding it (its lease ended): it is due again.
    Retrying,
    /// Given up: the model refused the text.
    Refused,
}

impl JobState {
    /// The state of a job stored with `status` after `attempts` attempts; `lease_ended` when
    /// a worker claimed it and its lease is over (the worker died: another takes it over).
    pub fn of(status: &str, attempts: i32, lease_ended: bool) -> Self {
        match status {
            "running" if lease_ended => Self::Retrying,
            "running" => Self::Embedding,
            "failed" => Self::Refused,
            _ if attempts > 0 => Self::Retrying,
            _ => Self::Queued,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Embedding => "embedding",
            Self::Retrying => "retrying",
            Self::Refused => "refused",
        }
    }

    /// Whether the job has a next attempt due at its `run_at`.
    pub fn is_scheduled(self) -> bool {
        matches!(self, Self::Queued | Self::Retrying)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_round_trip_through_their_codes() {
        for r in Reason::ALL {
            assert_eq!(Reason::from_stored(r.as_str()), Some(r));
        }
        assert_eq!(Reason::from_stored("cannot reach 10.0.0.7"), None);
    }

    #[test]
    fn a_job_state_follows_its_status_and_attempts() {
        assert_eq!(JobState::of("pending", 0, false), JobState::Queued);
        assert_eq!(JobState::of("pending", 2, false), JobState::Retrying);
        assert_eq!(JobState::of("running", 1, false), JobState::Embedding);
        assert_eq!(JobState::of("running", 1, true), JobState::Retrying);
        assert_eq!(JobState::of("failed", 1, false), JobState::Refused);
        assert!(JobState::Retrying.is_scheduled() && !JobState::Refused.is_scheduled());
    }
}
