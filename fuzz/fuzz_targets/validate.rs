//! The whole validator entry (`faktura_validate::validate`) on arbitrary bytes, with and
//! without the schema step: it must return a report or an error, never panic.
#![no_main]

use faktura_validate::{Options, Rules, validate};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    for schema in [true, false] {
        let opts = Options {
            rules: Rules::Auto,
            schema,
        };
        let _ = validate(data, &opts);
    }
});
