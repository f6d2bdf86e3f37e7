//! Specification identifiers (BT-24) and conversion between syntaxes and specifications.
//!
//! A conversion keeps every EN 16931 term. When the target cannot carry a
//! term the invoice holds, or lacks a term the target requires, it refuses
//! and says what to change; it never drops or invents business data.

use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::model::{Address, Invoice};
use crate::syntax::{self, Syntax};

/// `urn:cen.eu:en16931:2017`: plain EN 16931, also the Factur-X / ZUGFeRD EN 16931 ("COMFORT") profile.
pub const EN16931: &str = "urn:cen.eu:en16931:2017";
/// XRechnung 3.0 (CIUS), UBL and CII; also the Factur-X / ZUGFeRD XRECHNUNG profile.
pub const XRECHNUNG_3: &str =
    "urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0";
/// XRechnung 3.0 extension.
pub const XRECHNUNG_3_EXTENSION: &str = "urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0#conformant#urn:xeinkauf.de:kosit:extension:xrechnung_3.0";
/// Peppol BIS Billing 3.0.
pub const PEPPOL_BIS_3: &str =
    "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0";
/// Peppol BIS Billing 3.0 business process (BT-23).
pub const PEPPOL_PROCESS: &str = "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0";
/// Factur-X / ZUGFeRD MINIMUM.
pub const FACTURX_MINIMUM: &str = "urn:factur-x.eu:1p0:minimum";
/// Factur-X / ZUGFeRD BASIC WL.
pub const FACTURX_BASIC_WL: &str = "urn:factur-x.eu:1p0:basicwl";
/// Factur-X / ZUGFeRD BASIC.
pub const FACTURX_BASIC: &str = "urn:cen.eu:en16931:2017#compliant#urn:factur-x.eu:1p0:basic";
/// Factur-X / ZUGFeRD EXTENDED.
pub const FACTURX_EXTENDED: &str =
    "urn:cen.eu:en16931:2017#conformant#urn:factur-x.eu:1p0:extended";

/// The specification an invoice follows, from its specification identifier (BT-24).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Specification {
    /// EN 16931 core (also the Factur-X EN 16931 profile).
    En16931,
    /// XRechnung 3.0 (also the Factur-X XRECHNUNG profile).
    XRechnung,
    /// XRechnung 3.0 extension.
    XRechnungExtension,
    /// Peppol BIS Billing 3.0.
    Peppol,
    /// Factur-X / ZUGFeRD MINIMUM (not an EN 16931 invoice: no lines).
    FacturXMinimum,
    /// Factur-X / ZUGFeRD BASIC WL (no lines).
    FacturXBasicWl,
    /// Factur-X / ZUGFeRD BASIC.
    FacturXBasic,
    /// Factur-X / ZUGFeRD EXTENDED.
    FacturXExtended,
    /// Anything else, kept as written.
    Other(String),
}

impl Specification {
    /// Recognises an identifier, including ZUGFeRD 2.0/2.1 (`urn:zugferd.de:2p0:…`) and XRechnung 3.0.x variants.
    pub fn from_identifier(id: &str) -> Self {
        let id = id.trim();
        match id {
            EN16931 => Self::En16931,
            XRECHNUNG_3 => Self::XRechnung,
            XRECHNUNG_3_EXTENSION => Self::XRechnungExtension,
            PEPPOL_BIS_3 => Self::Peppol,
            _ if id.ends_with(":minimum") => Self::FacturXMinimum,
            _ if id.ends_with(":basicwl") => Self::FacturXBasicWl,
            _ if id.ends_with(":basic") => Self::FacturXBasic,
            _ if id.ends_with(":extended") => Self::FacturXExtended,
            _ if id.starts_with(
                "urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0",
            ) =>
            {
                Self::XRechnung
            }
            other => Self::Other(other.to_owned()),
        }
    }

    /// The identifier to write in BT-24.
    pub fn identifier(&self) -> &str {
        match self {
            Self::En16931 => EN16931,
            Self::XRechnung => XRECHNUNG_3,
            Self::XRechnungExtension => XRECHNUNG_3_EXTENSION,
            Self::Peppol => PEPPOL_BIS_3,
            Self::FacturXMinimum => FACTURX_MINIMUM,
            Self::FacturXBasicWl => FACTURX_BASIC_WL,
            Self::FacturXBasic => FACTURX_BASIC,
            Self::FacturXExtended => FACTURX_EXTENDED,
            Self::Other(id) => id,
        }
    }
}

