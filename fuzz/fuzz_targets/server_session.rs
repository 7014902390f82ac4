#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| sio_core::fuzzing::server_session(std::time::Instant::now(), data));
