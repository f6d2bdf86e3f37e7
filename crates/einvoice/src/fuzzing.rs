//! Entry points for the cargo-fuzz targets in `fuzz/` (not a stable API).
//!
//! Each reads arbitrary bytes; the reader must not panic, and whatever it reads must write and
//! read back to the same invoice (the property the targets check).

use crate::syntax::{self, Syntax, cii, ubl};

fn check(read: Result<syntax::ReadOutcome, crate::Error>, syntax: Syntax) {
    let Ok(first) = read else { return };
    let Ok(xml) = syntax::write(&first.invoice, syntax) else {
        return;
    };
    let second = syntax::read(xml.as_bytes());
    assert!(
        second.is_ok(),
        "written document does not read back: {second:?}\n{xml}"
    );
    if let Ok(second) = second {
        assert_eq!(
            first.invoice, second.invoice,
            "write/read changed the invoice\n{xml}"
        );
    }
}

/// Fuzz property for the UBL reader.
pub fn ubl_read_write_read(data: &[u8]) {
    check(ubl::read(data), Syntax::Ubl);
}

/// Fuzz property for the CII reader.
pub fn cii_read_write_read(data: &[u8]) {
    check(cii::read(data), Syntax::Cii);
}
