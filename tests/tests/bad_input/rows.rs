//! The rows of the bad-input table: each bad input, the reference's answer and sio's (with
//! the reason where they differ on purpose), in three files by concern. The harness that runs
//! them is the parent file.

use super::*;

mod packets;
mod sessions;
mod transport;

/// Every row, both transports where both apply, in the table's order.
pub(super) fn rows() -> Vec<Row> {
    let mut rows = packets::rows();
    rows.extend(transport::rows());
    rows.extend(sessions::rows());
    rows
}
