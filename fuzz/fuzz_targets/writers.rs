//! `cargo fuzz run writers`: see [`fleet_fuzz::targets::writers`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| fleet_fuzz::targets::writers(data));
