//! Filling the printed view from the EN 16931 model of `faktura-einvoice`.
//!
//! Amounts are printed as the model holds them (its `Display`), so a PDF
//! rendered from the model shows exactly the values its CII carries.

use faktura_einvoice::Invoice;
use faktura_einvoice::model::Address;

use crate::view::{InvoiceView, Line, Party, Payment, Totals, VatRow};

fn opt<T: ToString>(v: Option<&T>) -> String {
    v.map(ToString::to_string).unwrap_or_default()
}

fn street(a: &Address) -> Vec<String> {
    [&a.line1, &a.line2, &a.line3]
        .into_iter()
        .flatten()
        .filter(|s| !s.trim().is_empty())
        .cloned()
        .collect()
}

fn city_line(a: &Address) -> String {
    [a.post_code.as_deref(), a.city.as_deref()]
        .into_iter()
        .flatten()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

impl InvoiceView {
    /// The printed view of a model invoice.
    pub fn from_model(inv: &Invoice) -> Self {
        let s = &inv.seller;
        let b = &inv.buyer;
        let seller_contact = s.contact.as_ref();
        let buyer_contact = b.contact.as_ref();
        let pay = inv.payment_instructions.as_ref();
        let transfer = pay.and_then(|p| p.credit_transfers.first());
        let t = &inv.totals;
        Self {
            number: inv.number.clone(),
            type_code: inv.type_code.code().to_owned(),
            issue_date: inv.issue_date.to_string(),
            delivery_date: inv
                .delivery
                .as_ref()
                .and_then(|d| d.actual_delivery_date.as_ref())
                .or_else(|| inv.invoicing_period.as_ref().and_then(|p| p.start.as_ref()))
                .map(ToString::to_string)
                .unwrap_or_default(),
            period_end: opt(inv.invoicing_period.as_ref().and_then(|p| p.end.as_ref())),
            currency: inv.currency.code().to_owned(),
            buyer_reference: inv.buyer_reference.clone().unwrap_or_default(),
            order_reference: inv.purchase_order_reference.clone().unwrap_or_default(),
            seller: Party {
                name: s.name.clone(),
                street: street(&s.address),
                city_line: city_line(&s.address),
                country: s.address.country.code().to_owned(),
                vat_id: s.vat_id.clone().unwrap_or_default(),
                tax_number: s.tax_registration_id.clone().unwrap_or_default(),
                contact: opt(seller_contact.and_then(|c| c.name.as_ref())),
                phone: opt(seller_contact.and_then(|c| c.phone.as_ref())),
                email: opt(seller_contact.and_then(|c| c.email.as_ref())),
            },
            buyer: Party {
                name: b.name.clone(),
                street: street(&b.address),
                city_line: city_line(&b.address),
                country: b.address.country.code().to_owned(),
                vat_id: b.vat_id.clone().unwrap_or_default(),
                tax_number: String::new(),
                contact: opt(buyer_contact.and_then(|c| c.name.as_ref())),
                phone: opt(buyer_contact.and_then(|c| c.phone.as_ref())),
                email: opt(buyer_contact.and_then(|c| c.email.as_ref())),
            },
            lines: inv
                .lines
                .iter()
                .map(|l| Line {
                    id: l.id.clone(),
                    name: l.item.name.clone(),
                    description: l.item.description.clone().unwrap_or_default(),
                    quantity: l.quantity.to_string(),
                    unit: l.unit.code().to_owned(),
                    price: l.price.net_price.to_string(),
                    vat_category: l.vat.category.code().to_owned(),
                    vat_rate: opt(l.vat.rate.as_ref()),
                    amount: l.net_amount.to_string(),
                })
                .collect(),
            vat: inv
                .vat_breakdown
                .iter()
                .map(|v| VatRow {
                    category: v.category.code().to_owned(),
                    rate: opt(v.rate.as_ref()),
                    basis: v.taxable_amount.to_string(),
                    amount: v.tax_amount.to_string(),
                    exemption: v.exemption_reason.clone().unwrap_or_default(),
                })
                .collect(),
            totals: Totals {
                lines: t.line_net_total.to_string(),
                allowances: opt(t.allowance_total.as_ref()),
                charges: opt(t.charge_total.as_ref()),
                net: t.total_without_vat.to_string(),
                vat: opt(t.vat_total.as_ref()),
                gross: t.total_with_vat.to_string(),
                prepaid: opt(t.paid.as_ref()),
                due: t.amount_due.to_string(),
            },
            payment: Payment {
                means_code: pay
                    .map(|p| p.means_code.code().to_owned())
                    .unwrap_or_default(),
                iban: transfer.map(|c| c.account_id.clone()).unwrap_or_default(),
                bic: opt(transfer.and_then(|c| c.service_provider_id.as_ref())),
                account_name: opt(transfer.and_then(|c| c.account_name.as_ref())),
                reference: opt(pay.and_then(|p| p.remittance_information.as_ref())),
                terms: inv.payment_terms.clone().unwrap_or_default(),
                due_date: opt(inv.due_date.as_ref()),
            },
            notes: inv.notes.iter().map(|n| n.text.clone()).collect(),
            specification: inv.process.specification.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use faktura_einvoice::model::{CreditTransfer, LineVat, PaymentInstructions};
    use faktura_einvoice::{
        CountryCode, CurrencyCode, Date, InvoiceTypeCode, Quantity, UnitCode, UnitPrice,
        VatCategory,
    };

    use super::*;

    fn invoice() -> Invoice {
        let mut inv = Invoice::new(
            "RE-2026-0042",
            Date::from_ymd(2026, 11, 24).unwrap(),
            InvoiceTypeCode::Commercial,
            CurrencyCode::new("EUR"),
        );
        inv.seller.name = "Muster Software GmbH".into();
        inv.seller.address.city = Some("Berlin".into());
        inv.seller.address.post_code = Some("10115".into());
        inv.seller.address.country = CountryCode::new("DE");
        inv.seller.vat_id = Some("DE123456789".into());
        inv.buyer.name = "Beispiel AG".into();
        inv.buyer.address.country = CountryCode::new("DE");
        for i in 1..=3 {
            inv.lines.push(faktura_einvoice::model::InvoiceLine::new(
                i.to_string(),
                Quantity("2".parse().unwrap()),
                UnitCode::piece(),
                UnitPrice("10.50".parse().unwrap()),
                LineVat {
                    category: VatCategory::Standard,
                    rate: Some(faktura_einvoice::Percentage("19".parse().unwrap())),
                },
                format!("Item {i}"),
            ));
        }
        inv.payment_instructions = Some(PaymentInstructions {
            means_code: faktura_einvoice::codes::PaymentMeansCode::new("58"),
            means_text: None,
            remittance_information: Some("RE-2026-0042".into()),
            credit_transfers: vec![CreditTransfer {
                account_id: "DE02120300000000202051".into(),
                account_name: None,
                service_provider_id: None,
            }],
            card: None,
            direct_debit: None,
        });
        inv.compute_totals().unwrap();
        inv
    }

    #[test]
    fn model_fills_the_view_with_computed_totals() {
        let view = InvoiceView::from_model(&invoice());
        assert_eq!(view.lines.len(), 3);
        assert_eq!(view.lines[0].amount, "21.00");
        assert_eq!(view.totals.net, "63.00");
        assert_eq!(view.totals.due, "74.97");
        assert_eq!(view.vat.len(), 1);
        assert_eq!(view.vat[0].category, "S");
        assert_eq!(view.seller.city_line, "10115 Berlin");
        let epc = crate::render::epc_payload(&view).unwrap();
        assert!(epc.contains("EUR74.97"), "{epc}");
    }

    #[test]
    fn model_renders_to_a_readable_pdf() {
        let renderer = crate::Renderer::new().unwrap();
        let options = crate::Options {
            lang: crate::Lang::En,
            conformance: crate::Conformance::A3b,
            date: time::macros::datetime!(2026-11-24 12:00 UTC),
        };
        let pdf = renderer
            .readable_view(&InvoiceView::from_model(&invoice()), &options)
            .unwrap();
        assert!(pdf.starts_with(b"%PDF-"));
        assert!(matches!(crate::extract(&pdf), Err(crate::Error::NoInvoice)));
    }
}