/// Where a conversion goes: a syntax, and optionally a specification whose identifier replaces BT-24.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// Output syntax.
    pub syntax: Syntax,
    /// Target specification; `None` keeps the invoice's own BT-24.
    pub specification: Option<Specification>,
}

impl Target {
    /// The name used in messages.
    pub fn name(&self) -> String {
        match &self.specification {
            Some(spec) => format!("{spec:?} ({:?})", self.syntax),
            None => format!("{:?}", self.syntax),
        }
    }
}

/// Lists what stops an invoice from going to a target: terms the target cannot carry, and terms it requires.
pub fn obstacles(invoice: &Invoice, target: &Target) -> Vec<String> {
    let mut out = Vec::new();
    match target.syntax {
        Syntax::Cii if invoice.preceding_invoices.len() > 1 => out.push(format!(
            "CII D16B carries one preceding invoice reference (BG-3), the invoice has {}",
            invoice.preceding_invoices.len()
        )),
        Syntax::Ubl if invoice.lines.is_empty() => {
            out.push(
                "UBL requires at least one invoice line (BG-25); this invoice has none".to_owned(),
            );
        }
        Syntax::Ubl
            if invoice.type_code.is_credit_note_type()
                && invoice.due_date.is_some()
                && invoice.payment_instructions.is_none() =>
        {
            out.push("a UBL CreditNote carries the payment due date (BT-9) only inside payment instructions (BG-16); add payment means".to_owned());
        }
        _ => {}
    }
    let Some(spec) = &target.specification else {
        return out;
    };
    match spec {
        Specification::FacturXMinimum
        | Specification::FacturXBasicWl
        | Specification::FacturXBasic
            if target.syntax == Syntax::Cii =>
        {
            let (level, profile) = match spec {
                Specification::FacturXMinimum => (Level::Minimum, "MINIMUM"),
                Specification::FacturXBasicWl => (Level::BasicWl, "BASIC WL"),
                _ => (Level::Basic, "BASIC"),
            };
            let excess = profile_excess(invoice, level);
            if !excess.is_empty() {
                out.push(format!(
                    "the Factur-X {profile} profile cannot carry {}; use a richer profile (EN 16931)",
                    excess.join(", ")
                ));
            }
        }
        Specification::FacturXMinimum
        | Specification::FacturXBasicWl
        | Specification::FacturXBasic
        | Specification::FacturXExtended
            if target.syntax != Syntax::Cii =>
        {
            out.push("Factur-X / ZUGFeRD profiles exist only in CII".to_owned());
        }
        Specification::XRechnung | Specification::XRechnungExtension => {
            if invoice
                .buyer_reference
                .as_deref()
                .is_none_or(|r| r.trim().is_empty())
            {
                out.push(
                    "XRechnung requires the buyer reference (BT-10, Leitweg-ID) (BR-DE-15)"
                        .to_owned(),
                );
            }
            if invoice.seller.contact.is_none() {
                out.push("XRechnung requires a seller contact (BG-6) (BR-DE-2)".to_owned());
            }
            if invoice.payment_instructions.is_none() {
                out.push("XRechnung requires payment instructions (BG-16) (BR-DE-1)".to_owned());
            }
            if invoice.seller.electronic_address.is_none()
                || invoice.buyer.electronic_address.is_none()
            {
                out.push("XRechnung requires the seller's and the buyer's electronic addresses (BT-34, BT-49)".to_owned());
            }
        }
        Specification::Peppol => {
            if target.syntax != Syntax::Ubl {
                out.push("Peppol BIS Billing 3.0 is exchanged in UBL".to_owned());
            }
            if invoice.seller.electronic_address.is_none()
                || invoice.buyer.electronic_address.is_none()
            {
                out.push("Peppol requires the seller's and the buyer's electronic addresses (BT-34, BT-49) (PEPPOL-EN16931-R020, R010)".to_owned());
            }
            if invoice.buyer_reference.is_none() && invoice.purchase_order_reference.is_none() {
                out.push("Peppol requires a buyer reference (BT-10) or a purchase order reference (BT-13) (PEPPOL-EN16931-R003)".to_owned());
            }
        }
        _ => {}
    }
    out
}

