//! Bad-input rows: malformed Engine.IO and Socket.IO packets sent after joining `/`, over
//! both transports.

use super::super::*;

/// Malformed Engine.IO and Socket.IO packets, on both transports.
pub(super) fn rows() -> Vec<Row> {
    let mut rows: Vec<Row> = Vec::new();
    let mut add = |b: Both| rows.extend(b.rows());

    // --- Engine.IO packets, after joining `/` -------------------------------------------
    add(both(
        "eio-type-9",
        "(unknown Engine.IO type)",
        &["9"],
        P_PARSE,
        W_PARSE,
    ));
    add(both(
        "eio-type-letter",
        "(unknown Engine.IO type)",
        &["x"],
        P_PARSE,
        W_PARSE,
    ));
    add(both(
        "eio-empty",
        "(empty Engine.IO packet)",
        &[""],
        P_PARSE,
        W_PARSE,
    ));
    add(both(
        "eio-b-bad-base64",
        "(binary message, bad base64)",
        &["b!!!!"],
        P_FORCED,
        W_FORCED,
    )
    .sio(
        P_PARSE,
        W_PARSE,
        "sio's base64 decoder refuses what is not base64 (an Engine.IO parse error); Node's decodes `!!!!` to no bytes, which then fails as an unexpected attachment",
    ));
    add(both(
        "eio-b-no-pending",
        "(binary message, no attachment pending)",
        &["bAQID"],
        P_FORCED,
        W_FORCED,
    )
    .forced());
    add(both(
        "eio-open",
        "(open packet from the client)",
        &["0"],
        P_OPEN,
        W_OPEN,
    ));
    add(both(
        "eio-open-json",
        "(open packet with data from the client)",
        &[r#"0{"sid":"x"}"#],
        P_OPEN,
        W_OPEN,
    ));
    add(both(
        "eio-close",
        "(close packet from the client)",
        &["1"],
        r#"post 200 html ok; gone 400 json {"code":1,"message":"Session ID unknown"}; reason transport close"#,
        W_OPEN,
    )
    .note("the reference ignores a close packet on a WebSocket (the client closes the socket itself)"));
    add(both(
        "eio-ping",
        "(ping from the client: v3 heartbeat direction)",
        &["2"],
        r#"post 200 html ok; gone 400 json {"code":1,"message":"Session ID unknown"}; reason transport error"#,
        "close 1005; reason transport error",
    ));
    add(both(
        "eio-pong",
        "(pong without a ping)",
        &["3"],
        P_OPEN,
        W_OPEN,
    ));
    add(both(
        "eio-2probe",
        "(probe outside an upgrade)",
        &["2probe"],
        r#"post 200 html ok; gone 400 json {"code":1,"message":"Session ID unknown"}; reason transport error"#,
        "close 1005; reason transport error",
    ));
    add(both(
        "eio-3probe",
        "(probe answer from the client)",
        &["3probe"],
        P_OPEN,
        W_OPEN,
    ));
    add(both(
        "eio-upgrade",
        "(upgrade outside an upgrade)",
        &["5"],
        P_OPEN,
        W_OPEN,
    ));
    add(both(
        "eio-noop",
        "(noop from the client)",
        &["6"],
        P_OPEN,
        W_OPEN,
    ));
    add(both(
        "eio-message-empty",
        "(empty message: empty Socket.IO packet)",
        &["4"],
        P_FORCED,
        W_FORCED,
    )
    .forced());

    // --- Socket.IO packets (in an Engine.IO message), after joining `/` ------------------
    let ph = |s: &str| s.replace("PH0", PH0).replace("PH1", PH1);
    let sio_rows: Vec<(&'static str, &str, String, &'static str, &'static str)> = vec![
        (
            "sio-type-7",
            "(unknown type)",
            r#"47["echo",1]"#.into(),
            P_FORCED,
            W_FORCED,
        ),
        (
            "sio-type-letter",
            "(type `a`)",
            "4abc".into(),
            P_FORCED,
            W_FORCED,
        ),
        (
            "sio-attach-letters",
            "(attachment count not a number)",
            ph(r#"45x-["echo",PH0]"#),
            P_FORCED,
            W_FORCED,
        ),
        (
            "sio-attach-no-dash",
            "(attachment count without `-`)",
            ph(r#"451["echo",PH0]"#),
            P_FORCED,
            W_FORCED,
        ),
        (
            "sio-attach-zero",
            "(zero attachments)",
            r#"450-["echo",1]"#.into(),
            P_FORCED,
            W_FORCED,
        ),
        (
            "sio-attach-empty",
            "(empty attachment count)",
            r#"45-["echo",1]"#.into(),
            P_FORCED,
            W_FORCED,
        ),
        (
            "sio-placeholder-out-of-range",
            "(placeholder beyond the attachments)",
            r#"451-["echo",{"_placeholder":true,"num":3}]"#.into(),
            P_FORCED,
            W_FORCED,
        ),
        (
            "sio-too-many-attachments",
            "(11 attachments, max_attachments 10)",
            ph(r#"4511-["echo",PH0]"#),
            P_FORCED,
            W_FORCED,
        ),
        (
            "sio-connect-string",
            "(CONNECT, string payload)",
            r#"40/dyn-1,"x""#.into(),
            P_FORCED,
            W_FORCED,
        ),
        (
            "sio-connect-array",
            "(CONNECT, array payload)",
            "40/dyn-1,[1]".into(),
            P_FORCED,
            W_FORCED,
        ),
        (
            "sio-disconnect-payload",
            "(DISCONNECT with a payload)",
            r#"41{"a":1}"#.into(),
            P_FORCED,
            W_FORCED,
        ),
        (
            "sio-event-object",
            "(EVENT, object payload)",
            "42{}".into(),
            P_FORCED,
            W_FORCED,
        ),
        (
            "sio-event-string",
            "(EVENT, string payload)",
            r#"42"echo""#.into(),
            P_FORCED,
            W_FORCED,
        ),
        (
            "sio-event-empty-array",
            "(EVENT, empty array)",
            "42[]".into(),
            P_FORCED,
            W_FORCED,
        ),
        (
            "sio-event-reserved-connect",
            "(EVENT, reserved name)",
            r#"42["connect"]"#.into(),
            P_FORCED,
            W_FORCED,
        ),
        (
            "sio-event-reserved-disconnect",
            "(EVENT, reserved name)",
            r#"42["disconnect"]"#.into(),
            P_FORCED,
            W_FORCED,
        ),
        (
            "sio-event-reserved-newlistener",
            "(EVENT, reserved name)",
            r#"42["newListener"]"#.into(),
            P_FORCED,
            W_FORCED,
        ),
        (
            "sio-event-null-name",
            "(EVENT, null name)",
            "42[null]".into(),
            P_FORCED,
            W_FORCED,
        ),
        (
            "sio-event-object-name",
            "(EVENT, object name)",
            "42[{}]".into(),
            P_FORCED,
            W_FORCED,
        ),
        (
            "sio-ack-object",
            "(ACK, object payload)",
            "431{}".into(),
            P_FORCED,
            W_FORCED,
        ),
        (
            "sio-ack-string",
            "(ACK, string payload)",
            r#"431"x""#.into(),
            P_FORCED,
            W_FORCED,
        ),
        (
            "sio-nsp-no-slash",
            "(namespace without `/`: read as JSON)",
            "40dyn-3,{}".into(),
            P_FORCED,
            W_FORCED,
        ),
        (
            "sio-ack-id-garbage",
            "(garbage ack id)",
            r#"42abc["echo",1]"#.into(),
            P_FORCED,
            W_FORCED,
        ),
        (
            "sio-trailing-garbage",
            "(garbage after the JSON)",
            r#"42["echo",1]xyz"#.into(),
            P_FORCED,
            W_FORCED,
        ),
        (
            "sio-invalid-json",
            "(invalid JSON)",
            r#"42["echo","#.into(),
            P_FORCED,
            W_FORCED,
        ),
    ];
    for (name, what, packet, p, w) in sio_rows {
        add(both_owned(name, what, vec![packet], p, w).forced());
    }
    add(both(
        "sio-connect-number",
        "(CONNECT with `1`: read as an ack id)",
        &["40/dyn-1,1"],
        P_OPEN,
        r#"recv 40/dyn-1,{"sid":"…"}; open; reason -"#,
    ));
    add(both(
        "sio-event-no-payload",
        "(EVENT without data)",
        &["42"],
        P_OPEN,
        W_OPEN,
    )
    .sio(
        P_FORCED_SIO,
        W_FORCED,
        "sio refuses an EVENT without data (the reference dispatches an event with no name, a no-op): documented in core/tests/golden.rs",
    ));
    add(both(
        "sio-event-number-name",
        "(EVENT, number as name)",
        &["42[1]"],
        P_OPEN,
        W_OPEN,
    ));
    add(
        both("sio-ack-no-id", "(ACK without id)", &["43[1]"], P_OPEN, W_OPEN).sio(
            P_FORCED_SIO,
            W_FORCED,
            "sio refuses an ACK without id (the reference looks up the ack `undefined`, a no-op): documented in core/tests/golden.rs",
        ),
    );
    add(both(
        "sio-ack-unknown-id",
        "(ACK, unknown id)",
        &["4399[1]"],
        P_OPEN,
        W_OPEN,
    ));
    add(both(
        "sio-nsp-not-joined",
        "(EVENT to a namespace not joined)",
        &[r#"42/dyn-2,["echo",1]"#],
        r#"post 200 html ok; closed 200 text 6\x1e1; reason forced server close"#,
        W_FORCED,
    )
    .sio_polling(P_SERVER_CLOSE_SIO, NOOP_PADDING));
    add(both(
        "sio-nsp-unknown",
        "(CONNECT to an unknown namespace)",
        &["40/nope,"],
        P_OPEN,
        r#"recv 44/nope,{"message":"Invalid namespace"}; open; reason -"#,
    ));
    add(both(
        "sio-nsp-no-comma",
        "(namespace to the end of the packet)",
        &["40/dyn-3"],
        P_OPEN,
        r#"recv 40/dyn-3,{"sid":"…"}; open; reason -"#,
    ));
    add(both(
        "sio-connect-error-from-client",
        "(CONNECT_ERROR from the client)",
        &[r#"44{"message":"x"}"#],
        r#"post 200 html ok; closed 200 text 6\x1e1; reason forced server close"#,
        W_FORCED,
    )
    .sio_polling(P_SERVER_CLOSE_SIO, NOOP_PADDING));
    add(both(
        "sio-connect-twice",
        "(a second CONNECT to `/`)",
        &["40"],
        r#"post 200 html ok; closed 200 text 6\x1e1; reason forced server close"#,
        W_FORCED,
    )
    .sio_polling(P_SERVER_CLOSE_SIO, NOOP_PADDING));
    add(both_owned(
        "sio-text-during-binary",
        "(text while an attachment is due)",
        vec![ph(r#"451-["echo",PH0]"#), r#"42["echo",2]"#.into()],
        r#"post 200 html ok; post 200 html ok; closed 200 text 6\x1e1; reason forced close"#,
        W_FORCED,
    )
    .sio_polling(
        "post 200 html ok; post 200 html ok; closed 200 text 1; reason forced close",
        NOOP_PADDING,
    ));
    add(both_owned(
        "sio-deep-json-200",
        "(JSON nested 200 deep, event without handler)",
        vec![format!(r#"42["sink",{}]"#, deep(200))],
        P_OPEN,
        W_OPEN,
    )
    .sio(P_FORCED_SIO, W_FORCED, DEEP_JSON));
    add(both_owned(
        "sio-deep-json-10000",
        "(JSON nested 10 000 deep, event without handler)",
        vec![format!(r#"42["sink",{}]"#, deep(10_000))],
        P_OPEN,
        W_OPEN,
    )
    .sio(P_FORCED_SIO, W_FORCED, DEEP_JSON));
    add(both(
        "sio-ack-id-2pow53-plus-1",
        "(ack id 2^53 + 1)",
        &[r#"429007199254740993["echo",1]"#],
        P_OPEN,
        "recv 439007199254740992[1]; open; reason -",
    )
    .sio(
        P_OPEN,
        "recv 439007199254740993[1]; open; reason -",
        ACK_IDS,
    ));
    add(both(
        "sio-ack-id-u64-max",
        "(ack id 2^64 - 1)",
        &[r#"4218446744073709551615["echo",1]"#],
        P_OPEN,
        "recv 4318446744073709552000[1]; open; reason -",
    )
    .sio(
        P_OPEN,
        "recv 4318446744073709551615[1]; open; reason -",
        ACK_IDS,
    ));
    add(both(
        "sio-ack-id-u64-overflow",
        "(ack id 2^64)",
        &[r#"4218446744073709551616["echo",1]"#],
        P_OPEN,
        "recv 4318446744073709552000[1]; open; reason -",
    )
    .sio(P_FORCED_SIO, W_FORCED, ACK_IDS));
    add(both(
        "sio-ack-id-leading-zeros",
        "(ack id with leading zeros)",
        &[r#"42007["echo",1]"#],
        P_OPEN,
        "recv 437[1]; open; reason -",
    ));
    add(both_owned(
        "sio-nsp-1mib",
        "(CONNECT, 1 MiB namespace name: over max payload)",
        vec![format!("40{},", big_nsp(1 << 20))],
        "post 413 -; open; reason -",
        "close 1009; reason transport error",
    ));
    add(both_owned(
        "sio-nsp-under-max-payload",
        "(CONNECT, 999 000-byte namespace name)",
        vec![format!("40{},", big_nsp(999_000))],
        P_OPEN,
        "recv 44/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa…(999035 bytes); open; reason -",
    ));
    rows
}
