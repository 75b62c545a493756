//! Packing found messages into a token budget, as plain functions: the latest turns first
//! (newest kept when not all fit), then each memory best first with the turns beside it when
//! they fit too, or alone, or left out (`dropped`); nothing twice (by id, or the same text).
//! The text reads in time order within each conversation, memories' conversations best first,
//! the current conversation's latest turns last:
//!
//! ```text
//! Memories:
//!
//! Conversation harbour:
//! [2026-12-06 07:55] user: The old boat needs varnish
//!
//! Recent turns of conversation garden:
//! [2026-12-06 08:01] user: Tulips bloom in April
//! ```

use std::collections::{HashMap, HashSet};

use app::wire::context::{ContextMessage, DroppedMemory};
use chrono::{DateTime, Utc};

/// A message that may go into the context.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub message: ContextMessage,
    pub at: DateTime<Utc>,
}

/// A memory the query found, with the turns beside it.
#[derive(Debug, Clone)]
pub struct Found {
    pub memory: Candidate,
    pub neighbours: Vec<Candidate>,
}

/// The packed context.
#[derive(Debug)]
pub struct Packed {
    pub text: String,
    pub messages: Vec<ContextMessage>,
    pub dropped: Vec<DroppedMemory>,
}

pub const MEMORIES: &str = "Memories:\n";

pub fn conversation_header(id: &str) -> String {
    format!("\nConversation {id}:\n")
}

pub fn recent_header(id: &str) -> String {
    format!("\nRecent turns of conversation {id}:\n")
}

/// A message's line in the text.
pub fn line(c: &Candidate) -> String {
    let m = &c.message;
    format!(
        "[{}] {}: {}\n",
        c.at.format("%Y-%m-%d %H:%M"),
        m.role,
        m.content
    )
}

/// Every string whose tokens [`pack`] needs, to count them in one batch.
pub fn to_count(recent: &[Candidate], found: &[Found]) -> Vec<String> {
    let mut all = vec![MEMORIES.to_owned()];
    // The latest turns are under the one recent header, memories and neighbours under their
    // conversation's.
    for c in recent {
        all.push(line(c));
    }
    if let Some(first) = recent.first() {
        all.push(recent_header(&first.message.conversation_id));
    }
    for f in found {
        all.push(conversation_header(&f.memory.message.conversation_id));
        all.extend(std::iter::once(&f.memory).chain(&f.neighbours).map(line));
    }
    all.sort();
    all.dedup();
    all
}

fn same_text(content: &str) -> String {
    content
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// What is in the context so far, and what it costs.
struct Budget<'a> {
    tokens: &'a HashMap<String, u32>,
    left: i64,
    ids: HashSet<String>,
    texts: HashSet<String>,
}

impl Budget<'_> {
    fn cost(&self, s: &str) -> i64 {
        i64::from(self.tokens.get(s).copied().unwrap_or(u32::MAX / 4))
    }

    fn seen(&self, c: &Candidate) -> bool {
        self.ids.contains(&c.message.message_id)
            || self.texts.contains(&same_text(&c.message.content))
    }

    fn take(&mut self, c: &Candidate) {
        self.ids.insert(c.message.message_id.clone());
        self.texts.insert(same_text(&c.message.content));
    }
}

