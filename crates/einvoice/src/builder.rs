//! Typed builders: assemble an invoice in code, then let [`InvoiceBuilder::build`]
//! compute line amounts, the VAT breakdown and the totals.

use rust_decimal::Decimal;

use crate::calc;
use crate::codes::{
    CountryCode, CurrencyCode, InvoiceTypeCode, PaymentMeansCode, UnitCode, VatCategory,
    VatExemptionCode, VatPointDateCode,
};
use crate::error::Error;
use crate::model::{
    Address, Buyer, Contact, CreditTransfer, Delivery, DocumentAllowanceCharge, Invoice,
    InvoiceLine, LineAllowanceCharge, LineVat, Note, Payee, PaymentInstructions, Period,
    PrecedingInvoice, ReasonCode, Seller, SupportingDocument, TaxRepresentative, VatBreakdown,
};
use crate::spec::Specification;
use crate::types::{Amount, Date, Identifier, Percentage, Quantity, UnitPrice};

impl Address {
    /// An address with street, city, post code and country.
    pub fn new(
        line1: impl Into<String>,
        city: impl Into<String>,
        post_code: impl Into<String>,
        country: &str,
    ) -> Self {
        Self {
            line1: Some(line1.into()),
            city: Some(city.into()),
            post_code: Some(post_code.into()),
            country: CountryCode::new(country),
            ..Self::default()
        }
    }
}

impl Contact {
    /// A contact with name, phone and e-mail.
    pub fn new(
        name: impl Into<String>,
        phone: impl Into<String>,
        email: impl Into<String>,
    ) -> Self {
        Self {
            name: Some(name.into()),
            phone: Some(phone.into()),
            email: Some(email.into()),
        }
    }
}

impl Seller {
    /// A seller with name and postal address.
    pub fn new(name: impl Into<String>, address: Address) -> Self {
        Self {
            name: name.into(),
            address,
            ..Self::default()
        }
    }

    /// Sets the VAT identifier (BT-31).
    #[must_use]
    pub fn vat_id(mut self, id: impl Into<String>) -> Self {
        self.vat_id = Some(id.into());
        self
    }

    /// Sets the electronic address (BT-34) with its EAS scheme.
    #[must_use]
    pub fn electronic_address(mut self, scheme: &str, address: impl Into<String>) -> Self {
        self.electronic_address = Some(Identifier::with_scheme(address, scheme));
        self
    }

    /// Sets the contact (BG-6).
    #[must_use]
    pub fn contact(mut self, contact: Contact) -> Self {
        self.contact = Some(contact);
        self
    }
}

impl Buyer {
    /// A buyer with name and postal address.
    pub fn new(name: impl Into<String>, address: Address) -> Self {
        Self {
            name: name.into(),
            address,
            ..Self::default()
        }
    }

    /// Sets the VAT identifier (BT-48).
    #[must_use]
    pub fn vat_id(mut self, id: impl Into<String>) -> Self {
        self.vat_id = Some(id.into());
        self
    }

    /// Sets the electronic address (BT-49) with its EAS scheme.
    #[must_use]
    pub fn electronic_address(mut self, scheme: &str, address: impl Into<String>) -> Self {
        self.electronic_address = Some(Identifier::with_scheme(address, scheme));
        self
    }
}

impl PaymentInstructions {
    /// Credit transfer to one account (BG-17), e.g. SEPA credit transfer (code 58) to an IBAN.
    pub fn credit_transfer(
        code: PaymentMeansCode,
        iban: impl Into<String>,
        bic: Option<&str>,
    ) -> Self {
        Self {
            means_code: code,
            credit_transfers: vec![CreditTransfer {
                account_id: iban.into(),
                account_name: None,
                service_provider_id: bic.map(str::to_owned),
            }],
            ..Self::default()
        }
    }
}

/// Builds an invoice line (BG-25); its net amount is computed by [`InvoiceBuilder::build`].
#[derive(Debug, Clone)]
pub struct LineBuilder {
    line: InvoiceLine,
}

