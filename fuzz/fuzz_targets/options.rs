//! `cargo fuzz run options`: see [`fleet_fuzz::targets::options`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| fleet_fuzz::targets::options(data));
