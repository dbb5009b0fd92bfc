//! Why the server closes a `graphql-transport-ws` socket: the close codes and reasons of the
//! protocol (graphql-ws `PROTOCOL.md`; 4406 and 4500 from its `CloseCode` enum), and 1009
//! (RFC 6455 §7.4.1) for a message over `gateway.ws_max_message_bytes`.

/// A reason to close the socket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Close {
    /// 4400: a message of a type or shape the protocol does not define.
    BadRequest(String),
    /// 4401: `subscribe` before `connection_ack`.
    Unauthorized,
    /// 4403: the server refused `connection_init` (a session token that is not valid).
    Forbidden,
    /// 4406: the client did not ask for the `graphql-transport-ws` subprotocol.
    SubprotocolNotAcceptable,
    /// 4408: no `connection_init` within `gateway.ws_init_timeout_ms`.
    InitTimeout,
    /// 4409: `subscribe` with the id of an operation still running on this socket.
    DuplicateId(String),
    /// 4429: a second `connection_init`.
    TooManyInit,
    /// 1009: a message larger than the configured cap.
    TooBig,
}

impl Close {
    /// The close code.
    pub fn code(&self) -> u16 {
        match self {
            Close::BadRequest(_) => 4400,
            Close::Unauthorized => 4401,
            Close::Forbidden => 4403,
            Close::SubprotocolNotAcceptable => 4406,
            Close::InitTimeout => 4408,
            Close::DuplicateId(_) => 4409,
            Close::TooManyInit => 4429,
            Close::TooBig => 1009,
        }
    }

    /// The reason text, as the protocol document words it (at most 123 bytes, the limit
    /// of a close frame's reason).
    pub fn reason(&self) -> String {
        let r = match self {
            Close::BadRequest(why) => why.clone(),
            Close::Unauthorized => "Unauthorized".into(),
            Close::Forbidden => "Forbidden".into(),
            Close::SubprotocolNotAcceptable => "Subprotocol not acceptable".into(),
            Close::InitTimeout => "Connection initialisation timeout".into(),
            Close::DuplicateId(id) => format!("Subscriber for {id} already exists"),
            Close::TooManyInit => "Too many initialisation requests".into(),
            Close::TooBig => "Message too big".into(),
        };
        truncate_utf8(r, 123)
    }
}

fn truncate_utf8(mut s: String, max: usize) -> String {
    if s.len() > max {
        let mut cut = max;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        s.truncate(cut);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_id_is_cut_to_a_close_frame_on_a_char_boundary() {
        let r = Close::DuplicateId("é".repeat(100)).reason();
        assert!(r.len() <= 123 && r.starts_with("Subscriber for é"));
    }
}