impl LineBuilder {
    /// A line: identifier, quantity and unit, net unit price, VAT category and rate (`None` for category O), item name.
    pub fn new(
        id: impl Into<String>,
        quantity: Decimal,
        unit: UnitCode,
        net_price: Decimal,
        category: VatCategory,
        rate: Option<Decimal>,
        item_name: impl Into<String>,
    ) -> Self {
        Self {
            line: InvoiceLine::new(
                id,
                Quantity(quantity),
                unit,
                UnitPrice(net_price),
                LineVat {
                    category,
                    rate: rate.map(Percentage),
                },
                item_name,
            ),
        }
    }

    /// Gross price and discount (BT-148, BT-147); the net price becomes gross − discount.
    #[must_use]
    pub fn gross_price(mut self, gross: Decimal, discount: Decimal) -> Self {
        self.line.price.gross_price = Some(UnitPrice(gross));
        self.line.price.discount = Some(UnitPrice(discount));
        self
    }

    /// Price base quantity (BT-149/150): the price is for this many units.
    #[must_use]
    pub fn base_quantity(mut self, quantity: Decimal, unit: UnitCode) -> Self {
        self.line.price.base_quantity = Some(Quantity(quantity));
        self.line.price.base_quantity_unit = Some(unit);
        self
    }

    /// A line allowance (BG-27) of a fixed amount, with reason and UNTDID 5189 code.
    #[must_use]
    pub fn allowance(mut self, amount: Decimal, reason: &str, code: &str) -> Self {
        self.line.allowances.push(LineAllowanceCharge {
            amount: Amount(amount),
            reason: Some(reason.to_owned()),
            reason_code: Some(ReasonCode::Allowance(code.into())),
            ..LineAllowanceCharge::default()
        });
        self
    }

    /// A line charge (BG-28) of a fixed amount, with reason and UNTDID 7161 code.
    #[must_use]
    pub fn charge(mut self, amount: Decimal, reason: &str, code: &str) -> Self {
        self.line.charges.push(LineAllowanceCharge {
            amount: Amount(amount),
            reason: Some(reason.to_owned()),
            reason_code: Some(ReasonCode::Charge(code.into())),
            ..LineAllowanceCharge::default()
        });
        self
    }

    /// Line period (BG-26).
    #[must_use]
    pub fn period(mut self, start: Date, end: Date) -> Self {
        self.line.period = Some(Period {
            start: Some(start),
            end: Some(end),
        });
        self
    }

    /// Item description (BT-154).
    #[must_use]
    pub fn description(mut self, text: impl Into<String>) -> Self {
        self.line.item.description = Some(text.into());
        self
    }

    /// The line as built (net amount not yet computed).
    pub fn into_line(self) -> InvoiceLine {
        self.line
    }
}

/// Builds an invoice; [`InvoiceBuilder::build`] computes every derived amount.
#[derive(Debug, Clone)]
pub struct InvoiceBuilder {
    invoice: Invoice,
    accounting_rate: Option<Decimal>,
}

impl InvoiceBuilder {
    /// A commercial invoice (380) under plain EN 16931, with number, issue date and currency.
    pub fn new(number: impl Into<String>, issue_date: Date, currency: &str) -> Self {
        let mut invoice = Invoice::new(
            number,
            issue_date,
            InvoiceTypeCode::Commercial,
            CurrencyCode::new(currency),
        );
        invoice.process.specification = Specification::En16931.identifier().to_owned();
        Self {
            invoice,
            accounting_rate: None,
        }
    }

    /// Document type (BT-3).
    #[must_use]
    pub fn type_code(mut self, code: InvoiceTypeCode) -> Self {
        self.invoice.type_code = code;
        self
    }

    /// Specification (BT-24).
    #[must_use]
    pub fn specification(mut self, spec: &Specification) -> Self {
        self.invoice.process.specification = spec.identifier().to_owned();
        self
    }

    /// Business process (BT-23).
    #[must_use]
    pub fn business_process(mut self, process: impl Into<String>) -> Self {
        self.invoice.process.business_process = Some(process.into());
        self
    }

