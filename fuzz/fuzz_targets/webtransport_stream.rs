#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| sio_core::fuzzing::webtransport_stream(data));
