//! `cargo fuzz run lockfile`: see [`fleet_fuzz::targets::lockfile`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| fleet_fuzz::targets::lockfile(data));