/// The reduced Factur-X profiles, smallest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Level {
    Minimum,
    BasicWl,
    Basic,
}

/// Terms present in the invoice that a reduced Factur-X profile has no element for (per its XML Schema).
fn profile_excess(inv: &Invoice, level: Level) -> Vec<&'static str> {
    let pi = inv.payment_instructions.as_ref();
    let lines = &inv.lines;
    let mut checks: Vec<(bool, &'static str)> = vec![
        (
            inv.seller.contact.is_some() || inv.buyer.contact.is_some(),
            "contacts (BG-6, BG-9)",
        ),
        (
            inv.seller.additional_legal_info.is_some(),
            "the seller's additional legal information (BT-33)",
        ),
        (
            inv.project_reference.is_some(),
            "the project reference (BT-11)",
        ),
        (
            inv.sales_order_reference.is_some(),
            "the sales order reference (BT-14)",
        ),
        (
            inv.receiving_advice_reference.is_some(),
            "the receiving advice reference (BT-15)",
        ),
        (
            inv.tender_or_lot_reference.is_some(),
            "the tender or lot reference (BT-17)",
        ),
        (
            inv.invoiced_object_identifier.is_some(),
            "the invoiced object identifier (BT-18)",
        ),
        (
            !inv.supporting_documents.is_empty(),
            "supporting documents (BG-24)",
        ),
        (inv.tax_point_date.is_some(), "the VAT point date (BT-7)"),
        (
            pi.is_some_and(|p| p.card.is_some()),
            "payment card information (BG-18)",
        ),
        (
            pi.is_some_and(|p| p.means_text.is_some()),
            "the payment means text (BT-82)",
        ),
        (
            pi.is_some_and(|p| {
                p.credit_transfers
                    .iter()
                    .any(|c| c.service_provider_id.is_some() || c.account_name.is_some())
            }),
            "the payment service provider or account name (BT-85, BT-86)",
        ),
    ];
    if level == Level::Basic {
        checks.extend([
            (
                lines.iter().any(|l| {
                    let i = &l.item;
                    i.description.is_some()
                        || i.seller_id.is_some()
                        || i.buyer_id.is_some()
                        || !i.attributes.is_empty()
                        || !i.classifications.is_empty()
                        || i.origin_country.is_some()
                }),
                "item details beyond name and standard identifier (BT-154 … BT-161)",
            ),
            (
                lines.iter().any(|l| {
                    l.object_identifier.is_some()
                        || l.order_line_reference.is_some()
                        || l.buyer_accounting_reference.is_some()
                }),
                "line references (BT-128, BT-132, BT-133)",
            ),
        ]);
    } else {
        checks.push((!lines.is_empty(), "invoice lines (BG-25)"));
    }
    if level == Level::Minimum {
        checks.extend([
            (!inv.notes.is_empty(), "notes (BG-1)"),
            (pi.is_some(), "payment instructions (BG-16)"),
            (
                inv.payment_terms.is_some() || inv.due_date.is_some(),
                "payment terms or due date (BT-20, BT-9)",
            ),
            (
                !inv.allowances.is_empty() || !inv.charges.is_empty(),
                "document allowances or charges (BG-20, BG-21)",
            ),
            (
                !inv.preceding_invoices.is_empty(),
                "preceding invoice references (BG-3)",
            ),
            (
                inv.delivery.is_some() || inv.invoicing_period.is_some(),
                "delivery information or the invoicing period (BG-13, BG-14)",
            ),
            (
                inv.payee.is_some() || inv.tax_representative.is_some(),
                "a payee or a tax representative (BG-10, BG-11)",
            ),
            (
                inv.tax_currency.is_some(),
                "the VAT accounting currency (BT-6)",
            ),
            (!inv.vat_breakdown.is_empty(), "the VAT breakdown (BG-23)"),
            (
                !inv.totals.line_net_total.0.is_zero(),
                "the sum of line net amounts (BT-106)",
            ),
            (
                inv.seller.electronic_address.is_some() || inv.buyer.electronic_address.is_some(),
                "electronic addresses (BT-34, BT-49)",
            ),
            (
                inv.buyer.vat_id.is_some(),
                "the buyer VAT identifier (BT-48)",
            ),
            (
                inv.buyer.address != Address::default(),
                "the buyer's address (BG-8)",
            ),
        ]);
    }
    checks
        .into_iter()
        .filter(|(present, _)| *present)
        .map(|(_, term)| term)
        .collect()
}

