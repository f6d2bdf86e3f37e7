//! Fuzzes Factur-X extraction and the container check: any bytes, no panic.
//! Seed the corpus with `shared/conformance/zugferd/pdf/**/*.pdf`.
//! Run: `cargo +nightly fuzz run facturx_extract` in `crates/pdf/fuzz`.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    faktura_pdf::fuzzing::facturx_extract(data);
});