/// Packs `recent` (oldest first) and `found` (best first) into `max_tokens`.
pub fn pack(
    recent: Vec<Candidate>,
    found: Vec<Found>,
    max_tokens: u32,
    tokens: &HashMap<String, u32>,
) -> Packed {
    let mut b = Budget {
        tokens,
        left: i64::from(max_tokens),
        ids: HashSet::new(),
        texts: HashSet::new(),
    };
    // The latest turns, newest first, while they fit.
    let mut kept_recent: Vec<Candidate> = Vec::new();
    if let Some(first) = recent.first() {
        let header = b.cost(&recent_header(&first.message.conversation_id));
        let mut spent = header;
        for c in recent.iter().rev() {
            if b.seen(c) {
                continue;
            }
            let cost = b.cost(&line(c));
            // The latest turns without a gap: the first that does not fit ends them.
            if spent + cost > b.left {
                break;
            }
            spent += cost;
            b.take(c);
            kept_recent.push(c.clone());
        }
        if !kept_recent.is_empty() {
            b.left -= spent;
        }
        kept_recent.reverse();
    }
    // Memories best first, each with its neighbours if they fit, else alone.
    let mut groups: Vec<(String, Vec<Candidate>)> = Vec::new();
    let mut dropped = Vec::new();
    let mut started = false;
    for f in found {
        if b.seen(&f.memory) {
            continue;
        }
        let conversation = f.memory.message.conversation_id.clone();
        let known = groups.iter().any(|(c, _)| *c == conversation);
        let mut fixed = b.cost(&line(&f.memory));
        if !known {
            fixed += b.cost(&conversation_header(&conversation));
        }
        if !started {
            fixed += b.cost(MEMORIES);
        }
        if fixed > b.left {
            dropped.push(DroppedMemory {
                message_id: f.memory.message.message_id.clone(),
                score: f.memory.message.score.unwrap_or_default(),
                tokens: b.cost(&line(&f.memory)) as u32,
            });
            continue;
        }
        b.left -= fixed;
        started = true;
        b.take(&f.memory);
        let mut taken = vec![f.memory];
        let mut neighbours: Vec<&Candidate> = f.neighbours.iter().filter(|n| !b.seen(n)).collect();
        let all: i64 = neighbours.iter().map(|n| b.cost(&line(n))).sum();
        if all <= b.left {
            b.left -= all;
            for n in neighbours.drain(..) {
                b.take(n);
                taken.push(n.clone());
            }
        }
        match groups.iter_mut().find(|(c, _)| *c == conversation) {
            Some((_, group)) => group.extend(taken),
            None => groups.push((conversation, taken)),
        }
    }
    render(groups, kept_recent, dropped, tokens)
}

