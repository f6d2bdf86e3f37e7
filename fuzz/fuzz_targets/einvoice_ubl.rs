//! UBL reader: never panics; what it reads writes and reads back unchanged.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    faktura_einvoice::fuzzing::ubl_read_write_read(data);
});