    /// Seller (BG-4).
    #[must_use]
    pub fn seller(mut self, seller: Seller) -> Self {
        self.invoice.seller = seller;
        self
    }

    /// Buyer (BG-7).
    #[must_use]
    pub fn buyer(mut self, buyer: Buyer) -> Self {
        self.invoice.buyer = buyer;
        self
    }

    /// Payee (BG-10).
    #[must_use]
    pub fn payee(mut self, payee: Payee) -> Self {
        self.invoice.payee = Some(payee);
        self
    }

    /// Seller tax representative (BG-11).
    #[must_use]
    pub fn tax_representative(mut self, rep: TaxRepresentative) -> Self {
        self.invoice.tax_representative = Some(rep);
        self
    }

    /// Delivery information (BG-13).
    #[must_use]
    pub fn delivery(mut self, delivery: Delivery) -> Self {
        self.invoice.delivery = Some(delivery);
        self
    }

    /// Invoicing period (BG-14).
    #[must_use]
    pub fn invoicing_period(mut self, start: Date, end: Date) -> Self {
        self.invoice.invoicing_period = Some(Period {
            start: Some(start),
            end: Some(end),
        });
        self
    }

    /// VAT point date (BT-7) or code (BT-8).
    #[must_use]
    pub fn tax_point(mut self, date: Option<Date>, code: Option<VatPointDateCode>) -> Self {
        self.invoice.tax_point_date = date;
        self.invoice.tax_point_date_code = code;
        self
    }

    /// Payment due date (BT-9).
    #[must_use]
    pub fn due_date(mut self, date: Date) -> Self {
        self.invoice.due_date = Some(date);
        self
    }

    /// Payment terms (BT-20).
    #[must_use]
    pub fn payment_terms(mut self, terms: impl Into<String>) -> Self {
        self.invoice.payment_terms = Some(terms.into());
        self
    }

    /// Buyer reference (BT-10).
    #[must_use]
    pub fn buyer_reference(mut self, reference: impl Into<String>) -> Self {
        self.invoice.buyer_reference = Some(reference.into());
        self
    }

    /// Purchase order reference (BT-13).
    #[must_use]
    pub fn purchase_order(mut self, reference: impl Into<String>) -> Self {
        self.invoice.purchase_order_reference = Some(reference.into());
        self
    }

    /// Preceding invoice (BG-3).
    #[must_use]
    pub fn preceding_invoice(
        mut self,
        number: impl Into<String>,
        issue_date: Option<Date>,
    ) -> Self {
        self.invoice.preceding_invoices.push(PrecedingInvoice {
            number: number.into(),
            issue_date,
        });
        self
    }

    /// A note (BG-1), optionally with a UNTDID 4451 subject code.
    #[must_use]
    pub fn note(mut self, subject_code: Option<&str>, text: impl Into<String>) -> Self {
        self.invoice.notes.push(Note {
            subject_code: subject_code.map(str::to_owned),
            text: text.into(),
        });
        self
    }

    /// Payment instructions (BG-16).
    #[must_use]
    pub fn payment(mut self, instructions: PaymentInstructions) -> Self {
        self.invoice.payment_instructions = Some(instructions);
        self
    }

    /// A supporting document (BG-24).
    #[must_use]
    pub fn supporting_document(mut self, document: SupportingDocument) -> Self {
        self.invoice.supporting_documents.push(document);
        self
    }

    /// An invoice line (BG-25).
    #[must_use]
    pub fn line(mut self, line: LineBuilder) -> Self {
        self.invoice.lines.push(line.into_line());
        self
    }

    /// A document level allowance (BG-20) with its VAT category and rate.
    #[must_use]
    pub fn allowance(
        mut self,
        amount: Decimal,
        category: VatCategory,
        rate: Option<Decimal>,
        reason: &str,
        code: &str,
    ) -> Self {
        self.invoice.allowances.push(DocumentAllowanceCharge {
            amount: Amount(amount),
            vat_category: Some(category),
            vat_rate: rate.map(Percentage),
            reason: Some(reason.to_owned()),
            reason_code: Some(ReasonCode::Allowance(code.into())),
            ..DocumentAllowanceCharge::default()
        });
        self
    }