fn render(
    groups: Vec<(String, Vec<Candidate>)>,
    recent: Vec<Candidate>,
    dropped: Vec<DroppedMemory>,
    tokens: &HashMap<String, u32>,
) -> Packed {
    let mut text = String::new();
    let mut messages = Vec::new();
    let mut add = |c: Candidate, text: &mut String| {
        let l = line(&c);
        let mut m = c.message;
        m.tokens = tokens.get(&l).copied().unwrap_or_default();
        text.push_str(&l);
        messages.push(m);
    };
    if !groups.is_empty() {
        text.push_str(MEMORIES);
    }
    for (conversation, mut group) in groups {
        group.sort_by(|a, b| (a.at, &a.message.message_id).cmp(&(b.at, &b.message.message_id)));
        text.push_str(&conversation_header(&conversation));
        for c in group {
            add(c, &mut text);
        }
    }
    if let Some(first) = recent.first() {
        text.push_str(&recent_header(&first.message.conversation_id));
    }
    for c in recent {
        add(c, &mut text);
    }
    Packed {
        text: text.trim().to_owned(),
        messages,
        dropped,
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn candidate(
        id: &str,
        conversation: &str,
        minute: u32,
        content: &str,
        source: &str,
    ) -> Candidate {
        Candidate {
            message: ContextMessage {
                message_id: id.into(),
                conversation_id: conversation.into(),
                role: "user".into(),
                content: content.into(),
                created_at: String::new(),
                source: source.into(),
                score: (source == "memory").then_some(0.5),
                tokens: 0,
            },
            at: Utc.with_ymd_and_hms(2026, 12, 6, 8, minute, 0).unwrap(),
        }
    }

    /// Counts 4 characters a token, as the server does without a tokenizer.
    fn counted(recent: &[Candidate], found: &[Found]) -> HashMap<String, u32> {
        to_count(recent, found)
            .into_iter()
            .map(|s| {
                let n = s.chars().count().div_ceil(4) as u32;
                (s, n)
            })
            .collect()
    }

    fn ids(p: &Packed) -> Vec<&str> {
        p.messages.iter().map(|m| m.message_id.as_str()).collect()
    }

    #[test]
    fn memories_read_in_time_order_before_the_latest_turns() {
        let recent = vec![candidate("r1", "now", 50, "what about the boat", "recent")];
        let found = vec![
            Found {
                memory: candidate("m2", "boat", 20, "varnish it in May", "memory"),
                neighbours: vec![candidate(
                    "n1",
                    "boat",
                    10,
                    "the old boat leaks",
                    "neighbour",
                )],
            },
            Found {
                memory: candidate("m3", "garden", 5, "tulips in April", "memory"),
                neighbours: vec![],
            },
        ];
        let tokens = counted(&recent, &found);
        let p = pack(recent, found, 1000, &tokens);
        assert_eq!(ids(&p), ["n1", "m2", "m3", "r1"]);
        assert_eq!(
            p.text,
            "Memories:\n\nConversation boat:\n[2026-12-06 08:10] user: the old boat leaks\n\
             [2026-12-06 08:20] user: varnish it in May\n\nConversation garden:\n\
             [2026-12-06 08:05] user: tulips in April\n\nRecent turns of conversation now:\n\
             [2026-12-06 08:50] user: what about the boat"
        );
        assert!(p.dropped.is_empty());
    }

    #[test]
    fn the_budget_holds_neighbours_go_first_and_what_does_not_fit_is_dropped() {
        let long = "x".repeat(400);
        let found = vec![
            Found {
                memory: candidate("m1", "a", 1, "short memory", "memory"),
                neighbours: vec![candidate("n1", "a", 0, &long, "neighbour")],
            },
            Found {
                memory: candidate("m2", "b", 2, &long, "memory"),
                neighbours: vec![],
            },
            Found {
                memory: candidate("m3", "c", 3, "another short one", "memory"),
                neighbours: vec![],
            },
        ];
        let tokens = counted(&[], &found);
        let p = pack(vec![], found, 40, &tokens);
        assert_eq!(ids(&p), ["m1", "m3"]);
        assert_eq!(p.dropped.len(), 1);
        assert_eq!(p.dropped[0].message_id, "m2");
        assert!(p.text.chars().count().div_ceil(4) <= 40, "{}", p.text);
    }

    #[test]
    fn nothing_is_said_twice() {
        let recent = vec![candidate("r1", "now", 50, "I like green tea", "recent")];
        let found = vec![
            Found {
                memory: candidate("r1", "now", 50, "I like green tea", "memory"),
                neighbours: vec![],
            },
            Found {
                memory: candidate("m2", "old", 1, "I  like GREEN tea", "memory"),
                neighbours: vec![],
            },
            Found {
                memory: candidate("m3", "old", 3, "and oolong", "memory"),
                neighbours: vec![candidate("m2", "old", 1, "I  like GREEN tea", "neighbour")],
            },
        ];
        let tokens = counted(&recent, &found);
        let p = pack(recent, found, 1000, &tokens);
        assert_eq!(ids(&p), ["m3", "r1"]);
        assert!(p.dropped.is_empty());
    }

    #[test]
    fn the_newest_turns_are_kept_when_not_all_fit() {
        let recent: Vec<_> = (0..10)
            .map(|i| {
                candidate(
                    &format!("r{i}"),
                    "now",
                    i,
                    &format!("turn number {i} of ten"),
                    "recent",
                )
            })
            .collect();
        let tokens = counted(&recent, &[]);
        let p = pack(recent, vec![], 45, &tokens);
        assert_eq!(ids(&p), ["r7", "r8", "r9"]);
    }
}