/// Converts an invoice to a target: sets BT-24 (and BT-23 for Peppol when absent), then writes.
///
/// # Errors
/// [`Error::Unsupported`] listing every obstacle (see [`obstacles`]) when the target cannot take the invoice.
pub fn convert(invoice: &Invoice, target: &Target) -> Result<String, Error> {
    let problems = obstacles(invoice, target);
    if !problems.is_empty() {
        return Err(Error::Unsupported {
            target: target.name(),
            reason: problems.join("; "),
        });
    }
    let mut out = invoice.clone();
    if let Some(spec) = &target.specification {
        out.process.specification = spec.identifier().to_owned();
        if *spec == Specification::Peppol && out.process.business_process.is_none() {
            out.process.business_process = Some(PEPPOL_PROCESS.to_owned());
        }
    }
    syntax::write(&out, target.syntax)
}

#[cfg(test)]
mod tests {
    use rust_decimal::Decimal;

    use super::*;
    use crate::builder::{InvoiceBuilder, LineBuilder};
    use crate::codes::{UnitCode, VatCategory};
    use crate::types::Date;

    #[test]
    fn conversion_refuses_what_the_target_cannot_carry() {
        let invoice = InvoiceBuilder::new("1", Date::from_ymd(2025, 1, 1).unwrap(), "EUR")
            .preceding_invoice("A", None)
            .preceding_invoice("B", None)
            .line(LineBuilder::new(
                "1",
                Decimal::ONE,
                UnitCode::piece(),
                Decimal::TEN,
                VatCategory::Standard,
                Some(Decimal::TEN),
                "x",
            ))
            .build()
            .unwrap();
        let cii = Target {
            syntax: Syntax::Cii,
            specification: None,
        };
        let err = convert(&invoice, &cii).unwrap_err().to_string();
        assert!(err.contains("BG-3"), "{err}");
        let minimum = Target {
            syntax: Syntax::Cii,
            specification: Some(Specification::FacturXMinimum),
        };
        let err = convert(&invoice, &minimum).unwrap_err().to_string();
        assert!(
            err.contains("invoice lines (BG-25)") && err.contains("MINIMUM"),
            "{err}"
        );
        let xr = Target {
            syntax: Syntax::Ubl,
            specification: Some(Specification::XRechnung),
        };
        let err = convert(&invoice, &xr).unwrap_err().to_string();
        assert!(err.contains("BT-10") && err.contains("BR-DE-1"), "{err}");
        let ubl = Target {
            syntax: Syntax::Ubl,
            specification: Some(Specification::Peppol),
        };
        assert!(
            convert(&invoice, &ubl)
                .unwrap_err()
                .to_string()
                .contains("BT-34")
        );
        let plain = Target {
            syntax: Syntax::Ubl,
            specification: None,
        };
        assert!(convert(&invoice, &plain).is_ok());
    }

    #[test]
    fn identifiers_round_trip() {
        for spec in [
            Specification::En16931,
            Specification::XRechnung,
            Specification::XRechnungExtension,
            Specification::Peppol,
            Specification::FacturXMinimum,
            Specification::FacturXBasicWl,
            Specification::FacturXBasic,
            Specification::FacturXExtended,
        ] {
            assert_eq!(Specification::from_identifier(spec.identifier()), spec);
        }
        assert_eq!(
            Specification::from_identifier("urn:zugferd.de:2p0:basicwl"),
            Specification::FacturXBasicWl
        );
        assert_eq!(
            Specification::from_identifier(
                "urn:cen.eu:en16931:2017#compliant#urn:zugferd.de:2p0:basic"
            ),
            Specification::FacturXBasic
        );
        assert_eq!(
            Specification::from_identifier("x"),
            Specification::Other("x".to_owned())
        );
    }
}
