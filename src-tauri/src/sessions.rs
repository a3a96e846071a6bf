//! The host's mirror of core's recent-mints ring, numbered so the page never mistakes a
//! new row for an old one ([`crate::events::forward_mints`] feeds it).

use pawkey_core::audit::AuditEntry;

use crate::views::{SessionRow, SessionsView};

/// The window's copy of core's audit ring, fed only by [`crate::events::forward_mints`].
#[derive(Default)]
pub struct Sessions {
    seq: u64,
    rows: std::collections::VecDeque<SessionRow>,
}

impl Sessions {
    pub fn push(&mut self, entry: AuditEntry) -> SessionRow {
        self.seq += 1;
        let row = SessionRow {
            seq: self.seq,
            entry,
        };
        if self.rows.len() == pawkey_core::audit::RING_CAPACITY {
            self.rows.pop_back();
        }
        self.rows.push_front(row.clone());
        row
    }

    pub fn reset(&mut self, newest_first: Vec<AuditEntry>) {
        self.rows.clear();
        for entry in newest_first.into_iter().rev() {
            self.push(entry);
        }
    }

    pub fn view(&self) -> SessionsView {
        SessionsView {
            seq: self.seq,
            sessions: self.rows.iter().cloned().collect(),
            capacity: pawkey_core::audit::RING_CAPACITY,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pawkey_core::audit::MintSource;

    fn entry(second: u64) -> AuditEntry {
        AuditEntry {
            minted_at: second,
            source: MintSource::Http,
            client: Some("127.0.0.1".into()),
            expires_at: second + 3600,
            fingerprint: "0123456789ab".into(),
        }
    }

    #[test]
    fn identical_mints_in_one_second_stay_separate_rows() {
        let mut sessions = Sessions::default();
        for _ in 0..3 {
            sessions.push(entry(100));
        }
        let view = sessions.view();
        assert_eq!(view.seq, 3);
        let seqs: Vec<u64> = view.sessions.iter().map(|r| r.seq).collect();
        assert_eq!(seqs, vec![3, 2, 1], "newest first");
    }

    #[test]
    fn the_list_is_bounded_like_cores_ring_and_reset_keeps_counting() {
        let mut sessions = Sessions::default();
        let capacity = pawkey_core::audit::RING_CAPACITY;
        for n in 0..(capacity as u64 + 7) {
            sessions.push(entry(n));
        }
        let view = sessions.view();
        assert_eq!(
            view.capacity, capacity,
            "the window trims to what it is told"
        );
        assert_eq!(view.sessions.len(), capacity);
        assert_eq!(view.sessions[0].entry.minted_at, capacity as u64 + 6);

        sessions.reset(vec![entry(9), entry(8)]);
        let view = sessions.view();
        assert_eq!(view.sessions.len(), 2);
        assert_eq!(view.sessions[0].entry.minted_at, 9);
        // Numbers keep growing, so the window never mistakes a new row for an old one.
        assert!(view.sessions[1].seq > capacity as u64);
        assert_eq!(view.seq, view.sessions[0].seq);
    }

    #[test]
    fn a_row_serializes_flat_for_the_window() {
        let row = Sessions::default().push(entry(5));
        let json = serde_json::to_value(&row).unwrap();
        assert_eq!(json["seq"], 1);
        assert_eq!(json["source"], "http");
        assert_eq!(json["client"], "127.0.0.1");
        assert_eq!(json["fingerprint"], "0123456789ab");
    }
}