    /// A document level charge (BG-21) with its VAT category and rate.
    #[must_use]
    pub fn charge(
        mut self,
        amount: Decimal,
        category: VatCategory,
        rate: Option<Decimal>,
        reason: &str,
        code: &str,
    ) -> Self {
        self.invoice.charges.push(DocumentAllowanceCharge {
            amount: Amount(amount),
            vat_category: Some(category),
            vat_rate: rate.map(Percentage),
            reason: Some(reason.to_owned()),
            reason_code: Some(ReasonCode::Charge(code.into())),
            ..DocumentAllowanceCharge::default()
        });
        self
    }

    /// The VAT exemption reason (BT-120/121) for a category and rate, kept in the computed breakdown.
    #[must_use]
    pub fn exemption(
        mut self,
        category: VatCategory,
        rate: Option<Decimal>,
        reason: &str,
        code: Option<&str>,
    ) -> Self {
        self.invoice.vat_breakdown.push(VatBreakdown {
            taxable_amount: Amount::ZERO,
            tax_amount: Amount::ZERO,
            category,
            rate: rate.map(Percentage),
            exemption_reason: Some(reason.to_owned()),
            exemption_reason_code: code.map(VatExemptionCode::new),
        });
        self
    }

    /// Amount already paid (BT-113).
    #[must_use]
    pub fn paid(mut self, amount: Decimal) -> Self {
        self.invoice.totals.paid = Some(Amount(amount));
        self
    }

    /// Rounding amount (BT-114).
    #[must_use]
    pub fn rounding(mut self, amount: Decimal) -> Self {
        self.invoice.totals.rounding = Some(Amount(amount));
        self
    }

    /// VAT accounting currency (BT-6) and the rate (accounting currency per invoice currency unit) for BT-111.
    #[must_use]
    pub fn tax_currency(mut self, currency: &str, rate: Decimal) -> Self {
        self.invoice.tax_currency = Some(CurrencyCode::new(currency));
        self.accounting_rate = Some(rate);
        self
    }

    /// Computes line net amounts, the VAT breakdown and the totals, and returns the invoice.
    ///
    /// # Errors
    /// [`Error::Overflow`] when a figure leaves the decimal range or a base quantity is zero.
    pub fn build(mut self) -> Result<Invoice, Error> {
        calc::compute(&mut self.invoice)?;
        if let Some(rate) = self.accounting_rate {
            calc::vat_in_accounting_currency(&mut self.invoice, rate)?;
        }
        Ok(self.invoice)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_and_computes() {
        let d = |s: &str| s.parse::<Decimal>().unwrap();
        let inv = InvoiceBuilder::new("R-1", Date::from_ymd(2025, 3, 1).unwrap(), "EUR")
            .seller(Seller::new("S", Address::new("a", "b", "1", "DE")).vat_id("DE123456789"))
            .buyer(Buyer::new("B", Address::new("a", "b", "1", "DE")))
            .line(LineBuilder::new(
                "1",
                d("2"),
                UnitCode::piece(),
                d("10"),
                VatCategory::Standard,
                Some(d("19")),
                "x",
            ))
            .line(
                LineBuilder::new(
                    "2",
                    d("1"),
                    UnitCode::hour(),
                    d("0"),
                    VatCategory::Standard,
                    Some(d("7")),
                    "y",
                )
                .gross_price(d("100"), d("10")),
            )
            .charge(
                d("5"),
                VatCategory::Standard,
                Some(d("19")),
                "Freight",
                "FC",
            )
            .build()
            .unwrap();
        assert_eq!(inv.lines[1].net_amount.0, d("90"));
        assert_eq!(inv.totals.total_without_vat.0, d("115"));
        assert_eq!(inv.totals.vat_total.unwrap().0, d("11.05"));
        assert_eq!(inv.totals.amount_due.0, d("126.05"));
    }
}
