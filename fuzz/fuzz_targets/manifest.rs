//! `cargo fuzz run manifest`: see [`fleet_fuzz::targets::manifest`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| fleet_fuzz::targets::manifest(data));
