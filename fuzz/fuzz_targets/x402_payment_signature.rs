#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| computestream_fuzzing::x402_payment_signature(data));
